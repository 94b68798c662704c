from pathlib import Path

from flask import abort, current_app, jsonify, render_template, send_from_directory
from flask_babel import get_locale
from xstatic.pkg import leaflet, leaflet_markercluster

from walkapp import tiles
from walkapp.field import bp
from walkapp.i18n import js_catalogue
from walkapp.models import LANGUAGES

VENDOR = {"leaflet": leaflet.BASE_DIR, "markercluster": leaflet_markercluster.BASE_DIR}


@bp.get("/")
def start():
    return render_template("field/app.html", join_code=None, lang=str(get_locale()))


@bp.get("/w/<join_code>")
def walk(join_code: str):
    return render_template("field/app.html", join_code=join_code.upper(), lang=str(get_locale()))


@bp.get("/sw.js")
def service_worker():
    # Served from the root so its scope covers the whole app; max-age=0 so updates are seen.
    resp = send_from_directory(current_app.static_folder, "sw.js", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.get("/manifest.webmanifest")
def manifest():
    resp = send_from_directory(current_app.static_folder, "manifest.webmanifest", max_age=3600)
    resp.mimetype = "application/manifest+json"
    return resp


@bp.get("/i18n/<lang>.json")
def catalogue(lang: str):
    if lang not in LANGUAGES:
        abort(404)
    resp = jsonify(js_catalogue(lang))
    resp.cache_control.max_age = 3600
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
