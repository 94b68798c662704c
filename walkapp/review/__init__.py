"""Officials' workspace: walks, the review map, one input with its actions, exports and the
walk report (department staff see their own walks' comments)."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from walkapp.review import (  # noqa: E402, F401
    inputs,
    links,
    live,
    map,
    poster,
    report,
    routes,
    scribe,
    walk_form,
)
