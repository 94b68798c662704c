"""Shared fixtures: an app per database backend, clients, a small test municipality, devices.

The suite runs on SQLite; when WALKAPP_TEST_DATABASE_URL is set (CI sets it to the local
PostgreSQL) every database-backed test runs a second time on a fresh PostgreSQL database.
"""

import dataclasses
import http.client
import io
import json
import os
import re
import socket
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from walkapp import api_keys, create_app, photo_store, router_cache
from walkapp.extensions import db, limiter
from walkapp.models import (
    Base,
    Category,
    Department,
    Municipality,
    ServiceArea,
    User,
    Walk,
    utcnow,
)
from walkapp.routing import geodesic_area_m2

FAST_HASH = "pbkdf2:sha256:1000"

PG_URL = os.environ.get("WALKAPP_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("instance")
    os.environ["WALKAPP_INSTANCE"] = str(path)
    return path


@contextmanager
def fresh_postgres(prefix: str):
    """A PostgreSQL database made for the test and dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway database: no need to wait for the disk on every commit (the shared
        # machine's fsyncs made each commit cost tens of milliseconds).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    with fresh_postgres("walkapp_test") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    """A database with no tables at all, for first-run tests. On PostgreSQL an empty schema
    of its own (made and dropped in milliseconds; a whole database costs a checkpoint)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"walkapp_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def make_test_app(database_url: str, instance_dir, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PHOTO_FOLDER": str(instance_dir / f"photos-{uuid.uuid4().hex[:6]}"),
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_DEVICES": "1000 per minute",
        "DEMO_TILES": True,
        **overrides,
    }
    return create_app(config)


@pytest.fixture(scope="session")
def _session_app(database_url, instance_dir):
    app = make_test_app(database_url, instance_dir)
    with app.app_context():
        upgrade()  # the migrations build the schema: tests prove them on each backend
    yield app
    with app.app_context():
        db.engine.dispose()


