"""A device's own comment: its photos arrive one by one; it may delete the comment before review."""

import hashlib
import uuid

from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from walkapp import photos
from walkapp.api import bp
from walkapp.api.helpers import current_device
from walkapp.errors import ApiError, field_error
from walkapp.extensions import db
from walkapp.models import Comment, Device, Photo, utcnow


def own_comment(comment_id: uuid.UUID, device: Device) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise ApiError(404, "not_found", "No comment has this id.",
                       [field_error("comment_id", "unknown comment")])
    if comment.device_id != device.id:
        raise ApiError(403, "forbidden", "This comment was sent from another device.",
                       [field_error("comment_id", "not your comment")])
    return comment


def _stored(photo: Photo, status: int):
    body = {"id": str(photo.id), "comment": str(photo.comment_id), "status": "stored",
            "width": photo.width, "height": photo.height}
    return jsonify(body), status


@bp.put("/comments/<uuid:comment_id>/photos/<uuid:photo_id>")
def put_photo(comment_id: uuid.UUID, photo_id: uuid.UUID):
    device = current_device()
    comment = own_comment(comment_id, device)
    cfg = current_app.config
    photo = db.session.get(Photo, photo_id)
    if photo is not None and photo.comment_id != comment.id:
        raise ApiError(409, "conflict", "This photo id belongs to another comment.",
                       [field_error("photo_id", "already used")])
    if photo is not None and photo.stored_at is not None:
        return _stored(photo, 200)  # a retry after a lost response
    if photo is None:  # not announced by the sync item: accept while the pin is editable
        if not comment.editable:
            raise ApiError(409, "already_reviewed",
                           "The comment has been reviewed; new photos can no longer be added.",
                           [field_error("photo_id", "not announced before review")])
        if len(comment.photos) >= cfg["PHOTOS_PER_COMMENT"]:
            raise ApiError(409, "conflict",
                           f"A comment can have at most {cfg['PHOTOS_PER_COMMENT']} photos.",
                           [field_error("photo_id", "too many photos")])
    request.max_content_length = cfg["PHOTO_MAX_BYTES"]
    data = request.get_data(cache=False)
    if not data:
        raise ApiError(400, "bad_request", "The body is empty; send the image bytes.",
                       [field_error("body", "empty")])
    try:
        processed = photos.process(
            data, request.mimetype, max_pixels=cfg["PHOTO_MAX_PIXELS"],
            max_side=cfg["PHOTO_MAX_SIDE"], thumb_side=cfg["PHOTO_THUMB_SIDE"])
    except photos.PhotoError as err:
        raise ApiError(err.status, err.code, err.message,
                       [field_error("body", err.message)]) from None
    # Files first, then the row: a crash in between leaves an orphan file, never a row
    # that claims bytes we do not have.
    photos.save(cfg["PHOTO_FOLDER"], photo_id, processed)
    if photo is None:
        photo = Photo(id=photo_id, position=len(comment.photos))
        comment.photos.append(photo)
    photo.stored_at = utcnow()
    photo.width, photo.height = processed.width, processed.height
    photo.size_bytes = len(processed.jpeg)
    photo.sha256 = hashlib.sha256(data).hexdigest()
    comment.changed_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # the same photo raced in from a retry: it is stored either way
        db.session.rollback()
        photo = db.session.get(Photo, photo_id)
        if photo is None or photo.comment_id != comment_id:
            raise
        return _stored(photo, 200)
    return _stored(photo, 201)


@bp.delete("/comments/<uuid:comment_id>")
def delete_comment(comment_id: uuid.UUID):
    """The resident withdraws a pin; allowed until an official has reviewed it."""
    device = current_device()
    comment = own_comment(comment_id, device)
    if not comment.editable:
        raise ApiError(409, "already_reviewed",
                       "An official has already reviewed this comment; it can no longer be "
                       "deleted.",
                       [field_error("comment_id", "already reviewed")])
    photo_ids = [p.id for p in comment.photos]
    db.session.delete(comment)
    db.session.commit()
    for pid in photo_ids:  # after the commit: the row is gone, so the files may go
        photos.delete(current_app.config["PHOTO_FOLDER"], pid)
    return "", 204
