"""Administration: the municipality's own settings (name, time zone, default language,
default response time, fallback department, boundary)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField, SubmitField

from walkapp import checks, labels, organisation
from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.extensions import db
from walkapp.models import Department
from walkapp.webforms import body_first, optional_int, save, status


class SettingsForm(FlaskForm):
    name = StringField(_l("Name"))
    timezone = SelectField(_l("Time zone"))
    language = SelectField(_l("Default language for residents"))
    response_days = IntegerField(_l("Default response time (days)"))
    fallback_department = SelectField(_l("Fallback department"), coerce=optional_int)
    boundary = FileField(_l("New boundary (GeoJSON, optional)"),
                         render_kw={"accept": ".geojson,.json,application/geo+json"})
    submit = SubmitField(_l("Save"))


HINTS = {
    "timezone": _l("Staff pages, posters and reports show times in this zone."),
    "response_days": _l("How long a department has to answer before an input is overdue, "
                        "unless it promised a date."),
    "fallback_department": _l("Gets every input that no service area covers."),
    "boundary": _l("A Polygon or MultiPolygon in WGS84. Leave empty to keep the current one."),
}


@bp.route("/municipality", methods=["GET", "POST"])
@roles_required(*ADMINS)
def municipality():
    body_first()  # the boundary file may be large
    muni = current_user.municipality
    form = SettingsForm(data={"name": muni.name, "timezone": muni.timezone,
                              "language": muni.default_language,
                              "response_days": muni.response_days,
                              "fallback_department": muni.fallback_department_id})
    form.timezone.choices = list(checks.timezones())
    form.language.choices = list(labels.LANGUAGE.items())
    depts = db.session.scalars(select(Department).where(
        Department.municipality_id == muni.id, Department.active.is_(True))
        .order_by(Department.name))
    form.fallback_department.choices = [(d.id, d.name) for d in depts]
    def write():
        upload = form.boundary.data
        boundary = checks.geometry(upload.read() if upload else None, "boundary",
                                   ("Polygon", "MultiPolygon"))
        organisation.update_settings(
            db.session, muni, name=form.name.data, timezone=form.timezone.data,
            language=form.language.data, response_days=form.response_days.data,
            fallback_department_id=form.fallback_department.data, boundary=boundary)

    if form.validate_on_submit() and save(form, write):
        flash(_("The settings are saved."))
        return redirect(url_for("admin.municipality"))
    return render_template("admin/edit.html", form=form, title=_("Municipality settings"),
                           back=url_for("admin.index"), hints=HINTS,
                           enctype="multipart/form-data"), status(form)
