"""The inbox views: thin adapters from forms to walkapp.workflow.

Every write reads its form before touching the database (never hold a transaction while a
body arrives), locks the input rows it changes, and on a refusal renders the same page again
with the message beside the field and the text the user typed still in it.
"""

import uuid
from datetime import date
from math import ceil
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import load_only, selectinload

from walkapp import workflow
from walkapp.access import DEPARTMENT, roles_required, visible_comment, visible_comments
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.i18n import label, localdate, workflow_error
from walkapp.inbox import bp, views
from walkapp.inbox.filters import InboxFilters, ordered, overdue_for
from walkapp.models import STATUSES, Category, Comment, Walk, utcnow
from walkapp.workflow import BulkRefused, WorkflowError

PAGE_SIZE = 50
MAX_SELECTION = 500
department_required = roles_required(*DEPARTMENT)
bp.context_processor(views.template_helpers)

LOAD = (selectinload(Comment.category), selectinload(Comment.walk),
        selectinload(Comment.department))


def _choices() -> tuple[list[Category], list[Walk]]:
    muni_id = current_user.municipality_id
    categories = db.session.scalars(select(Category).where(Category.municipality_id == muni_id)
                                    .order_by(Category.sort_order, Category.slug)).all()
    walks = db.session.scalars(select(Walk).where(Walk.municipality_id == muni_id)
                               .options(load_only(Walk.join_code, Walk.title, Walk.starts_at))
                               .order_by(Walk.starts_at.desc())).all()
    return list(categories), list(walks)


def _filters(args) -> tuple[InboxFilters, list[Category], list[Walk]]:
    categories, walks = _choices()
    f = InboxFilters.parse(args, [c.slug for c in categories], [w.join_code for w in walks])
    return f, categories, walks


