"""Administration: staff accounts. Invite with a one-time set-password link, change role or
department, deactivate and reactivate (never delete)."""

from datetime import timedelta

from flask import abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired

from walkapp import accounts, invites, labels
from walkapp.access import ADMINS, roles_required
from walkapp.admin import bp
from walkapp.extensions import db
from walkapp.models import Department, User, utcnow
from walkapp.webforms import choices, optional_int, save, status

ROLE_HINTS = {
    "admin": _l("Users, departments, service areas, categories and settings."),
    "official": _l("Walks, the review map and moderation."),
    "department": _l("Answers the inputs of one department."),
}


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    role = RadioField(_l("Role"))
    department = SelectField(_l("Department (for department staff)"), coerce=optional_int)
    language = SelectField(_l("Language of the staff pages"), default="")
    submit = SubmitField(_l("Save"))

    def fill_choices(self, municipality_id: int) -> None:
        self.role.choices = [(value, f"{label} — {ROLE_HINTS[value]}")
                             for value, label in choices(labels.ROLE)]
        depts = db.session.scalars(select(Department).where(
            Department.municipality_id == municipality_id, Department.active.is_(True))
            .order_by(Department.name))
        self.department.choices = [(None, "—")] + [(d.id, d.name) for d in depts]
        self.language.choices = [("", _("The browser's language")),
                                 *labels.LANGUAGE.items()]


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.municipality_id != current_user.municipality_id:
        abort(404)
    return user


def link_page(user: User, status: int = 200):
    """The one-time link, shown to the administrator to pass on (mail is not sent)."""
    days = current_app.config["INVITE_DAYS"]
    token = invites.make_token(current_app.config["SECRET_KEY"], user)
    base = current_app.config["PUBLIC_URL"]
    path = url_for("auth.set_password", token=token)
    link = base + path if base else url_for("auth.set_password", token=token, _external=True)
    return render_template("admin/invite_link.html", user=user, link=link,
                           expires=utcnow() + timedelta(days=days)), status


@bp.get("/users")
@roles_required(*ADMINS)
def users():
    rows = db.session.scalars(select(User).where(
        User.municipality_id == current_user.municipality_id)
        .order_by(User.active.desc(), User.name)).all()
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(*ADMINS)
def invite_user():
    form = UserForm()
    form.fill_choices(current_user.municipality_id)
    made = []
    if form.validate_on_submit() and save(form, lambda: made.append(accounts.invite(
            db.session, current_user.municipality, name=form.name.data,
            email=form.email.data, role=form.role.data,
            department_id=form.department.data, language=form.language.data or None))):
        return link_page(made[0], 201)
    form.submit.label.text = _("Invite")
    return render_template("admin/edit.html", form=form, title=_("Invite a user"),
                           back=url_for("admin.users"),
                           intro=_("The new user gets a one-time link to choose a password. "
                                   "You will see the link on the next page.")), status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def edit_user(user_id: int):
    user = _user(user_id)
    form = _form_for(user)
    if form.validate_on_submit() and save(form, lambda: accounts.update(
            db.session, user, current_user, name=form.name.data, email=form.email.data,
            role=form.role.data, department_id=form.department.data,
            language=form.language.data or None)):
        return redirect(url_for("admin.users"))
    return render_template("admin/user.html", form=form, user=user), status(form)


def _form_for(user: User) -> UserForm:
    form = UserForm(data={"name": user.name, "email": user.email, "role": user.role,
                          "department": user.department_id, "language": user.language or ""})
    form.fill_choices(user.municipality_id)
    return form


@bp.post("/users/<int:user_id>/active")
@roles_required(*ADMINS)
def toggle_user(user_id: int):
    user = _user(user_id)  # the CSRF token is checked for every POST (CSRFProtect)
    form = _form_for(user)
    if not save(form, lambda: accounts.set_active(db.session, user, current_user,
                                                  not user.active)):
        return render_template("admin/user.html", form=form, user=user), 400
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/link")
@roles_required(*ADMINS)
def new_link(user_id: int):
    user = _user(user_id)
    if not user.active:
        abort(404)  # reactivate first; the page offers no link for a deactivated account
    invites.reset(user)
    db.session.commit()
    return link_page(user)
