"""The field app's interface: languages, keyboard use, accessibility, zoom, the offline map,
editing and deleting, and the route recording. Real Chromium."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import serious_violations
from walkapp.extensions import db
from walkapp.models import Comment, Track, utcnow

pytestmark = pytest.mark.browser


def test_language_follows_the_municipality_then_the_switcher(phone, page):
    phone.join()
    # The test municipality speaks Swedish.
    assert page.evaluate("document.documentElement.lang") == "sv"
    assert page.inner_text("#add-pin") == "Lägg till en markering"
    page.select_option("#lang", "da")
    page.wait_for_function("() => document.documentElement.lang === 'da'")
    assert page.inner_text("#add-pin") == "Tilføj en markering"
    # The indicator is redrawn after the walk's panels: wait for it, don't race it.
    expect(page.locator("#indicator")).to_have_text("Alt er sendt")
    page.reload()
    page.wait_for_function("() => window.__syncAttempts >= 1")
    assert page.evaluate("document.documentElement.lang") == "da"
    assert page.inner_text("#add-pin") == "Tilføj en markering"
    page.select_option("#lang", "en")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert page.inner_text("#add-pin") == "Add a pin"


def press_until(page, key: str, element_id: str, limit: int = 40,
                check: str = "e => e.id === '{id}'") -> None:
    test = check.replace("{id}", element_id)
    for _ in range(limit):
        if page.evaluate(f"({test})(document.activeElement)"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {element_id}")


def test_keyboard_only_pin_placement(phone, page, comments_of):
    phone.join()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    press_until(page, "Tab", "add-pin")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sheet", state="visible")
    assert page.evaluate("document.activeElement.id") == "sheet-h"
    press_until(page, "Tab", "kind", check="e => e.name === '{id}'")  # the kind choices
    page.keyboard.press("Space")  # Question
    page.keyboard.press("ArrowRight")  # Opinion
    assert page.evaluate("document.querySelector('input[name=kind]:checked').value") == "opinion"
    press_until(page, "Tab", "category")
    page.keyboard.press("ArrowDown")  # the first topic
    press_until(page, "Tab", "text")
    page.keyboard.type("Här behövs ett övergångsställe")
    press_until(page, "Tab", "place-centre")
    page.keyboard.press("Enter")  # the centre of the part of the map the sheet leaves visible
    # The map may pan (animated) to bring the pin above the sheet: wait for it to get there.
    page.wait_for_function("""() => {
      const draft = document.querySelector('.pin-draft').getBoundingClientRect();
      return draft.bottom <= document.getElementById('sheet').getBoundingClientRect().top;
    }""")
    press_until(page, "Shift+Tab", "place-here")
    page.keyboard.press("Enter")  # back to the GPS fix (57.15, 15.27)
    press_until(page, "Tab", "n", check="e => e.dataset.nudge === '{id}'")
    for _ in range(3):  # 30 m north, by the buttons, no map gesture
        page.keyboard.press("Enter")
    press_until(page, "Tab", "save")
    before = phone.attempts
    page.keyboard.press("Enter")
    page.wait_for_selector("#sheet", state="hidden")
    assert page.evaluate("document.activeElement.id") == "add-pin"  # focus comes back
    phone.wait_attempts(before)
    pins = phone.pins()
    assert len(pins) == 1
    pin = pins[0]
    assert pin["kind"] == "opinion" and pin["category"] == "roads"
    assert pin["accuracy_m"] is None  # placed by hand: no GPS accuracy claimed
    lon, lat = pin["location"]["coordinates"]
    assert lon == pytest.approx(15.27, abs=1e-6)
    assert lat == pytest.approx(57.15 + 30 / 111320, abs=1e-6)  # 3 × 10 m north of the fix
    assert comments_of([pin["id"]])


def test_poor_fix_is_warned_not_blocked(phone, page, context):
    context.set_geolocation({"latitude": 57.151, "longitude": 15.271, "accuracy": 180})
    phone.join()
    page.wait_for_function("() => true")
    page.click("#add-pin")
    assert page.is_visible("#accuracy-warning")
    assert "180" in page.inner_text("#accuracy-warning")
    page.locator("input[name=kind][value=idea]").check(force=True)
    page.select_option("#category", "parks")
    page.fill("#text", "Fler bänkar")
    page.click("#save")
    page.wait_for_selector("#sheet", state="hidden")
    assert phone.pins()[0]["accuracy_m"] == 180


def test_accessibility_axe(phone, page, big_photo):
    phone.open("/")
    page.wait_for_selector("#start-view", state="visible")
    assert serious_violations(page) == []
    phone.join()
    assert serious_violations(page) == []
    page.click("#add-pin")
    page.set_input_files("#photo-input", str(big_photo))
    page.wait_for_selector("#photo-list img")
    assert serious_violations(page) == []
    page.locator("input[name=kind][value=question]").check(force=True)
    page.select_option("#category", "roads")
    page.fill("#text", "Axe-test")
    page.click("#save")
    page.wait_for_selector("#sheet", state="hidden")
    page.click("#show-list")
    page.wait_for_selector("#pin-list li")
    assert serious_violations(page) == []
    page.click("#show-more")
    assert serious_violations(page) == []


@pytest.fixture
def zoomed_page(browser, server):
    # 200 % browser zoom on a 640 × 1136 px window leaves 320 × 568 CSS px for the layout,
    # each CSS px drawn with 2 device px: exactly this viewport and scale factor. (WCAG 1.4.10
    # Reflow asks for no horizontal scrolling at 320 CSS px.)
    context = browser.new_context(viewport={"width": 320, "height": 568}, device_scale_factor=2,
                                  geolocation={"latitude": 57.15, "longitude": 15.27,
                                               "accuracy": 8},
                                  permissions=["geolocation"], locale="sv-SE")
    page = context.new_page()
    yield page
    context.close()


def no_horizontal_scroll(page, selector="html"):
    return page.eval_on_selector(selector, "e => e.scrollWidth <= e.clientWidth + 1")


def test_reflow_at_200_percent_zoom(zoomed_page, server):
    page = zoomed_page
    page.goto(server.url + "/")
    page.wait_for_selector("#start-view", state="visible")
    assert no_horizontal_scroll(page)
    page.goto(server.url + "/w/ASEDA7")
    page.wait_for_function("() => window.__syncAttempts >= 1")
    assert no_horizontal_scroll(page)
    page.click("#add-pin")
    page.wait_for_selector("#sheet", state="visible")
    assert no_horizontal_scroll(page)
    assert no_horizontal_scroll(page, "#sheet")
    for sel in ["#kind-choices", ".place", ".nudge", "#save"]:
        box = page.locator(sel).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320 + 0.5, (sel, box)
    page.locator("#save").scroll_into_view_if_needed()
    assert page.locator("#save").is_visible()
    page.click("#sheet-close")
    page.click("#show-list")
    assert no_horizontal_scroll(page, "#list-panel")


def test_targets_are_at_least_44px(phone, page):
    phone.join()
    page.click("#add-pin")
    small = page.evaluate("""() => [...document.querySelectorAll(`button, select,
        input:not([type=radio]):not([type=file]), .choice, .leaflet-control-zoom a`)]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.id || e.className || e.tagName, e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 44 || r.height < 44)
        .map(([n, r]) => `${n} ${r.width}x${r.height}`)""")
    assert small == []


def test_offline_map_tiles_come_from_the_cache(phone, page, context):
    phone.join()
    page.click("#show-more")
    page.click("#offline-download")
    meta = phone.until("import('/static/js/db.js').then(db => db.getMeta('offline:ASEDA7'))")
    planned = page.evaluate("import('/static/js/tiles.js').then(async t => t.plan("
                            "await (await import('/static/js/db.js')).getWalk('ASEDA7')).tiles"
                            ".length)")
    assert meta["total"] == planned > 0 and meta["failed"] == 0 and meta["bytes"] > 0
    assert page.evaluate("caches.open('walkapp-tiles-v1').then(c => c.keys())"
                         ".then(k => k.length)") == planned
    assert page.inner_text("#offline-count").startswith(f"{planned} ")

    context.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.__syncAttempts >= 1")
    page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
    tiles = page.evaluate("""() => [...document.querySelectorAll('img.leaflet-tile')]
        .map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}))""")
    assert tiles and all(t["ok"] for t in tiles), tiles  # no network: all from Cache Storage
    # A tile outside the saved area has no copy and fails: the cache is what answered.
    missing = page.evaluate("fetch('/tiles/3/4/2.png').then(r => r.status, () => 'failed')")
    assert missing == "failed"


def test_edit_and_delete_until_reviewed(phone, page, comments_of, e2e_app):
    phone.join()
    before = phone.attempts
    phone.add_pin("Första versionen")
    phone.wait_attempts(before)
    phone.add_pin("Ska tas bort", kind="idea")
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'")
    pins = {p["text"]: p for p in phone.pins()}
    first, second = pins["Första versionen"], pins["Ska tas bort"]

    page.click("#show-list")
    page.locator(f"#pin-{first['id']} button", has_text="Ändra").click()
    page.fill("#text", "Andra versionen")
    before = phone.attempts
    page.click("#save")
    phone.wait_attempts(before)
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'")
    assert comments_of([first["id"]])[0]["text"] == "Andra versionen"

    page.click("#show-list")
    page.once("dialog", lambda d: d.accept())
    before = phone.attempts
    page.locator(f"#pin-{second['id']} button", has_text="Ta bort").click()
    phone.wait_attempts(before)
    assert comments_of([second["id"]]) == []
    assert [p["id"] for p in phone.pins()] == [first["id"]]

    # An official reviews the first pin: the phone learns it can no longer change it.
    with e2e_app.app_context():
        c = db.session.get(Comment, __import__("uuid").UUID(first["id"]))
        c.status, c.reviewed_at, c.changed_at = "acknowledged", utcnow(), utcnow()
        db.session.commit()
    before = phone.attempts
    page.click("#show-list")  # (re)open the list, then ask for news
    page.evaluate("import('/static/js/sync.js').then(s => s.syncNow({force: true}))")
    phone.wait_attempts(before)
    page.wait_for_function(
        f"() => !document.querySelector('#pin-{first['id']} button.danger')")
    item = page.locator(f"#pin-{first['id']}")
    assert item.locator("button", has_text="Ändra").count() == 0
    assert "Gata/park" in item.inner_text()


def test_unsent_pin_deleted_on_the_phone(phone, page, context, comments_of):
    phone.join()
    before = phone.attempts
    phone.add_pin("Den här får vara kvar")  # online: the phone now has its device token
    phone.wait_attempts(before)
    context.set_offline(True)
    phone.add_pin("Ångrar mig")
    pin = next(p for p in phone.pins() if p["text"] == "Ångrar mig")
    assert pin["attempted"] and not pin.get("sent")
    page.click("#show-list")
    page.once("dialog", lambda d: d.accept())
    page.locator(f"#pin-{pin['id']} button.danger").click()
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'")
    assert [p["text"] for p in phone.pins()] == ["Den här får vara kvar"]
    # A send was tried (offline): a quiet DELETE makes sure no copy survives on the server.
    assert [(e["kind"], e.get("quiet")) for e in phone.outbox()] == [("delete", True)]
    before = phone.attempts
    context.set_offline(False)
    phone.wait_attempts(before)
    assert phone.outbox() == [] and comments_of([pin["id"]]) == []


def test_record_my_route(phone, page, context, e2e_app):
    phone.join()
    page.click("#show-more")
    page.click("#track-toggle")
    page.wait_for_selector("#track-toggle[aria-pressed=true]")
    for i in range(1, 4):
        context.set_geolocation({"latitude": 57.15 + i * 0.0005, "longitude": 15.27,
                                 "accuracy": 6})
        page.wait_for_function(f"() => document.getElementById('track-status').textContent"
                               f".includes('{i + 1}')")
    before = phone.attempts
    page.click("#track-toggle")
    phone.wait_attempts(before)
    phone.until("import('/static/js/db.js').then(db => db.listOutbox()).then(o => !o.length)")
    with e2e_app.app_context():
        tracks = db.session.scalars(select(Track)).all()
        assert any(len(t.points) == 4 for t in tracks)


def test_start_page_join_by_code(phone, page):
    phone.open("/")
    page.wait_for_selector("#start-view", state="visible")
    page.fill("#join-code", "x!")
    page.click("#join-form button[type=submit]")
    assert page.is_visible("#join-error")
    assert page.get_attribute("#join-code", "aria-invalid") == "true"
    page.fill("#join-code", "nosuch9")
    with page.expect_navigation():
        page.press("#join-code", "Enter")
    page.wait_for_selector("#walk-error", state="visible")
    assert "NOSUCH9" in page.inner_text("#walk-error")
    assert page.is_disabled("#add-pin")
    page.goto(phone.server.url + "/")
    page.fill("#join-code", "aseda7")
    with page.expect_navigation():
        page.click("#join-form button[type=submit]")
    assert page.url.endswith("/w/ASEDA7")
    page.wait_for_function("() => document.getElementById('walk-h').textContent !== ''")
    assert page.inner_text("#bar-title") == "Vandring i Åseda"
    page.goto(phone.server.url + "/")
    page.wait_for_selector("#known-walks a")  # the walk is now on this phone
    assert page.inner_text("#known-walks") .startswith("Vandring i Åseda")


def test_change_refused_after_review_can_be_undone(phone, page, context, comments_of, e2e_app):
    phone.join()
    before = phone.attempts
    phone.add_pin("Som det skickades")
    phone.wait_attempts(before)
    pin = phone.pins()[0]
    with e2e_app.app_context():  # reviewed while the phone is out of signal
        c = db.session.get(Comment, __import__("uuid").UUID(pin["id"]))
        c.status, c.reviewed_at, c.changed_at = "in_progress", utcnow(), utcnow()
        db.session.commit()
    context.set_offline(True)
    page.click("#show-list")
    page.locator(f"#pin-{pin['id']} [data-action=edit]").click()
    page.fill("#text", "Ändrat utan täckning")
    page.click("#save")
    page.wait_for_selector("#sheet", state="hidden")
    before = phone.attempts
    context.set_offline(False)
    phone.wait_attempts(before)
    page.wait_for_function(
        "() => document.getElementById('indicator').dataset.state === 'rejected'")
    page.click("#show-list")
    item = page.locator(f"#pin-{pin['id']}")
    item.locator(".badge-rejected").wait_for()
    assert item.locator("[data-action=edit]").count() == 0
    item.locator("[data-action=revert]").click()
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'")
    assert phone.pins()[0]["text"] == "Som det skickades" and phone.outbox() == []
    assert comments_of([pin["id"]])[0]["text"] == "Som det skickades"
    assert "arbetar med den" in item.inner_text()  # "Gata/park arbetar med den"


def test_install_invite_on_iphone(browser, server):
    # iOS has no install prompt: the app explains Share → Add to Home Screen, once.
    ua = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")
    context = browser.new_context(user_agent=ua, viewport={"width": 390, "height": 844},
                                  locale="sv-SE")
    page = context.new_page()
    try:
        page.goto(server.url + "/w/ASEDA7")
        page.wait_for_selector("#install-banner", state="visible")
        assert page.is_visible("#install-ios") and page.is_hidden("#install-now")
        page.click("#install-later")
        assert page.is_hidden("#install-banner")
        # The dismissal is written to IndexedDB after the click; reload only once it is stored.
        page.wait_for_function(
            "() => import('/static/js/db.js').then(db => db.getMeta('install_dismissed'))")
        page.reload()
        page.wait_for_function("() => window.__installChecks >= 1")
        assert page.is_hidden("#install-banner")
    finally:
        context.close()
