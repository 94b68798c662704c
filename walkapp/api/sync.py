"""POST /sync: the phone's outbox arrives here."""

from flask import current_app, jsonify

from walkapp import photo_store, router_cache
from walkapp.api import bp
from walkapp.api.helpers import current_device, json_body
from walkapp.database import repeatable
from walkapp.errors import ApiError, field_error
from walkapp.extensions import db
from walkapp.models import utcnow
from walkapp.sync import Limits, apply_batch


@bp.post("/sync")
@repeatable  # idempotent on every comment's id
def sync():
    device = current_device()
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("comments"), list):
        raise ApiError(400, "bad_request", "The body must be an object with a 'comments' list.",
                       [field_error("comments", "required, a list of comment objects")])
    items = body["comments"]
    if not items:
        raise ApiError(400, "bad_request", "Send at least one comment.",
                       [field_error("comments", "must contain 1 to 200 items")])
    cfg = current_app.config
    limit = cfg["SYNC_MAX_ITEMS"]
    if len(items) > limit:
        raise ApiError(413, "too_large", f"At most {limit} comments per request.",
                       [field_error("comments", f"{len(items)} items; the limit is {limit}")])
    session = db.session
    outcome = apply_batch(
        session, device.id, items, utcnow(),
        router_for=lambda walk: router_cache.router_for(session, walk.municipality),
        recorded_by=device.user_id,
        limits=Limits(clock_skew_s=cfg["CLOCK_SKEW_SECONDS"],
                      location_margin_m=cfg["LOCATION_MARGIN_M"]),
    )
    photo_store.for_app(current_app).delete(outcome.removed_photos)
    return jsonify({"results": outcome.results})
