import uuid

from flask import abort, current_app, render_template, send_file
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from walkapp import photo_store
from walkapp.access import STAFF, roles_required
from walkapp.access import visible_comments as _visible
from walkapp.extensions import db
from walkapp.models import Comment, Photo, Walk
from walkapp.review import bp

staff_required = roles_required(*STAFF)


def visible_comments():
    return _visible(current_user)


@bp.get("/")
@staff_required
def index():
    counts = dict(db.session.execute(
        visible_comments().with_only_columns(Comment.walk_id, func.count()).group_by(
            Comment.walk_id)).all())
    walks = db.session.scalars(
        select(Walk).where(Walk.municipality_id == current_user.municipality_id)
        .order_by(Walk.starts_at)).all()
    return render_template("review/index.html", walks=walks, counts=counts)


@bp.get("/walks/<join_code>")
@staff_required
def walk(join_code: str):
    walk = db.session.scalar(select(Walk).where(
        Walk.join_code == join_code.upper(), Walk.municipality_id == current_user.municipality_id))
    if walk is None:
        abort(404)
    comments = db.session.scalars(
        visible_comments().where(Comment.walk_id == walk.id)
        .options(selectinload(Comment.photos), selectinload(Comment.category),
                 selectinload(Comment.department), selectinload(Comment.recorded_by))
        .order_by(Comment.created_at)).all()
    return render_template("review/walk.html", walk=walk, comments=comments)


@bp.get("/photos/<uuid:photo_id>")
@bp.get("/photos/<uuid:photo_id>/<any(thumb):size>")
@staff_required
def photo(photo_id: uuid.UUID, size: str | None = None):
    row = db.session.get(Photo, photo_id)
    if row is None or row.stored_at is None:
        abort(404)
    allowed = db.session.scalar(
        visible_comments().with_only_columns(Comment.id).where(Comment.id == row.comment_id))
    if allowed is None:
        abort(404)  # not 403: do not confirm the photo exists to the wrong department
    data = photo_store.for_app(current_app).open(db.session, photo_id, size or "full")
    if data is None:
        abort(404)
    # Residents' photos are for signed-in staff only: never kept by a shared cache
    # (security.py makes every signed-in response no-store).
    return send_file(data, mimetype="image/jpeg", max_age=0, etag=False)
