"""Open311: the keys departments' own systems use, and what a request posted with one carried
beyond an ordinary input (the address it named, the media it pointed to, the key it came with)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from walkapp.models.base import Base, UTCDateTime, utcnow
from walkapp.models.comment import Comment
from walkapp.models.municipality import Department
from walkapp.models.user import User


class ApiKey(Base):
    """A key issued to one department or outside body. Only its SHA-256 is stored: the key
    itself is shown once, when it is issued. Revoked keys stay, so the history can name them."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # which system holds it, in the admin's words
    # The key's first characters: enough for people to tell keys apart, useless to an attacker.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True)

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.department.active


class Open311Request(Base):
    """The Open311 side of an input that came through POST requests: kept beside the comment,
    not in it, because phones' inputs have none of it."""

    __tablename__ = "open311_request"

    comment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_key.id", ondelete="SET NULL"), nullable=True, index=True)
    address_string: Mapped[str | None] = mapped_column(Text, nullable=True)
    address_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A reference only: walkapp never fetches it (see walkapp/georeport/create.py).
    media_url: Mapped[str | None] = mapped_column(Text, nullable=True)

    comment: Mapped[Comment] = relationship()
    api_key: Mapped[ApiKey | None] = relationship()

# GET requests reads a municipality's inputs in a window of requested_datetime, newest
# first: ix_comment_municipality_created on comment (municipality_id, created_at, …) serves it.
