"""The review map: map cells kept by sync and the migration, filters, points and clusters,
counts, the list, and the JSON endpoint's 400s naming the field."""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from tests.conftest import comment_item, make_test_app, sync_items
from walkapp import review_map
from walkapp.extensions import db
from walkapp.geo import CELL_ZOOM, cell_to_lonlat, lonlat_to_cell
from walkapp.models import Comment, utcnow
from walkapp.workflow import is_overdue

KINDS = ["question", "opinion", "idea"]
CATS = ["roads", "lighting", "parks", "broadband"]
TOWN_BBOX = "15.2,57.1,15.35,57.2"


def _grid(n: int, **overrides) -> list[dict]:
    """n inputs spread over the test town, cycling through kinds and categories."""
    items = []
    for i, (kind, cat) in zip(range(n), itertools.cycle(itertools.product(KINDS, CATS)),
                              strict=False):
        lon = 15.261 + (i % 10) * 0.0018
        lat = 57.141 + (i // 10 % 10) * 0.0018
        items.append(comment_item(kind=kind, category=cat, text=f"Inlägg {i} om {cat}",
                                  location={"type": "Point", "coordinates": [lon, lat]},
                                  **overrides))
    return items


@pytest.fixture
def spread(world, device):
    items = _grid(36)
    sync_items(device, items)
    return items


def get(client, **params):
    params = {"bbox": TOWN_BBOX, "zoom": "14", **params}
    return client.get("/review/map/data", query_string=params)


# --- cells ---------------------------------------------------------------------------------

def test_cells_round_trip():
    x, y = lonlat_to_cell(15.27, 57.15)
    lon, lat = cell_to_lonlat(x + 0.5, y + 0.5)
    assert abs(lon - 15.27) < 1e-5 and abs(lat - 57.15) < 1e-5
    top, bottom = lonlat_to_cell(-180, 89.0), lonlat_to_cell(180, -89.0)
    assert top[0] == 0 and 0 <= top[1] < 32  # clamped to Web Mercator's edge
    assert bottom[0] == 2**CELL_ZOOM - 1 and 2**CELL_ZOOM - 32 < bottom[1] < 2**CELL_ZOOM


def test_sync_places_new_and_moved_comments_in_their_cells(app, world, device):
    item = comment_item()
    sync_items(device, [item])
    moved = {**item, "location": {"type": "Point", "coordinates": [15.27, 57.15]}}
    assert device.sync(moved).get_json()["results"][0]["status"] == "updated"
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        assert (c.cell_x, c.cell_y) == lonlat_to_cell(15.27, 57.15)


def test_migration_backfills_cells(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'm.db'}", tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="d499ee70a3ad")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO municipality (id, slug, name, country, "
                              "default_language, areas_version, timezone, response_days) "
                              "VALUES (1, 'm', 'M', 'SE', 'sv', 0, 'Europe/Stockholm', 21)"))
            conn.execute(text("INSERT INTO category (id, municipality_id, slug, label_sv, "
                              "label_da, label_en, sort_order) VALUES (1, 1, 'c', 'c', 'c', "
                              "'c', 0)"))
            for i in range(3):
                conn.execute(text(
                    "INSERT INTO comment (id, municipality_id, kind, category_id, text, lon, "
                    "lat, created_at, received_at, updated_at, changed_at, content_hash, "
                    "status, source) VALUES (:id, 1, 'idea', 1, 't', :lon, 57.15, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', "
                    "'2026-01-01 00:00:00', 'h', 'received', 'app')"),
                    {"id": uuid.uuid4().hex, "lon": 15.0 + i})
        upgrade()
        rows = db.session.execute(select(Comment.lon, Comment.lat, Comment.cell_x,
                                         Comment.cell_y)).all()
        assert len(rows) == 3
        for lon, lat, x, y in rows:
            assert (x, y) == lonlat_to_cell(lon, lat)
        db.session.remove()
        db.engine.dispose()