def _index_page(f: InboxFilters, categories, walks, *, status: int = 200,
                selected: frozenset[str] = frozenset(), report: dict | None = None):
    muni = current_user.municipality
    now = utcnow()
    today = workflow.local_today(now, muni.timezone)
    overdue = overdue_for(today, muni)
    query = f.apply(visible_comments(current_user), overdue)
    total = db.session.scalar(query.with_only_columns(func.count()))
    pages = max(1, ceil(total / PAGE_SIZE))
    page = min(f.page, pages)
    rows = db.session.scalars(ordered(query, overdue).options(*LOAD)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    items = [views.summary(c, n, now, today, muni) for n, c in
             enumerate(rows, start=(page - 1) * PAGE_SIZE + 1)]
    active, late = db.session.execute(
        visible_comments(current_user).where(Comment.status.in_(workflow.ACTIVE))
        .with_only_columns(func.count(), func.sum(case((overdue, 1), else_=0)))).one()
    counts = {"active": active, "overdue": late or 0}
    return render_template(
        "inbox/index.html", f=f, items=items, total=total, page=page, pages=pages,
        counts=counts, categories=categories, walks=walks, today=today,
        map_points=[views.map_point(i) for i in items], selected=selected, report=report,
        back=urlencode(f.args(page=page))), status


@bp.get("/")
@department_required
def index():
    f, categories, walks = _filters(request.args)
    return _index_page(f, categories, walks, status=400 if f.errors else 200)


def _load(comment_id: uuid.UUID, *, lock: bool = False) -> Comment:
    """One of the department's inputs, else 404 (never confirm another department's)."""
    return visible_comment(db.session, current_user, comment_id, lock=lock, options=LOAD)


def _item_page(c: Comment, *, status: int = 200, form: str | None = None,
               errors: dict[str, str] | None = None, values=None):
    muni = current_user.municipality
    now = utcnow()
    today = workflow.local_today(now, muni.timezone)
    info = views.summary(c, 1, now, today, muni)
    return render_template(
        "inbox/item.html", c=c, info=info,
        moves=sorted(workflow.allowed_moves(c.status), key=STATUSES.index),
        history=views.history(c), duplicates=views.duplicates(c, current_user),
        today=today, form=form, errors=errors or {}, values=values or {},
        map_points=[views.map_point(info)]), status


@bp.get("/<uuid:comment_id>")
@department_required
def item(comment_id: uuid.UUID):
    return _item_page(_load(comment_id))


def _apply(comment_id: uuid.UUID, form_name: str, action, done_message) -> tuple:
    """Run one workflow action on one input: commit and go back to it, or show the refusal."""
    values = request.form.to_dict()  # the body is read before the transaction starts
    c = _load(comment_id, lock=True)
    try:
        action(c, values)
    except WorkflowError as err:
        db.session.rollback()
        return _item_page(c, status=400, form=form_name,
                          errors={err.field: workflow_error(err)}, values=values)
    db.session.commit()
    flash(done_message(c))
    return redirect(url_for("inbox.item", comment_id=c.id))


def _actor() -> Actor:
    return Actor.of(current_user)


def _local_today() -> date:
    return workflow.local_today(utcnow(), current_user.municipality.timezone)


@bp.post("/<uuid:comment_id>/status")
@department_required
def move(comment_id: uuid.UUID):
    return _apply(
        comment_id, "status",
        lambda c, v: workflow.move(db.session, c, v.get("status", ""), _actor(), utcnow(),
                                   public_text=v.get("public_text"), note=v.get("note"),
                                   expected=v.get("expected") or None),
        lambda c: _("Saved: the input is now “%(status)s”.", status=label("status", c.status)))


@bp.post("/<uuid:comment_id>/promise")
@department_required
def promise(comment_id: uuid.UUID):
    def act(c, v):
        on = None if v.get("clear") else views.form_date(v.get("promised_on"))
        workflow.promise(db.session, c, on, _actor(), utcnow(), _local_today())

    return _apply(comment_id, "promise", act, lambda c: _(
        "Saved: the resident can expect an answer by %(date)s.",
        date=localdate(c.promised_on)) if c.promised_on else _(
        "The promised date was removed."))


@bp.post("/<uuid:comment_id>/answer")
@department_required
def answer(comment_id: uuid.UUID):
    return _apply(
        comment_id, "answer",
        lambda c, v: workflow.answer(db.session, c, v.get("public_text"), _actor(), utcnow()),
        lambda c: _("Saved: the resident sees your answer on their next sync."))


@bp.post("/<uuid:comment_id>/note")
@department_required
def note(comment_id: uuid.UUID):
    return _apply(
        comment_id, "note",
        lambda c, v: workflow.add_note(db.session, c, v.get("note"), _actor(), utcnow()),
        lambda c: _("Saved: the note is in the history (staff only)."))


BULK_ACTIONS = ("acknowledge", "promise")


@bp.post("/bulk")
@department_required
def bulk():
    """Acknowledge a selection or give it a promised date: all or nothing."""
    form = request.form
    action, raw_ids = form.get("action", ""), form.getlist("ids")
    f, categories, walks = _filters(views.parse_back(form.get("back", "")))
    f.errors.clear()
    selected = frozenset(raw_ids)

    def refuse(message: str, refused=()):
        db.session.rollback()
        return _index_page(f, categories, walks, status=400, selected=selected,
                           report={"message": message, "refused": refused})

    ids = views.parse_ids(raw_ids)
    if ids is None:
        return refuse(_("The selection is not valid. Reload the page and select again."))
    if not ids:
        return refuse(_("Select at least one input first."))
    if len(ids) > MAX_SELECTION:
        return refuse(_("Select at most %(max)s inputs at a time.", max=MAX_SELECTION))
    if action not in BULK_ACTIONS:
        return refuse(_("Choose what to do with the selected inputs."))
    on = None
    if action == "promise":
        try:
            on = views.form_date(form.get("promised_on"))
        except WorkflowError as err:
            return refuse(workflow_error(err))
    comments = db.session.scalars(
        visible_comments(current_user).where(Comment.id.in_(ids)).options(*LOAD)
        .with_for_update(of=Comment).order_by(Comment.received_at, Comment.id)).all()
    if len(comments) != len(ids):
        missing = len(ids) - len(comments)
        return refuse(ngettext(
            "Nothing was changed: %(num)s selected input is no longer in your inbox "
            "(it may have been rerouted). Reload the page and select again.",
            "Nothing was changed: %(num)s selected inputs are no longer in your inbox "
            "(they may have been rerouted). Reload the page and select again.", missing))
    now = utcnow()
    try:
        if action == "acknowledge":
            workflow.acknowledge_all(db.session, comments, _actor(), now)
        else:
            workflow.promise_all(db.session, comments, on, _actor(), now, _local_today())
    except BulkRefused as err:
        return refuse(
            ngettext("Nothing was changed: %(num)s of the selected inputs was refused.",
                     "Nothing was changed: %(num)s of the selected inputs were refused.",
                     len(err.refused)),
            [(views.excerpt_of(r.comment), r.comment.id, workflow_error(r.error))
             for r in err.refused])
    db.session.commit()
    n = len(comments)
    flash(ngettext("%(num)s input acknowledged.", "%(num)s inputs acknowledged.", n)
          if action == "acknowledge" else
          ngettext("Promised date set on %(num)s input.", "Promised date set on %(num)s inputs.",
                   n))
    return redirect(url_for("inbox.index", **f.args()))
