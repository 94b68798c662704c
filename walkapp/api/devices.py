"""Anonymous device registration and the resident's feedback feed."""

import base64
import binascii
import json
import uuid
from datetime import datetime

from flask import current_app, jsonify, request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from walkapp.api import bp
from walkapp.api.helpers import current_device
from walkapp.api.serialize import comment_json, iso
from walkapp.errors import ApiError, field_error
from walkapp.extensions import db, limiter
from walkapp.models import Comment, Device


@bp.post("/devices")
@limiter.limit(lambda: current_app.config["RATELIMIT_DEVICES"])
def register_device():
    device, token = Device.issue()
    db.session.add(device)
    db.session.commit()
    return jsonify({"device_id": device.id, "token": token}), 201


def encode_cursor(changed_at: datetime, comment_id: uuid.UUID) -> str:
    raw = json.dumps([iso(changed_at), str(comment_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, cid = json.loads(raw)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(cid)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "bad_request", "The cursor is not one this server handed out.",
                       [field_error("since", "invalid cursor")]) from None


@bp.get("/devices/me/comments")
def my_comments():
    """The device's comments changed since the cursor, oldest change first (keyset paging)."""
    device = current_device()
    limit = current_app.config["FEED_PAGE_SIZE"]
    query = (
        select(Comment)
        .where(Comment.device_id == device.id)
        .options(selectinload(Comment.photos), selectinload(Comment.history))
        .order_by(Comment.changed_at, Comment.id)
        .limit(limit + 1)
    )
    since = request.args.get("since")
    if since:
        at, cid = decode_cursor(since)
        query = query.where(or_(Comment.changed_at > at,
                                and_(Comment.changed_at == at, Comment.id > cid)))
    rows = list(db.session.scalars(query))
    page, has_more = rows[:limit], len(rows) > limit
    cursor = encode_cursor(page[-1].changed_at, page[-1].id) if page else since
    return jsonify({"comments": [comment_json(c) for c in page], "cursor": cursor,
                    "has_more": has_more})
