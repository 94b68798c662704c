"""The officials' and administrators' pages in real Chromium: plan a walk by drawing on the
map, print its poster, invite a user, upload a service area, follow a walk live and pin in
scribe mode for a resident. axe-core finds nothing serious on any of these pages."""

import json
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import FAST_HASH
from tests.e2e.conftest import serious_violations
from walkapp.extensions import db
from walkapp.models import Comment, ServiceArea, User, Walk

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[1] / "data"
PASSWORD = "correct horse battery"


@pytest.fixture
def staff(e2e_app):
    """Make a user of the test world; returns their e-mail."""
    from werkzeug.security import generate_password_hash

    def make(role: str) -> str:
        email = f"{role}-{uuid.uuid4().hex[:6]}@example.org"
        with e2e_app.app_context():
            muni_id = db.session.execute(db.text("SELECT id FROM municipality")).scalar()
            user = User(email=email, name=f"Anna {role.title()}", role=role,
                        municipality_id=muni_id,
                        password_hash=generate_password_hash(PASSWORD, FAST_HASH))
            db.session.add(user)
            db.session.commit()
        return email
    return make


def sign_in(page, server, email):
    page.goto(server.url + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(re.compile(r"/review/$"))


def assert_accessible(page):
    assert serious_violations(page) == [], page.url
    # nothing makes the page itself scroll sideways at this width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def map_point(page, selector, fx, fy):
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def draw(page, tool, points, finish_on_first=False):
    page.click(f"#walk-map .leaflet-pm-icon-{tool}")
    for fx, fy in points:
        page.mouse.click(*map_point(page, "#walk-map", fx, fy))
    if finish_on_first:
        page.mouse.click(*map_point(page, "#walk-map", *points[0]))
    elif tool == "polyline":
        page.click("#walk-map .action-finish")


def test_plan_a_walk_print_the_poster_invite_and_upload(page, server, e2e_app, staff, tmp_path):
    admin = staff("admin")
    page.set_viewport_size({"width": 1024, "height": 900})
    sign_in(page, server, admin)

    # --- plan a walk by drawing on the map
    page.click("text=Ny vandring")
    page.wait_for_url(re.compile(r"/review/walks/new$"))
    page.wait_for_function("() => window.__walkMap !== undefined")
    assert_accessible(page)
    page.fill("#title", "Kvällsvandring i Åseda")
    page.fill("#locality", "Åseda")
    page.fill("#date", "2026-06-10")
    page.fill("#time", "18:30")
    page.fill("#meeting_point", "Busstationen")
    draw(page, "polygon", [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)], finish_on_first=True)
    page.wait_for_function("() => document.getElementById('area').value.includes('Polygon')")
    draw(page, "polyline", [(0.35, 0.35), (0.5, 0.5), (0.65, 0.4)])
    page.wait_for_function("() => document.getElementById('route').value.includes('LineString')")
    draw(page, "marker", [(0.5, 0.6)])
    page.wait_for_function("() => document.getElementById('meeting_lat').value !== ''")
    assert "ritad" in page.text_content("#map-summary")  # the drawing, said in words
    page.click("#submit")
    page.wait_for_url(re.compile(r"/review/walks/[A-Z0-9]{6}$"))
    code = page.url.rsplit("/", 1)[1]
    with e2e_app.app_context():
        walk = db.session.scalar(select(Walk).where(Walk.join_code == code))
        assert walk.title == "Kvällsvandring i Åseda"
        assert walk.area.geom_type == "Polygon" and walk.area.is_valid
        assert walk.route.geom_type == "LineString" and len(walk.route.coords) == 3
        assert walk.area.contains(walk.route)
        assert walk.starts_at.isoformat() == "2026-06-10T16:30:00+00:00"
        assert walk.meeting_lat is not None
        db.session.remove()
    assert_accessible(page)

    # the edit page shows what was drawn
    page.goto(server.url + f"/review/walks/{code}/edit")
    page.wait_for_function("() => window.__walkMap !== undefined")
    assert page.locator("#walk-map path.leaflet-interactive").count() >= 2
    assert page.input_value("#time") == "18:30"

    # --- the A4 poster
    page.goto(server.url + f"/review/walks/{code}/poster")
    assert_accessible(page)
    assert page.locator("svg.qr").count() == 1
    assert page.text_content(".code").strip() == code
    page.emulate_media(media="print")
    assert not page.is_visible("nav.no-print")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 page
    page.emulate_media(media="screen")

    # --- invite a user and let them choose a password
    page.goto(server.url + "/admin/users/new")
    assert_accessible(page)
    page.click("#submit")  # empty: errors next to the fields, and a summary
    assert page.locator("#name-error").is_visible()
    assert_accessible(page)
    page.fill("#name", "Nils Nilsson")
    page.fill("#email", "nils@example.org")
    page.check("#role-1")  # official
    page.click("#submit")
    link = page.input_value("#invite-link")
    assert "/set-password/" in link
    assert_accessible(page)
    other = page.context.browser.new_context()
    newcomer = other.new_page()
    newcomer.goto(link)
    assert_accessible(newcomer)
    newcomer.fill("#password", "ett långt lösenord")
    newcomer.fill("#confirm", "ett långt lösenord")
    newcomer.click("#submit")
    newcomer.wait_for_url(re.compile(r"/review/$"))
    newcomer.goto(link)
    assert newcomer.locator(".error").count() == 1  # used up
    other.close()

    # --- upload a service area, see it on the map and in the list
    page.goto(server.url + "/admin/areas")
    page.wait_for_function("() => window.__mapReady === true")
    assert_accessible(page)
    page.select_option("#department", label="Parkenheten")
    page.set_input_files("#file", str(DATA / "area_bowtie.geojson"))
    page.click("#submit")
    assert "Self-intersection" in page.text_content("#file-error")  # nothing saved
    page.set_input_files("#file", str(DATA / "areas_valid.geojson"))
    page.click("#submit")
    page.wait_for_selector("text=Skolgården")
    with e2e_app.app_context():
        names = set(db.session.scalars(select(ServiceArea.name)))
        assert {"Skolgården", "Stigarna"} <= names
        db.session.remove()
    page.click("text=Skolgården")
    page.wait_for_function("() => window.__mapReady === true")
    assert_accessible(page)

    # --- every other new page, on a small phone (= 640 px at 200% zoom)
    page.set_viewport_size({"width": 320, "height": 568})
    for path in ("/admin/", "/admin/users", "/admin/departments", "/admin/departments/new",
                 "/admin/categories", "/admin/categories/new", "/admin/municipality",
                 "/admin/areas", f"/review/walks/{code}/edit", f"/review/walks/{code}/poster",
                 f"/review/walks/{code}"):
        page.goto(server.url + path)
        assert_accessible(page)


