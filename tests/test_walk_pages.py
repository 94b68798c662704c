"""Officials' walk pages: the form, the poster, the live view and scribe mode."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import comment_item, submit
from walkapp.extensions import db
from walkapp.models import Comment, Device, User, Walk

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "examples"
GEOMAN_VERSION = "2.20.2"
AREA = json.dumps({"type": "Polygon", "coordinates": [[[15.26, 57.14], [15.28, 57.14],
                                                        [15.28, 57.16], [15.26, 57.14]]]})
ROUTE = json.dumps({"type": "LineString", "coordinates": [[15.262, 57.142], [15.27, 57.15]]})


def walk_by(app, **where) -> Walk:
    with app.app_context():
        walk = db.session.scalar(select(Walk).filter_by(**where))
        db.session.expunge_all()
        return walk


def walk_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Walk))


def form(**overrides) -> dict:
    return {"title": "Vårvandring", "locality": "Åseda", "date": "2026-05-20", "time": "17:30",
            "meeting_point": "Torget", "meeting_lat": "57.15", "meeting_lon": "15.27",
            "status": "planned", "area": AREA, "route": ROUTE, **overrides}


@pytest.fixture
def official(client, world, sign_in):
    sign_in("official")
    return client


def test_create_and_edit_a_walk(app, official):
    resp = submit(official, "/review/walks/new", form())
    assert resp.status_code == 302, resp.get_data(as_text=True)
    walk = walk_by(app, title="Vårvandring")
    assert resp.headers["Location"] == f"/review/walks/{walk.join_code}"
    assert walk.starts_at == datetime(2026, 5, 20, 15, 30, tzinfo=UTC)
    assert (walk.meeting_lat, walk.meeting_lon, walk.status) == (57.15, 15.27, "planned")
    assert walk.area.geom_type == "Polygon" and walk.route.geom_type == "LineString"
    page = official.get(resp.headers["Location"]).get_data(as_text=True)
    assert walk.join_code in page and "2026-05-20 17:30" in page  # local time
    edit = official.get(f"/review/walks/{walk.join_code}/edit").get_data(as_text=True)
    assert 'value="17:30"' in edit and "leaflet-geoman.min.js" in edit
    resp = submit(official, f"/review/walks/{walk.join_code}/edit",
                  form(title="Vårvandringen", status="open", time="18:00", route=""))
    assert resp.status_code == 302
    walk = walk_by(app, join_code=walk.join_code)
    assert (walk.title, walk.status, walk.route) == ("Vårvandringen", "open", None)
    assert walk.starts_at == datetime(2026, 5, 20, 16, 0, tzinfo=UTC)
    resp = submit(official, f"/review/walks/{walk.join_code}/edit", form(status="closed"))
    walk = walk_by(app, join_code=walk.join_code)
    assert walk.status == "closed" and walk.closed_at is not None


def test_geometry_can_be_uploaded(app, official):
    data = form(area="", route="",
                area_file=((EXAMPLES / "vandring.geojson").open("rb"), "a.geojson"),
                route_file=((DATA / "walk_route.geojson").open("rb"), "r.geojson"))
    resp = submit(official, "/review/walks/new", data, page="/review/walks/new",
                  content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    walk = walk_by(app, title="Vårvandring")
    assert walk.area.geom_type == "Polygon" and len(walk.route.coords) == 3


@pytest.mark.parametrize(("overrides", "field", "text"), [
    ({"title": ""}, "title", None),
    ({"date": ""}, "date", None),
    ({"date": "20 maj"}, "date", None),
    ({"time": "25:00"}, "time", None),
    ({"date": "2026-03-29", "time": "02:30"}, "time", "02:30"),
    ({"meeting_lat": "57.15", "meeting_lon": ""}, "meeting_lat", None),
    ({"meeting_lat": "north", "meeting_lon": "15"}, "meeting_lat", None),
    ({"area": DATA.joinpath("walk_bowtie.geojson").read_text()}, "area", "Self-intersection"),
    ({"area": "{not json"}, "area", None),
    ({"area": ROUTE}, "area", "LineString"),
    ({"route": AREA}, "route", "Polygon"),
    ({"route": json.dumps({"type": "LineString", "coordinates": [[15, 57]]})}, "route", None),
    ({"area": json.dumps({"type": "Polygon", "coordinates": [[[1500000, 6300000],
                                                             [1500100, 6300000],
                                                             [1500100, 6300100],
                                                             [1500000, 6300000]]]})},
     "area", "WGS84"),
    ({"status": "closed"}, "status", None),  # a new walk cannot start closed
])
def test_bad_input_is_refused_next_to_the_field(app, official, overrides, field, text):
    before = walk_count(app)
    resp = submit(official, "/review/walks/new", form(**overrides))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert f'id="{field}-error"' in html, html[html.find("error-summary"):][:600]
    if text:
        assert text in html
    assert walk_count(app) == before


def test_other_municipalities_walks_are_not_found(app, official):
    from walkapp.models import Municipality

    with app.app_context():
        other = Municipality(slug="grannby", name="Grannby")
        db.session.add(Walk(municipality=other, join_code="GRANN1", title="G", locality="G",
                            starts_at=datetime(2026, 1, 1, tzinfo=UTC)))
        db.session.commit()
    for url in ("/review/walks/GRANN1/edit", "/review/walks/GRANN1/poster",
                "/review/walks/GRANN1/live", "/review/walks/GRANN1/live.json"):
        assert official.get(url).status_code == 404, url


def test_poster(app, official):
    resp = official.get("/review/walks/aseda7/poster")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Vandring i Åseda" in html and "ASEDA7" in html and "Torget" in html
    assert "http://localhost/w/ASEDA7" in html
    assert re.search(r'<svg[^>]*class="qr"', html)  # the QR code, inline
    assert "18:00" in html  # 16:00 UTC in Swedish summer time
    assert "@page" in official.get("/static/css/poster.css").get_data(as_text=True)
    danish = official.get("/review/walks/ASEDA7/poster?in=da").get_data(as_text=True)
    assert '<html lang="da">' in danish
    app.config["PUBLIC_URL"] = "https://vandring.kommun.example"
    html = official.get("/review/walks/ASEDA7/poster").get_data(as_text=True)
    assert "https://vandring.kommun.example/w/ASEDA7" in html


def test_poster_qr_code_decodes_to_the_join_link(official):
    import segno

    html = official.get("/review/walks/ASEDA7/poster").get_data(as_text=True)
    expected = segno.make("http://localhost/w/ASEDA7", error="q", micro=False)
    path = re.search(r'<path class="qrline"[^>]*d="([^"]+)"', html).group(1)
    assert path in expected.svg_inline()


def test_geoman_is_pinned_with_its_licence(client):
    js = client.get("/static/vendor/leaflet-geoman/leaflet-geoman.min.js")
    assert js.status_code == 200 and f'version:"{GEOMAN_VERSION}"' in js.get_data(as_text=True)
    assert b"MIT License" in client.get("/static/vendor/leaflet-geoman/LICENSE").data
    readme = client.get("/static/vendor/leaflet-geoman/README.md").get_data(as_text=True)
    assert GEOMAN_VERSION in readme


def test_live_json_follows_new_inputs(app, official, device):
    app.config["FEED_SETTLE_SECONDS"] = 0
    first = official.get("/review/walks/ASEDA7/live.json").get_json()
    assert first["comments"] == [] and first["total"] == 0 and first["cursor"] is None
    device.sync(comment_item(text="Mörkt vid torget", category="lighting"))
    second = official.get("/review/walks/ASEDA7/live.json").get_json()
    assert second["total"] == 1
    item = second["comments"][0]
    assert (item["text"], item["kind_label"], item["category"]) == (
        "Mörkt vid torget", "Fråga", "Belysning")
    assert item["status"] == "Skickad till förvaltningen" or item["status"]
    assert item["recorded_by"] is None
    cursor = second["cursor"]
    third = official.get(f"/review/walks/ASEDA7/live.json?since={cursor}").get_json()
    assert third["comments"] == [] and third["total"] == 1 and third["cursor"] == cursor
    device.sync(comment_item(text="Ny"))
    fourth = official.get(f"/review/walks/ASEDA7/live.json?since={cursor}").get_json()
    assert [c["text"] for c in fourth["comments"]] == ["Ny"] and fourth["total"] == 2


def test_live_json_keeps_unsettled_inputs_coming(app, official, device):
    app.config["FEED_SETTLE_SECONDS"] = 3600  # nothing has settled yet
    device.sync(comment_item())
    body = official.get("/review/walks/ASEDA7/live.json").get_json()
    again = official.get("/review/walks/ASEDA7/live.json").get_json()
    assert len(body["comments"]) == len(again["comments"]) == 1 and body["cursor"] is None


def test_live_json_refuses_a_bad_cursor(official):
    resp = official.get("/review/walks/ASEDA7/live.json?since=yesterday")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["fields"][0]["field"] == "since"


def test_live_page(official):
    html = official.get("/review/walks/ASEDA7/live").get_data(as_text=True)
    assert 'id="live-map"' in html and 'id="live-list"' in html  # map and list alternative
    assert 'data-poll-ms="5000"' in html


def test_scribe_mode_marks_pins_as_recorded_for_a_resident(app, official, client):
    resp = submit(official, "/review/walks/ASEDA7/scribe", page="/review/walks/ASEDA7")
    assert resp.status_code == 200
    assert "no-store" in resp.headers["Cache-Control"]
    html = resp.get_data(as_text=True)
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    device_id = re.search(r'data-device="([^"]+)"', html).group(1)
    assert 'data-next="/w/ASEDA7"' in html
    with app.app_context():
        device = db.session.get(Device, device_id)
        user = db.session.get(User, device.user_id)
        assert user.role == "official" and device.token_hash != token
    item = comment_item(text="Bänkar vid busshållplatsen, sa Greta (87)")
    result = client.post("/api/v1/sync", json={"comments": [item]},
                         headers={"Authorization": f"Bearer {token}"}).get_json()
    assert result["results"][0]["status"] == "created"
    assert result["results"][0]["department"]["slug"] == "streets"  # routed as usual
    with app.app_context():
        comment = db.session.get(Comment, __import__("uuid").UUID(item["id"]))
        assert (comment.source, comment.recorded_by_id, comment.device_id) == (
            "scribe", user.id, device_id)
    page = official.get("/review/walks/ASEDA7").get_data(as_text=True)
    assert f"Recorded by {user.name} for a resident" in page or \
        f"Registrerad av {user.name} åt en invånare" in page
    app.config["FEED_SETTLE_SECONDS"] = 0
    live = official.get("/review/walks/ASEDA7/live.json").get_json()
    assert live["comments"][0]["recorded_by"] == user.name


def test_scribe_mode_refused_on_a_closed_walk(app, official):
    resp = submit(official, "/review/walks/CLOSED1/scribe", page="/review/walks/CLOSED1")
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Device)) == 0


def test_resident_pins_stay_app_pins(app, world, device):
    item = comment_item()
    device.sync(item)
    with app.app_context():
        comment = db.session.get(Comment, __import__("uuid").UUID(item["id"]))
        assert (comment.source, comment.recorded_by_id) == ("app", None)


def test_department_staff_cannot_plan_walks(client, world, sign_in):
    sign_in("department")
    assert client.get("/review/walks/new").status_code == 403
    assert "/review/walks/new" not in client.get("/review/").get_data(as_text=True)
