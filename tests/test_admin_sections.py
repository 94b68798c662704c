"""Administration: departments and outside bodies, categories, service areas, settings.
Every form: bad input is refused next to its field and nothing is written."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import comment_item, submit
from walkapp.extensions import db
from walkapp.models import Category, Department, Municipality, ServiceArea

DATA = Path(__file__).parent / "data"


def one(app, model, **where):
    with app.app_context():
        row = db.session.scalar(select(model).filter_by(**where))
        db.session.expunge_all()
        return row


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Municipality.areas_version))


@pytest.fixture
def admin(client, world, sign_in):
    sign_in("admin")
    return client


# --- departments ---------------------------------------------------------------------------

def test_departments_list_and_create(app, admin):
    page = admin.get("/admin/departments").get_data(as_text=True)
    assert "Kundtjänst" in page and "Bostadsbolaget" in page
    resp = submit(admin, "/admin/departments/new", {
        "name": "Trafikverket Region Syd", "kind": "external", "email": "Syd@TRV.example",
        "language": "en", "active": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    dept = one(app, Department, slug="trafikverket-region-syd")
    assert (dept.kind, dept.email, dept.language, dept.active) == (
        "external", "syd@trv.example", "en", True)


@pytest.mark.parametrize(("data", "field"), [
    ({"name": ""}, "name"),
    ({"name": "Gata/park"}, None),  # slug "gata-park" is free; a real duplicate is below
    ({"email": "nope"}, "email"),
    ({"kind": "secret"}, "kind"),
])
def test_department_form_errors(app, admin, data, field):
    before = count(app, Department)
    resp = submit(admin, "/admin/departments/new", {"name": "X", "kind": "municipal", **data})
    if field is None:
        assert resp.status_code == 302
        return
    assert resp.status_code == 400
    assert f'id="{field}-error"' in resp.get_data(as_text=True)
    assert count(app, Department) == before


def test_duplicate_department_name_is_refused(app, admin):
    submit(admin, "/admin/departments/new", {"name": "Vatten", "kind": "municipal"})
    resp = submit(admin, "/admin/departments/new", {"name": "Vatten", "kind": "municipal"})
    assert resp.status_code == 400 and 'id="name-error"' in resp.get_data(as_text=True)


def test_deactivating_a_department_stops_its_routing(app, admin, world, device):
    parks = world["departments"]["parks"]
    in_park = {"type": "Point", "coordinates": [15.267, 57.147]}
    first = device.sync(comment_item(category="parks", location=in_park)).get_json()
    assert first["results"][0]["department"]["slug"] == "parks"
    before = version(app)
    resp = submit(admin, f"/admin/departments/{parks}", {
        "name": "Parkenheten", "kind": "municipal", "email": "", "language": ""})  # no "active"
    assert resp.status_code == 302
    assert one(app, Department, id=parks).active is False
    assert version(app) == before + 1
    second = device.sync(comment_item(category="parks", location=in_park)).get_json()
    assert second["results"][0]["department"]["slug"] == "streets"


def test_the_fallback_department_cannot_be_deactivated(app, admin, world):
    service = world["departments"]["service"]
    resp = submit(admin, f"/admin/departments/{service}", {
        "name": "Kundtjänst", "kind": "municipal"})
    assert resp.status_code == 400
    assert one(app, Department, id=service).active is True


# --- categories ----------------------------------------------------------------------------

def test_categories_create_edit_delete(app, admin, device):
    resp = submit(admin, "/admin/categories/new", {
        "slug": "snow", "label_sv": "Snöröjning", "label_da": "Snerydning",
        "label_en": "Snow clearing", "sort_order": ""})
    assert resp.status_code == 302
    snow = one(app, Category, slug="snow")
    assert (snow.label_da, snow.sort_order) == ("Snerydning", 6)
    resp = submit(admin, f"/admin/categories/{snow.id}", {
        "slug": "changed", "label_sv": "Snö", "label_da": "Sne", "label_en": "Snow",
        "sort_order": "0"})
    assert resp.status_code == 302
    snow = one(app, Category, id=snow.id)
    assert (snow.slug, snow.label_sv, snow.sort_order) == ("snow", "Snö", 0)  # slug is fixed
    page = admin.get("/admin/categories").get_data(as_text=True)
    assert page.index("Snö") < page.index("Bredband")  # position 0 comes before 4
    # phones get the new category at once
    walk = device.get("/api/v1/walks/ASEDA7").get_json()
    assert {"sv": "Snö", "da": "Sne", "en": "Snow"} in [c["labels"] for c in walk["categories"]]
    resp = submit(admin, f"/admin/categories/{snow.id}/delete", page=f"/admin/categories/{snow.id}")
    assert resp.status_code == 302 and one(app, Category, slug="snow") is None


def test_a_used_category_cannot_be_deleted(app, admin, device):
    device.sync(comment_item(category="roads"))
    roads = one(app, Category, slug="roads")
    resp = submit(admin, f"/admin/categories/{roads.id}/delete",
                  page=f"/admin/categories/{roads.id}")
    assert resp.status_code == 400
    assert "Rename it instead" in resp.get_data(as_text=True) or \
        "Byt namn" in resp.get_data(as_text=True)
    assert one(app, Category, slug="roads") is not None


@pytest.mark.parametrize(("data", "field"), [
    ({"slug": "Snö röjning"}, "slug"),
    ({"slug": "roads"}, "slug"),
    ({"label_da": ""}, "label_da"),
    ({"sort_order": "first"}, "sort_order"),
])
def test_category_form_errors(app, admin, data, field):
    before = count(app, Category)
    resp = submit(admin, "/admin/categories/new", {
        "slug": "snow", "label_sv": "a", "label_da": "b", "label_en": "c", **data})
    assert resp.status_code == 400
    assert f'id="{field}-error"' in resp.get_data(as_text=True)
    assert count(app, Category) == before


# --- service areas -------------------------------------------------------------------------

def upload(client, world, name, dept="parks", replace=False):
    data = {"department": str(world["departments"][dept]),
            "file": ((DATA / name).open("rb"), name)}
    if replace:
        data["replace"] = "y"
    return submit(client, "/admin/areas", data, page="/admin/areas",
                  content_type="multipart/form-data")


def test_areas_page_shows_map_and_list(admin):
    page = admin.get("/admin/areas").get_data(as_text=True)
    assert 'id="areas-map"' in page and 'id="areas-data"' in page
    assert "Kvarteret" in page and "Hela kommunen" in page  # the list alternative


def test_upload_areas(app, admin, world, device):
    before = version(app)
    resp = upload(admin, world, "areas_valid.geojson", replace=True)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        names = set(db.session.scalars(select(ServiceArea.name).where(
            ServiceArea.department_id == world["departments"]["parks"])))
    assert names == {"Skolgården", "Stigarna"}
    assert version(app) == before + 1
    result = device.sync(comment_item(category="lighting", location={
        "type": "Point", "coordinates": [15.2625, 57.154]})).get_json()
    assert result["results"][0]["department"]["slug"] == "parks"


@pytest.mark.parametrize(("name", "expected"), [
    ("area_bowtie.geojson", "Self-intersection"),
    ("area_broken_json.geojson", "not valid JSON"),
    ("area_linestring.geojson", "Polygon or MultiPolygon"),
])
def test_invalid_area_uploads_save_nothing(app, admin, world, name, expected):
    before = (count(app, ServiceArea), version(app))
    resp = upload(admin, world, name, replace=True)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert expected in html and 'id="file-error"' in html
    assert (count(app, ServiceArea), version(app)) == before


def test_upload_without_a_file(app, admin, world):
    resp = submit(admin, "/admin/areas", {"department": str(world["departments"]["parks"])})
    assert resp.status_code == 400 and 'id="file-error"' in resp.get_data(as_text=True)


def test_edit_area_categories_and_priority(app, admin, world, device):
    park = one(app, ServiceArea, name="Parken")
    page = admin.get(f"/admin/areas/{park.id}").get_data(as_text=True)
    assert 'name="categories"' in page
    before = version(app)
    resp = submit(admin, f"/admin/areas/{park.id}", {
        "name": "Parken", "categories": ["parks", "lighting"], "priority": "7"})
    assert resp.status_code == 302
    park = one(app, ServiceArea, id=park.id)
    assert (park.categories, park.priority) == (["parks", "lighting"], 7)
    assert version(app) == before + 1
    in_park = {"type": "Point", "coordinates": [15.267, 57.147]}
    result = device.sync(comment_item(category="lighting", location=in_park)).get_json()
    assert result["results"][0]["department"]["slug"] == "parks"
    resp = submit(admin, f"/admin/areas/{park.id}", {
        "name": "Parken", "every_category": "y", "priority": "7"})
    assert one(app, ServiceArea, id=park.id).categories is None


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "", "categories": ["parks"], "priority": "1"}, "name"),
    ({"name": "P", "priority": "1"}, "categories"),
    ({"name": "P", "categories": ["parks"], "priority": "high"}, "priority"),
    ({"name": "P", "categories": ["parks"], "priority": "99999"}, "priority"),
    ({"name": "P", "categories": ["nonsense"], "priority": "1"}, "categories"),
])
def test_area_form_errors(app, admin, data, field):
    park = one(app, ServiceArea, name="Parken")
    resp = submit(admin, f"/admin/areas/{park.id}", data)
    assert resp.status_code == 400
    assert f'id="{field}-error"' in resp.get_data(as_text=True)
    after = one(app, ServiceArea, id=park.id)
    assert (after.name, after.categories, after.priority) == ("Parken", ["parks"], 5)


def test_delete_area(app, admin):
    park = one(app, ServiceArea, name="Parken")
    before = version(app)
    resp = submit(admin, f"/admin/areas/{park.id}/delete", page=f"/admin/areas/{park.id}")
    assert resp.status_code == 302
    assert one(app, ServiceArea, id=park.id) is None and version(app) == before + 1


# --- municipality settings -----------------------------------------------------------------

def settings(world, **overrides):
    return {"name": "Testby kommun", "timezone": "Europe/Copenhagen", "language": "da",
            "response_days": "14", "fallback_department": str(world["departments"]["streets"]),
            **overrides}


def test_settings(app, admin, world):
    resp = submit(admin, "/admin/municipality", settings(world))
    assert resp.status_code == 302
    muni = one(app, Municipality, slug="testby")
    assert (muni.timezone, muni.default_language, muni.response_days,
            muni.fallback_department_id) == ("Europe/Copenhagen", "da", 14,
                                             world["departments"]["streets"])
    boundary = (DATA.parent.parent / "examples" / "kommungrans.geojson").open("rb")
    resp = submit(admin, "/admin/municipality", {**settings(world),
                                                 "boundary": (boundary, "grans.geojson")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302
    assert one(app, Municipality, slug="testby").boundary.geom_type == "Polygon"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"response_days": "0"}, "response_days"),
    ({"response_days": "soon"}, "response_days"),
    ({"name": ""}, "name"),
    ({"fallback_department": "999999"}, "fallback_department"),
])
def test_settings_errors(app, admin, world, overrides, field):
    resp = submit(admin, "/admin/municipality", settings(world, **overrides))
    assert resp.status_code == 400
    assert f'id="{field}-error"' in resp.get_data(as_text=True)
    muni = one(app, Municipality, slug="testby")
    assert (muni.timezone, muni.response_days) == ("Europe/Stockholm", 21)


def test_settings_refuse_an_invalid_boundary(app, admin, world):
    bowtie = (DATA / "walk_bowtie.geojson").open("rb")
    resp = submit(admin, "/admin/municipality", {**settings(world),
                                                 "boundary": (bowtie, "b.geojson")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "Self-intersection" in resp.get_data(as_text=True)
    muni = one(app, Municipality, slug="testby")
    assert muni.boundary is None and muni.timezone == "Europe/Stockholm"
