"""A device's own comment: its photos arrive one by one; it may delete the comment before review."""

import hashlib
import uuid

from flask import current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from walkapp import photo_store, photos
from walkapp.api import bp
from walkapp.api.helpers import current_device, device_key
from walkapp.errors import ApiError, field_error
from walkapp.extensions import db, limiter
from walkapp.models import Comment, Photo, utcnow


def own_comment(comment_id: uuid.UUID, device_id: str, *, lock: bool = False) -> Comment:
    # lock: on PostgreSQL, concurrent uploads to one comment take turns (FOR UPDATE), so
    # its photo count is checked and raised by one request at a time. SQLite's write lock
    # (BEGIN IMMEDIATE) already serialises them.
    comment = db.session.get(Comment, comment_id, with_for_update=lock or None,
                             populate_existing=lock)
    if comment is None:
        raise ApiError(404, "not_found", "No comment has this id.",
                       [field_error("comment_id", "unknown comment")])
    if comment.device_id != device_id:
        raise ApiError(403, "forbidden", "This comment was sent from another device.",
                       [field_error("comment_id", "not your comment")])
    return comment


def _stored(photo: Photo, status: int):
    body = {"id": str(photo.id), "comment": str(photo.comment_id), "status": "stored",
            "width": photo.width, "height": photo.height}
    return jsonify(body), status


def _admissible(comment: Comment, photo_id: uuid.UUID) -> Photo | None:
    """The photo's row if it may be (or already is) stored under this comment; else 409."""
    photo = db.session.get(Photo, photo_id)
    if photo is not None and photo.comment_id != comment.id:
        raise ApiError(409, "conflict", "This photo id belongs to another comment.",
                       [field_error("photo_id", "already used")])
    if photo is None:  # not announced by the sync item: accept while the pin is editable
        if not comment.editable:
            raise ApiError(409, "already_reviewed",
                           "The comment has been reviewed; new photos can no longer be added.",
                           [field_error("photo_id", "not announced before review")])
        limit = current_app.config["PHOTOS_PER_COMMENT"]
        if len(comment.photos) >= limit:
            raise ApiError(409, "conflict", f"A comment can have at most {limit} photos.",
                           [field_error("photo_id", "too many photos")])
    return photo


def _decoded(_response) -> bool:
    return bool(g.get("photo_decoded"))


@bp.put("/comments/<uuid:comment_id>/photos/<uuid:photo_id>")
@limiter.limit(lambda: current_app.config["RATELIMIT_PHOTOS"], key_func=device_key,
               deduct_when=_decoded)  # count only uploads that cost a decode
def put_photo(comment_id: uuid.UUID, photo_id: uuid.UUID):
    """Three steps, and no transaction open during the slow middle one: check (short read),
    decode and re-encode (no database), store (short write that checks everything again)."""
    data = request.get_data()  # read in full before the view ran (walkapp/api/__init__.py)
    device_id = current_device().id
    photo = _admissible(own_comment(comment_id, device_id), photo_id)
    if photo is not None and photo.stored_at is not None:
        return _stored(photo, 200)  # a retry after a lost response
    if not data:
        raise ApiError(400, "bad_request", "The body is empty; send the image bytes.",
                       [field_error("body", "empty")])
    db.session.rollback()  # end the read transaction: decoding holds no database lock
    processed = _decode(data)
    store = photo_store.for_app(current_app)
    # Files are written before the write transaction (on SQLite: the lock) when the photo
    # was announced by its comment, so the id is this comment's; else inside it, checked.
    early = photo is not None and not store.transactional
    if early:
        store.save(db.session, photo_id, processed)
    return _store(comment_id, photo_id, device_id, processed, hashlib.sha256(data).hexdigest(),
                  save=not early)


def _decode(data: bytes) -> photos.Processed:
    cfg = current_app.config
    g.photo_decoded = True
    try:
        with current_app.extensions[photos.SLOTS_KEY].slot():
            return photos.process(
                data, request.mimetype, max_pixels=cfg["PHOTO_MAX_PIXELS"],
                max_side=cfg["PHOTO_MAX_SIDE"], thumb_side=cfg["PHOTO_THUMB_SIDE"])
    except photos.PhotoError as err:
        raise ApiError(err.status, err.code, err.message,
                       [field_error("body", err.message)]) from None


def _store(comment_id, photo_id, device_id, processed: photos.Processed, sha256: str,
           save: bool = True):
    comment = own_comment(comment_id, device_id, lock=True)
    photo = _admissible(comment, photo_id)  # again: things may have changed meanwhile
    if photo is not None and photo.stored_at is not None:
        db.session.rollback()
        return _stored(photo, 200)  # the same photo raced in from a retry
    if photo is None:
        photo = Photo(id=photo_id, position=len(comment.photos))
        comment.photos.append(photo)
    photo.stored_at = utcnow()
    photo.width, photo.height = processed.width, processed.height
    photo.size_bytes = len(processed.jpeg)
    photo.sha256 = sha256
    comment.changed_at = utcnow()
    try:
        if save:
            photo_store.for_app(current_app).save(db.session, photo_id, processed)
        db.session.commit()
    except IntegrityError:  # the same new photo id raced in from a retry: stored either way
        db.session.rollback()
        photo = db.session.get(Photo, photo_id)
        if photo is None or photo.comment_id != comment_id or photo.stored_at is None:
            raise
        return _stored(photo, 200)
    return _stored(photo, 201)


@bp.delete("/comments/<uuid:comment_id>")
def delete_comment(comment_id: uuid.UUID):
    """The resident withdraws a pin; allowed until an official has reviewed it."""
    comment = own_comment(comment_id, current_device().id)
    if not comment.editable:
        raise ApiError(409, "already_reviewed",
                       "An official has already reviewed this comment; it can no longer be "
                       "deleted.",
                       [field_error("comment_id", "already reviewed")])
    photo_ids = [p.id for p in comment.photos]
    db.session.delete(comment)
    db.session.commit()
    # After the commit: the rows are gone, so the bytes may go.
    photo_store.for_app(current_app).delete(photo_ids)
    return "", 204
