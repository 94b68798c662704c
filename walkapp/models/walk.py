"""A community walk and the routes residents choose to record on it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from walkapp.models.base import Base, Geometry, UTCDateTime, utcnow
from walkapp.models.municipality import Municipality

WALK_STATUSES = ("planned", "open", "closed")


class Walk(Base):
    __tablename__ = "walk"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    locality: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_point: Mapped[str] = mapped_column(Text, default="")
    meeting_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    meeting_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    area = mapped_column(Geometry, nullable=True)    # Polygon
    route = mapped_column(Geometry, nullable=True)   # planned LineString
    status: Mapped[str] = mapped_column(String(16), default="planned")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()


class Track(Base):
    """An opt-in recorded route of one device on one walk; points are [lon, lat, time, accuracy]."""

    __tablename__ = "track"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    walk_id: Mapped[int] = mapped_column(ForeignKey("walk.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), index=True
    )
    points: Mapped[list] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    walk: Mapped[Walk] = relationship()
