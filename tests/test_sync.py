"""POST /api/v1/sync: idempotency, edits, conflicts, per-item errors, routing on arrival."""

import contextlib
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import comment_item
from walkapp import sync as sync_module
from walkapp.extensions import db
from walkapp.models import Comment, Device, Photo, RoutingDecision, StatusChange

IN_ESTATE = [15.274, 57.154]   # inside the housing company's estate (priority 10)
IN_PARK = [15.267, 57.147]     # inside the park (parks only, priority 5)
OUTSIDE = [15.5, 57.0]         # outside every area but the broadband one


def counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (Comment, RoutingDecision, StatusChange, Photo))


def only(resp) -> dict:
    assert resp.status_code == 200, resp.get_json()
    (result,) = resp.get_json()["results"]
    return result


def test_new_comment_is_created_and_routed(app, world, device):
    item = comment_item()
    result = only(device.sync(item))
    assert result == {"id": item["id"], "status": "created", "errors": [],
                      "department": {"slug": "streets", "name": "Gata/park"},
                      "comment_status": "routed", "missing_photos": []}
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        assert (c.kind, c.text, c.lon, c.lat, c.accuracy_m) == (
            "question", item["text"], 15.262, 57.158, 8.5)
        assert c.created_at == datetime.fromisoformat(item["created_at"])
        assert c.received_at.tzinfo is UTC
        (decision,) = c.decisions
        assert (decision.reason, decision.decided_by) == ("area", "router")
        assert decision.service_area.name == "Tätort"
        assert "Tätort" in decision.rule
        assert [h.status for h in c.history] == ["routed"]


@pytest.mark.parametrize(("category", "where", "department"), [
    ("housing", IN_ESTATE, "housing"),        # highest priority wins over the town
    ("lighting", IN_ESTATE, "housing"),       # the estate takes every category
    ("parks", IN_PARK, "parks"),              # category-restricted area, its own category
    ("roads", IN_PARK, "streets"),            # … skipped for other categories
    ("broadband", OUTSIDE, "broadband"),
    ("other", OUTSIDE, "service"),            # nothing matches → fallback
])
def test_routing_on_arrival(world, device, category, where, department):
    result = only(device.sync(comment_item(
        category=category, location={"type": "Point", "coordinates": where})))
    assert result["department"]["slug"] == department


def test_fallback_decision_records_its_reason(app, world, device):
    item = comment_item(category="other", location={"type": "Point", "coordinates": OUTSIDE})
    only(device.sync(item))
    with app.app_context():
        (decision,) = db.session.get(Comment, uuid.UUID(item["id"])).decisions
        assert decision.reason == "fallback" and decision.service_area_id is None
        assert decision.department_id == world["departments"]["service"]


def test_retry_answers_unchanged_and_writes_nothing(app, world, device):
    item = comment_item()
    only(device.sync(item))
    before = counts(app)
    with app.app_context():
        stamp = db.session.get(Comment, uuid.UUID(item["id"])).changed_at
    result = only(device.sync(item))
    assert result["status"] == "unchanged" and result["department"]["slug"] == "streets"
    assert counts(app) == before
    with app.app_context():
        assert db.session.get(Comment, uuid.UUID(item["id"])).changed_at == stamp


def test_device_is_seen_when_it_writes_not_when_it_retries(app, world, device):
    def seen():
        with app.app_context():
            return db.session.get(Device, device.id).last_seen_at

    registered = seen()
    item = comment_item()
    only(device.sync(item))
    created = seen()
    assert created > registered
    only(device.sync(item))
    assert seen() == created  # a retry writes nothing, not even this
    only(device.sync(dict(item, text="Ny text")))
    assert seen() > created


def test_retry_with_reformatted_but_equal_content_is_unchanged(world, device):
    item = comment_item(text="Trasig lampa")
    only(device.sync(item))
    again = dict(item, text="  Trasig lampa \n", walk="aseda7", extra_field="ignored")
    assert only(device.sync(again))["status"] == "unchanged"


def test_edit_before_review_updates(app, world, device):
    item = comment_item()
    only(device.sync(item))
    result = only(device.sync(dict(item, text="Ny text", kind="idea")))
    assert result["status"] == "updated"
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        assert (c.text, c.kind) == ("Ny text", "idea")
        assert len(c.decisions) == 1  # same place and category: not routed again


