"""Sign-in for staff (officials and department users)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from walkapp.auth import routes, set_password  # noqa: E402, F401
