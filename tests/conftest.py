"""Shared fixtures: an app per database backend, clients, a small test municipality, devices.

The suite runs on SQLite; when WALKAPP_TEST_DATABASE_URL is set (CI sets it to the local
PostgreSQL) every database-backed test runs a second time on a fresh PostgreSQL database.
"""

import contextlib
import http.client
import io
import json
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from walkapp import create_app, photo_store, router_cache
from walkapp.extensions import db, limiter
from walkapp.models import (
    Base,
    Category,
    Department,
    Municipality,
    ServiceArea,
    User,
    Walk,
)
from walkapp.routing import geodesic_area_m2

PG_URL = os.environ.get("WALKAPP_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("instance")
    os.environ["WALKAPP_INSTANCE"] = str(path)
    return path


@contextlib.contextmanager
def fresh_postgresql(prefix: str = "walkapp_test"):
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
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
    with fresh_postgresql() as url:
        yield url


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
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
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
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            return user.email, password
    return make


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
