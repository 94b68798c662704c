"""Administration → Delivery settings: how each department (or outside body) hears of the
inputs routed to it — an e-mail per input, a daily digest or none, and a signed webhook.

The webhook secret is shown once, on the page that makes it; after that only when it was
made. Rotating keeps the previous secret signing for a grace period (walkapp/webhooks.py).
"""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectField, SubmitField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from walkapp import webhooks
from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.extensions import db
from walkapp.labels import EMAIL_MODE
from walkapp.models import EMAIL_MODES, Department, utcnow


def _http_url(form, field):
    parts = urlsplit(field.data or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Give a full address starting with https:// (or http://)."))


class DeliverySettingsForm(FlaskForm):
    email_mode = RadioField(_l("E-mail"), validators=[InputRequired()],
                            choices=[SelectChoice(m, _l(EMAIL_MODE[m])) for m in EMAIL_MODES])
    digest_hour = SelectField(_l("Time of the daily e-mail"), coerce=int,
                              choices=[SelectChoice(h, f"{h:02d}:00") for h in range(24)])
    webhook_url = URLField(_l("Webhook address"),
                           validators=[Optional(), Length(max=2000), _http_url],
                           description=_l("Leave empty for no webhook."))
    submit = SubmitField(_l("Save"))


class SecretForm(FlaskForm):
    submit = SubmitField(_l("Make a new secret"))


def _department(department_id: int) -> Department:
    dept = db.session.scalar(select(Department).where(
        Department.id == department_id,
        Department.municipality_id == current_user.municipality_id))
    if dept is None:
        abort(404)
    return dept


@bp.get("/deliveries/departments")
@roles_required(*ADMINS)
def delivery_settings():
    departments = db.session.scalars(
        select(Department).where(Department.municipality_id == current_user.municipality_id)
        .order_by(Department.name)).all()
    return render_template("admin/delivery_settings.html", departments=departments)


def _page(dept: Department, form: DeliverySettingsForm, secret: str | None = None,
          status: int = 200):
    resp = current_app.make_response((render_template(
        "admin/department_delivery.html", dept=dept, form=form, secret_form=SecretForm(),
        secret=secret, departments_page="admin.departments" in current_app.view_functions),
        status))
    if secret:
        resp.headers["Cache-Control"] = "no-store"  # the one copy must not stay in a cache
    return resp


@bp.route("/deliveries/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def department_delivery(department_id: int):
    dept = _department(department_id)
    form = DeliverySettingsForm(obj=dept)
    if not form.is_submitted():
        return _page(dept, form)
    if not form.validate():
        return _page(dept, form, status=400)
    dept.email_mode, dept.digest_hour = form.email_mode.data, form.digest_hour.data
    dept.webhook_url = (form.webhook_url.data or "").strip() or None
    secret = None
    if dept.webhook_url and not dept.webhook_secret:  # a webhook is never sent unsigned
        secret = _new_secret(dept)
    db.session.commit()
    if secret:
        return _page(dept, DeliverySettingsForm(obj=dept), secret)
    flash(_("The delivery settings of %(name)s are saved.", name=dept.name))
    return redirect(url_for("admin.delivery_settings"))


@bp.post("/deliveries/departments/<int:department_id>/secret")
@roles_required(*ADMINS)
def department_secret(department_id: int):
    dept = _department(department_id)
    if not SecretForm().validate_on_submit():
        abort(400)
    secret = _new_secret(dept)
    db.session.commit()
    return _page(dept, DeliverySettingsForm(obj=dept), secret)


def _new_secret(dept: Department) -> str:
    secret = webhooks.new_secret()
    dept.webhook_secret_previous, dept.webhook_secret = dept.webhook_secret, secret
    dept.webhook_secret_at = utcnow()
    return secret
