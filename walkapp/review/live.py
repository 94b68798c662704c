"""Following an open walk live: a page that polls a small JSON endpoint with a since-cursor
every few seconds (no long-lived connection holds a worker), a count, a map and a list."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import format_datetime, get_locale
from flask_login import current_user
from sqlalchemy import and_, func, or_
from sqlalchemy.orm import selectinload

from walkapp.access import OFFICIALS, roles_required, visible_comments
from walkapp.api.devices import decode_cursor, encode_cursor
from walkapp.extensions import db
from walkapp.geo import to_geojson
from walkapp.i18n import label
from walkapp.models import Comment, utcnow
from walkapp.review import bp
from walkapp.review.walk_form import own_walk

PAGE = 200


class Words:
    """Labels in the reader's language, looked up once per poll rather than once per pin."""

    def __init__(self, lang: str):
        self.lang, self._cache = lang, {}

    def __call__(self, group: str, value: str) -> str:
        key = (group, value)
        if key not in self._cache:
            self._cache[key] = label(group, value)
        return self._cache[key]


def live_item(c: Comment, words: Words, zone: ZoneInfo) -> dict:
    """What an official needs to see at a glance; words in their language, time local (the
    time of day: a live view shows one walk's day)."""
    return {
        "id": str(c.id), "kind": c.kind, "kind_label": words("kind", c.kind),
        "category": c.category.label(words.lang), "text": c.text,
        "time": c.created_at.astimezone(zone).strftime("%H:%M"),
        "created_at": c.created_at.isoformat(), "lat": c.lat, "lon": c.lon,
        "status": words("status", c.status),
        "department": c.department.name if c.department else None,
        "photos": sum(1 for p in c.photos if p.stored_at is not None),
        "recorded_by": c.recorded_by.name if c.source == "scribe" and c.recorded_by else None,
        "hidden": c.hidden_at is not None,
    }


@bp.get("/walks/<join_code>/live")
@roles_required(*OFFICIALS)
def live(join_code: str):
    walk = own_walk(join_code)
    poll_ms = int(current_app.config["LIVE_POLL_SECONDS"] * 1000)
    shapes = {"area": to_geojson(walk.area), "route": to_geojson(walk.route)}
    return render_template("review/live.html", walk=walk, poll_ms=poll_ms, shapes=shapes,
                           feed_url=url_for("review.live_json", join_code=walk.join_code))


@bp.get("/walks/<join_code>/live.json")
@roles_required(*OFFICIALS)
def live_json(join_code: str):
    """Inputs of the walk changed after the cursor, oldest change first.

    As in the residents' feed, the cursor stays behind the settle window, so an input whose
    transaction commits late is never skipped; the newest ones come again on the next poll
    and the page replaces them by id. `total` lets the page notice removals and reload.
    """
    walk = own_walk(join_code)
    base = visible_comments(current_user).where(Comment.walk_id == walk.id)
    query = (base.options(selectinload(Comment.category), selectinload(Comment.photos),
                          selectinload(Comment.department), selectinload(Comment.recorded_by))
             .order_by(Comment.changed_at, Comment.id).limit(PAGE + 1))
    since = request.args.get("since")
    if since is not None:
        at, cid = decode_cursor(since)
        query = query.where(or_(Comment.changed_at > at,
                                and_(Comment.changed_at == at, Comment.id > cid)))
    rows = list(db.session.scalars(query))
    page, more = rows[:PAGE], len(rows) > PAGE
    horizon = utcnow() - timedelta(seconds=current_app.config["FEED_SETTLE_SECONDS"])
    settled = [c for c in page if c.changed_at <= horizon]
    cursor = encode_cursor(settled[-1].changed_at, settled[-1].id) if settled else since
    total = db.session.scalar(base.with_only_columns(func.count()).order_by(None))
    words, zone = Words(str(get_locale() or "en")), ZoneInfo(walk.municipality.timezone)
    resp = jsonify({"comments": [live_item(c, words, zone) for c in page], "cursor": cursor,
                    "has_more": more and bool(settled), "total": total,
                    "as_of": format_datetime(utcnow(), "HH:mm:ss")})
    resp.cache_control.no_store = True
    return resp