def wipe(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = list(reversed(Base.metadata.sorted_tables))
        # Plain DELETEs on both backends: the tables hold a handful of rows, and PostgreSQL's
        # TRUNCATE (new files for every table) cost ~1.4 s a test on a loaded machine against
        # ~35 ms for these. Ids are not restarted; no test relies on them.
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE municipality SET fallback_department_id = NULL"))
            for t in tables:
                conn.execute(t.delete())


@pytest.fixture
def app(_session_app):
    saved = dict(_session_app.config)
    router_cache.clear()
    limiter.reset()
    yield _session_app
    _session_app.config.clear()
    _session_app.config.update(saved)
    wipe(_session_app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


# --- a small municipality to route in ------------------------------------------------------

def box(lon0, lat0, lon1, lat1):
    return shapely.box(lon0, lat0, lon1, lat1)


CATEGORIES = [
    ("roads", "Vägar och trafik", "Veje og trafik", "Roads and traffic"),
    ("lighting", "Belysning", "Belysning", "Lighting"),
    ("parks", "Parker och natur", "Parker og natur", "Parks and nature"),
    ("housing", "Boende", "Bolig", "Housing"),
    ("broadband", "Bredband", "Bredbånd", "Broadband"),
    ("other", "Övrigt", "Andet", "Other"),
]
TOWN = (15.26, 57.14, 15.28, 57.16)  # a 1.2 × 2.2 km box around Åseda


@pytest.fixture
def world(app):
    return seed_test_world(app)


def seed_test_world(app) -> dict:
    """Municipality with streets (whole town), parks (a park, only 'parks'), a housing company
    (an estate, priority 10), broadband (everywhere, only 'broadband') and a fallback.
    Walks: ASEDA7 (open, area and route) and CLOSED1 (closed last year)."""
    with app.app_context():
        muni = Municipality(slug="testby", name="Testby kommun", default_language="sv")
        db.session.add(muni)
        depts = {
            slug: Department(municipality=muni, slug=slug, name=name, kind=kind,
                             email=f"{slug}@example.org")
            for slug, name, kind in [
                ("streets", "Gata/park", "municipal"),
                ("parks", "Parkenheten", "municipal"),
                ("housing", "Bostadsbolaget", "external"),
                ("broadband", "Stadsnätet", "external"),
                ("service", "Kundtjänst", "municipal"),
            ]
        }
        db.session.add_all(depts.values())
        for i, (slug, sv, da, en) in enumerate(CATEGORIES):
            db.session.add(Category(municipality=muni, slug=slug, label_sv=sv, label_da=da,
                                    label_en=en, sort_order=i))
        areas = [
            ("streets", "Tätort", box(*TOWN), None, 0),
            ("parks", "Parken", box(15.265, 57.145, 15.27, 57.15), ["parks"], 5),
            ("housing", "Kvarteret", box(15.272, 57.152, 15.276, 57.156), None, 10),
            ("broadband", "Hela kommunen", box(15.0, 56.9, 15.8, 57.3), ["broadband"], 1),
        ]
        for slug, name, geom, cats, prio in areas:
            db.session.add(ServiceArea(department=depts[slug], name=name, geometry=geom,
                                       categories=cats, priority=prio,
                                       area_m2=geodesic_area_m2(geom)))
        db.session.flush()
        muni.fallback_department_id = depts["service"].id
        db.session.add(Walk(
            municipality=muni, join_code="ASEDA7", title="Vandring i Åseda", locality="Åseda",
            starts_at=datetime(2026, 5, 20, 16, 0, tzinfo=UTC), meeting_point="Torget",
            meeting_lon=15.27, meeting_lat=57.15, area=box(*TOWN),
            route=shapely.LineString([(15.262, 57.142), (15.27, 57.15), (15.278, 57.158)]),
            status="open"))
        db.session.add(Walk(
            municipality=muni, join_code="CLOSED1", title="Förra årets vandring",
            locality="Åseda", starts_at=datetime(2025, 5, 20, 16, 0, tzinfo=UTC),
            status="closed", closed_at=datetime(2025, 5, 21, tzinfo=UTC)))
        db.session.commit()
        return {"municipality_id": muni.id, "walk": "ASEDA7",
                "departments": {k: v.id for k, v in depts.items()}}


@pytest.fixture
def make_user(app, world):
    def make(role="official", email=None, department=None, password=None):
        password = password or "correct horse battery"
        with app.app_context():
            user = User(email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.org",
                        name=role.title(), role=role, municipality_id=world["municipality_id"],
                        department_id=world["departments"][department] if department else None)
            # A cheap hash: scrypt takes ~0.5 s on a loaded CI machine, twice per sign-in.
            user.password_hash = generate_password_hash(password, FAST_HASH)
            user.password_set_at = datetime.now(UTC)
            db.session.add(user)
            db.session.commit()
            return user.email, password
    return make


@pytest.fixture
def issue_key(app, world):
    """Issue an Open311 key to a department of the test municipality; returns the key."""
    def issue(department="housing", name="Case system"):
        with app.app_context():
            dept = db.session.get(Department, world["departments"][department])
            issued = api_keys.issue(db.session, dept, name, utcnow())
            db.session.commit()
            return issued.secret
    return issue


# --- devices and the API -----------------------------------------------------------------

class Device:
    """A registered phone: its id, token and a client that sends the bearer header."""

    def __init__(self, client, device_id, token):
        self.client, self.id, self.token = client, device_id, token
        self.headers = {"Authorization": f"Bearer {token}"}

    def sync(self, *items, **kwargs):
        return self.client.post("/api/v1/sync", json={"comments": list(items)},
                                headers=self.headers, **kwargs)

    def get(self, url, **kwargs):
        return self.client.get(url, headers=self.headers, **kwargs)

    def put(self, url, **kwargs):
        return self.client.put(url, headers={**self.headers, **kwargs.pop("headers", {})},
                               **kwargs)

    def delete(self, url, **kwargs):
        return self.client.delete(url, headers=self.headers, **kwargs)


@pytest.fixture
def new_device(client):
    def make():
        resp = client.post("/api/v1/devices")
        assert resp.status_code == 201, resp.get_json()
        body = resp.get_json()
        return Device(client, body["device_id"], body["token"])
    return make


@pytest.fixture
def device(new_device):
    return new_device()


def comment_item(**overrides) -> dict:
    """A valid sync item in the middle of the test town (routed to 'streets' for 'roads')."""
    item = {
        "id": str(uuid.uuid4()),
        "walk": "ASEDA7",
        "kind": "question",
        "category": "roads",
        "text": "Kan övergångsstället vid torget få bättre belysning?",
        "location": {"type": "Point", "coordinates": [15.262, 57.158]},
        "accuracy_m": 8.5,
        "created_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "photos": [],
    }
    item.update(overrides)
    return item


# --- signed-in staff and their forms ------------------------------------------------------

def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token a page's form carries."""
    html = client.get(url).get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def submit(client, url: str, data: dict | None = None, page: str | None = None, **kwargs):
    """POST a form the way a browser does: with the CSRF token of the page it is on."""
    return client.post(url, data={"csrf_token": csrf_token(client, page or url),
                                  **(data or {})}, **kwargs)


@pytest.fixture
def sign_in(client, make_user):
    """Sign the test client in as a new user of the test world; returns their e-mail."""
    def do(role: str = "official", department: str | None = None) -> str:
        if role == "department" and department is None:
            department = "streets"
        email, password = make_user(role, department=department)
        resp = submit(client, "/login", {"email": email, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return email
    return do


class Staff:
    """A signed-in browser session: `post` adds the session's CSRF token to every form."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, **kwargs)


@pytest.fixture
def sign_in_as(app, make_user):
    """sign_in_as(role, department=None, lang="en") → Staff, each with its own cookie jar."""
    def login(role="department", department=None, lang="en") -> Staff:
        email, password = make_user(role, department=department)
        client = app.test_client()
        client.get(f"/login?lang={lang}")  # the session remembers the language
        token = csrf_token(client)
        resp = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return Staff(client, token)
    return login


# --- delivery: real receivers on loopback and the worker's settings ------------------------

@pytest.fixture
def smtp_server():
    from tests.receivers import SmtpReceiver

    server = SmtpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def http_server():
    from tests.receivers import HttpReceiver

    server = HttpReceiver().start()
    yield server
    server.stop()


PUBLIC_URL = "https://walk.example.org"


@pytest.fixture
def outbox(app, smtp_server):
    """Run the delivery worker in-process against the loopback SMTP server, on a clock the
    test moves: `outbox.run(at=...)` returns the counts; `outbox.rows()` the outbox."""
    from walkapp import delivery
    from walkapp.i18n import translations_for
    from walkapp.models import Delivery

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_SECURITY="none",
                      SMTP_FROM="Walkapp <walkapp@kommun.example>", PUBLIC_URL=PUBLIC_URL,
                      DELIVERY_TIMEOUT_SECONDS=5)

    class Outbox:
        def settings(self, **overrides):
            settings = delivery.Settings.from_config(app.config, translations_for(app))
            return dataclasses.replace(settings, **overrides)

        def run(self, at=None, **overrides):
            with app.app_context():
                return delivery.run_once(db.session, self.settings(**overrides),
                                         clock=(lambda: at) if at else utcnow)

        def rows(self, **where):
            with app.app_context():
                query = select(Delivery).filter_by(**where).order_by(Delivery.id)
                rows = db.session.scalars(query).all()
                db.session.expunge_all()
                return rows

    return Outbox()


def set_department(app, slug="streets", **values):
    """Change a test department's settings (delivery mode, webhook…) and return it."""
    with app.app_context():
        dept = db.session.scalar(select(Department).filter_by(slug=slug))
        for name, value in values.items():
            setattr(dept, name, value)
        db.session.commit()
        db.session.expunge(dept)
        return dept


@pytest.fixture
def hooked(app, world, http_server):
    """The streets department with a webhook to the loopback receiver and a secret (and no
    e-mail); returns the secret."""
    from walkapp import webhooks

    secret = webhooks.new_secret()
    set_department(app, email=None, webhook_url=http_server.url + "/in",
                   webhook_secret=secret, webhook_secret_at=utcnow())
    return secret


def log_in(client, email: str, password: str):
    """Sign a test client in with an account's e-mail and password."""
    resp = client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp


@pytest.fixture
def official(client, make_user):
    """The test client, signed in as an official of the test municipality."""
    log_in(client, *make_user("official"))
    return client


def sync_items(device, items: list[dict]) -> None:
    """Send items in batches the API accepts; every one must be created."""
    for start in range(0, len(items), 200):
        resp = device.sync(*items[start:start + 200])
        results = resp.get_json()["results"]
        assert all(r["status"] == "created" for r in results), results


# --- photo storage ---------------------------------------------------------------------------

@pytest.fixture(params=photo_store.KINDS)
def any_store(request, app):
    """Run the test once per photo storage: the local folder and the database."""
    saved = app.extensions[photo_store.EXTENSION_KEY]
    app.extensions[photo_store.EXTENSION_KEY] = photo_store.make_store(
        request.param, app.config["PHOTO_FOLDER"])
    yield request.param
    app.extensions[photo_store.EXTENSION_KEY] = saved


def small_jpeg(color=(200, 100, 0)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()


def upload_photo(device, **item_fields) -> tuple[str, str]:
    """Sync a new comment announcing one photo and upload it: (comment id, photo id)."""
    photo_id = str(uuid.uuid4())
    item = comment_item(photos=[photo_id], **item_fields)
    assert device.sync(item).status_code == 200
    resp = device.put(f"/api/v1/comments/{item['id']}/photos/{photo_id}", data=small_jpeg(),
                      headers={"Content-Type": "image/jpeg"})
    assert resp.status_code == 201, resp.get_json()
    return item["id"], photo_id


def stored_photo(app, photo_id, variant="full") -> bytes | None:
    """The stored bytes of a photo, from whichever store the app uses; None if absent."""
    with app.app_context():
        fh = photo_store.for_app(app).open(db.session, uuid.UUID(str(photo_id)), variant)
        if fh is None:
            return None
        with fh:
            return fh.read()


# --- a real HTTP server, for what the test client cannot show (sockets, timing) -------------

class Live:
    def __init__(self, server):
        self.server, self.port = server, server.server_port
        self.url = f"http://127.0.0.1:{self.port}"

    def raw(self, timeout: float = 10) -> socket.socket:
        """A raw socket to the server (to send half a request, say)."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 10):
        """(status, parsed JSON or None) over a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = headers or {}
            conn.request(method, path, body=body, headers=headers,
                         encode_chunked=headers.get("Transfer-Encoding") == "chunked")
            resp = conn.getresponse()
            data = resp.read()
            is_json = resp.getheader("Content-Type", "").startswith("application/json")
            return resp.status, json.loads(data) if is_json else None
        finally:
            conn.close()


@pytest.fixture
def live(app):
    """The app behind walkapp's own threaded server (as `walkapp demo` runs it), read
    timeout 3 s, in a thread."""
    from walkapp import serving

    app.config["REQUEST_READ_TIMEOUT"] = 3
    server = serving.make(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(server)
    server.shutdown()
    server.server_close()
