"""Public pages, no sign-in: what happened with the inputs of a walk."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from walkapp.public import routes  # noqa: E402, F401
