"""Staff views: walks and their comments (officials see all, department staff what is theirs)."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from walkapp.review import links, live, poster, routes, scribe, walk_form  # noqa: E402, F401
