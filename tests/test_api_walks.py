"""GET /api/v1/walks/<code> and PUT …/tracks/<id>."""

import contextlib
import threading
import uuid

import pytest
from sqlalchemy import func, select

from walkapp.api import walks as walks_module
from walkapp.extensions import db
from walkapp.models import Track


def test_walk_for_offline_use(app, client, world):
    resp = client.get("/api/v1/walks/aseda7")  # codes are case-insensitive
    assert resp.status_code == 200
    walk = resp.get_json()
    assert (walk["join_code"], walk["title"], walk["status"]) == (
        "ASEDA7", "Vandring i Åseda", "open")
    assert walk["area"]["type"] == "Polygon" and walk["route"]["type"] == "LineString"
    assert walk["meeting_point"] == {"description": "Torget", "location": {
        "type": "Point", "coordinates": [15.27, 57.15]}}
    assert [c["slug"] for c in walk["categories"]][:2] == ["roads", "lighting"]
    assert walk["categories"][0]["labels"] == {"sv": "Vägar och trafik", "da": "Veje og trafik",
                                               "en": "Roads and traffic"}
    assert [k["slug"] for k in walk["kinds"]] == ["question", "opinion", "idea"]
    assert walk["tiles"]["url"] == "/tiles/{z}/{x}/{y}.png"
    assert walk["municipality"] == {"name": "Testby kommun", "default_language": "sv"}
    west, south, east, north = walk["offline"]["bbox"]
    # the town box plus a 300 m margin (≈ 0.0027° of latitude, ≈ 0.005° of longitude here)
    assert 15.254 < west < 15.2575 and 57.1370 < south < 57.1375
    assert 15.2825 < east < 15.286 and 57.1625 < north < 57.163
    assert walk["offline"]["max_tiles"] == app.config["OFFLINE_MAX_TILES"]


def test_walk_without_geometry_has_no_bbox(client, world):
    walk = client.get("/api/v1/walks/CLOSED1").get_json()
    assert walk["area"] is None and walk["offline"]["bbox"] is None


@pytest.mark.parametrize("code", ["NOSUCH", "x", "ab%20cd", "a" * 40])
def test_unknown_walk_is_404_json(client, world, code):
    resp = client.get(f"/api/v1/walks/{code}")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["fields"][0]["field"] == "join_code"


def track_url(track_id=None, code="ASEDA7"):
    return f"/api/v1/walks/{code}/tracks/{track_id or uuid.uuid4()}"


POINTS = [[15.27, 57.15, "2026-05-20T16:00:00+02:00", 5.0],
          [15.271, 57.151, "2026-05-20T16:01:00+02:00", None]]


def test_track_upload_is_idempotent_and_grows(app, world, device):
    url = track_url()
    first = device.put(url, json={"points": POINTS})
    assert first.status_code == 201 and first.get_json()["status"] == "created"
    again = device.put(url, json={"points": POINTS})
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"
    longer = [*POINTS, [15.272, 57.152, "2026-05-20T16:02:00+02:00", 4.0]]
    grown = device.put(url, json={"points": longer})
    assert grown.get_json() == {"id": url.rsplit("/", 1)[1], "status": "updated", "points": 3}
    with app.app_context():
        (track,) = db.session.scalars(select(Track)).all()
        assert track.points[0][:2] == [15.27, 57.15] and len(track.points) == 3


def test_two_first_uploads_of_one_track_racing_keep_the_last_points(app, world, device,
                                                                    monkeypatch):
    """Both requests find no track before either writes (a barrier on PostgreSQL; SQLite's
    BEGIN IMMEDIATE serialises them). The loser must compare with the winner's row, not
    answer 'unchanged' for points that were never stored."""
    barrier = threading.Barrier(2)
    real_now = walks_module.utcnow

    def now_after_both_looked():  # called between the lookup and the write
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1.5)
        return real_now()

    monkeypatch.setattr(walks_module, "utcnow", now_after_both_looked)
    url = track_url()
    longer = [*POINTS, [15.272, 57.152, "2026-05-20T16:02:00+02:00", 4.0]]
    results: dict[str, tuple[int, str]] = {}

    def send(name, points):
        with app.test_client() as c:
            resp = c.put(url, json={"points": points}, headers=device.headers)
            results[name] = (resp.status_code, resp.get_json()["status"])

    threads = [threading.Thread(target=send, args=a) for a in (("short", POINTS),
                                                                 ("long", longer))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == [(200, "updated"), (201, "created")]
    last = next(name for name, (_, status) in results.items() if status == "updated")
    with app.app_context():
        (track,) = db.session.scalars(select(Track)).all()
        assert len(track.points) == {"short": 2, "long": 3}[last]


@pytest.mark.parametrize(("body", "field"), [
    ({"points": []}, "points"),
    ({"points": [[15.27, 57.15]]}, "points.0.2"),
    ({"points": [[200, 57.15, "2026-05-20T16:00:00Z", None]]}, "points.0.0"),
    ({"points": [[15.2, 57.1, "2026-05-20T16:00:00", None]]}, "points.0.2"),
    ({"points": [[15.2, 57.1, "2026-05-20T16:00:00Z", -3]]}, "points.0.3"),
    ({"nothing": 1}, "points"),
])
def test_invalid_track_is_400_naming_the_field(app, world, device, body, field):
    resp = device.put(track_url(), json=body)
    assert resp.status_code == 400
    assert field in [f["field"] for f in resp.get_json()["error"]["fields"]]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Track)) == 0


def test_track_of_another_device_is_403(world, device, new_device):
    url = track_url()
    device.put(url, json={"points": POINTS})
    assert new_device().put(url, json={"points": POINTS[:1]}).status_code == 403


def test_track_moved_to_another_walk_is_409(world, device):
    tid = uuid.uuid4()
    device.put(track_url(tid), json={"points": POINTS})
    assert device.put(track_url(tid, "CLOSED1"), json={"points": POINTS}).status_code == 409


def test_track_needs_token_and_known_walk(client, world, device):
    assert client.put(track_url(), json={"points": POINTS}).status_code == 401
    assert device.put(track_url(code="NOSUCH"), json={"points": POINTS}).status_code == 404
