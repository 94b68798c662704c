"""Where photo bytes live: a local folder (the default) or the database. No Flask.

PHOTO_STORAGE=local keeps files under PHOTO_FOLDER (one machine's disk); PHOTO_STORAGE=database
keeps them in the `photo_data` table (bytea on PostgreSQL), so every app server behind a load
balancer sees the same photos and one database backup holds everything.

Every caller uses the same three calls on the app's store (`for_app(current_app)`):

    store.save(session, photo_id, processed)  # before the commit that sets photo.stored_at
    store.open(session, photo_id, "full")     # → a binary file object, or None ("thumb" too)
    store.delete(photo_ids)                   # after the commit that deleted the photo rows

Order is what keeps bytes and rows consistent: bytes are saved before the row says they
exist (a crash between leaves an orphan file, never a row without bytes), and deleted only
once the rows are gone. In the database both happen in the caller's transaction (the bytes'
row goes with its photo row by ON DELETE CASCADE), so `delete` has nothing left to do there.
`store.transactional` tells which kind a caller has: a local store writes at once, so a
caller saves before opening its write transaction (no lock held during the disk's fsync);
a database store writes through the session, after the photo row is in it.
"""

from __future__ import annotations

import io
import os
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from walkapp.models import PhotoData
from walkapp.photos import Processed

Variant = Literal["full", "thumb"]
KINDS = ("local", "database")
EXTENSION_KEY = "walkapp.photo_store"


class PhotoStore(Protocol):
    transactional: bool  # does save() write through the session (True) or at once (False)?

    def save(self, session: Session, photo_id: uuid.UUID, processed: Processed) -> None: ...

    def open(self, session: Session, photo_id: uuid.UUID,
             variant: Variant = "full") -> BinaryIO | None: ...

    def delete(self, photo_ids: Iterable[uuid.UUID]) -> None: ...


class LocalStore:
    """Files under one folder: <folder>/<first two hex digits>/<uuid>.jpg and <uuid>_thumb.jpg."""

    transactional = False

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, photo_id: uuid.UUID, variant: Variant = "full") -> Path:
        suffix = "_thumb" if variant == "thumb" else ""
        return self.folder / photo_id.hex[:2] / f"{photo_id}{suffix}.jpg"

    def save(self, session: Session, photo_id: uuid.UUID, processed: Processed) -> None:
        _write_atomic(self.path(photo_id, "full"), processed.jpeg)
        _write_atomic(self.path(photo_id, "thumb"), processed.thumb)

    def open(self, session: Session, photo_id: uuid.UUID,
             variant: Variant = "full") -> BinaryIO | None:
        try:
            return self.path(photo_id, variant).open("rb")
        except FileNotFoundError:
            return None

    def delete(self, photo_ids: Iterable[uuid.UUID]) -> None:
        for photo_id in photo_ids:
            for variant in ("full", "thumb"):
                self.path(photo_id, variant).unlink(missing_ok=True)


class DatabaseStore:
    """Rows of `photo_data`, written and removed in the caller's transaction."""

    transactional = True

    def save(self, session: Session, photo_id: uuid.UUID, processed: Processed) -> None:
        session.flush()  # the photo row first: photo_data refers to it
        session.merge(PhotoData(photo_id=photo_id, full=processed.jpeg, thumb=processed.thumb))

    def open(self, session: Session, photo_id: uuid.UUID,
             variant: Variant = "full") -> BinaryIO | None:
        column = PhotoData.thumb if variant == "thumb" else PhotoData.full
        data = session.scalar(select(column).where(PhotoData.photo_id == photo_id))
        return None if data is None else io.BytesIO(data)

    def delete(self, photo_ids: Iterable[uuid.UUID]) -> None:
        """Nothing to do: the bytes went with their photo rows (ON DELETE CASCADE)."""


def make_store(kind: str, folder: str | Path | None = None) -> PhotoStore:
    if kind == "local":
        if not folder:
            raise ValueError("PHOTO_STORAGE=local needs a PHOTO_FOLDER")
        return LocalStore(folder)
    if kind == "database":
        return DatabaseStore()
    raise ValueError(f"PHOTO_STORAGE must be one of {', '.join(KINDS)}, not {kind!r}")


def for_app(app) -> PhotoStore:
    """The store the app was configured with (create_app puts it in app.extensions)."""
    return app.extensions[EXTENSION_KEY]


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
