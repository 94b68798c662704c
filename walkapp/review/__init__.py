"""Staff views: walks and their comments (officials see all, department staff what is theirs)."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from walkapp.review import links, routes  # noqa: E402, F401
