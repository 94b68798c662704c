"""Planning a walk: join codes, local times, the drawn or uploaded area and route, and the
planned → open → closed status. Used by the officials' walk form and `walkapp create-walk`.
No Flask: functions take a session and plain values; bad input raises checks.FieldError and
writes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from walkapp import checks
from walkapp.checks import FieldError
from walkapp.labels import N_
from walkapp.models import Municipality, Walk

# Join codes are read off a poster and typed on a phone: no 0/O, 1/I/L, no lower case.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6

# Which status a walk may move to. A walk closed too early can be opened again.
MOVES = {"planned": ("open", "closed"), "open": ("closed",), "closed": ("open",)}


def new_join_code(session: Session) -> str:
    """A code no walk has: 31^6 ≈ 900 million, so a collision is rare and simply retried."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(Walk.id).where(Walk.join_code == code)) is None:
            return code


def to_utc(day: date | None, at: time | None, timezone: str) -> datetime:
    """A local date and time in the municipality's zone as an aware UTC datetime.

    A time that does not exist (the hour skipped when clocks go forward) is an error rather
    than a silent shift; a time that exists twice (clocks go back) means the first one.
    """
    if day is None:
        raise FieldError("date", N_("Give the date of the walk."))
    if at is None:
        raise FieldError("time", N_("Give the time the walk starts."))
    zone = ZoneInfo(timezone)
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone)
    utc = local.astimezone(ZoneInfo("UTC"))
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise FieldError("time", N_("%(time)s does not exist on that day: the clocks go "
                                    "forward. Choose another time."),
                         {"time": at.strftime("%H:%M")})
    return utc


def to_local(value: datetime, timezone: str) -> tuple[date, time]:
    local = value.astimezone(ZoneInfo(timezone))
    return local.date(), local.time().replace(second=0, microsecond=0, tzinfo=None)


def statuses_for(walk: Walk | None) -> tuple[str, ...]:
    """The statuses the form offers: the current one and where it may go."""
    if walk is None:
        return ("planned", "open")
    return (walk.status, *MOVES.get(walk.status, ()))


@dataclass
class WalkInput:
    """What an official fills in; geometry fields hold GeoJSON text (drawn or uploaded)."""

    title: str
    locality: str
    day: date | None
    at: time | None
    meeting_point: str = ""
    meeting_lon: float | str | None = None
    meeting_lat: float | str | None = None
    area: str | None = None
    route: str | None = None
    status: str = "planned"


def save_walk(session: Session, muni: Municipality, data: WalkInput, now: datetime,
              walk: Walk | None = None) -> Walk:
    """Create (walk None) or update a walk after checking every field; flushes."""
    title = checks.text(data.title, "title")
    locality = checks.text(data.locality, "locality")
    starts_at = to_utc(data.day, data.at, muni.timezone)
    meeting = checks.text(data.meeting_point, "meeting_point", 500, required=False)
    spot = checks.point(data.meeting_lon, data.meeting_lat, "meeting_lat")
    area = checks.geometry(data.area, "area", ("Polygon", "MultiPolygon"))
    route = checks.geometry(data.route, "route", ("LineString",))
    if data.status not in statuses_for(walk):
        raise FieldError("status", N_("This walk cannot move to that status."))
    if walk is None:
        walk = Walk(municipality=muni, join_code=new_join_code(session), created_at=now)
        session.add(walk)
    if data.status != walk.status:
        _move(walk, data.status, now)
    walk.title, walk.locality, walk.starts_at = title, locality, starts_at
    walk.meeting_point = meeting
    walk.meeting_lon, walk.meeting_lat = spot if spot else (None, None)
    walk.area, walk.route = area, route
    session.flush()
    return walk


def _move(walk: Walk, status: str, now: datetime) -> None:
    """Closing stamps closed_at (pins made later are refused); opening again clears it."""
    walk.status = status
    walk.closed_at = now if status == "closed" else None


def set_status(session: Session, walk: Walk, status: str, now: datetime) -> None:
    if status not in MOVES.get(walk.status, ()):
        raise FieldError("status", N_("This walk cannot move to that status."))
    _move(walk, status, now)
    session.flush()
