"""Open311 keys for departments' own systems: issue, find, revoke. No Flask here.

A key is 256 random bits behind a recognisable prefix ("o311_…", so secret scanners and
people can tell what it is). Only its SHA-256 is stored, like a device token: with that much
randomness a fast hash leaves nothing to brute-force. The key is shown once, when issued.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from walkapp.labels import N_
from walkapp.models import ApiKey, Department, hash_token

PREFIX = "o311_"
SHOWN_CHARS = 12  # of the key, kept in clear to tell keys apart ("o311_" + 7)
NAME_MAX = 200
# last_used_at is written at most this often: a busy system polling every minute would
# otherwise turn every read into a write.
USE_RESOLUTION = timedelta(hours=1)


class ApiKeyError(ValueError):
    """A key cannot be issued as asked. field names the input at fault; message is a msgid
    (the web layer translates it) with %(name)s placeholders filled from params."""

    def __init__(self, field: str, message: str, params: dict | None = None):
        self.field, self.message, self.params = field, message, params or {}
        super().__init__(message % self.params if self.params else message)


@dataclass(frozen=True)
class Issued:
    key: ApiKey
    secret: str  # the key itself: show it once, never store it


def issue(session: Session, department: Department, name: str, now: datetime,
          created_by_id: int | None = None) -> Issued:
    """A new key for the department; the caller commits."""
    name = (name or "").strip()
    if not name:
        raise ApiKeyError("name", N_("Say which system will use the key."))
    if len(name) > NAME_MAX:
        raise ApiKeyError("name", N_("The name may have at most %(max)d characters."),
                          {"max": NAME_MAX})
    if department.active is False:  # None: a department not yet flushed, active by default
        raise ApiKeyError("department", N_("This department is deactivated."))
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(department=department, name=name, prefix=secret[:SHOWN_CHARS],
                 key_hash=hash_token(secret), created_at=now, created_by_id=created_by_id)
    session.add(key)
    return Issued(key, secret)


def find(session: Session, secret: str) -> ApiKey | None:
    """The key with this secret, revoked or not (the caller decides what a revoked key gets)."""
    if not secret:
        return None
    return session.scalar(select(ApiKey).options(joinedload(ApiKey.department))
                          .where(ApiKey.key_hash == hash_token(secret)))


def mark_used(key: ApiKey, now: datetime) -> None:
    if key.last_used_at is None or now - key.last_used_at >= USE_RESOLUTION:
        key.last_used_at = now


def revoke(key: ApiKey, now: datetime, revoked_by_id: int | None = None) -> bool:
    """Revoke the key; False if it was revoked already (nothing changes then)."""
    if key.revoked_at is not None:
        return False
    key.revoked_at, key.revoked_by_id = now, revoked_by_id
    return True


def keys_of(session: Session, municipality_id: int) -> list[ApiKey]:
    """Every key of the municipality's departments, newest first."""
    return list(session.scalars(
        select(ApiKey).join(Department, ApiKey.department_id == Department.id)
        .where(Department.municipality_id == municipality_id)
        .options(joinedload(ApiKey.department), joinedload(ApiKey.created_by),
                 joinedload(ApiKey.revoked_by))
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))
