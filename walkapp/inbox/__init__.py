"""Department staff: their inputs on a map and in a list, the workflow, answers and notes."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)

from walkapp.inbox import routes  # noqa: E402, F401