def test_cluster_shift_never_exceeds_the_cell_budget():
    world_cells = review_map.cell_range((-180, -85, 180, 85))
    for zoom in range(23):
        shift = review_map.cluster_shift(world_cells, zoom)
        x0, y0, x1, y1 = world_cells
        assert ((x1 >> shift) - (x0 >> shift) + 1) * ((y1 >> shift) - (y0 >> shift) + 1) \
            <= review_map.MAX_CELLS
    street = review_map.cell_range((15.27, 57.15, 15.272, 57.151))  # a screenful at zoom 18
    assert review_map.cluster_shift(street, 18) == CELL_ZOOM - 18 - review_map.CLUSTER_BITS


# --- the endpoint --------------------------------------------------------------------------

def test_points_counts_and_list(official, spread):
    resp = get(official)
    assert resp.status_code == 200 and "no-store" in resp.headers["Cache-Control"]
    body = resp.get_json()
    assert body["mode"] == "points" and body["total"] == 36 and len(body["points"]) == 36
    assert body["clusters"] == []
    assert body["counts"]["kind"] == {"question": 12, "opinion": 12, "idea": 12}
    assert body["counts"]["category"] == dict.fromkeys(CATS, 9)
    assert sum(body["counts"]["department"].values()) == 36
    assert body["counts"]["department"]["broadband"] == 9
    page = body["list"]
    assert (page["page"], page["pages"], len(page["items"])) == (1, 2, 25)
    item = page["items"][0]
    assert {"id", "kind", "status", "category", "department", "created_at", "text", "overdue",
            "hidden", "walk"} <= set(item)
    assert item["walk"] == "ASEDA7" and item["created_at"].endswith("Z")
    second = get(official, page="2").get_json()["list"]
    assert len(second["items"]) == 11
    seen = {i["id"] for i in page["items"]} | {i["id"] for i in second["items"]}
    assert len(seen) == 36


FILTER_CASES = [
    ({"kind": "idea"}, 12),
    ({"kind": "idea,opinion"}, 24),
    ({"category": "parks"}, 9),
    ({"department": "broadband"}, 9),
    ({"department": "none"}, 0),
    ({"status": "routed"}, 36),
    ({"status": "not_ours"}, 0),
    ({"walk": "aseda7"}, 36),
    ({"walk": "CLOSED1"}, 0),
    ({"q": "INLÄGG 3 OM"}, 1),  # case folded beyond ASCII, on SQLite too
    ({"q": "om parks"}, 9),
    ({"q": "100%"}, 0),
    ({"overdue": "1"}, 0),
    ({"overdue": "0"}, 36),
    ({"hidden": "only"}, 0),
    ({"hidden": "exclude"}, 36),
    ({"bbox": "15.261,57.141,15.2611,57.1411"}, 1),
]


def test_filters(official, spread):
    """Every filter on one set of inputs (seeding once keeps the suite fast)."""
    for params, expected in FILTER_CASES:
        body = get(official, **params).get_json()
        assert body["total"] == expected, (params, body)


def test_date_range_is_local_days(official, world, device):
    # 23:30 UTC on 1 May is 01:30 on 2 May in Sweden.
    late = datetime(2026, 5, 1, 23, 30, tzinfo=UTC).isoformat()
    sync_items(device, [comment_item(created_at=late)])
    assert get(official, **{"from": "2026-05-02", "to": "2026-05-02"}).get_json()["total"] == 1
    assert get(official, **{"from": "2026-05-01", "to": "2026-05-01"}).get_json()["total"] == 0


def test_clusters_when_busy(official, spread, monkeypatch):
    monkeypatch.setattr(review_map, "POINT_LIMIT", 10)
    body = get(official, zoom="13").get_json()
    assert body["mode"] == "clusters" and body["points"] == []
    assert body["total"] == 36 == sum(c["count"] for c in body["clusters"])
    for c in body["clusters"]:
        assert sum(c["kinds"].values()) == c["count"] == sum(c["statuses"].values())
        west, south, east, north = c["bbox"]
        assert west <= c["lon"] <= east and south <= c["lat"] <= north
    assert body["counts"]["kind"] == {"question": 12, "opinion": 12, "idea": 12}
    assert body["counts"]["category"] == dict.fromkeys(CATS, 9)
    assert len(body["list"]["items"]) == 25 and body["list"]["pages"] == 2
    # zoomed in further, the same inputs spread over more, smaller clusters
    finer = get(official, zoom="16", bbox="15.26,57.14,15.28,57.16").get_json()
    assert len(finer["clusters"]) > len(body["clusters"])
    monkeypatch.setattr(review_map, "MAX_CELLS", 4)
    capped = get(official, zoom="22").get_json()
    assert len(capped["clusters"]) <= 4 and capped["total"] == 36


