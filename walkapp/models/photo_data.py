"""Photo bytes kept in the database (PHOTO_STORAGE=database; bytea on PostgreSQL).

One row per stored photo, separate from `photo` so listing photos never loads their bytes;
it goes with its photo row (ON DELETE CASCADE). See walkapp/photo_store.py.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, LargeBinary, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from walkapp.models.base import Base


class PhotoData(Base):
    __tablename__ = "photo_data"

    photo_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("photo.id", ondelete="CASCADE"), primary_key=True
    )
    full: Mapped[bytes] = mapped_column(LargeBinary)   # the re-encoded JPEG
    thumb: Mapped[bytes] = mapped_column(LargeBinary)  # its thumbnail
