"""JSON API v1 for the phones (and, later, department systems)."""

from flask import Blueprint, current_app, request

from walkapp.api.helpers import read_body

bp = Blueprint("api", __name__)

# Largest body per endpoint (config keys); every other route takes SYNC_MAX_BYTES.
BODY_LIMITS = {"api.put_photo": "PHOTO_MAX_BYTES", "api.subscribe_push": "SMALL_BODY_MAX_BYTES",
               "api.set_email": "SMALL_BODY_MAX_BYTES"}


@bp.before_request
def _read_body_before_the_database():
    """Every body is read in full before a view runs, so no view can hold a database
    transaction (on SQLite: the write lock) while a phone with a weak signal trickles it in.
    Rate limits (app-level hooks) are checked before this, without the database."""
    if request.method in ("POST", "PUT", "PATCH"):
        read_body(current_app.config[BODY_LIMITS.get(request.endpoint, "SYNC_MAX_BYTES")])


from walkapp.api import comments, devices, me, openapi, sync, walks  # noqa: E402, F401
