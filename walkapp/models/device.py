"""An anonymous phone install: a public id and a secret token we only keep hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
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
    # Personal data, all optional and given for one purpose: being told when an input gets
    # an answer. `walkapp purge` removes it after the retention; DELETE /devices/me at once.
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    contact_email_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    push_endpoint: Mapped[str | None] = mapped_column(Text, nullable=True)
    push_keys: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    push_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def push_subscription(self) -> dict | None:
        """The browser's PushSubscription as pywebpush takes it."""
        if not self.push_endpoint or not self.push_keys:
            return None
        return {"endpoint": self.push_endpoint, "keys": dict(self.push_keys)}

    @classmethod
    def issue(cls, user_id: int | None = None) -> tuple[Device, str]:
        """A new device and its token; the token is shown once and never stored."""
        token = secrets.token_urlsafe(32)
        return cls(id=secrets.token_urlsafe(16), token_hash=hash_token(token),
                   user_id=user_id), token
