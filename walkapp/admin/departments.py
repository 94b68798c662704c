"""Administration: departments and outside bodies (name, kind, contact e-mail, language,
active). Deactivated, never deleted: inputs and history keep pointing at them."""

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired

from walkapp import labels, organisation
from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.extensions import db
from walkapp.models import Department, ServiceArea
from walkapp.webforms import choices, save, status


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    kind = RadioField(_l("Kind"))
    email = EmailField(_l("Contact e-mail"))
    language = SelectField(_l("Language of its messages"), default="")
    active = BooleanField(_l("Active (receives inputs)"), default=True)
    submit = SubmitField(_l("Save"))

    def fill_choices(self) -> None:
        self.kind.choices = choices(organisation.DEPARTMENT_KINDS)
        self.language.choices = [("", _("The municipality's language")),
                                 *labels.LANGUAGE.items()]


HINTS = {"email": _l("Where notices of new inputs go.")}


def _department(dept_id: int) -> Department:
    dept = db.session.get(Department, dept_id)
    if dept is None or dept.municipality_id != current_user.municipality_id:
        abort(404)
    return dept


def _save(form: DepartmentForm, dept: Department | None):
    if save(form, lambda: organisation.save_department(
            db.session, current_user.municipality, dept, name=form.name.data,
            kind=form.kind.data, email_address=form.email.data,
            language=form.language.data or None, active=form.active.data), {"slug": "name"}):
        return redirect(url_for("admin.departments"))
    return None


@bp.get("/departments")
@roles_required(*ADMINS)
def departments():
    muni = current_user.municipality
    rows = db.session.scalars(select(Department).where(
        Department.municipality_id == muni.id)
        .order_by(Department.active.desc(), Department.name)).all()
    areas = dict(db.session.execute(
        select(ServiceArea.department_id, func.count()).group_by(ServiceArea.department_id)).all())
    return render_template("admin/departments.html", departments=rows, areas=areas,
                           fallback_id=muni.fallback_department_id)


@bp.route("/departments/new", methods=["GET", "POST"])
@roles_required(*ADMINS)
def new_department():
    form = DepartmentForm(data={"kind": "municipal"})
    form.fill_choices()
    if form.validate_on_submit() and (done := _save(form, None)):
        return done
    return render_template("admin/edit.html", form=form, title=_("New department or body"),
                           back=url_for("admin.departments"), hints=HINTS), status(form)


@bp.route("/departments/<int:dept_id>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def edit_department(dept_id: int):
    dept = _department(dept_id)
    form = DepartmentForm(data={"name": dept.name, "kind": dept.kind, "email": dept.email,
                                "language": dept.language or "", "active": dept.active})
    form.fill_choices()
    if form.validate_on_submit() and (done := _save(form, dept)):
        return done
    return render_template("admin/edit.html", form=form, title=dept.name,
                           back=url_for("admin.departments"), hints=HINTS), status(form)
