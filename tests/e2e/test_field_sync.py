"""The heart of the field app: pins made offline reach the server exactly once, whatever
the network and the server do in between. Real Chromium, emulated geolocation."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.e2e.conftest import sw_registration
from walkapp.extensions import db
from walkapp.models import Comment, Walk

pytestmark = pytest.mark.browser


def only_pin(phone):
    pins = phone.pins()
    assert len(pins) == 1, pins
    return pins[0]


def test_offline_pin_with_photo_survives_reload_and_is_sent_once(
        phone, page, context, comments_of, big_photo):
    phone.join()
    context.set_offline(True)
    phone.add_pin("Trasig gatlykta vid skolan", photo=big_photo)
    pin = only_pin(phone)
    assert [e["kind"] for e in phone.outbox()] == ["comment"]

    # The app and the pin are still there after a reload with no network at all.
    page.reload()
    page.wait_for_selector("#add-pin:not([disabled])")
    page.click("#show-list")
    item = page.locator(f"#pin-{pin['id']}")
    assert "Trasig gatlykta vid skolan" in item.inner_text()
    assert item.locator(".badge-waiting").count() == 1
    assert page.get_attribute("#indicator", "data-state") == "waiting"
    photo = page.evaluate(
        f"import('/static/js/db.js').then(db => db.getPhoto('{pin['photos'][0]}'))"
        ".then(p => ({type: p.type, bytes: p.data.byteLength}))")
    assert photo["type"] == "image/jpeg" and photo["bytes"] > 0

    before = phone.attempts
    context.set_offline(False)  # the `online` event starts a round
    phone.wait_attempts(before)
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'")
    assert phone.outbox() == []

    stored = comments_of([pin["id"]])
    assert len(stored) == 1
    assert stored[0]["department"] == "Gata/park"
    assert len(stored[0]["photos"]) == 1 and stored[0]["photos"][0]["stored"]
    assert max(stored[0]["photos"][0]["width"], stored[0]["photos"][0]["height"]) == 1600
    with phone.app.app_context():
        same_text = db.session.query(Comment).filter_by(text="Trasig gatlykta vid skolan").count()
    assert same_text == 1
    # The phone shows where it went.
    assert "Gata/park" in page.locator(f"#pin-{pin['id']}").inner_text()


def test_server_stopped_mid_sync_photo_retried_alone(phone, page, server, comments_of,
                                                      big_photo):
    phone.join()
    sync_posts = []
    page.on("request", lambda r: sync_posts.append(r.url) if r.url.endswith("/sync") else None)

    def server_dies(route):
        server.stop()  # the comment went through; the server goes away before its photo
        route.continue_()

    page.route("**/api/v1/comments/*/photos/*", server_dies, times=1)
    before = phone.attempts
    phone.add_pin("Bänken i parken är trasig", category="parks", photo=big_photo)
    phone.wait_attempts(before)
    pin = only_pin(phone)
    assert [e["kind"] for e in phone.outbox()] == ["photo"]  # the comment is acknowledged
    failed_posts = len(sync_posts)

    phone.wait_attempts(phone.attempts)  # retried on the timer, still down
    assert [e["kind"] for e in phone.outbox()] == ["photo"]
    server.start()
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'",
                           timeout=30000)
    stored = comments_of([pin["id"]])
    assert len(stored) == 1 and stored[0]["photos"][0]["stored"]
    assert stored[0]["department"] == "Parkenheten"
    # Only the photo was retried: the comment was not posted again.
    assert len(sync_posts) == failed_posts


def test_server_down_before_sync_then_back(phone, page, server, comments_of):
    phone.join()
    server.stop()
    before = phone.attempts
    phone.add_pin("Mörkt vid busshållplatsen", category="lighting")
    phone.wait_attempts(before)
    pin = only_pin(phone)
    assert page.get_attribute("#indicator", "data-state") == "waiting"
    assert not page.is_hidden("#send-now")
    server.start()
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'",
                           timeout=30000)
    assert len(comments_of([pin["id"]])) == 1


def test_lost_response_makes_no_duplicate(phone, page, comments_of):
    phone.join()
    # The server commits, but the phone never sees the answer.
    page.route("**/api/v1/sync", lambda route: (route.fetch(), route.abort()), times=1)
    before = phone.attempts
    phone.add_pin("Cykelbanan tar slut mitt i korsningen")
    phone.wait_attempts(before)
    pin = only_pin(phone)
    assert comments_of([pin["id"]]), "the server has it already"
    assert [e["kind"] for e in phone.outbox()] == ["comment"], "but the phone does not know"
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'",
                           timeout=30000)
    assert phone.outbox() == []
    with phone.app.app_context():
        n = db.session.query(Comment).filter_by(
            text="Cykelbanan tar slut mitt i korsningen").count()
    assert n == 1


def test_rejected_pin_stays_with_the_reason(phone, page, context, e2e_app):
    with e2e_app.app_context():
        src = db.session.query(Walk).filter_by(join_code="ASEDA7").one()
        if db.session.query(Walk).filter_by(join_code="SHUT1").first() is None:
            db.session.add(Walk(municipality_id=src.municipality_id, join_code="SHUT1",
                                title="Stängs snart", locality="Åseda", starts_at=src.starts_at,
                                area=src.area, status="open"))
            db.session.commit()
    phone.join("SHUT1")
    context.set_offline(True)
    phone.add_pin("Skrivet efter att vandringen stängts")
    with e2e_app.app_context():
        walk = db.session.query(Walk).filter_by(join_code="SHUT1").one()
        walk.status, walk.closed_at = "closed", datetime.now(UTC) - timedelta(hours=1)
        db.session.commit()
    before = phone.attempts
    context.set_offline(False)
    phone.wait_attempts(before)
    page.wait_for_function(
        "() => document.getElementById('indicator').dataset.state === 'rejected'")
    pin = only_pin(phone)
    assert pin["rejected"][0]["code"] == "walk_closed"
    assert phone.outbox()[0]["state"] == "rejected"
    page.click("#show-list")
    item = page.locator(f"#pin-{pin['id']}")
    assert item.locator(".badge-rejected").count() == 1
    # The server's reason, in the resident's language (the municipality's Swedish here).
    assert "Vandringen stängdes innan markeringen gjordes." in item.inner_text()
    assert item.locator("text=Skrivet efter att vandringen stängts").count() == 1
    # Retrying does not drop it either.
    before = phone.attempts
    page.evaluate("import('/static/js/sync.js').then(s => s.syncNow({force: true}))")
    phone.wait_attempts(before)
    assert only_pin(phone)["rejected"]


def test_service_worker_update_keeps_the_outbox(phone, page, server, e2e_app, comments_of):
    phone.join()
    page.route("**/api/v1/sync", lambda route: route.abort())  # nothing gets through
    phone.add_pin("Skickas efter uppdateringen")
    pin = only_pin(phone)
    page.evaluate("caches.open('walkapp-tiles-v1').then(c => c.put('/tiles/1/0/0.png', "
                  "new Response('tile')))")
    old = page.evaluate("caches.keys()")

    e2e_app.config["PWA_VERSION"] = "e2e-next"
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    page.wait_for_selector("#update-banner", state="visible")
    assert [e["kind"] for e in phone.outbox()] == ["comment"]  # a waiting worker touches nothing
    with page.expect_navigation():
        page.click("#update-now")
    page.wait_for_function("() => window.__syncAttempts >= 1")
    keys = page.evaluate("caches.keys()")
    assert "walkapp-shell-e2e-next" in keys
    assert "walkapp-tiles-v1" in keys
    assert not [k for k in old if k.startswith("walkapp-shell-") and k in keys]
    assert [e["id"] for e in phone.outbox()] == [pin["id"]]

    page.unroute("**/api/v1/sync")
    before = phone.attempts
    page.click("#send-now")
    phone.wait_attempts(before)
    assert len(comments_of([pin["id"]])) == 1


def test_background_sync_event_sends_through_the_page(phone, page, context, comments_of):
    phone.join()
    page.route("**/api/v1/sync", lambda route: route.abort())
    phone.add_pin("Skickas av Background Sync")
    pin = only_pin(phone)
    assert page.evaluate("navigator.serviceWorker.ready.then(r => 'sync' in r)")
    page.unroute("**/api/v1/sync")
    # Chrome fires `sync` when the connection is back; DevTools can fire it on demand.
    cdp, registration = sw_registration(context, page)
    cdp.send("ServiceWorker.dispatchSyncEvent", {
        "origin": phone.server.url, "registrationId": registration,
        "tag": "walkapp-outbox", "lastChance": False})
    page.wait_for_function("() => window.__backgroundSyncs >= 1")
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'")
    assert len(comments_of([pin["id"]])) == 1


def test_joining_a_walk_gets_the_device_token_once(phone, page, e2e_app):
    """First contact registers the phone, so the first pin can go out at once; a reload does
    not register it again."""
    from walkapp.models import Device

    def devices() -> int:
        with e2e_app.app_context():
            return len(db.session.scalars(select(Device)).all())

    before = devices()
    phone.join()
    device = phone.until("import('/static/js/db.js').then(db => db.getMeta('device'))")
    assert device["device_id"] and device["token"]
    assert devices() == before + 1
    page.reload()
    page.wait_for_function("() => window.__syncAttempts >= 1")
    assert devices() == before + 1
