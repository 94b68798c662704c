"""A resident's pin, its photos, why it went where it went, and what happened to it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from walkapp.geo import lonlat_to_cell
from walkapp.models.base import Base, UTCDateTime, utcnow
from walkapp.models.device import Device
from walkapp.models.municipality import Category, Department, Municipality, ServiceArea
from walkapp.models.walk import Walk

KINDS = ("question", "opinion", "idea")
# received → routed → acknowledged → in_progress → done | wont_do | not_ours (bounced back to
# the officials for rerouting) | duplicate (merged into another input); "noted" closes an
# opinion or idea that was taken into account but needs no work (FixMyStreet's "wish").
# Legal moves live in walkapp/workflow.py. Only the first two are "unreviewed": the resident
# may still edit or delete.
STATUSES = (
    "received", "routed", "acknowledged", "in_progress", "done", "wont_do", "not_ours",
    "duplicate", "noted",
)
UNREVIEWED = ("received", "routed")
# Where an input came from: the resident's phone, an official pinning for a resident
# (scribe mode), or a department's own system (Open311).
SOURCES = ("app", "scribe", "open311")


class Comment(Base):
    __tablename__ = "comment"
    __table_args__ = (
        Index("ix_comment_device_changed", "device_id", "changed_at", "id"),
        # The review map: an index range over the cells, covering what clusters and counts
        # group by, so a view is counted from the index alone (walkapp/review_map.py) …
        Index("ix_comment_cells", "municipality_id", "cell_x", "cell_y", "kind", "status",
              "category_id", "department_id"),
        # … and its list, newest first, stops after one page instead of sorting the view
        # (the cells in the index spare a row read for every input outside the view).
        Index("ix_comment_municipality_created", "municipality_id", "created_at", "cell_x",
              "cell_y"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the client's UUID
    # Scoping by municipality needs no join (an Open311 request has no walk).
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    walk_id: Mapped[int | None] = mapped_column(
        ForeignKey("walk.id", ondelete="CASCADE"), nullable=True, index=True)
    # None for inputs that came from a department's system rather than a phone.
    device_id: Mapped[str | None] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="app")
    # Scribe mode: the official who pinned this for a resident without a smartphone.
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    text: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Web Mercator tile of the point at geo.CELL_ZOOM, kept in step with lon/lat (see the
    # listener below; sync's bulk insert fills them itself).
    cell_x: Mapped[int] = mapped_column(Integer)
    cell_y: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the phone's clock
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Any change the resident should see (edit, routing, status, answer): the feed cursor.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True, index=True
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    # Moderation. Hidden inputs never appear publicly; hiding is not deleting (a submitted
    # input is a public record). public_text is the redacted version shown publicly; the
    # original `text` stays for staff.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Duplicates point at their primary; residents behind them see the primary's answer.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("comment.id", ondelete="SET NULL"), nullable=True, index=True)
    # Workflow: the date the department promised an answer or the work by (a local date in
    # the municipality's time zone), and the latest public answer as written.
    promised_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    municipality: Mapped[Municipality] = relationship()
    walk: Mapped[Walk | None] = relationship()
    device: Mapped[Device | None] = relationship()
    category: Mapped[Category] = relationship()
    department: Mapped[Department | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", order_by="Photo.position"
    )
    decisions: Mapped[list[RoutingDecision]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", order_by="RoutingDecision.id"
    )
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", order_by="StatusChange.id"
    )

    merged_into: Mapped[Comment | None] = relationship(remote_side="Comment.id")
    # Scribe mode: the official who pinned this for a resident.
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def editable(self) -> bool:
        return self.reviewed_at is None and self.status in UNREVIEWED

    @property
    def shown_text(self) -> str:
        """The text anyone outside the staff may see: the redacted version if there is one."""
        return self.public_text if self.public_text is not None else self.text

    def missing_photos(self) -> list[str]:
        """Photos announced by the phone whose bytes have not arrived yet."""
        return [str(p.id) for p in self.photos if p.stored_at is None]


@event.listens_for(Comment, "before_insert")
@event.listens_for(Comment, "before_update")
def _place_in_cell(_mapper, _connection, comment: Comment) -> None:
    """Any insert or move through the ORM (edits, scribe mode, Open311) keeps its cell."""
    if comment.lon is not None and comment.lat is not None:
        comment.cell_x, comment.cell_y = lonlat_to_cell(comment.lon, comment.lat)


class Photo(Base):
    """Announced by the sync item, then uploaded on its own; stored_at is set once bytes arrive."""

    __tablename__ = "photo"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the client's UUID
    comment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # of the upload

    comment: Mapped[Comment] = relationship(back_populates="photos")


class RoutingDecision(Base):
    """Which department got a comment and why: an area rule, the fallback, or an official."""

    __tablename__ = "routing_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True
    )
    service_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_area.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(16))  # area | fallback | manual
    rule: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(16), default="router")  # router | official
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )

    comment: Mapped[Comment] = relationship(back_populates="decisions")
    department: Mapped[Department | None] = relationship()
    service_area: Mapped[ServiceArea | None] = relationship()


# What a history row records. "status" is a workflow transition; the others leave the status
# as it was (or set it as part of the action, e.g. reroute → routed, merge → duplicate).
ACTIONS = ("status", "route", "reroute", "merge", "hide", "unhide", "redact", "note", "answer",
           "promise")


class StatusChange(Base):
    """One entry of a comment's history: who did what, when, from which status to which.

    public_text is what the resident is shown; note is internal and never leaves the staff.
    The history is the audit trail: rows are only ever added.
    """

    __tablename__ = "status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16), default="status")
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # the status after this entry
    # The department concerned: the new one for route/reroute, the acting one otherwise.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True)
    data: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # action details
    public_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # internal, never shown
    author: Mapped[str] = mapped_column(String(200), default="router")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="history")
