"""Staff who sign in: officials who review walks, department staff who answer comments."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from walkapp.models.base import Base, UTCDateTime, utcnow
from walkapp.models.municipality import Department, Municipality

ROLES = ("admin", "official", "department")


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
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while an invited user has not chosen a password yet (walkapp/invites.py).
    password_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    municipality: Mapped[Municipality] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str, now: datetime | None = None) -> None:
        self.password_hash = generate_password_hash(password)
        self.password_set_at = now or utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
