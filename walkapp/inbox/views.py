"""What the inbox templates show: an input's summary line, map point and history in people's
words and local times, and the small parsers its forms need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qsl

from flask import url_for
from flask_babel import format_timedelta, gettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from walkapp import workflow
from walkapp.access import visible_comments
from walkapp.extensions import db
from walkapp.history import ROUTER
from walkapp.i18n import current_language, input_title, label, localdate
from walkapp.labels import KIND, N_, STATUS
from walkapp.models import Comment, Department, StatusChange
from walkapp.workflow import WorkflowError

EXCERPT = 140


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def excerpt_of(c: Comment) -> str:
    return excerpt(c.text)


@dataclass
class Summary:
    c: Comment
    n: int | None
    overdue: bool
    due: date
    age: str

    @property
    def title(self) -> str:
        return input_title(self.c.kind, self.c.category, self.c.status)


def summary(c: Comment, n: int | None, now: datetime, today: date, muni) -> Summary:
    return Summary(
        c=c, n=n, overdue=workflow.is_overdue(c, today, muni.response_days, muni.timezone),
        due=workflow.due_on(c, muni.response_days, muni.timezone),
        age=format_timedelta(now - c.received_at, threshold=1.0))


def map_point(item: Summary) -> dict:
    """A pin for pages/points-map.js: only what the list beside it shows anyway."""
    return {"n": item.n, "lat": round(item.c.lat, 6), "lon": round(item.c.lon, 6),
            "title": item.title, "url": url_for("inbox.item", comment_id=item.c.id),
            "flag": "overdue" if item.overdue else ""}


@dataclass
class Entry:
    at: datetime
    author: str
    action: str
    from_status: str
    status: str
    public_text: str | None
    note: str | None
    department: str | None
    promised: str | None  # "" = removed


def history(c: Comment) -> list[Entry]:
    """The input's history, newest first, in people's words."""
    rows = db.session.scalars(select(StatusChange).where(StatusChange.comment_id == c.id)
                              .order_by(StatusChange.created_at.desc(),
                                        StatusChange.id.desc())).all()
    ids = {r.department_id for r in rows if r.department_id is not None}
    names = dict(db.session.execute(select(Department.id, Department.name)
                                    .where(Department.id.in_(ids))).all()) if ids else {}
    out = []
    for r in rows:
        promised = None
        if r.action == "promise":
            raw = (r.data or {}).get("promised_on")
            promised = localdate(date.fromisoformat(raw)) if raw else ""
        out.append(Entry(
            at=r.created_at, author=_author(r), action=label("action", r.action),
            from_status=label("status", r.from_status) if r.from_status != r.status else "",
            status=label("status", r.status), public_text=r.public_text, note=r.note,
            department=names.get(r.department_id) if r.action in ("route", "reroute") else None,
            promised=promised))
    return out


def _author(row: StatusChange) -> str:
    if row.user_id is None and row.author == ROUTER.name:
        return gettext("Automatic routing")
    return row.author


def duplicates(c: Comment, user) -> list[Comment]:
    """Inputs merged into this one that the user may see."""
    return list(db.session.scalars(visible_comments(user).where(Comment.merged_into_id == c.id)
                                   .order_by(Comment.received_at)))


def form_date(raw: str | None) -> date:
    """A date from an <input type=date> (YYYY-MM-DD)."""
    raw = (raw or "").strip()
    if not raw:
        raise WorkflowError("promised_on", N_("Choose a date."))
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise WorkflowError("promised_on", N_("Give the date as YYYY-MM-DD, e.g. 2026-06-30.")) \
            from None


def parse_back(query: str) -> MultiDict:
    """The list's filters, carried through a form as a query string."""
    return MultiDict(parse_qsl(query[:2000]))


def parse_ids(raw: list[str]) -> list[uuid.UUID] | None:
    """Distinct input ids in the order given; None if one is not an id at all."""
    out: dict[uuid.UUID, None] = {}
    for value in raw:
        try:
            out[uuid.UUID(value)] = None
        except ValueError:
            return None
    return list(out)


def template_helpers() -> dict:
    """Choice lists for the filter form and the excerpt filter, for the inbox's templates."""
    return {
        "excerpt": excerpt,
        "status_options": lambda: [(k, label("status", k)) for k in STATUS],
        "kind_options": lambda: [(k, label("kind", k)) for k in KIND],
        "category_options": lambda cats: [(c.slug, c.label(current_language())) for c in cats],
        "walk_options": lambda walks: [(w.join_code, f"{w.title} ({localdate(w.starts_at)})")
                                       for w in walks],
    }
