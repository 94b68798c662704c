"""Anonymous device registration and the resident's feedback feed."""

import re
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app, jsonify, request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from walkapp.api import bp
from walkapp.api.helpers import current_device
from walkapp.api.serialize import comment_json
from walkapp.database import repeatable
from walkapp.errors import ApiError, field_error
from walkapp.extensions import db, limiter
from walkapp.models import Comment, Device, utcnow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@bp.post("/devices")
@limiter.limit(lambda: current_app.config["RATELIMIT_DEVICES"])
@repeatable  # a second run after a lost connection leaves at worst an unused device row
def register_device():
    device, token = Device.issue()
    db.session.add(device)
    db.session.commit()
    return jsonify({"device_id": device.id, "token": token}), 201


# A cursor is a position in (changed_at, id) order: microseconds since the epoch and the
# comment's UUID. Any string of this shape is a valid position, so the API document can
# describe it exactly with a pattern.
CURSOR = r"^[0-9]{1,16}-[0-9a-f]{32}$"
_CURSOR_RE = re.compile(CURSOR)


def encode_cursor(changed_at: datetime, comment_id: uuid.UUID) -> str:
    micros = (changed_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{comment_id.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    if not _CURSOR_RE.match(cursor):
        raise ApiError(400, "bad_request", "The cursor is not one this server hands out.",
                       [field_error("since", f"must match {CURSOR}")])
    micros, hex_id = cursor.split("-")
    return EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex_id)


@bp.get("/devices/me/comments")
def my_comments():
    """The device's comments changed since the cursor, oldest change first (keyset paging).

    changed_at is stamped inside a transaction, so a change stamped earlier can commit after
    one stamped later that a phone has already read. The cursor therefore never moves past
    the settle horizon (now - FEED_SETTLE_SECONDS): rows newer than it are served at once
    and served again on the next call, which the phone applies idempotently. A change whose
    transaction commits within the window is never skipped.
    """
    device = current_device()
    limit = current_app.config["FEED_PAGE_SIZE"]
    horizon = utcnow() - timedelta(seconds=current_app.config["FEED_SETTLE_SECONDS"])
    query = (
        select(Comment)
        .where(Comment.device_id == device.id)
        .options(selectinload(Comment.photos), selectinload(Comment.history),
                 selectinload(Comment.merged_into).selectinload(Comment.history))
        .order_by(Comment.changed_at, Comment.id)
        .limit(limit + 1)
    )
    since = request.args.get("since")
    if since is not None:  # an empty cursor is a client bug, not "from the start"
        at, cid = decode_cursor(since)
        query = query.where(or_(Comment.changed_at > at,
                                and_(Comment.changed_at == at, Comment.id > cid)))
    rows = list(db.session.scalars(query))
    page, has_more = rows[:limit], len(rows) > limit
    settled = [c for c in page if c.changed_at <= horizon]
    cursor = encode_cursor(settled[-1].changed_at, settled[-1].id) if settled else since
    if not settled:
        # A full page of unsettled changes: asking again now would return the same page.
        # The phone's next poll, after the window, moves on.
        has_more = False
    return jsonify({"comments": [comment_json(c) for c in page], "cursor": cursor,
                    "has_more": has_more})
