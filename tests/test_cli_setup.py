"""First-run and scripting commands: create-municipality, add-department, add-category,
create-walk, set-walk-status. Bad input names the option at fault and writes nothing."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from walkapp.extensions import db
from walkapp.models import Category, Department, Municipality, Walk

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parent.parent / "examples"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def create_muni(runner, *extra, slug="nyby", boundary=EXAMPLES / "kommungrans.geojson"):
    args = ["create-municipality", "--name", "Nyby kommun", "--slug", slug,
            "--fallback-department", "Kundtjänst", "--fallback-email", "KT@nyby.example"]
    if boundary:
        args += ["--boundary", str(boundary)]
    return runner.invoke(args=[*args, *extra])


def test_create_municipality(app, runner):
    result = create_muni(runner, "--timezone", "Europe/Copenhagen", "--language", "da",
                         "--response-days", "14", "--country", "dk")
    assert result.exit_code == 0, result.output
    assert "created municipality nyby" in result.output
    with app.app_context():
        muni = db.session.scalar(select(Municipality))
        assert (muni.name, muni.timezone, muni.default_language, muni.response_days,
                muni.country) == ("Nyby kommun", "Europe/Copenhagen", "da", 14, "DK")
        assert muni.boundary.is_valid and muni.boundary.geom_type == "Polygon"
        fallback = muni.fallback_department
        assert (fallback.slug, fallback.name, fallback.email) == (
            "kundtjanst", "Kundtjänst", "kt@nyby.example")
        labels = [(c.slug, c.label_sv, c.label_da, c.label_en) for c in muni.categories]
        assert labels[0] == ("roads", "Vägar och trafik", "Veje og trafik", "Roads and traffic")
        assert [c.sort_order for c in muni.categories] == list(range(10))
        assert muni.areas_version == 1


def test_create_municipality_without_boundary_or_categories(app, runner):
    result = create_muni(runner, "--no-default-categories", boundary=None)
    assert result.exit_code == 0, result.output
    assert count(app, Category) == 0
    with app.app_context():
        assert db.session.scalar(select(Municipality.boundary)) is None


@pytest.mark.parametrize(("extra", "boundary", "expected"), [
    (["--timezone", "Europe/Uppvidinge"], None, "timezone: Unknown time zone Europe/Uppvidinge"),
    (["--response-days", "0"], None, "response_days: Write a number from 1 to 365."),
    (["--country", "Sverige"], None, "country: Write a two-letter country code"),
    ([], DATA / "walk_bowtie.geojson", "boundary: The shape is not valid: Self-intersection"),
    ([], DATA / "walk_route.geojson", "boundary: Expected Polygon / MultiPolygon, got LineString."),
    ([], DATA / "area_broken_json.geojson", "boundary: This is not valid JSON"),
    ([], DATA / "areas_valid.geojson", "boundary: Expected exactly one feature, found 2."),
])
def test_create_municipality_refuses_bad_input(app, runner, extra, boundary, expected):
    result = create_muni(runner, *extra, boundary=boundary)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert count(app, Municipality) == count(app, Department) == count(app, Category) == 0


def test_create_municipality_refuses_a_taken_slug(app, runner):
    assert create_muni(runner).exit_code == 0
    result = create_muni(runner)
    assert result.exit_code == 1
    assert "slug: The name nyby is taken already." in result.output
    assert count(app, Municipality) == 1


def test_add_department_and_category(app, runner, world):
    result = runner.invoke(args=["add-department", "--name", "Vatten & avlopp, Nyby",
                                 "--email", "va@example.org", "--language", "en"])
    assert result.exit_code == 0, result.output
    assert "added department vatten-avlopp-nyby" in result.output
    result = runner.invoke(args=["add-department", "--name", "Polisen", "--slug", "polis",
                                 "--kind", "external"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        depts = {d.slug: d for d in db.session.scalars(select(Department))}
        assert (depts["vatten-avlopp-nyby"].email, depts["vatten-avlopp-nyby"].language) == (
            "va@example.org", "en")
        assert (depts["polis"].kind, depts["polis"].active) == ("external", True)
    result = runner.invoke(args=["add-category", "--slug", "snow", "--sv", "Snöröjning",
                                 "--da", "Snerydning", "--en", "Snow clearing"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        snow = db.session.scalar(select(Category).where(Category.slug == "snow"))
        assert snow.labels() == {"sv": "Snöröjning", "da": "Snerydning", "en": "Snow clearing"}
        assert snow.sort_order == 6  # after the six the test world has


@pytest.mark.parametrize(("args", "expected"), [
    (["add-department", "--name", "Gata", "--slug", "streets"],
     "slug: The name streets is taken already."),
    (["add-department", "--name", "X", "--email", "not-an-address"],
     "email: Write an e-mail address"),
    (["add-department", "--name", "  "], "name: This field is required."),
    (["add-category", "--slug", "Snö", "--sv", "a", "--da", "b", "--en", "c"],
     "slug: Use lower-case letters"),
    (["add-category", "--slug", "roads", "--sv", "a", "--da", "b", "--en", "c"],
     "slug: The name roads is taken already."),
    (["add-category", "--slug", "snow", "--sv", "a", "--da", "", "--en", "c"],
     "label_da: This field is required."),
])
def test_add_commands_refuse_bad_input(app, runner, world, args, expected):
    before = count(app, Department), count(app, Category)
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert (count(app, Department), count(app, Category)) == before


def create_walk(runner, *extra, starts="2026-05-20 17:30"):
    return runner.invoke(args=["create-walk", "--title", "Kvällsvandring", "--locality",
                               "Åseda", "--starts", starts, *extra])


def test_create_walk(app, runner, world):
    result = create_walk(runner, "--meeting-point", "Torget", "--meeting-lonlat",
                         "15.27,57.15", "--area", str(EXAMPLES / "vandring.geojson"),
                         "--route", str(DATA / "walk_route.geojson"))
    assert result.exit_code == 0, result.output
    code = result.output.split()[2]
    with app.app_context():
        walk = db.session.scalar(select(Walk).where(Walk.join_code == code))
        assert len(code) == 6 and set(code) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
        assert walk.starts_at == datetime(2026, 5, 20, 15, 30, tzinfo=UTC)  # CEST
        assert (walk.status, walk.meeting_point, walk.meeting_lon, walk.meeting_lat) == (
            "planned", "Torget", 15.27, 57.15)
        assert walk.area.geom_type == "Polygon" and walk.route.geom_type == "LineString"
    assert runner.invoke(args=["set-walk-status", code.lower(), "open"]).exit_code == 0
    result = runner.invoke(args=["set-walk-status", code, "closed"])
    assert f"walk {code} is closed" in result.output
    with app.app_context():
        walk = db.session.scalar(select(Walk).where(Walk.join_code == code))
        assert walk.status == "closed" and walk.closed_at is not None


def test_create_walk_in_winter_time_and_open(app, runner, world):
    result = create_walk(runner, "--open", starts="2026-11-20 17:30")
    assert result.exit_code == 0, result.output
    with app.app_context():
        walk = db.session.scalar(select(Walk).where(Walk.title == "Kvällsvandring"))
        assert walk.starts_at == datetime(2026, 11, 20, 16, 30, tzinfo=UTC)  # CET
        assert walk.status == "open"


@pytest.mark.parametrize(("extra", "starts", "expected"), [
    ([], "20 maj 17:30", "Invalid value for --starts"),
    ([], "2026-03-29 02:30", "time: 02:30 does not exist on that day"),
    (["--meeting-lonlat", "15.27"], "2026-05-20 17:30", "Give both latitude and longitude"),
    (["--area", str(DATA / "walk_bowtie.geojson")], "2026-05-20 17:30",
     "area: The shape is not valid: Self-intersection"),
    (["--route", str(EXAMPLES / "vandring.geojson")], "2026-05-20 17:30",
     "route: Expected LineString, got Polygon."),
])
def test_create_walk_refuses_bad_input(app, runner, world, extra, starts, expected):
    before = count(app, Walk)
    result = create_walk(runner, *extra, starts=starts)
    assert result.exit_code in (1, 2), result.output
    assert expected in result.output
    assert count(app, Walk) == before


def test_set_walk_status_refuses_unknown_walks_and_moves(app, runner, world):
    result = runner.invoke(args=["set-walk-status", "NOSUCH", "open"])
    assert result.exit_code == 2 and "no walk has the join code 'NOSUCH'" in result.output
    result = runner.invoke(args=["set-walk-status", "CLOSED1", "planned"])
    assert result.exit_code == 1 and "cannot move to that status" in result.output
