"""The residents' PWA: app shell, manifest, service worker, translations, tiles."""

from flask import Blueprint

bp = Blueprint("field", __name__)

from walkapp.field import routes, stop  # noqa: E402, F401
