"""POST /sync: the phone's outbox arrives here."""

from flask import current_app, jsonify

from walkapp import photos, router_cache
from walkapp.api import bp
from walkapp.api.helpers import current_device, json_body
from walkapp.errors import ApiError, field_error
from walkapp.extensions import db
from walkapp.models import utcnow
from walkapp.sync import apply_batch


@bp.post("/sync")
def sync():
    device = current_device()
    body = json_body(current_app.config["SYNC_MAX_BYTES"])
    if not isinstance(body, dict) or not isinstance(body.get("comments"), list):
        raise ApiError(400, "bad_request", "The body must be an object with a 'comments' list.",
                       [field_error("comments", "required, a list of comment objects")])
    items = body["comments"]
    if not items:
        raise ApiError(400, "bad_request", "Send at least one comment.",
                       [field_error("comments", "must contain 1 to 200 items")])
    limit = current_app.config["SYNC_MAX_ITEMS"]
    if len(items) > limit:
        raise ApiError(413, "too_large", f"At most {limit} comments per request.",
                       [field_error("comments", f"{len(items)} items; the limit is {limit}")])
    session = db.session
    outcome = apply_batch(
        session, device.id, items, utcnow(),
        router_for=lambda walk: router_cache.router_for(session, walk.municipality),
        recorded_by=device.user_id,
    )
    for photo_id in outcome.removed_photos:
        photos.delete(current_app.config["PHOTO_FOLDER"], photo_id)
    return jsonify({"results": outcome.results})
