"""The deployment's owner and the bodies comments are routed to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from walkapp.models.base import Base, Geometry, UTCDateTime

LANGUAGES = ("sv", "da", "en")
EMAIL_MODES = ("immediate", "digest", "off")


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="SE")
    default_language: Mapped[str] = mapped_column(String(5), default="sv")
    # IANA name; staff pages show every time in it, forms read local times in it.
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    # Default time a department has to answer, when it has not promised a date itself.
    response_days: Mapped[int] = mapped_column(Integer, default=21)
    boundary = mapped_column(Geometry, nullable=True)
    # use_alter: municipality and department refer to each other.
    fallback_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", use_alter=True, ondelete="SET NULL"), nullable=True
    )
    # Bumped whenever service areas change, so every process knows to rebuild its router.
    areas_version: Mapped[int] = mapped_column(Integer, default=0)

    fallback_department: Mapped[Department | None] = relationship(
        foreign_keys=[fallback_department_id], post_update=True
    )
    departments: Mapped[list[Department]] = relationship(
        back_populates="municipality", foreign_keys="Department.municipality_id"
    )
    categories: Mapped[list[Category]] = relationship(
        back_populates="municipality", order_by="Category.sort_order"
    )


class Department(Base):
    """A municipal department or an outside body (housing company, broadband company, police…)."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("municipality_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="municipal")  # municipal | external
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The language its mail is written in; None = the municipality's.
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # Departments are deactivated, never deleted: their history must stay readable.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How it hears of new inputs (walkapp/delivery.py): an e-mail each, a daily digest or
    # none (EMAIL_MODES), and/or a signed webhook to its own system.
    email_mode: Mapped[str] = mapped_column(String(16), default="immediate")
    digest_hour: Mapped[int] = mapped_column(Integer, default=7)  # local time of the digest
    webhook_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # The HMAC key is needed in clear to sign; it is shown to an admin once, when made.
    # After a rotation the previous one still signs for a grace period (both signatures).
    webhook_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    webhook_secret_previous: Mapped[str | None] = mapped_column(String(128), nullable=True)
    webhook_secret_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    municipality: Mapped[Municipality] = relationship(
        back_populates="departments", foreign_keys=[municipality_id]
    )
    areas: Mapped[list[ServiceArea]] = relationship(
        back_populates="department", cascade="all, delete-orphan"
    )

    def as_ref(self) -> dict:
        return {"slug": self.slug, "name": self.name}


class Category(Base):
    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("municipality_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    label_sv: Mapped[str] = mapped_column(String(200))
    label_da: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    municipality: Mapped[Municipality] = relationship(back_populates="categories")

    def labels(self) -> dict[str, str]:
        return {"sv": self.label_sv, "da": self.label_da, "en": self.label_en}

    def label(self, lang: str) -> str:
        return getattr(self, f"label_{lang}", None) or self.label_en


class ServiceArea(Base):
    """A polygon a department answers for, optionally only for some categories."""

    __tablename__ = "service_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    geometry = mapped_column(Geometry, nullable=False)
    categories: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None = all
    priority: Mapped[int] = mapped_column(Integer, default=0)
    area_m2: Mapped[float] = mapped_column(Float, default=0.0)

    department: Mapped[Department] = relationship(back_populates="areas")
