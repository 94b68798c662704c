"""An official's follow-up in real Chromium: sign in, filter the review map, open an input,
reroute it, merge a duplicate, hide one, export, open the report; axe-core on every page."""

import re
import uuid
from pathlib import Path

import pytest

from tests.conftest import comment_item
from tests.e2e.conftest import serious_violations, sign_in
from walkapp.extensions import db
from walkapp.models import Comment

pytestmark = pytest.mark.browser


@pytest.fixture
def walk_inputs(e2e_app):
    """Three inputs with a token of their own: two near-duplicates on roads, one on parks."""
    token = uuid.uuid4().hex[:8]
    client = e2e_app.test_client()
    device = client.post("/api/v1/devices").get_json()
    items = [
        comment_item(text=f"Hål i vägen vid torget {token}",
                     location={"type": "Point", "coordinates": [15.2700, 57.1500]}),
        comment_item(text=f"Hål i vägen vid torget! {token}",
                     location={"type": "Point", "coordinates": [15.27012, 57.1500]}),
        comment_item(text=f"Olämpligt om grannen {token}", kind="idea", category="parks",
                     location={"type": "Point", "coordinates": [15.2668, 57.1472]}),
    ]
    resp = client.post("/api/v1/sync", json={"comments": items},
                       headers={"Authorization": f"Bearer {device['token']}"})
    assert all(r["status"] == "created" for r in resp.get_json()["results"])
    return token, [i["id"] for i in items]


def updates(page) -> int:
    return page.evaluate("window.__reviewUpdates || 0")


def wait_total(page, total: int, after: int) -> None:
    page.wait_for_function(
        f"() => window.__reviewUpdates > {after} && window.__reviewLast "
        f"&& window.__reviewLast.total === {total}")


def test_official_reviews_a_walk(page, server, official, walk_inputs, e2e_app):
    token, ids = walk_inputs
    page.set_viewport_size({"width": 1200, "height": 900})
    sign_in(page, server, official, lang="en")

    page.goto(server.url + "/review/map?walk=ASEDA7")
    page.wait_for_function("() => window.__reviewUpdates >= 1")
    assert serious_violations(page) == []

    # filter by free text, then by category: the map, counts and list follow
    before = updates(page)
    page.fill("#f-q", token)
    wait_total(page, 3, before)
    before = updates(page)
    page.select_option("#f-category", ["roads"])
    wait_total(page, 2, before)
    assert page.locator("#review-list tbody tr").count() == 2
    assert page.locator("#counts-category tbody tr").count() == 1
    assert page.locator(".leaflet-marker-icon").count() >= 1
    assert "category=roads" in page.url and f"q={token}" in page.url

    # open an input from the list (the accessible twin of the map)
    page.click(f"#review-list a:text-is('Hål i vägen vid torget {token}')")
    page.wait_for_url(re.compile(rf"/review/inputs/{ids[0]}\?back="))
    assert serious_violations(page) == []

    # reroute it
    page.click("text=Send to another department")
    page.select_option("#reroute-department", label="Parkenheten")
    page.fill("#reroute-reason", "The park unit looks after this square")
    page.click("button:text-is('Reroute')")
    page.wait_for_selector("text=The input was sent to the new department.")
    assert page.locator(".status-line").inner_text().count("Parkenheten") == 1

    # merge its duplicate into it
    page.click("summary:has-text('Likely duplicates')")
    page.check(f"#dup-{ids[1]}")
    page.click("button:text-is('Merge the chosen inputs')")
    page.wait_for_selector("text=The inputs were merged into this one.")
    assert page.locator("h2:text-is('Merged into this input')").count() == 1
    assert serious_violations(page) == []

    # back to the map with the same filter
    page.click("text=Back to the map")
    page.wait_for_url(re.compile(r"/review/map\?.*category=roads"))
    page.wait_for_function("() => window.__reviewUpdates >= 1")

    # hide the third one
    page.goto(server.url + f"/review/inputs/{ids[2]}")
    page.click("summary:text-is('Hide')")
    page.fill("#hide-reason", "Personal attack")
    page.click("button:text-is('Hide the input')")
    page.wait_for_selector("text=The input is hidden from every public view.")

    with e2e_app.app_context():
        rows = {str(c.id): c for c in db.session.scalars(
            db.select(Comment).where(Comment.id.in_([uuid.UUID(i) for i in ids])))}
        assert rows[ids[0]].department.name == "Parkenheten"
        assert rows[ids[1]].status == "duplicate"
        assert rows[ids[1]].merged_into_id == rows[ids[0]].id
        assert rows[ids[2]].hidden_reason == "Personal attack"
        db.session.remove()

    # export the current filter
    page.goto(server.url + f"/review/map?q={token}")
    page.wait_for_function("() => window.__reviewUpdates >= 1 && window.__reviewLast")
    with page.expect_download() as download:
        page.click("#export-csv")
    body = Path(download.value.path()).read_bytes()
    assert body.startswith("\ufeff".encode()) and token.encode() in body

    # the report, on screen and as PDF
    page.goto(server.url + "/review/walks/ASEDA7/report?language=en")
    assert page.locator("h1").inner_text().startswith("Walk report")
    assert page.locator("svg.overview").count() == 1
    assert f"Hål i vägen vid torget {token}" in page.content()
    assert f"Olämpligt om grannen {token}" not in page.content()  # hidden
    assert serious_violations(page) == []
    pdf = page.request.get(server.url + page.get_attribute("#report-pdf", "href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")


def test_review_pages_reflow_on_a_phone(page, server, official, walk_inputs):
    page.set_viewport_size({"width": 320, "height": 640})  # also 640 px at 200% zoom
    sign_in(page, server, official)
    page.goto(server.url + "/review/map")
    page.wait_for_function("() => window.__reviewUpdates >= 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert serious_violations(page) == []
    for path in (f"/review/inputs/{walk_inputs[1][0]}", "/review/walks/ASEDA7/report"):
        page.goto(server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
        assert serious_violations(page) == [], path
