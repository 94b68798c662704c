"""A walk as the phone needs it offline, and the optional recorded route of a device."""

import hashlib
import json
import re
import uuid

from flask import current_app, jsonify
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from walkapp.api import bp
from walkapp.api.helpers import current_device, json_body
from walkapp.api.serialize import walk_json
from walkapp.errors import ApiError, field_error
from walkapp.extensions import db
from walkapp.models import Track, Walk, utcnow
from walkapp.schemas import JOIN_CODE, TrackRequest, error_fields

_JOIN_CODE_RE = re.compile(JOIN_CODE)


def walk_by_code(join_code: str) -> Walk:
    walk = None
    if _JOIN_CODE_RE.match(join_code):
        walk = db.session.scalar(select(Walk).where(Walk.join_code == join_code.upper()))
    if walk is None:
        raise ApiError(404, "not_found", f"No walk has the join code {join_code!r}.",
                       [field_error("join_code", "unknown join code")])
    return walk


@bp.get("/walks/<join_code>")
def get_walk(join_code: str):
    return jsonify(walk_json(walk_by_code(join_code), current_app.config))


@bp.put("/walks/<join_code>/tracks/<uuid:track_id>")
def put_track(join_code: str, track_id: uuid.UUID):
    """Idempotent: the phone resends the whole track as it grows; same content → unchanged."""
    device = current_device()
    walk = walk_by_code(join_code)
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "The body must be an object with a 'points' list.",
                       [field_error("points", "required")])
    try:
        req = TrackRequest.model_validate(body)
    except ValidationError as err:
        raise ApiError(400, "bad_request", "The track is not valid.", error_fields(err)) from None
    points = [[lon, lat, t.isoformat(), acc] for lon, lat, t, acc in req.points]
    digest = hashlib.sha256(json.dumps(points).encode()).hexdigest()
    try:
        status = _store_track(track_id, walk, device.id, points, digest)
    except IntegrityError:
        # A concurrent first upload of the same track won the race: compare with its row.
        db.session.rollback()
        status = _store_track(track_id, walk, device.id, points, digest)
    code = 201 if status == "created" else 200
    return jsonify({"id": str(track_id), "status": status, "points": len(points)}), code


def _store_track(track_id: uuid.UUID, walk: Walk, device_id: str, points: list,
                 digest: str) -> str:
    track = db.session.get(Track, track_id)
    if track is not None and track.device_id != device_id:
        raise ApiError(403, "forbidden", "This track was sent from another device.",
                       [field_error("track_id", "not your track")])
    if track is not None and track.walk_id != walk.id:
        raise ApiError(409, "conflict", "This track belongs to another walk.",
                       [field_error("track_id", "recorded on another walk")])
    if track is not None and track.content_hash == digest:
        return "unchanged"
    status = "updated" if track is not None else "created"
    if track is None:
        track = Track(id=track_id, walk_id=walk.id, device_id=device_id)
        db.session.add(track)
    track.points, track.content_hash, track.updated_at = points, digest, utcnow()
    db.session.commit()
    return status