def test_moving_a_pin_reroutes_it(app, world, device):
    item = comment_item(category="lighting")
    assert only(device.sync(item))["department"]["slug"] == "streets"
    moved = dict(item, location={"type": "Point", "coordinates": IN_ESTATE})
    result = only(device.sync(moved))
    assert (result["status"], result["department"]["slug"]) == ("updated", "housing")
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        assert [d.department.slug for d in c.decisions] == ["streets", "housing"]
        assert [h.status for h in c.history] == ["routed", "routed"]


def test_same_id_from_another_device_is_rejected(app, world, device, new_device):
    item = comment_item()
    only(device.sync(item))
    before = counts(app)
    result = only(new_device().sync(dict(item, text="kapning")))
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "comments.0.id"
    assert result["errors"][0]["code"] == "conflict"
    assert counts(app) == before
    with app.app_context():
        assert db.session.get(Comment, uuid.UUID(item["id"])).text == item["text"]


@pytest.mark.parametrize("status", ["acknowledged", "in_progress", "done", "noted"])
def test_edit_after_review_is_rejected(app, world, device, status):
    item = comment_item()
    only(device.sync(item))
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        c.status = status
        c.reviewed_at = datetime.now(UTC)
        db.session.commit()
    result = only(device.sync(dict(item, text="ändrad")))
    assert result["status"] == "rejected"
    assert result["errors"][0]["code"] == "already_reviewed"
    assert result["comment_status"] == status
    # … while a plain retry of what we already have is still fine
    assert only(device.sync(item))["status"] == "unchanged"


def test_one_bad_item_does_not_block_the_others(app, world, device):
    good1, bad, good2 = comment_item(), comment_item(kind="complaint"), comment_item()
    resp = device.sync(good1, bad, good2)
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    assert [r["id"] for r in results] == [good1["id"], bad["id"], good2["id"]]
    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    assert results[1]["errors"][0]["field"] == "comments.1.kind"
    assert results[1]["department"] is None and results[1]["comment_status"] is None
    with app.app_context():
        assert db.session.get(Comment, uuid.UUID(bad["id"])) is None
    assert counts(app)[0] == 2


BAD_ITEMS = {
    "missing id": ({"id": None}, "id"),
    "id not a uuid": ({"id": "1234"}, "id"),
    "id a number": ({"id": 42}, "id"),
    "unknown kind": ({"kind": "complaint"}, "kind"),
    "text empty": ({"text": ""}, "text"),
    "text only spaces": ({"text": "   \n "}, "text"),
    "text too long": ({"text": "x" * 4001}, "text"),
    "text a number": ({"text": 12}, "text"),
    "text with NUL": ({"text": "a\x00b"}, "text"),
    "text lone surrogate": ({"text": "a\ud800b"}, "text"),
    "walk bad code": ({"walk": "no such!"}, "walk"),
    "category bad slug": ({"category": "Vägar"}, "category"),
    "location missing": ({"location": None}, "location"),
    "location a polygon": ({"location": {"type": "Polygon", "coordinates": [[[0, 0]]]}},
                           "location.type"),
    "longitude out of range": ({"location": {"type": "Point", "coordinates": [181, 57]}},
                               "location.coordinates.0"),
    "latitude out of range": ({"location": {"type": "Point", "coordinates": [15, -90.5]}},
                              "location.coordinates.1"),
    "coordinates as strings": ({"location": {"type": "Point", "coordinates": ["15", "57"]}},
                               "location.coordinates.0"),
    "one coordinate": ({"location": {"type": "Point", "coordinates": [15]}},
                       "location.coordinates.1"),
    "accuracy negative": ({"accuracy_m": -1}, "accuracy_m"),
    "accuracy a string": ({"accuracy_m": "5"}, "accuracy_m"),
    "created_at without offset": ({"created_at": "2026-05-20T16:00:00"}, "created_at"),
    "created_at a number": ({"created_at": 1780000000}, "created_at"),
    "created_at garbage": ({"created_at": "yesterday"}, "created_at"),
    "created_at before year 1 in UTC": ({"created_at": "0001-01-01T00:00:00+14:00"},
                                        "created_at"),
    "created_at after year 9999 in UTC": ({"created_at": "9999-12-31T23:59:59-14:00"},
                                          "created_at"),
    "photos not uuids": ({"photos": ["a.jpg"]}, "photos.0"),
    "photos repeated": ({"photos": ["6f0c2f0e-0a43-4d4c-9bd4-6e9df45d2d11"] * 2}, "photos"),
    "too many photos": ({"photos": [str(uuid.uuid4()) for _ in range(7)]}, "photos"),
}


