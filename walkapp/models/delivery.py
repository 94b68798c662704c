"""The delivery outbox: one row per event × channel, written in the transaction of the event.

FixMyStreet's send_method/send_state idea: the row says how (channel), to whom (a department
or a resident's device), what happened (event), and where it stands (state). A worker
(`walkapp deliver`, walkapp/delivery.py) claims due rows, sends them and records the outcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from walkapp.models.base import Base, UTCDateTime, utcnow
from walkapp.models.comment import Comment
from walkapp.models.municipality import Department

# Department channels: an e-mail per input, a row waiting for the daily digest, a webhook.
# Resident channels: Web Push to the phone, e-mail to the address the resident gave.
DEPARTMENT_CHANNELS = ("email", "digest", "webhook")
RESIDENT_CHANNELS = ("push", "resident_email")
CHANNELS = DEPARTMENT_CHANNELS + RESIDENT_CHANNELS
# What happened: routed or rerouted to a department; the resident's input got an answer or a
# new status.
EVENTS = ("route", "reroute", "answer", "status")
# pending → sending (claimed, leased until next_attempt_at) → sent | pending again (retry
# with backoff) | failed (out of attempts, or unsure whether an e-mail went out) | cancelled
# (nothing to send any more: the department turned the channel off, the resident withdrew).
STATES = ("pending", "sending", "sent", "failed", "cancelled")


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_state_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent along as the idempotency key (webhook header, e-mail Message-ID, push Topic).
    key: Mapped[str] = mapped_column(String(32), unique=True,
                                     default=lambda: uuid.uuid4().hex)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    # A withdrawn input takes its deliveries with it; an erased device its notifications.
    comment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True, index=True)
    device_id: Mapped[str | None] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), nullable=True, index=True)
    event: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by the worker that claimed the row: its outcome is recorded only under this claim.
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The event as it was when it happened; emptied by `walkapp purge` after the retention.
    payload: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    # Where the last attempt went (an address or URL), kept for the admins; purged too.
    recipient: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Digest rows that went out in one e-mail share the key of that e-mail.
    batch_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    department: Mapped[Department | None] = relationship()
    comment: Mapped[Comment] = relationship()
