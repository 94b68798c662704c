"""One input in detail, and the officials' actions on it (forms with CSRF, one history row
each). The actions themselves live in walkapp/moderation.py; this is the web adapter."""

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from walkapp import moderation
from walkapp.access import OFFICIALS, roles_required, visible_comment, visible_comments
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.labels import N_
from walkapp.models import Comment, Department, RoutingDecision, StatusChange, User, utcnow
from walkapp.review import bp
from walkapp.workflow import is_overdue, local_today

officials_required = roles_required(*OFFICIALS)

DONE = {
    "reroute": N_("The input was sent to the new department."),
    "merge": N_("The inputs were merged into this one."),
    "hide": N_("The input is hidden from every public view."),
    "unhide": N_("The input is shown again."),
    "redact": N_("The public version of the text was saved."),
    "note": N_("The note was saved."),
    "reply": N_("The answer was saved; the resident sees it on their phone."),
}


def _back() -> str:
    """Where "back to the map" goes: the map with the filter the official came from."""
    back = request.values.get("back", "")
    return back if back.startswith("/review/map") and "//" not in back else url_for(
        "review.map")


def _load(comment_id: uuid.UUID) -> Comment:
    return visible_comment(db.session, current_user, comment_id)


def _context(comment: Comment) -> dict:
    muni = current_user.municipality
    today = local_today(utcnow(), muni.timezone)
    history = db.session.scalars(
        select(StatusChange).where(StatusChange.comment_id == comment.id)
        .order_by(StatusChange.created_at, StatusChange.id)).all()
    user_ids = {h.user_id for h in history if h.user_id} | (
        {comment.recorded_by_id} if comment.recorded_by_id else set())
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    departments = db.session.scalars(
        select(Department).where(Department.municipality_id == comment.municipality_id)
        .order_by(Department.name)).all()
    decision = db.session.scalar(
        select(RoutingDecision).where(RoutingDecision.comment_id == comment.id)
        .order_by(RoutingDecision.decided_at.desc(), RoutingDecision.id.desc()).limit(1))
    merged_here = db.session.scalars(
        visible_comments(current_user).where(Comment.merged_into_id == comment.id)
        .order_by(Comment.created_at)).all()
    return {
        "c": comment, "history": history, "users": users, "decision": decision,
        "departments": departments, "dept_names": {d.id: d.name for d in departments},
        "merged_here": merged_here,
        "candidates": [] if comment.merged_into_id else
        moderation.likely_duplicates(db.session, comment),
        "overdue": is_overdue(comment, today, muni.response_days, muni.timezone),
        "back": _back(), "errors": {}, "values": {}, "failed": None,
    }


@bp.get("/inputs/<uuid:comment_id>")
@officials_required
def input(comment_id: uuid.UUID):
    comment = db.session.scalar(
        visible_comments(current_user).where(Comment.id == comment_id)
        .options(selectinload(Comment.photos), selectinload(Comment.category),
                 selectinload(Comment.walk), selectinload(Comment.department)))
    if comment is None:
        return render_template("error.html", status=404, message=_("No such input.")), 404
    return render_template("review/input.html", **_context(comment))


def _department_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _duplicates(ids: list[str]) -> list[Comment]:
    wanted = []
    for raw in ids:
        try:
            wanted.append(uuid.UUID(raw))
        except ValueError:
            raise moderation.ModerationError(
                "duplicates", N_("Choose the duplicates among the inputs.")) from None
    found = db.session.scalars(visible_comments(current_user).where(Comment.id.in_(wanted)))
    rows = list(found)
    if len(rows) != len(set(wanted)):
        raise moderation.ModerationError(
            "duplicates", N_("Choose the duplicates among the inputs."))
    return rows


@bp.post("/inputs/<uuid:comment_id>/<any(reroute, merge, hide, unhide, redact, note, reply)"
         ":action>")
@officials_required
def act(comment_id: uuid.UUID, action: str):
    # The whole form is read before the first query opens a transaction.
    form = {k: request.form.get(k) for k in ("department", "reason", "public_text", "note",
                                              "clear")}
    duplicate_ids = request.form.getlist("duplicates")
    comment = _load(comment_id)
    actor, now, s = Actor.of(current_user), utcnow(), db.session
    try:
        if action == "reroute":
            moderation.reroute(s, comment, _department_id(form["department"]), form["reason"],
                               actor, now)
        elif action == "merge":
            moderation.merge(s, comment, _duplicates(duplicate_ids), actor, now, form["note"])
        elif action == "hide":
            moderation.hide(s, comment, form["reason"], actor, now)
        elif action == "unhide":
            moderation.unhide(s, comment, form["reason"], actor, now)
        elif action == "redact":
            moderation.redact(s, comment, form["public_text"], actor, now,
                              clear=form["clear"] == "1")
        elif action == "note":
            moderation.note(s, comment, form["note"], actor, now)
        else:
            moderation.reply(s, comment, form["public_text"], actor, now)
        s.commit()
    except moderation.ModerationError as err:
        s.rollback()  # nothing half-written
        comment = _load(comment_id)
        context = _context(comment)
        context["errors"] = {f"{action}.{err.field}": _(err.message, **err.params)}
        context["values"] = {action: form}
        context["failed"] = action
        return render_template("review/input.html", **context), 400
    flash(_(DONE[action]))
    return redirect(url_for("review.input", comment_id=comment.id, back=_back()))