@pytest.mark.parametrize("change", BAD_ITEMS.values(), ids=BAD_ITEMS.keys())
def test_invalid_item_is_rejected_naming_the_field(app, world, device, change):
    patch, field = change
    item = {k: v for k, v in comment_item(**patch).items() if v is not None}
    result = only(device.sync(item))
    assert result["status"] == "rejected"
    assert f"comments.0.{field}" in [e["field"] for e in result["errors"]], result["errors"]
    assert all(e["message"] for e in result["errors"])
    assert counts(app) == (0, 0, 0, 0)


@pytest.mark.parametrize(("patch", "field", "code"), [
    ({"walk": "NOSUCH"}, "walk", "unknown_walk"),
    ({"category": "snow"}, "category", "unknown_category"),
])
def test_unknown_references_are_rejected(world, device, patch, field, code):
    result = only(device.sync(comment_item(**patch)))
    assert result["status"] == "rejected"
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (f"comments.0.{field}",
                                                                           code)


def test_closed_walk_refuses_new_pins_made_after_closing(world, device):
    late = comment_item(walk="CLOSED1")
    result = only(device.sync(late))
    assert result["errors"][0]["code"] == "walk_closed"
    # a pin made during the walk but sent days later still counts: nothing is lost
    early = comment_item(walk="CLOSED1", created_at="2025-05-20T17:30:00+02:00")
    assert only(device.sync(early))["status"] == "created"


def test_duplicate_id_within_one_batch(world, device):
    item = comment_item()
    results = device.sync(item, dict(item, text="andra")).get_json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert "more than once" in results[1]["errors"][0]["message"]


def test_item_that_is_not_an_object(world, device):
    results = device.sync("hello", comment_item()).get_json()["results"]
    assert results[0] == {"id": None, "status": "rejected", "errors": [
        {"field": "comments.0", "message": "must be an object", "code": "invalid"}],
        "department": None, "comment_status": None, "missing_photos": []}
    assert results[1]["status"] == "created"


def test_announced_photos_are_reported_missing(world, device):
    photo = str(uuid.uuid4())
    result = only(device.sync(comment_item(photos=[photo])))
    assert result["missing_photos"] == [photo]


def test_two_items_of_one_batch_cannot_announce_the_same_photo(app, world, device):
    photo = str(uuid.uuid4())
    first, second = comment_item(photos=[photo]), comment_item(photos=[photo])
    results = device.sync(first, second).get_json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[1]["errors"][0]["field"] == "comments.1.photos"
    assert counts(app) == (1, 1, 1, 1)


def test_photo_id_of_another_comment_is_rejected(world, device):
    photo = str(uuid.uuid4())
    only(device.sync(comment_item(photos=[photo])))
    result = only(device.sync(comment_item(photos=[photo])))
    assert result["errors"][0]["field"] == "comments.0.photos"


# --- the envelope ----------------------------------------------------------------------------

def error_of(resp, status):
    assert resp.status_code == status, resp.data
    body = resp.get_json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"data": "not json", "content_type": "application/json"}, "body"),
    ({"data": '{"comments": [NaN]}', "content_type": "application/json"}, "body"),
    ({"data": b"\xff\xfe", "content_type": "application/json"}, "body"),
    ({"data": "{}", "content_type": "text/plain"}, "body"),
    ({"json": [1, 2]}, "comments"),
    ({"json": {}}, "comments"),
    ({"json": {"comments": {"id": 1}}}, "comments"),
    ({"json": {"comments": []}}, "comments"),
])
def test_body_not_json_or_not_the_shape_is_400(client, world, device, kwargs, field):
    resp = client.post("/api/v1/sync", headers=device.headers, **kwargs)
    err = error_of(resp, 400)
    assert err["fields"][0]["field"] == field


def test_too_many_items_is_413(app, world, device):
    resp = device.sync(*[comment_item() for _ in range(201)])
    err = error_of(resp, 413)
    assert err["fields"][0]["field"] == "comments"
    assert counts(app)[0] == 0


def test_exactly_200_items_are_accepted(app, world, device):
    resp = device.sync(*[comment_item() for _ in range(200)])
    assert [r["status"] for r in resp.get_json()["results"]] == ["created"] * 200


def test_too_large_body_is_413(client, world, device):
    big = [comment_item(text="x" * 4000) for _ in range(150)]
    big += [comment_item(text="y" * 4000) for _ in range(50)]
    payload = {"comments": big, "padding": "z" * 1_500_000}
    err = error_of(client.post("/api/v1/sync", json=payload, headers=device.headers), 413)
    assert err["code"] == "too_large"


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "},
    {"Authorization": "Bearer not-a-real-token"},
])
def test_missing_or_invalid_token_is_401(client, world, headers):
    resp = client.post("/api/v1/sync", json={"comments": [comment_item()]}, headers=headers)
    err = error_of(resp, 401)
    assert err["fields"][0]["field"] == "Authorization"