def test_list_sorts_the_same_in_both_modes(official, spread, monkeypatch):
    quiet = review_map.POINT_LIMIT
    for sort in ("created", "kind", "category", "department", "status"):
        monkeypatch.setattr(review_map, "POINT_LIMIT", quiet)
        _check_sort(official, monkeypatch, sort)


def _check_sort(official, monkeypatch, sort):
    def order(direction):  # both pages: the second one starts inside some value's run
        items = [i for page in ("1", "2") for i in get(
            official, sort=direction + sort, page=page).get_json()["list"]["items"]]
        assert len({i["id"] for i in items}) == 36
        return [(i[sort if sort != "created" else "created_at"], i["id"]) for i in items]

    points = order(""), order("-")
    monkeypatch.setattr(review_map, "POINT_LIMIT", 10)
    clusters = order(""), order("-")
    assert points == clusters
    # within one value the newest come first either way; only the values' order flips
    assert clusters[0] != clusters[1] or len({value for value, _id in clusters[0]}) == 1


BAD_FILTERS = [
    ({"walk": "NOSUCH"}, "walk"),
    ({"kind": "rant"}, "kind"),
    ({"category": "space"}, "category"),
    ({"department": "nasa"}, "department"),
    ({"status": "lost"}, "status"),
    ({"overdue": "maybe"}, "overdue"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
    ({"q": "x" * 201}, "q"),
    ({"hidden": "sometimes"}, "hidden"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "15.3,57.1,15.2,57.2"}, "bbox"),
    ({"bbox": "nan,57.1,15.2,57.2"}, "bbox"),
    ({"bbox": "15.2,57.1,15.3,95"}, "bbox"),
    ({"zoom": "abc"}, "zoom"),
    ({"zoom": "23"}, "zoom"),
    ({"zoom": ""}, "zoom"),
    ({"sort": "-price"}, "sort"),
    ({"page": "0"}, "page"),
    ({"page": "x"}, "page"),
]


def test_bad_filters_are_400_naming_the_field(official, world):
    for params, field in BAD_FILTERS:
        resp = get(official, **params)
        assert resp.status_code == 400, params
        body = resp.get_json()["error"]
        assert body["fields"][0]["field"] == field, (params, body)
        assert body["message"]


def test_a_parameter_given_twice_is_refused(official, world):
    resp = official.get(f"/review/map/data?bbox={TOWN_BBOX}&zoom=14&zoom=15")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["fields"][0]["field"] == "zoom"


def test_department_staff_cannot_read_the_map(client, make_user, world):
    from tests.conftest import log_in

    log_in(client, *make_user("department", department="streets"))
    assert get(client).status_code == 403


# --- overdue: SQL and Python agree ---------------------------------------------------------

def test_overdue_in_sql_matches_workflow(app, world, device):
    items = _grid(8)
    sync_items(device, items)
    now = utcnow()
    with app.app_context():
        rows = db.session.scalars(select(Comment)).all()
        cases = itertools.product(
            ["routed", "done", "not_ours", "in_progress"],
            [None, now.date() - timedelta(days=1), now.date() + timedelta(days=3)],
            [now - timedelta(days=30), now - timedelta(days=2)])
        for c, (status, promised, received) in zip(rows, cases, strict=False):
            c.status, c.promised_on, c.received_at = status, promised, received
        db.session.commit()
        scope = review_map.Scope.load(db.session, world["municipality_id"], now)
        sql = set(db.session.scalars(select(Comment.id).where(
            review_map.overdue_condition(scope))))
        python = {c.id for c in rows
                  if is_overdue(c, scope.today, scope.response_days, scope.timezone)}
        assert sql == python and python


def test_scope_today_is_local(app, world):
    with app.app_context():
        late = datetime(2026, 5, 1, 22, 30, tzinfo=UTC)  # 00:30 on 2 May in Sweden
        assert review_map.Scope.load(db.session, world["municipality_id"], late).today == \
            date(2026, 5, 2)
