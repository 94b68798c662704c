"""Officials' workspace: walks, the review map, one input with its actions, exports and the
walk report (department staff see their own walks' comments)."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from walkapp.review import inputs, map, report, routes  # noqa: E402, F401
