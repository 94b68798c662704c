from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from walkapp.access import home_for
from walkapp.auth import bp
from walkapp.auth.forms import LoginForm
from walkapp.extensions import db, limiter, login_manager
from walkapp.models import User

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    # A deactivated account is signed out at its next request, not when its session ends.
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would make a phishing link look like ours.
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return home_for(current_user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == form.email.data.strip().lower()))
        if user is None or not user.active or not user.check_password(form.password.data):
            form.password.errors.append(_("Wrong email or password."))
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))
