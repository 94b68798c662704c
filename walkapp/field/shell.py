"""The PWA's app shell: the one list of files the service worker precaches, and its version.

The service worker (static/sw.js) gets this list and version injected when it is served, and
bench/pwa_budget.py measures the same list, so the budget can never describe another shell.
"""

import hashlib
from pathlib import Path

from flask import Flask

from walkapp.i18n import CATALOGUE_DIR
from walkapp.models import LANGUAGES

SHELL_PAGE = "/"  # every app URL (/, /w/<code>) is answered offline with this page
VENDOR_FILES = {"leaflet": ["leaflet.js", "leaflet.css"]}
ICONS = ["icons/icon-192.png"]


def _vendor_dirs() -> dict[str, Path]:
    from xstatic.pkg import leaflet, leaflet_markercluster

    return {"leaflet": Path(leaflet.BASE_DIR),
            "markercluster": Path(leaflet_markercluster.BASE_DIR)}


def shell_files(app: Flask) -> list[tuple[str, Path]]:
    """(URL, source file) of everything the app needs to start, tiles excluded."""
    static = Path(app.static_folder)
    template = Path(app.template_folder) / "field" / "app.html"
    files: list[tuple[str, Path]] = [(SHELL_PAGE, template)]
    files.append(("/manifest.webmanifest", static / "manifest.webmanifest"))
    files.append(("/static/css/app.css", static / "css" / "app.css"))
    files += [(f"/static/js/{p.name}", p) for p in sorted((static / "js").glob("*.js"))]
    files += [(f"/static/{name}", static / name) for name in ICONS]
    vendor = _vendor_dirs()
    files += [(f"/vendor/{lib}/{name}", vendor[lib] / name)
              for lib, names in VENDOR_FILES.items() for name in names]
    files += [(f"/i18n/{lang}.json", CATALOGUE_DIR / lang / "LC_MESSAGES" / "messages.po")
              for lang in LANGUAGES]
    return files


def precache_urls(app: Flask) -> list[str]:
    return [url for url, _ in shell_files(app)]


def version(app: Flask) -> str:
    """PWA_VERSION if set, else a hash of the shell's sources: any change makes a new worker."""
    if configured := app.config.get("PWA_VERSION"):
        return str(configured)
    digest = hashlib.sha256()
    for url, path in shell_files(app):
        digest.update(url.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]
