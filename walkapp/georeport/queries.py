"""GET requests, GET requests/<id>, GET tokens/<token>: which inputs, seen by whom.

Who sees what: GET is public in GeoReport v2, so without a key a caller sees the
jurisdiction's inputs that are not hidden. A department's key sees the same, plus the inputs
routed to that department even when officials hid them from the public: the department still
has to handle them, and its system would otherwise watch its own cases vanish. Either way the
text is `shown_text`; a redacted original never leaves walkapp through this API.

Volume: without start_date/end_date the window is the last 90 days, and a window may not
span more than 90 days; at most 1000 requests come back at once. `page` and `page_size`
(the extension most GeoReport servers implement) page through a window, newest first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from walkapp.georeport import serialize
from walkapp.georeport.caller import Caller
from walkapp.georeport.errors import bad, not_found
from walkapp.georeport.params import Params, listed, positive_int, w3c_datetime
from walkapp.georeport.services import category
from walkapp.models import Category, Comment, Department, Open311Request, StatusChange
from walkapp.workflow import CLOSED, OPEN

MAX_ITEMS = 1000  # the spec's cap on one answer
WINDOW = timedelta(days=90)  # the spec's default and widest date range
STATES = {"open": OPEN, "closed": CLOSED}


@dataclass(frozen=True)
class Query:
    ids: tuple[uuid.UUID, ...] | None = None  # overrides every other argument
    category_ids: tuple[int, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] | None = None
    page: int = 1
    page_size: int = MAX_ITEMS


@dataclass(frozen=True)
class Page:
    requests: list[dict]
    more: bool  # another page follows


def request_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _window(start: datetime | None, end: datetime | None, now: datetime):
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise bad("end_date must not be before start_date")
    if end - start > WINDOW:
        raise bad("start_date and end_date may not span more than 90 days")
    return start, end


def parse(session: Session, caller: Caller, params: Params, now: datetime) -> Query:
    """The query the parameters ask for; 400 naming a parameter that makes no sense."""
    raw_ids = listed(params, "service_request_id")
    if raw_ids:
        if len(raw_ids) > MAX_ITEMS:
            raise bad(f"service_request_id may list at most {MAX_ITEMS} ids")
        ids = []
        for raw in raw_ids:
            parsed = request_id(raw)
            if parsed is None:
                raise bad(f"service_request_id {raw[:60]!r} is not a request id of this server")
            ids.append(parsed)
        return Query(ids=tuple(ids))
    codes = listed(params, "service_code")
    category_ids = tuple(category(session, caller, code).id for code in codes) or None
    states = listed(params, "status")
    for s in states:
        if s not in STATES:
            raise bad(f"status must be open or closed (comma-delimited), not {s[:40]!r}")
    statuses = tuple(st for s in states for st in STATES[s]) or None
    start, end = _window(w3c_datetime(params, "start_date", caller.tz),
                         w3c_datetime(params, "end_date", caller.tz), now)
    return Query(category_ids=category_ids, start=start, end=end, statuses=statuses,
                 page=positive_int(params, "page", 1, 1_000_000),
                 page_size=positive_int(params, "page_size", MAX_ITEMS, MAX_ITEMS))


def visible(caller: Caller, *, by_id: bool = False) -> ColumnElement[bool]:
    """The inputs this caller may see (see the module docstring). by_id: the query also
    names ids; "+ 0" keeps SQLite, which has no statistics unless ANALYZE ran, from scanning
    the municipality index instead of looking the ids up by primary key."""
    shown = Comment.hidden_at.is_(None)
    if caller.department_id is not None:
        shown = or_(shown, Comment.department_id == caller.department_id)
    municipality = Comment.municipality_id + 0 if by_id else Comment.municipality_id
    return and_(municipality == caller.municipality.id, shown)


def _context(session: Session, caller: Caller, comments: list[Comment]) -> serialize.Context:
    muni_id = caller.municipality.id
    ids = [c.id for c in comments]
    merged = {c.merged_into_id for c in comments if c.merged_into_id is not None}
    return serialize.Context(
        categories={c.id: c for c in session.scalars(
            select(Category).where(Category.municipality_id == muni_id))},
        departments=dict(session.execute(
            select(Department.id, Department.name).where(Department.municipality_id == muni_id)
        ).all()),
        answers=dict(session.execute(
            select(Comment.id, Comment.answer).where(Comment.id.in_(merged))).all())
        if merged else {},
        extras={e.comment_id: e for e in session.scalars(
            select(Open311Request).where(Open311Request.comment_id.in_(ids)))},
        updated=dict(session.execute(
            select(StatusChange.comment_id, func.max(StatusChange.created_at))
            .where(StatusChange.comment_id.in_(ids),
                   StatusChange.action.in_(serialize.PUBLIC_ACTIONS))
            .group_by(StatusChange.comment_id)).all()))


def _as_requests(session: Session, caller: Caller, comments: list[Comment]) -> list[dict]:
    if not comments:
        return []
    ctx = _context(session, caller, comments)
    return [serialize.request(c, caller, ctx) for c in comments]


def find(session: Session, caller: Caller, query: Query) -> Page:
    if query.ids is not None:
        stmt = select(Comment).where(visible(caller, by_id=True), Comment.id.in_(query.ids))
        found = {c.id: c for c in session.scalars(stmt)}
        comments = [found[i] for i in query.ids if i in found]  # in the order asked
        return Page(_as_requests(session, caller, comments), more=False)
    stmt = select(Comment).where(visible(caller), Comment.created_at >= query.start,
                                 Comment.created_at <= query.end)
    if query.category_ids is not None:
        stmt = stmt.where(Comment.category_id.in_(query.category_ids))
    if query.statuses is not None:
        stmt = stmt.where(Comment.status.in_(query.statuses))
    stmt = (stmt.order_by(Comment.created_at.desc(), Comment.id.desc())
            .offset((query.page - 1) * query.page_size).limit(query.page_size + 1))
    comments = list(session.scalars(stmt))
    more = len(comments) > query.page_size
    return Page(_as_requests(session, caller, comments[:query.page_size]), more)


def one(session: Session, caller: Caller, raw_id: str) -> list[dict]:
    """GET requests/<id>: a list of one, as the spec shows; 404 for an input this caller may
    not see, exactly as for one that does not exist."""
    parsed = request_id(raw_id)
    found = list(session.scalars(select(Comment).where(visible(caller), Comment.id == parsed))) \
        if parsed is not None else []
    if not found:
        raise not_found(f"service_request_id {raw_id[:60]!r} not found")
    return _as_requests(session, caller, found)


def token(session: Session, caller: Caller, raw: str) -> list[dict]:
    """GET tokens/<token>. POST answers the id at once (every service is "realtime"), so it
    never hands out a token; for clients that ask anyway, a request's token is its id. Only
    requests posted through Open311 have one, as only they came from a POST."""
    parsed = request_id(raw)
    found = session.scalar(select(Comment.id).where(
        visible(caller), Comment.id == parsed, Comment.source == "open311")) \
        if parsed is not None else None
    if found is None:
        raise not_found(f"token {raw[:60]!r} not found")
    return [{"service_request_id": str(found), "token": raw}]
