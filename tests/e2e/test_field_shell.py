"""The field app's shell as the server hands it out (no browser): the service worker and its
precache list, the manifest and icons, the strict-CSP-safe page, and complete translations."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from PIL import Image

from walkapp.field.shell import precache_urls

ROOT = Path(__file__).resolve().parents[2]
SHELL_JSON = re.compile(r"const SHELL = (\{.*?\});")


def served_shell(client) -> dict:
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    return json.loads(SHELL_JSON.search(resp.get_data(as_text=True)).group(1))


def test_service_worker_precaches_the_whole_shell(app, client):
    shell = served_shell(client)
    assert shell["files"] == precache_urls(app)
    for url in ["/", "/static/js/app.js", "/static/js/db.js", "/static/js/sync.js",
                "/static/css/app.css", "/vendor/leaflet/leaflet.js", "/i18n/sv.json",
                "/i18n/da.json", "/i18n/en.json", "/manifest.webmanifest"]:
        assert url in shell["files"]
    for url in shell["files"]:
        assert client.get(url).status_code == 200, url
    # Every module the app imports is in the list (or it would not start offline).
    for js in (ROOT / "static" / "js").glob("*.js"):
        for dep in re.findall(r"from '\./([\w-]+\.js)'", js.read_text()):
            assert f"/static/js/{dep}" in shell["files"], (js.name, dep)


def test_shell_version_follows_content_and_config(app, client):
    first = served_shell(client)["version"]
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert served_shell(client)["version"] == first
    app.config["PWA_VERSION"] = "2026-05-20"
    assert served_shell(client)["version"] == "2026-05-20"


def test_every_app_address_gets_the_same_page(client):
    start, walk = client.get("/"), client.get("/w/aseda7")
    assert start.status_code == walk.status_code == 200
    strip = re.compile(rb' data-join-code="[^"]*"')
    assert strip.sub(b"", start.data) == strip.sub(b"", walk.data)
    assert b'data-join-code="ASEDA7"' in walk.data


class _Audit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inline_scripts, self.handlers, self.ids = 0, [], []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.inline_scripts += 1
        self.handlers += [n for n in names if n.startswith("on")]
        if "id" in names:
            self.ids.append(names["id"])


def test_page_fits_the_strict_csp(client):
    resp = client.get("/w/ASEDA7")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    audit = _Audit()
    audit.feed(resp.get_data(as_text=True))
    assert audit.inline_scripts == 0 and audit.handlers == []
    assert len(audit.ids) == len(set(audit.ids)), "ids must be unique"


def test_manifest_and_icons(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.mimetype == "application/manifest+json"
    manifest = json.loads(resp.data)
    assert manifest["display"] == "standalone" and manifest["theme_color"]
    assert manifest["name"] and manifest["short_name"] and manifest["start_url"].startswith("/")
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        path = ROOT / icon["src"].lstrip("/")
        w, h = (int(n) for n in icon["sizes"].split("x"))
        assert Image.open(path).size == (w, h)


def test_every_field_app_string_is_translated():
    method_map = [("static/js/**.js", "javascript"), ("templates/field/**.html", "jinja2")]
    found = {msg for _f, _l, msg, *_ in extract_from_dir(
        str(ROOT), method_map, keywords={"t": None}) if isinstance(msg, str)}
    assert len(found) > 100
    for lang in ("sv", "da", "en"):
        po = ROOT / "walkapp" / "translations" / lang / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        missing = [m for m in found if not (catalog.get(m) and catalog.get(m).string)]
        assert missing == [], f"{lang}: run pybabel extract/update and translate {missing}"
        assert not [m.id for m in catalog if m.id and m.fuzzy], f"{lang}: fuzzy entries"
        for msg in found:
            placeholders = set(re.findall(r"\{\w+\}", msg))
            assert placeholders == set(re.findall(r"\{\w+\}", catalog.get(msg).string)), msg


def test_translations_served_for_the_js(client):
    sv = client.get("/i18n/sv.json").get_json()
    assert sv["Add a pin"] == "Lägg till en markering"
    assert client.get("/i18n/xx.json").status_code == 404
