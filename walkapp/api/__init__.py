"""JSON API v1 for the phones (and, later, department systems)."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from walkapp.api import comments, devices, me, openapi, sync, walks  # noqa: E402, F401
