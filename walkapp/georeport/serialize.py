"""An input as a GeoReport v2 service request: the spec's fields, in the spec's order.

What is public here and what never is:
- description is `Comment.shown_text` (the redacted version when officials redacted it);
- status_notes is the latest public answer (a merged duplicate without its own answer shows
  the answer of the input it was merged into, as the resident's phone does);
- requested_datetime is when the input was made (the phone's clock for a pin), never when a
  batch reached the server: those times would link one phone's pins together;
- updated_datetime is the last change the public may see (a status move, reroute, merge,
  redaction, answer or promised date), else requested_datetime;
- expected_datetime is the promised date, read as the end of that local day (23:59:59 in the
  municipality's time zone, with its offset); without a promise there is none;
- device ids, tracks, internal notes, routing rules and contact data never appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from walkapp.georeport.caller import Caller
from walkapp.georeport.params import w3c
from walkapp.models import Category, Comment, Open311Request
from walkapp.workflow import CLOSED

# Actions whose time is a change the public sees (the router's first route is not: it
# happens when the phone's batch arrives).
PUBLIC_ACTIONS = ("status", "reroute", "merge", "redact", "answer", "promise")


def state(status: str) -> str:
    """Open311's two states: closed once nothing more is to happen (done, will not be done,
    merged, noted); every other status, "not ours" included, is still open."""
    return "closed" if status in CLOSED else "open"


def expected(promised_on: date | None, tz: ZoneInfo) -> datetime | None:
    if promised_on is None:
        return None
    return datetime.combine(promised_on, time(23, 59, 59), tzinfo=tz)


@dataclass
class Context:
    """What a page of requests needs beside the comments, each looked up once per page:
    one municipality has few categories and departments, so dicts beat joins."""

    categories: dict[int, Category]
    departments: dict[int, str]  # id → name
    answers: dict = field(default_factory=dict)  # merged-into id → that input's answer
    extras: dict = field(default_factory=dict)  # comment id → Open311Request
    updated: dict = field(default_factory=dict)  # comment id → last public change


def request(c: Comment, caller: Caller, ctx: Context) -> dict:
    tz = caller.tz
    category = ctx.categories[c.category_id]
    extra: Open311Request | None = ctx.extras.get(c.id)
    updated = ctx.updated.get(c.id)
    changed = max(c.created_at, updated) if updated is not None else c.created_at
    # A merged duplicate without its own answer shows the answer of the input it joined.
    notes = c.answer or (ctx.answers.get(c.merged_into_id) if c.merged_into_id else None)
    return {
        "service_request_id": str(c.id),
        "status": state(c.status),
        "status_notes": notes or None,
        "service_name": category.label(caller.lang),
        "service_code": category.slug,
        "description": c.shown_text or None,
        "agency_responsible": ctx.departments.get(c.department_id),
        "service_notice": None,
        "requested_datetime": w3c(c.created_at, tz),
        "updated_datetime": w3c(changed, tz),
        "expected_datetime": w3c(expected(c.promised_on, tz), tz),
        "address": extra.address_string if extra else None,
        "address_id": extra.address_id if extra else None,
        "zipcode": None,
        "lat": round(c.lat, 6),
        "long": round(c.lon, 6),
        "media_url": extra.media_url if extra else None,
    }