def test_follow_live_and_pin_for_a_resident(page, server, e2e_app, staff):
    """An official on a phone: the live view, then scribe mode in the field app."""
    e2e_app.config["FEED_SETTLE_SECONDS"] = 0
    e2e_app.config["LIVE_POLL_SECONDS"] = 0.5
    official = staff("official")
    page.set_viewport_size({"width": 390, "height": 664})
    sign_in(page, server, official)
    page.goto(server.url + "/review/walks/ASEDA7/live")
    page.wait_for_function("() => window.__livePolls >= 1")
    before = int(re.search(r"\d+", page.text_content("#live-count")).group(0))
    assert_accessible(page)

    # a resident's phone sends a pin: it appears without reloading
    text = f"Trasig gatlykta {uuid.uuid4().hex[:4]}"
    token = page.request.post(server.url + "/api/v1/devices").json()["token"]
    item = {"id": str(uuid.uuid4()), "walk": "ASEDA7", "kind": "idea", "category": "lighting",
            "text": text, "location": {"type": "Point", "coordinates": [15.27, 57.15]},
            "accuracy_m": 5, "created_at": "2026-05-20T16:10:00+00:00", "photos": []}
    resp = page.request.post(server.url + "/api/v1/sync", data=json.dumps({"comments": [item]}),
                             headers={"Authorization": f"Bearer {token}",
                                      "Content-Type": "application/json"})
    assert resp.ok
    page.wait_for_selector(f"#live-list >> text={text}")
    assert str(before + 1) in page.text_content("#live-count")
    assert page.locator(".live-pin.kind-idea").count() >= 1

    # scribe mode: this phone now pins for a resident
    page.click("text=Sätt nålar åt en invånare med den här telefonen")
    page.wait_for_url(re.compile(r"/w/ASEDA7$"))
    page.wait_for_selector("#scribe-banner")
    assert "Anna Official" in page.text_content("#scribe-banner")
    page.wait_for_function("() => window.__syncAttempts >= 1")
    assert_accessible(page)
    page.click("#add-pin")
    page.locator("input[name=kind][value=opinion]").check()
    page.select_option("#category", "parks")
    page.fill("#text", "Greta (87) vill ha fler bänkar i parken")
    saved = page.evaluate("(window.__saveTimings || []).length")
    page.click("#save")
    page.wait_for_function(f"() => (window.__saveTimings || []).length > {saved}")
    page.wait_for_function(
        "() => document.getElementById('indicator').dataset.state === 'done'", timeout=20000)
    with e2e_app.app_context():
        comment = db.session.scalar(select(Comment).where(
            Comment.text == "Greta (87) vill ha fler bänkar i parken"))
        assert comment is not None and comment.source == "scribe"
        assert comment.recorded_by.email == official and comment.department_id is not None
        db.session.remove()

    # ending scribe mode gives the phone back to residents
    page.click("#scribe-banner button")
    page.wait_for_selector("#scribe-banner", state="detached")
    assert page.evaluate("import('/static/js/db.js').then(db => db.getMeta('device'))") is None

    # the official's staff page says who recorded it
    page.goto(server.url + "/review/walks/ASEDA7")
    assert page.locator("text=Registrerad av Anna Official åt en invånare").count() == 1
