"""The `walkapp` commands: init-db, create-user, import-areas, export-geojson."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
from alembic.script import ScriptDirectory
from shapely.geometry import shape
from sqlalchemy import func, inspect, select, text

from tests.conftest import comment_item, make_test_app
from walkapp import PACKAGE_DIR
from walkapp.extensions import db
from walkapp.models import Department, Municipality, ServiceArea, User
from walkapp.routing import geodesic_area_m2

DATA = Path(__file__).parent / "data"
PASSWORD = "correct horse battery"


# --- init-db -------------------------------------------------------------------------------

def test_init_db_builds_a_fresh_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = make_test_app(url, tmp_path)
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            assert inspect(db.engine).get_table_names() == []
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert f"database ready: {url}" in result.output
        head = ScriptDirectory(str(PACKAGE_DIR / "migrations")).get_current_head()
        with app.app_context():
            tables = set(inspect(db.engine).get_table_names())
            assert {"municipality", "department", "service_area", "category", "walk", "comment",
                    "photo", "routing_decision", "status_change", "user", "device",
                    "track"} <= tables
            assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        again = runner.invoke(args=["init-db"])  # already at head: a no-op, not an error
        assert again.exit_code == 0, again.output
    finally:
        with app.app_context():
            db.engine.dispose()


# --- create-user ---------------------------------------------------------------------------

def create_user(runner, *extra, email="Ny.Person@Example.org", password=PASSWORD):
    args = ["create-user", "--email", email, "--name", "Ny Person", *extra]
    if password is not None:
        args += ["--password", password]
    return runner.invoke(args=args)


def users(app) -> dict[str, User]:
    with app.app_context():
        return {u.email: u for u in db.session.scalars(select(User))}


def test_create_user(app, runner, world):
    result = create_user(runner, "--role", "department", "--department", "housing")
    assert result.exit_code == 0, result.output
    assert "created department ny.person@example.org" in result.output.lower()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ny.person@example.org"))
        assert (user.role, user.name, user.department.slug, user.municipality.slug) == (
            "department", "Ny Person", "housing", "testby")
        assert user.check_password(PASSWORD)
        assert user.password_hash != PASSWORD


def test_create_user_prompts_for_the_password_twice(app, runner, world):
    args = ["create-user", "--email", "Fraga@Example.org", "--name", "Fråga", "--role",
            "official"]
    result = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "created official fraga@example.org" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "fraga@example.org"))
        assert user.check_password(PASSWORD)


def test_create_user_refuses_a_duplicate_email(app, runner, world):
    assert create_user(runner, "--role", "official").exit_code == 0
    result = create_user(runner, "--role", "admin", email="NY.PERSON@example.org")
    assert result.exit_code == 2
    assert "'NY.PERSON@example.org' exists already" in result.output
    assert [u.role for u in users(app).values()] == ["official"]


def test_create_user_refuses_a_short_password(app, runner, world):
    result = create_user(runner, "--role", "official", password="kort123")
    assert result.exit_code == 2
    assert "at least 10 characters" in result.output
    assert users(app) == {}


def test_department_role_needs_a_department(app, runner, world):
    result = create_user(runner, "--role", "department")
    assert result.exit_code == 2
    assert "role 'department' needs --department" in result.output
    assert users(app) == {}


def test_unknown_municipality_is_named(app, runner, world):
    result = create_user(runner, "--role", "official", "--municipality", "ingenstans")
    assert result.exit_code == 2
    assert "no municipality 'ingenstans' (known: testby)" in result.output
    assert users(app) == {}


def test_unknown_department_is_named(app, runner, world):
    result = create_user(runner, "--role", "department", "--department", "vatten")
    assert result.exit_code == 2
    assert "no department 'vatten' in testby" in result.output
    assert "housing" in result.output  # the known ones are listed
    assert users(app) == {}


def test_two_municipalities_need_a_choice(app, runner, world):
    with app.app_context():
        db.session.add(Municipality(slug="grannby", name="Grannby kommun"))
        db.session.commit()
    result = create_user(runner, "--role", "official")
    assert result.exit_code == 2
    assert "choose a municipality with --municipality" in result.output
    assert "grannby" in result.output and "testby" in result.output
    ok = create_user(runner, "--role", "official", "--municipality", "grannby")
    assert ok.exit_code == 0, ok.output
    assert users(app)["ny.person@example.org"].municipality_id != world["municipality_id"]


# --- import-areas --------------------------------------------------------------------------

def import_areas(runner, name, *extra, department="parks"):
    return runner.invoke(args=["import-areas", str(DATA / name), "--department", department,
                               *extra])


def areas_of(app, slug) -> dict[str, ServiceArea]:
    with app.app_context():
        return {a.name: a for a in db.session.scalars(
            select(ServiceArea).join(Department).where(Department.slug == slug))}


def areas_version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Municipality.areas_version))


def area_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ServiceArea))


def test_import_areas(app, runner, world):
    version = areas_version(app)
    result = import_areas(runner, "areas_valid.geojson")
    assert result.exit_code == 0, result.output
    assert "imported 2 area(s) for parks" in result.output
    assert areas_version(app) == version + 1
    areas = areas_of(app, "parks")
    assert set(areas) == {"Parken", "Skolgården", "Stigarna"}
    school, paths = areas["Skolgården"], areas["Stigarna"]
    assert (school.geometry.geom_type, school.categories, school.priority) == (
        "Polygon", ["lighting", "roads"], 15)
    assert (paths.geometry.geom_type, paths.categories, paths.priority) == (
        "MultiPolygon", ["parks"], 3)  # "parks" as a string becomes a list
    assert len(paths.geometry.geoms) == 2
    doc = json.loads((DATA / "areas_valid.geojson").read_text())
    for area, feature in zip((school, paths), doc["features"], strict=True):
        assert area.geometry.equals(shape(feature["geometry"]))
        assert area.area_m2 == pytest.approx(geodesic_area_m2(shape(feature["geometry"])))
    assert 60_000 < school.area_m2 < 100_000  # 0.003° × 0.004° at 57° N ≈ 182 m × 445 m
    assert 10_000 < paths.area_m2 < 30_000    # two squares of ≈ 121 m × 111 m


def test_imported_area_routes_comments(app, runner, world, device):
    point = {"type": "Point", "coordinates": [15.2625, 57.154]}  # inside "Skolgården"
    before = device.sync(comment_item(category="lighting", location=point)).get_json()
    assert before["results"][0]["department"]["slug"] == "streets"  # builds the cached router
    assert import_areas(runner, "areas_valid.geojson").exit_code == 0
    after = device.sync(comment_item(category="lighting", location=point)).get_json()
    assert after["results"][0]["department"] == {"slug": "parks", "name": "Parkenheten"}
    other = device.sync(comment_item(category="housing", location=point)).get_json()
    assert other["results"][0]["department"]["slug"] == "streets"  # not one of its categories


@pytest.mark.parametrize(("name", "expected"), [
    ("area_bare_feature.geojson", ["expected a GeoJSON FeatureCollection, got 'Feature'"]),
    ("area_linestring.geojson",
     ["feature 1 ('Gångvägen')", "must be a Polygon or MultiPolygon, got LineString"]),
    ("area_bowtie.geojson", ["feature 1 ('Fjärilen')", "geometry is invalid", "Self-intersection"]),
    ("area_broken_json.geojson", ["not valid JSON"]),
])
def test_bad_area_files_write_nothing(app, runner, world, name, expected):
    count, version = area_count(app), areas_version(app)
    result = import_areas(runner, name, "--replace")
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert name in result.output  # the file is named
    for part in expected:
        assert part in result.output
    assert area_count(app) == count
    assert areas_version(app) == version
    assert set(areas_of(app, "parks")) == {"Parken"}  # --replace deleted nothing either


def test_import_areas_replace(app, runner, world):
    assert import_areas(runner, "areas_valid.geojson").exit_code == 0
    assert set(areas_of(app, "parks")) == {"Parken", "Skolgården", "Stigarna"}
    version = areas_version(app)
    result = import_areas(runner, "areas_valid.geojson", "--replace")
    assert result.exit_code == 0, result.output
    assert sorted(areas_of(app, "parks")) == ["Skolgården", "Stigarna"]
    assert areas_version(app) == version + 1
    assert set(areas_of(app, "streets")) == {"Tätort"}  # other departments keep theirs
    assert area_count(app) == 5


def test_import_areas_unknown_department(app, runner, world):
    result = import_areas(runner, "areas_valid.geojson", department="vatten")
    assert result.exit_code == 2
    assert "no department 'vatten' in testby" in result.output
    assert area_count(app) == 4


# --- export-geojson ------------------------------------------------------------------------

@pytest.fixture
def synced(world, device):
    items = [
        comment_item(text="Mörkt vid torget", category="lighting",
                     location={"type": "Point", "coordinates": [15.274, 57.154]}),
        comment_item(text="Hål i vägen", category="roads"),
        comment_item(walk="CLOSED1", text="Förra året", category="parks",
                     created_at=datetime(2025, 5, 20, 17, 0, tzinfo=UTC).isoformat()),
    ]
    resp = device.sync(*items)
    assert [r["status"] for r in resp.get_json()["results"]] == ["created"] * 3
    return {"device": device, "items": items}


def test_export_geojson(runner, synced, tmp_path):
    out = tmp_path / "comments.geojson"
    result = runner.invoke(args=["export-geojson", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 3 comment(s)" in result.output
    raw = out.read_text(encoding="utf-8")
    fc = json.loads(raw)
    assert fc["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in fc["features"]}
    assert set(by_id) == {item["id"] for item in synced["items"]}
    lit = by_id[synced["items"][0]["id"]]
    assert lit["type"] == "Feature"
    assert lit["geometry"] == {"type": "Point", "coordinates": [15.274, 57.154]}
    props = lit["properties"]
    assert (props["walk"], props["category"], props["text"], props["department"]) == (
        "ASEDA7", "lighting", "Mörkt vid torget", "housing")
    assert props["status"] == "routed"
    # local time with its offset; the per-batch arrival time only as a day (issue 7, item 8)
    assert props["created_at"].endswith(("+02:00", "+01:00"))
    assert "received_at" not in props and len(props["received_on"]) == 10
    for f in fc["features"]:
        assert shapely.geometry.shape(f["geometry"]).is_valid
        assert not {"device", "device_id"} & set(f["properties"])
    # residents stay anonymous: neither the device id nor its token appears anywhere
    assert synced["device"].id not in raw
    assert synced["device"].token not in raw


def test_export_geojson_walk_filter_to_stdout(runner, synced):
    result = runner.invoke(args=["export-geojson", "--walk", "closed1"])
    assert result.exit_code == 0, result.output
    fc = json.loads(result.stdout)
    assert [f["properties"]["walk"] for f in fc["features"]] == ["CLOSED1"]
    assert fc["features"][0]["properties"]["text"] == "Förra året"
    assert fc["features"][0]["id"] == synced["items"][2]["id"]


def test_export_geojson_unknown_walk_is_empty(runner, synced):
    result = runner.invoke(args=["export-geojson", "--walk", "NOSUCH"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"type": "FeatureCollection", "features": []}
