"""Sign-in for staff (officials and department users)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from walkapp.auth import routes  # noqa: E402, F401
