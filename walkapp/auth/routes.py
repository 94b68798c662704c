from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from walkapp.access import home_for
from walkapp.auth import bp, throttle
from walkapp.auth.forms import LoginForm
from walkapp.database import repeatable
from walkapp.extensions import db, limiter, login_manager
from walkapp.models import User
from walkapp.models.user import burn_password_check

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(session_token: str):
    """Session and remember cookies carry the user's session token, not the id: once it is
    rotated (sign-out, password change, deactivation) no earlier cookie opens anything."""
    return db.session.scalar(
        select(User).where(User.session_token == session_token, User.active.is_(True)))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would make a phishing link look like ours.
    # Browsers read "/\evil" as "//evil"; a line break cannot go into a Location header.
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and target.isprintable() and not urlsplit(target).netloc:
        return target
    return home_for(current_user)


def _minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@repeatable  # writes only a sign-in, which a second run repeats harmlessly
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        wait = throttle.wait_seconds(email)
        if wait:
            n = _minutes(wait)
            form.password.errors.append(ngettext(
                "Too many failed sign-ins for this account. Try again in %(num)d minute.",
                "Too many failed sign-ins for this account. Try again in %(num)d minutes.", n))
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None:
            ok = user.check_password(form.password.data)
        else:  # as slow as a real check: timing must not tell which e-mails are staff
            ok = burn_password_check(form.password.data)
        if user is None or not ok or not user.active:
            throttle.failed(email)
            form.password.errors.append(_("Wrong email or password."))
        else:
            throttle.succeeded(email)
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    if form.errors:
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    # A new token first: the session cookie and any remember cookie of this account, here or
    # on another device, stop working (a copied cookie replayed after sign-out included).
    current_user.rotate_session_token()
    db.session.commit()
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))
