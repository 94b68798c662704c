"""App-wide behaviour: security headers, JSON errors under /api, languages, config."""

import pytest
from babel.messages.pofile import read_po

from walkapp import create_app
from walkapp.i18n import CATALOGUE_DIR
from walkapp.models import LANGUAGES


def test_security_headers(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("method", "url", "status", "code"), [
    ("get", "/api/v1/nothing-here", 404, "not_found"),
    ("get", "/api/v1/sync", 405, "method_not_allowed"),
    ("delete", "/api/v1/devices", 405, "method_not_allowed"),
])
def test_api_errors_are_json(client, method, url, status, code):
    resp = getattr(client, method)(url)
    assert resp.status_code == status and resp.is_json
    assert resp.get_json()["error"]["code"] == code


def test_html_errors_elsewhere(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"


@pytest.mark.parametrize(("lang", "text"), [
    ("sv", "Logga in"), ("da", "Log ind"), ("en", "Sign in")])
def test_language_switch(client, lang, text):
    page = client.get(f"/login?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page and f"<h1>{text}</h1>" in page
    # the choice sticks for the session
    assert f"<h1>{text}</h1>" in client.get("/login").get_data(as_text=True)


def test_browser_language_is_used_when_nothing_chosen(client):
    page = client.get("/login", headers={"Accept-Language": "da-DK,da;q=0.9"})
    assert "<h1>Log ind</h1>" in page.get_data(as_text=True)


def test_every_message_is_translated():
    """One catalogue for server and PWA: every msgid has a Swedish and a Danish text."""
    for lang in LANGUAGES:
        with (CATALOGUE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        missing = [m.id for m in catalog if m.id and not m.string]
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        assert not missing, f"{lang}: untranslated {missing[:10]}"
        assert not fuzzy, f"{lang}: fuzzy {fuzzy[:10]}"


def test_js_catalogue_holds_the_field_app_strings_only(client):
    sv = client.get("/i18n/sv.json").get_json()
    assert sv["Send now"] == "Skicka nu"
    assert "Wrong email or password." not in sv  # a staff page's string
    assert client.get("/i18n/xx.json").status_code == 404


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("WALKAPP_INSTANCE", str(tmp_path))
    monkeypatch.delenv("WALKAPP_SECRET_KEY", raising=False)
    cfg = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}
    first = create_app(cfg).config["SECRET_KEY"]
    assert len(first) >= 64 and (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app(cfg).config["SECRET_KEY"] == first
    monkeypatch.setenv("WALKAPP_SECRET_KEY", "from-the-environment")
    assert create_app(cfg).config["SECRET_KEY"] == "from-the-environment"


def test_default_database_is_sqlite_in_the_instance_folder_with_wal(tmp_path, monkeypatch):
    monkeypatch.setenv("WALKAPP_INSTANCE", str(tmp_path))
    monkeypatch.delenv("WALKAPP_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'walkapp.db'}"
    from walkapp.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()
