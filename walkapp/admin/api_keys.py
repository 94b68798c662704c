"""Administration → Open311 keys: issue a key to a department or outside body, see when each
was last used, revoke one. The key itself is shown once, in the answer to the POST that
issued it: never flashed (the session cookie is signed, not encrypted) and never stored."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from walkapp import api_keys
from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.extensions import db
from walkapp.models import ApiKey, Department, utcnow


class IssueForm(FlaskForm):
    department = SelectField(
        _l("Department or outside body"), coerce=int,
        validators=[DataRequired(_l("Choose who the key is for."))])
    name = StringField(
        _l("Which system will use the key"),
        description=_l("For example: the housing company's case system."),
        validators=[DataRequired(_l("Say which system will use the key.")),
                    Length(max=api_keys.NAME_MAX)])
    submit = SubmitField(_l("Create key"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Revoke key"))


def _departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.municipality_id == current_user.municipality_id,
                                 Department.active.is_(True))
        .order_by(Department.kind.desc(), Department.name)))  # municipal ones first


def _issue_form(fresh: bool = False) -> IssueForm:
    # Built (and the body read) before the departments are queried.
    form = IssueForm(formdata=None) if fresh else IssueForm()
    groups = {"municipal": _("Municipal departments"), "external": _("Outside bodies")}
    choices: dict[str, list] = {}
    for d in _departments():
        choices.setdefault(groups.get(d.kind, groups["external"]), []).append((d.id, d.name))
    form.department.choices = choices
    return form


def _page(form: IssueForm, issued: api_keys.Issued | None = None, status: int = 200):
    keys = api_keys.keys_of(db.session, current_user.municipality_id)
    resp = render_template("admin/api_keys.html", form=form, keys=keys, issued=issued)
    # The page that shows a new key must not linger in any cache.
    return resp, status, {"Cache-Control": "no-store"}


@bp.get("/api-keys", endpoint="api_keys")
@roles_required(*ADMINS)
def api_keys_index():
    return _page(_issue_form())


@bp.post("/api-keys")
@roles_required(*ADMINS)
def api_keys_issue():
    form = _issue_form()
    if not form.validate_on_submit():
        return _page(form, status=400)
    dept = db.session.get(Department, form.department.data)
    try:
        issued = api_keys.issue(db.session, dept, form.name.data, utcnow(),
                                created_by_id=current_user.id)
    except api_keys.ApiKeyError as err:
        getattr(form, err.field).errors.append(_(err.message, **err.params))
        return _page(form, status=400)
    db.session.commit()
    return _page(_issue_form(fresh=True), issued=issued, status=201)


def _own_key(key_id: int) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None or key.department.municipality_id != current_user.municipality_id:
        abort(404)
    return key


@bp.get("/api-keys/<int:key_id>/revoke")
@roles_required(*ADMINS)
def api_keys_confirm_revoke(key_id: int):
    return render_template("admin/api_key_revoke.html", key=_own_key(key_id), form=RevokeForm())


@bp.post("/api-keys/<int:key_id>/revoke")
@roles_required(*ADMINS)
def api_keys_revoke(key_id: int):
    form = RevokeForm()  # reads the body before the database is touched
    key = _own_key(key_id)
    if not form.validate_on_submit():
        return render_template("admin/api_key_revoke.html", key=key, form=form), 400
    if api_keys.revoke(key, utcnow(), revoked_by_id=current_user.id):
        db.session.commit()
        flash(_("The key %(prefix)s… of %(department)s is revoked.", prefix=key.prefix,
                department=key.department.name))
    return redirect(url_for("admin.api_keys"))
