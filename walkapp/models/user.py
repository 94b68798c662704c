"""Staff who sign in: officials who review walks, department staff who answer comments."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from walkapp.models.base import Base, UTCDateTime, utcnow
from walkapp.models.municipality import Department, Municipality

ROLES = ("admin", "official", "department")


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


@cache
def _dummy_hash() -> str:
    # Same method and cost as a real one: checking it takes as long as checking a real password.
    return generate_password_hash(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> bool:
    """Spend the time of a real password check (and fail), so sign-in timing does not tell
    staff e-mail addresses from unknown ones."""
    check_password_hash(_dummy_hash(), password)
    return False


class User(UserMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the session and "remember me" cookies carry instead of the id (Flask-Login's
    # alternative id): a new one on sign-out, password change and deactivation ends every
    # session and remember cookie issued before.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=new_session_token)
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while an invited user has not chosen a password yet (walkapp/invites.py).
    password_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    municipality: Mapped[Municipality] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return self.session_token

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @validates("password_hash", "active")
    def _end_sessions(self, key: str, value):
        # Any path that changes the password or deactivates the account (the CLI, admin
        # pages) signs the user out everywhere; a new account is not affected.
        if self.id is not None and (key == "password_hash" or not value):
            self.rotate_session_token()
        return value

    def set_password(self, password: str, now: datetime | None = None) -> None:
        self.password_hash = generate_password_hash(password)
        self.password_set_at = now or utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
