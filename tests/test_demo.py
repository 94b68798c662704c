"""The Uppvidinge demo: seeding, what it prints, its walks, its routing, and `walkapp demo`."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
from sqlalchemy import func, select

from tests.conftest import comment_item
from walkapp import demo, photo_store
from walkapp.extensions import db
from walkapp.geo import lonlat_to_tile
from walkapp.models import (
    Base,
    Department,
    Municipality,
    RoutingDecision,
    ServiceArea,
    User,
)
from walkapp.organisation import DEFAULT_CATEGORIES
from walkapp.routing import geodesic_area_m2

CODES = ["ASEDA1", "LENHOVDA", "ALSTERMO", "NORRHULT", "ALGHULT"]
EMAILS = [u[0] for u in demo.USERS]
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables}


@pytest.fixture
def seeded(app):
    """The municipality alone: the routing tests below count decisions of their own."""
    with app.app_context():
        return demo.seed(db.session, now=NOW, with_inputs=False)


def test_seed_twice_changes_nothing(app, monkeypatch):
    monkeypatch.delenv("WALKAPP_DEMO_PASSWORD", raising=False)
    with app.app_context():
        first = demo.seed(db.session, now=NOW)
        before = counts()
        version = db.session.scalar(select(Municipality.areas_version))
        second = demo.seed(db.session, now=datetime(2027, 1, 1, tzinfo=UTC))
        assert counts() == before
        assert db.session.scalar(select(Municipality.areas_version)) == version
    assert (first.created, second.created) == (True, False)
    assert second == first
    assert before["municipality"] == 1
    assert before["walk"] == 5
    assert before["category"] == len(DEFAULT_CATEGORIES) == 10
    assert before["department"] == 7
    assert before["user"] == 3
    # 5 urban areas, 4 estates, 4 places, 3 municipality-wide, 4 state roads
    assert before["service_area"] == 20
    assert version >= 1
    assert "already present, nothing changed" in second.describe("http://x")


def test_municipality_departments_and_areas(app, seeded):
    with app.app_context():
        muni = db.session.scalar(select(Municipality))
        assert (muni.slug, muni.name, muni.country, muni.default_language) == (
            "uppvidinge", "Uppvidinge kommun", "SE", "sv")
        assert muni.fallback_department.slug == "kundtjanst"
        assert muni.boundary.geom_type == "Polygon"
        assert 1.0e9 < geodesic_area_m2(muni.boundary) < 1.5e9  # the real one is 1 178 km²
        for (lon, lat), _w, _h in demo.LOCALITIES.values():
            assert muni.boundary.contains(shapely.Point(lon, lat))
        depts = {d.slug: d for d in db.session.scalars(select(Department))}
        assert depts["uppvidingehus"].kind == depts["trafikverket"].kind == "external"
        assert depts["gata-park"].email == "gata-park@uppvidinge.example"
        assert all(d.email and d.email.endswith(".example") for d in depts.values())
        areas = db.session.scalars(select(ServiceArea)).all()
        for a in areas:
            assert a.area_m2 == pytest.approx(geodesic_area_m2(a.geometry))
            assert a.geometry.is_valid
        roads = [a for a in areas if a.department.slug == "trafikverket"]
        assert {a.name for a in roads} == {"Väg 23/37", "Väg 23", "Väg 37", "Väg 31"}
        assert all(a.priority == 20 and a.categories == demo.ROAD_CATEGORIES for a in roads)
        streets = [a for a in areas if a.department.slug == "gata-park"]
        assert {a.name for a in streets} == {f"Tätort {n}" for n in demo.LOCALITIES}
        assert all(1e6 < a.area_m2 < 1e7 for a in streets)
        estates = [a for a in areas if a.department.slug == "uppvidingehus"]
        assert len(estates) == 4 and all(1e4 < a.area_m2 < 1e5 for a in estates)
        users = {u.email: u for u in db.session.scalars(select(User))}
        assert set(users) == set(EMAILS)
        assert users["tjansteperson@uppvidinge.example"].role == "official"
        assert users["forvaltare@uppvidingehus.example"].department.slug == "uppvidingehus"
        assert users["tjansteperson@uppvidinge.example"].check_password(demo.DEMO_PASSWORD)


def test_road_buffer_is_sixty_metres_wide(app, seeded):
    """30 m either side of the centre line, in metres, not in degrees."""
    from pyproj import Geod

    with app.app_context():
        area = db.session.scalar(select(ServiceArea).where(ServiceArea.name == "Väg 31"))
        line = shapely.intersection(shapely.LineString(dict(demo.STATE_ROADS)["Väg 31"]),
                                    db.session.scalar(select(Municipality.boundary)))
        length_m = Geod(ellps="WGS84").geometry_length(line)
        assert area.area_m2 / length_m == pytest.approx(60, rel=0.05)


def test_walks_and_their_join_codes(app, client, seeded):
    assert [w.join_code for w in seeded.walks] == CODES
    assert [w.status for w in seeded.walks] == ["open", "open", "planned", "planned", "planned"]
    # the open walks took place (their inputs are being worked on); the planned lie ahead
    assert all((w.starts_at < NOW) == (w.status == "open") for w in seeded.walks)
    assert all(re.fullmatch(r"[A-Z0-9]{3,16}", c) for c in CODES)
    slugs = [c[0] for c in DEFAULT_CATEGORIES]
    for walk in seeded.walks:
        resp = client.get(f"/api/v1/walks/{walk.join_code.lower()}")
        assert resp.status_code == 200, walk.join_code
        body = resp.get_json()
        assert body["join_code"] == walk.join_code
        assert body["title"] == f"Samhällsvandring i {walk.locality}"
        assert body["municipality"]["name"] == "Uppvidinge kommun"
        assert [c["slug"] for c in body["categories"]] == slugs
        assert body["categories"][6]["labels"]["da"] == "Bredbånd og mobildækning"
        assert body["area"]["type"] == "Polygon"
        assert body["route"]["type"] == "LineString"
        assert 8 <= len(body["route"]["coordinates"]) <= 15
        (lon, lat), _w, _h = demo.LOCALITIES[walk.locality]
        assert body["meeting_point"]["location"]["coordinates"] == [lon, lat]
        area = shapely.geometry.shape(body["area"])
        assert area.contains(shapely.Point(lon, lat))
        assert area.contains(shapely.geometry.shape(body["route"]))
        assert 1e6 < geodesic_area_m2(area) < 4e6  # roughly 1–2 km across
        west, south, east, north = body["offline"]["bbox"]
        assert west < lon < east and south < lat < north
        assert body["starts_at"].endswith("Z")


def _route(device, lon, lat, category):
    resp = device.sync(comment_item(walk="ASEDA1", category=category,
                                    location={"type": "Point", "coordinates": [lon, lat]}))
    assert resp.status_code == 200, resp.get_json()
    result = resp.get_json()["results"][0]
    assert result["status"] == "created", result
    return result["department"]["slug"] if result["department"] else None


def _estate_centre(locality, name):
    for loc, est, east, north, width, height in demo.ESTATES:
        if (loc, est) == (locality, name):
            return demo.block(loc, east, north, width, height).centroid
    raise LookupError(name)


ASEDA = shapely.Point(demo.LOCALITIES["Åseda"][0])
ON_ROAD_23 = shapely.Point(15.35, 57.160)   # a vertex of Väg 23/37, inside Åseda's urban area
COUNTRYSIDE = shapely.Point(15.45, 57.05)   # between Åseda and Alstermo: no town, no state road


def test_test_points_are_where_the_tests_think(app, seeded):
    (_c, w, h) = demo.LOCALITIES["Åseda"]
    town = demo.ellipse("Åseda", w, h)
    assert town.contains(ON_ROAD_23) and town.contains(ASEDA)
    assert not any(demo.ellipse(n, lw, lh).contains(COUNTRYSIDE)
                   for n, (_p, lw, lh) in demo.LOCALITIES.items())
    with app.app_context():
        for area in db.session.scalars(select(ServiceArea)):
            if area.department.slug == "trafikverket":
                assert not area.geometry.contains(COUNTRYSIDE)
                assert not area.geometry.contains(ASEDA)  # the centre is off the road


# where, category -> department that must get the comment
ROUTING = [
    ("estate", "housing", "uppvidingehus"),
    ("estate", "lighting", "uppvidingehus"),  # the landlord's yard beats the streets unit
    ("estate", "safety", "uppvidingehus"),    # a landlord's trygghetsvandring
    ("estate", "broadband", "stadsnat"),
    ("road", "roads", "trafikverket"),        # the state road beats the streets unit
    ("road", "public_transport", "trafikverket"),
    ("road", "broadband", "stadsnat"),
    ("centre", "lighting", "gata-park"),
    ("centre", "roads", "gata-park"),
    ("centre", "parks", "gata-park"),
    ("centre", "safety", "polisen"),
    ("centre", "broadband", "stadsnat"),
    ("centre", "housing", "kundtjanst"),      # not on an estate: private landlords and others
    ("centre", "shops_services", "kundtjanst"),
    ("library", "culture_leisure", "kultur-fritid"),
    ("library", "parks", "kultur-fritid"),    # a place of culture and leisure beats the streets
    ("library", "lighting", "gata-park"),
    ("countryside", "broadband", "stadsnat"),
    ("countryside", "safety", "polisen"),
    ("countryside", "culture_leisure", "kultur-fritid"),
    ("countryside", "roads", "kundtjanst"),   # a private or road-association road
    ("countryside", "other", "kundtjanst"),
    ("abroad", "broadband", "kundtjanst"),    # outside the municipality: nobody's
]


def test_demo_routing_through_the_sync_api(app, device, seeded):
    """One seed, every case (seeding hashes three passwords: too slow to repeat 23 times)."""
    points = {
        "estate": _estate_centre("Åseda", "Kv. Björken"),
        "road": ON_ROAD_23,
        "centre": ASEDA,
        "library": demo.block("Åseda", *demo.PLACES[0][2:]).centroid,
        "countryside": COUNTRYSIDE,
        "abroad": shapely.Point(14.80, 57.10),
    }
    got = [(where, category, _route(device, points[where].x, points[where].y, category))
           for where, category, _dept in ROUTING]
    assert got == ROUTING


def test_fallback_decision_is_recorded(app, device, seeded):
    assert _route(device, COUNTRYSIDE.x, COUNTRYSIDE.y, "other") == "kundtjanst"
    with app.app_context():
        decision = db.session.scalar(select(RoutingDecision))
        assert decision.reason == "fallback"
        assert decision.service_area_id is None
        assert "'other'" in decision.rule and "kundtjanst" in decision.rule


def test_area_decision_names_the_estate(app, device, seeded):
    point = _estate_centre("Åseda", "Kv. Björken")
    _route(device, point.x, point.y, "housing")
    with app.app_context():
        decision = db.session.scalar(select(RoutingDecision))
        assert decision.reason == "area"
        assert decision.service_area.name == "Kv. Björken, Åseda"
        assert "priority 10" in decision.rule


def test_describe_lists_everything(seeded):
    text = seeded.describe("http://demo.test:8080/")
    assert "http://demo.test:8080/login" in text
    assert "http://demo.test:8080/api/v1/openapi.json" in text
    for walk in seeded.walks:
        assert f"http://demo.test:8080/w/{walk.join_code}" in text
        assert walk.title in text and walk.locality in text
    for email in EMAILS:
        assert email in text
    assert demo.DEMO_PASSWORD in text
    assert "demonstration only" in text
    assert "//w/" not in text  # the trailing slash of the base URL is not doubled


def test_password_from_environment(app, monkeypatch):
    monkeypatch.setenv("WALKAPP_DEMO_PASSWORD", "village-walk-2026")
    with app.app_context():
        info = demo.seed(db.session, now=NOW)
        user = db.session.scalar(select(User).where(User.email == EMAILS[1]))
        assert user.check_password("village-walk-2026")
        assert not user.check_password(demo.DEMO_PASSWORD)
        assert info.password == "village-walk-2026"
        assert demo.DEMO_PASSWORD not in info.describe("http://x")
        # Seeding again with another password neither changes the accounts nor prints a
        # password that would not work.
        monkeypatch.delenv("WALKAPP_DEMO_PASSWORD")
        again = demo.seed(db.session)
        assert again.password is None
        assert "unchanged since the demo was first seeded" in again.describe("http://x")
        assert user.check_password("village-walk-2026")


def test_cli_demo_no_serve(runner, monkeypatch):
    monkeypatch.delenv("WALKAPP_DEMO_PASSWORD", raising=False)
    result = runner.invoke(args=["demo", "--no-serve", "--port", "5055"])
    assert result.exit_code == 0, result.output
    for code in CODES:
        assert f"http://127.0.0.1:5055/w/{code}" in result.output
    assert "http://127.0.0.1:5055/login" in result.output
    assert "http://127.0.0.1:5055/api/v1/openapi.json" in result.output
    for email in EMAILS:
        assert email in result.output
    assert demo.DEMO_PASSWORD in result.output
    assert "(seeded)" in result.output
    again = runner.invoke(args=["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "already present, nothing changed" in again.output


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


@pytest.mark.parametrize("email", EMAILS)
def test_demo_logins_can_sign_in(app, seeded, email):
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"email": email, "password": demo.DEMO_PASSWORD,
                                       "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    page = client.get("/review/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(code in html for code in CODES)


def test_wrong_password_is_refused(app, seeded):
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"email": EMAILS[0], "password": "not-the-demo-pass",
                                       "csrf_token": token})
    assert resp.status_code == 400
    assert client.get("/review/").status_code == 302


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (local test server)
            return resp.status, resp.headers.get_content_type(), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get_content_type(), err.read()


def _stalled_upload_times_out(port: int) -> None:
    """The demo's server has a read timeout: a phone that stops mid-upload gets a 408 and
    blocks no one meanwhile (a real SQLite file, the real command)."""
    import json

    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/devices", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (local test server)
        token = json.loads(resp.read())["token"]
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall((f"PUT /api/v1/comments/{uuid.uuid4()}/photos/{uuid.uuid4()} HTTP/1.1\r\n"
                      f"Host: x\r\nAuthorization: Bearer {token}\r\n"
                      "Content-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n").encode()
                     + b"\xff\xd8" + b"x" * 10_000)
        assert _get(f"http://127.0.0.1:{port}/api/v1/walks/ASEDA1")[0] == 200
        reply = sock.makefile("rb").read().decode()
    assert reply.startswith("HTTP/1.1 408"), reply


def test_walkapp_demo_serves(tmp_path):
    """The real command, as a user runs it: a fresh SQLite instance, demo tiles, the API."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("WALKAPP_DATABASE_URL", "WALKAPP_MBTILES", "WALKAPP_TILE_URL")}
    env.update(WALKAPP_INSTANCE=str(tmp_path / "instance"), PYTHONPATH=str(ROOT),
               WALKAPP_REQUEST_READ_TIMEOUT="2")
    log = (tmp_path / "demo.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "walkapp", "demo", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _type, body = _get(f"{base}/api/v1/walks/ASEDA1")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"walkapp demo did not serve (exit {proc.poll()}):\n{log.read()}")
                time.sleep(0.2)
        assert status == 200, body
        assert b'"join_code":"ASEDA1"' in body.replace(b" ", b"")
        x, y = lonlat_to_tile(*demo.LOCALITIES["Åseda"][0], 14)
        assert (x, y) == (8890, 5005)
        status, mime, png = _get(f"{base}/tiles/14/{x}/{y}.png")
        assert (status, mime) == (200, "image/png")
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert (tmp_path / "instance" / "walkapp.db").is_file()
        log.seek(0)
        assert f"{base}/w/ASEDA1" in log.read()
        _stalled_upload_times_out(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_demo_inputs_are_real(app):
    """40–80 inputs per open walk across kinds, categories, departments and statuses, with
    history written by the real workflow and moderation, photos, near-duplicates, a track."""
    from walkapp import moderation
    from walkapp.models import Comment, Photo, StatusChange, Track
    from walkapp.review_map import Scope, overdue_condition

    with app.app_context():
        demo.seed(db.session, now=NOW, photos=photo_store.for_app(app))
        s = db.session
        comments = s.scalars(select(Comment)).all()
        for code in ("ASEDA1", "LENHOVDA"):
            n = sum(1 for c in comments if c.walk.join_code == code)
            assert 40 <= n <= 80, (code, n)
        assert {c.kind for c in comments} == {"question", "opinion", "idea"}
        assert len({c.category_id for c in comments}) >= 8
        assert len({c.department_id for c in comments}) >= 5
        statuses = {c.status for c in comments}
        assert {"routed", "acknowledged", "in_progress", "done", "wont_do", "not_ours",
                "duplicate"} <= statuses, statuses
        assert any(c.hidden_at for c in comments) and any(c.public_text for c in comments)
        assert any(c.answer for c in comments) and any(c.promised_on for c in comments)
        for c in comments:  # the history is the audit trail: it ends where the input is
            last = s.scalars(select(StatusChange).where(StatusChange.comment_id == c.id)
                             .order_by(StatusChange.id.desc()).limit(1)).one()
            assert last.status == c.status
        assert any(h.action == "reroute" for h in s.scalars(select(StatusChange)))
        stored = s.scalars(select(Photo).where(Photo.stored_at.is_not(None))).all()
        assert len(stored) >= 10
        store = photo_store.for_app(app)
        for p in stored[:3]:
            for variant in ("full", "thumb"):
                with store.open(s, p.id, variant) as fh:
                    assert fh.read(3) == b"\xff\xd8\xff"  # a JPEG, in the configured store
        assert len(s.scalars(select(Track)).all()) == 2
        unmerged = [c for c in comments if c.text.endswith("håller med!") and
                    c.merged_into_id is None]
        assert unmerged and moderation.likely_duplicates(s, unmerged[0])
        muni = s.scalar(select(Municipality))
        scope = Scope.load(s, muni.id, NOW)
        assert s.scalars(select(Comment.id).where(overdue_condition(scope))).first()
