"""Comments out as GeoJSON (RFC 7946) and CSV for GIS tools and spreadsheets. No Flask.

Never in an export: device ids or tokens, tracks, and the server's per-batch `received_at`
(every comment of one phone's batch shares it, so it would group inputs by phone; issue 7):
only the local day it arrived survives, which the due date needs anyway. A public export
leaves hidden inputs out and carries the redacted text; a staff export keeps hidden inputs,
marked, with the original text beside the public one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from walkapp import labels
from walkapp.models import Comment, Walk, utcnow
from walkapp.workflow import is_overdue, local_today

LOAD = (selectinload(Comment.category), selectinload(Comment.department),
        selectinload(Comment.walk), selectinload(Comment.photos),
        selectinload(Comment.municipality))


def _local(dt: datetime | None, tz: str) -> datetime | None:
    return dt.astimezone(ZoneInfo(tz)) if dt is not None else None


def properties(c: Comment, today: date, *, public: bool, lang: str,
               translate: Callable[[str], str]) -> dict:
    """One comment's exported fields; labels in `lang` beside the stored values."""
    muni = c.municipality
    tz = muni.timezone
    created = _local(c.created_at, tz)
    props = {
        "walk": c.walk.join_code if c.walk else None,
        "kind": c.kind, "kind_label": translate(labels.msgid("kind", c.kind)),
        "category": c.category.slug, "category_label": c.category.label(lang),
        "text": c.shown_text if public else c.text,
        "status": c.status, "status_label": translate(labels.msgid("status", c.status)),
        "department": c.department.slug if c.department else None,
        "department_name": c.department.name if c.department else None,
        "created_at": created.isoformat(timespec="seconds"),
        "received_on": _local(c.received_at, tz).date().isoformat(),
        "accuracy_m": c.accuracy_m,
        "source": c.source, "source_label": translate(labels.msgid("source", c.source)),
        "photos": sum(1 for p in c.photos if p.stored_at is not None),
        "answer": c.answer, "promised_on": c.promised_on.isoformat() if c.promised_on else None,
        "overdue": is_overdue(c, today, muni.response_days, tz),
        "merged_into": str(c.merged_into_id) if c.merged_into_id else None,
    }
    if not public:
        props.update(public_text=c.public_text, hidden=c.hidden_at is not None,
                     hidden_reason=c.hidden_reason)
    return props


def _public_rows(comments: Iterable[Comment], public: bool) -> list[Comment]:
    return [c for c in comments if not (public and c.hidden_at is not None)]


def feature_collection(comments: Iterable[Comment], now: datetime, *, public: bool,
                       lang: str = "en", translate: Callable[[str], str] = str) -> dict:
    """An RFC 7946 FeatureCollection (lon/lat WGS84, one Point per comment)."""
    features = []
    for c in _public_rows(comments, public):
        today = local_today(now, c.municipality.timezone)
        features.append({
            "type": "Feature", "id": str(c.id),
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": properties(c, today, public=public, lang=lang, translate=translate),
        })
    return {"type": "FeatureCollection", "features": features}


# column key, header msgid
CSV_COLUMNS = [
    ("id", labels.N_("Id")), ("walk", labels.N_("Walk")), ("kind_label", labels.N_("Kind")),
    ("category_label", labels.N_("Category")), ("text", labels.N_("Text")),
    ("status_label", labels.N_("Status")), ("department_name", labels.N_("Department")),
    ("created_at", labels.N_("Made at (local time)")),
    ("received_on", labels.N_("Arrived on")), ("lon", labels.N_("Longitude")),
    ("lat", labels.N_("Latitude")), ("accuracy_m", labels.N_("GPS accuracy (m)")),
    ("source_label", labels.N_("Source")), ("photos", labels.N_("Photos")),
    ("answer", labels.N_("Public answer")), ("promised_on", labels.N_("Promised by")),
    ("overdue", labels.N_("Overdue")), ("merged_into", labels.N_("Merged into")),
]
STAFF_COLUMNS = [("public_text", labels.N_("Public version of the text")),
                 ("hidden", labels.N_("Hidden")), ("hidden_reason", labels.N_("Why hidden"))]


def csv_bytes(comments: Iterable[Comment], now: datetime, *, public: bool, lang: str,
              translate: Callable[[str], str]) -> bytes:
    """UTF-8 with a byte order mark (so Excel shows å ä ö æ ø), local times, labels in
    the chosen language."""
    columns = CSV_COLUMNS + ([] if public else STAFF_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([translate(header) for _key, header in columns])
    yes, no = translate(labels.N_("yes")), translate(labels.N_("no"))
    for c in _public_rows(comments, public):
        today = local_today(now, c.municipality.timezone)
        props = {**properties(c, today, public=public, lang=lang, translate=translate),
                 "id": str(c.id), "lon": c.lon, "lat": c.lat}
        props["created_at"] = props["created_at"][:16].replace("T", " ")
        row = []
        for key, _header in columns:
            value = props[key]
            row.append(yes if value is True else no if value is False else
                       "" if value is None else value)
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def comments_feature_collection(session: Session, join_code: str | None = None, *,
                                public: bool = True, now: datetime | None = None) -> dict:
    """`walkapp export-geojson`: every comment (or one walk's), public unless asked."""
    query = (select(Comment).outerjoin(Walk, Walk.id == Comment.walk_id).options(*LOAD)
             .order_by(Comment.municipality_id, Walk.join_code, Comment.created_at))
    if join_code:
        query = query.where(Walk.join_code == join_code.upper())
    return feature_collection(session.scalars(query), now or utcnow(), public=public)