# --- concurrency ---------------------------------------------------------------------------

def test_two_concurrent_requests_with_the_same_new_id_make_one_comment(app, world, device,
                                                                       monkeypatch):
    """Both requests load 'no such comment' before either writes (forced with a barrier on
    PostgreSQL; SQLite's BEGIN IMMEDIATE serialises them and the barrier times out)."""
    barrier = threading.Barrier(2)
    real_load = sync_module.Batch.load

    def load_then_wait(self, items):
        real_load(self, items)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1.5)

    monkeypatch.setattr(sync_module.Batch, "load", load_then_wait)
    attempts = []
    real_apply = sync_module.Batch.apply
    monkeypatch.setattr(sync_module.Batch, "apply",
                        lambda self, items: attempts.append(1) or real_apply(self, items))
    item = comment_item(photos=[str(uuid.uuid4())])
    results: list = []

    def send():
        with app.test_client() as c:
            resp = c.post("/api/v1/sync", json={"comments": [item]}, headers=device.headers)
            results.append((resp.status_code, resp.get_json()["results"][0]["status"]))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [(200, "created"), (200, "unchanged")]
    assert counts(app) == (1, 1, 1, 1)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            assert len(attempts) == 3  # the loser hit the primary key and ran its batch again


# --- times and places that cannot be right ---------------------------------------------------

def ahead(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


@pytest.mark.parametrize(("patch", "field", "says"), [
    ({"created_at": "9999-12-31T23:59:59+00:00"}, "created_at", "ahead of the server's clock"),
    ({"created_at": ahead(days=3)}, "created_at", "3 days ahead"),
    ({"created_at": "1970-01-01T00:00:00+00:00"}, "created_at", "before 2020-01-01"),
    ({"location": {"type": "Point", "coordinates": [0.0, 0.0]}}, "location", "[0, 0]"),
    ({"location": {"type": "Point", "coordinates": [18.07, 59.33]}}, "location",
     "more than 20 km outside Testby kommun"),  # Stockholm
], ids=["year 9999", "3 days ahead", "1970", "null island", "far outside"])
def test_implausible_pins_are_rejected_clearly(app, world, device, patch, field, says):
    result = only(device.sync(comment_item(**patch)))
    assert result["status"] == "rejected"
    (error,) = result["errors"]
    assert error["field"] == f"comments.0.{field}" and says in error["message"], error
    assert error["code"] in ("implausible_time", "out_of_area")
    assert counts(app) == (0, 0, 0, 0)


def test_a_phone_clock_a_little_ahead_is_tolerated(world, device):
    # a wrong time zone or a clock that drifted: the pin is real
    assert only(device.sync(comment_item(created_at=ahead(hours=14))))["status"] == "created"


def test_a_pin_just_outside_the_municipality_is_kept(world, device):
    # ~6 km east of the areas' box: the bus stop on the road out of town
    near = {"type": "Point", "coordinates": [15.9, 57.1]}
    assert only(device.sync(comment_item(location=near)))["status"] == "created"


def test_the_boundary_is_the_municipality_when_it_has_one(app, world, device):
    import shapely

    from walkapp.models import Municipality
    from walkapp.router_cache import areas_changed

    with app.app_context():
        muni = db.session.get(Municipality, world["municipality_id"])
        muni.boundary = shapely.box(15.2, 57.1, 15.3, 57.2)
        areas_changed(muni)
        db.session.commit()
    inside_areas_far_from_boundary = {"type": "Point", "coordinates": [15.75, 56.95]}
    result = only(device.sync(comment_item(location=inside_areas_far_from_boundary)))
    assert result["errors"][0]["code"] == "out_of_area"
    assert only(device.sync(comment_item()))["status"] == "created"


def test_an_edit_is_checked_but_a_retry_is_not(app, world, device):
    item = comment_item()
    assert only(device.sync(item))["status"] == "created"
    with app.app_context():  # the rule tightens after the pin was stored
        app.config["LOCATION_MARGIN_M"] = 0
    assert only(device.sync(item))["status"] == "unchanged"
    moved = dict(item, location={"type": "Point", "coordinates": [0.0, 0.0]})
    assert only(device.sync(moved))["errors"][0]["code"] == "out_of_area"
