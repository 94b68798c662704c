"""An anonymous phone install: a public id and a secret token we only keep hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from walkapp.models.base import Base, UTCDateTime, utcnow


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class Device(Base):
    __tablename__ = "device"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Scribe mode: an official's phone pinning for residents without a smartphone. Its pins
    # are marked as recorded by this user (walkapp/scribe.py); None for a resident's phone.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True, index=True)

    @classmethod
    def issue(cls, user_id: int | None = None) -> tuple[Device, str]:
        """A new device and its token; the token is shown once and never stored."""
        token = secrets.token_urlsafe(32)
        return cls(id=secrets.token_urlsafe(16), token_hash=hash_token(token),
                   user_id=user_id), token
