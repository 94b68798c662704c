"""Open311 GeoReport v2 at /open311/v2/: the web adapter over walkapp.georeport."""

from flask import Blueprint

bp = Blueprint("open311", __name__)

from walkapp.open311 import routes  # noqa: E402, F401
