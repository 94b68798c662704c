"""The page behind a one-time set-password link (walkapp/invites.py)."""

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField

from walkapp import invites
from walkapp.auth import bp
from walkapp.checks import FieldError
from walkapp.extensions import db, limiter
from walkapp.models import utcnow
from walkapp.webforms import show_error


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"))
    confirm = PasswordField(_l("The same password again"))
    submit = SubmitField(_l("Save the password"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def set_password(token: str):
    form = SetPasswordForm()
    max_age = timedelta(days=current_app.config["INVITE_DAYS"])
    try:
        user = invites.read_token(db.session, current_app.config["SECRET_KEY"], token, max_age)
    except FieldError as err:
        return render_template("auth/set_password.html", form=None,
                               problem=_(err.message)), 400
    if form.validate_on_submit():
        try:
            invites.set_password(user, form.password.data, form.confirm.data, utcnow())
        except FieldError as err:
            show_error(form, err)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your password is saved. You are signed in."))
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user,
                           min_length=invites.MIN_PASSWORD), 400 if form.errors else 200
