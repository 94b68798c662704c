"""Administration → Deliveries: what the outbox sent, is waiting to send, or gave up on, and
sending failed ones again. Only the administrator's own municipality."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from walkapp import delivery
from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.extensions import db
from walkapp.models import CHANNELS, Comment, Delivery, utcnow

PAGE = 50
# The filter's choices: a state, or "waiting" for both pending and being sent.
SHOW = {"failed": ("failed",), "waiting": ("pending", "sending"), "sent": ("sent",),
        "cancelled": ("cancelled",), "all": ()}


def _mine():
    return select(Delivery).where(Delivery.municipality_id == current_user.municipality_id)


@bp.get("/deliveries")
@roles_required(*ADMINS)
def deliveries():
    counts = dict(db.session.execute(
        _mine().with_only_columns(Delivery.state, func.count()).group_by(Delivery.state)).all())
    show = request.args.get("show") or ("failed" if counts.get("failed") else "all")
    channel = request.args.get("channel") or ""
    if show not in SHOW or (channel and channel not in CHANNELS):
        abort(400)
    query = _mine().options(
        selectinload(Delivery.department),
        selectinload(Delivery.comment).selectinload(Comment.walk))
    if SHOW[show]:
        query = query.where(Delivery.state.in_(SHOW[show]))
    if channel:
        query = query.where(Delivery.channel == channel)
    before = request.args.get("before", type=int)
    if before:
        query = query.where(Delivery.id < before)
    rows = db.session.scalars(query.order_by(Delivery.id.desc()).limit(PAGE + 1)).all()
    older = rows[PAGE - 1].id if len(rows) > PAGE else None
    return render_template(
        "admin/deliveries.html", rows=rows[:PAGE], counts=counts, show=show, channel=channel,
        shows=list(SHOW), channels=CHANNELS, older=older, our_errors=delivery.OUR_ERRORS,
        mail_configured=bool(current_app.config["SMTP_HOST"]))


@bp.post("/deliveries/<int:delivery_id>/retry")
@roles_required(*ADMINS)
def retry_delivery(delivery_id: int):
    row = db.session.scalar(_mine().where(Delivery.id == delivery_id))
    if row is None:
        abort(404)
    if delivery.retry(db.session, [row.id], utcnow()):
        flash(_("The delivery will be sent again in a moment."))
    else:
        flash(_("Only a failed delivery can be sent again."))
    db.session.commit()
    return redirect(url_for("admin.deliveries", show=request.form.get("show") or None))


@bp.post("/deliveries/retry-failed")
@roles_required(*ADMINS)
def retry_failed():
    ids = db.session.scalars(_mine().with_only_columns(Delivery.id)
                             .where(Delivery.state == "failed")).all()
    n = delivery.retry(db.session, list(ids), utcnow())
    db.session.commit()
    flash(_("%(num)d failed deliveries will be sent again.", num=n))
    return redirect(url_for("admin.deliveries"))
