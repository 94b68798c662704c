import json
import re
from pathlib import Path

from flask import abort, current_app, jsonify, render_template, send_from_directory
from markupsafe import Markup
from xstatic.pkg import leaflet, leaflet_markercluster

from walkapp import tiles
from walkapp.field import bp, shell
from walkapp.i18n import js_catalogue
from walkapp.models import LANGUAGES

VENDOR = {"leaflet": leaflet.BASE_DIR, "markercluster": leaflet_markercluster.BASE_DIR}
# static/sw.js carries a placeholder between these markers; the real list replaces it.
_SHELL_SLOT = re.compile(r"/\*SHELL\*/.*?/\*END\*/", re.DOTALL)


@bp.app_template_global("t")
def t(msgid: str) -> Markup:
    """Marks a PWA string for extraction (`-k t`); the page keeps English, the JS translates it.

    The field app is one cached page for every language, so its words are chosen at run time
    from /i18n/<lang>.json rather than when the server renders it.
    """
    return Markup.escape(msgid)


def _app_page(join_code: str | None):
    # The same page for / and every /w/<code>: the JS reads the code from the address.
    return render_template("field/app.html", join_code=join_code)


@bp.get("/")
def start():
    return _app_page(None)


@bp.get("/w/<join_code>")
def walk(join_code: str):
    return _app_page(join_code.upper())


@bp.get("/sw.js")
def service_worker():
    # Served from the root so its scope covers the whole app; no-cache so updates are seen.
    source = (Path(current_app.static_folder) / "sw.js").read_text(encoding="utf-8")
    app = current_app._get_current_object()
    manifest = json.dumps({"version": shell.version(app), "files": shell.precache_urls(app)})
    body = _SHELL_SLOT.sub(lambda _m: manifest, source, count=1)
    resp = current_app.response_class(body, mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.get("/manifest.webmanifest")
def manifest():
    resp = send_from_directory(current_app.static_folder, "manifest.webmanifest", max_age=0)
    resp.mimetype = "application/manifest+json"
    return resp


@bp.get("/i18n/<lang>.json")
def catalogue(lang: str):
    if lang not in LANGUAGES:
        abort(404)
    resp = jsonify(js_catalogue(lang))
    resp.cache_control.no_cache = True  # the service worker holds the versioned copy
    return resp


@bp.get("/vendor/<lib>/<path:filename>")
def vendor(lib: str, filename: str):
    if lib not in VENDOR:
        abort(404)
    return send_from_directory(Path(VENDOR[lib]), filename, max_age=86400)


@bp.get("/tiles/<int:z>/<int:x>/<int:y>.png")
def tile(z: int, x: int, y: int):
    if not tiles.valid_tile(z, x, y):
        abort(404)
    cfg = current_app.config
    if cfg["MBTILES_PATH"]:
        found = tiles.mbtiles_tile(cfg["MBTILES_PATH"], z, x, y)
        if found is None:
            abort(404)
        data, mime = found
    elif cfg["DEMO_TILES"]:
        data, mime = tiles.demo_tile(z, x, y), "image/png"
    else:
        abort(404)
    resp = current_app.response_class(data, mimetype=mime)
    resp.cache_control.public = True
    resp.cache_control.max_age = 86400
    return resp
