"""The resident's "Answers to my pins" in real Chromium: giving and removing an e-mail
address, turning push notifications on (the service worker shows a pushed notice, and its
link opens the pin), and erasing everything — at 320×568 and 390×664, with axe-core."""

import json
import time
import uuid

import pytest

from tests.e2e.conftest import serious_violations, sw_registration
from tests.receivers import PushClient
from walkapp import notices, push
from walkapp.extensions import db
from walkapp.models import Device

pytestmark = pytest.mark.browser


def stored_device(app, phone) -> Device | None:
    meta = phone.until("import('/static/js/db.js').then(db => db.getMeta('device'))")
    with app.app_context():
        device = db.session.get(Device, meta["device_id"])
        db.session.remove()
        return device


def open_more(page):
    page.click("#show-more")
    page.wait_for_selector("#notify", state="visible")
    page.wait_for_function("() => window.__notifyReady === true")


def test_an_email_address_is_given_refused_and_removed(phone, page, e2e_app):
    page.set_viewport_size({"width": 320, "height": 568})
    phone.open()
    open_more(page)
    page.fill("#notify-email", "anna@localhost")
    page.click("#notify-email-form button[type=submit]")
    page.wait_for_selector("#notify-email-error", state="visible")
    assert page.get_attribute("#notify-email", "aria-invalid") == "true"
    assert stored_device(e2e_app, phone).contact_email is None
    page.fill("#notify-email", "anna.svensson@example.org")
    page.click("#notify-email-form button[type=submit]")
    page.wait_for_selector("#notify-email-remove", state="visible")
    assert page.is_hidden("#notify-email-error")
    assert stored_device(e2e_app, phone).contact_email == "anna.svensson@example.org"
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.reload()  # the server's copy comes back into the form
    page.wait_for_function("() => window.__syncAttempts >= 1")
    open_more(page)
    page.wait_for_function(
        "() => document.getElementById('notify-email').value === 'anna.svensson@example.org'")
    page.click("#notify-email-remove")
    page.wait_for_selector("#notify-email-remove", state="hidden")
    assert stored_device(e2e_app, phone).contact_email is None


FAKE_SUBSCRIPTION = """(sub) => {
  // Headless Chromium has no push service to subscribe at; the browser's part is played by a
  // stand-in with real keys. Everything after it (our code, the server) is real.
  const fake = { endpoint: sub.endpoint, toJSON: () => sub,
                 unsubscribe: async () => { window.__pushSub = null; return true; } };
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribeKey = Array.from(new Uint8Array(options.applicationServerKey));
    window.__pushSub = fake;
    return fake;
  };
  PushManager.prototype.getSubscription = async function () { return window.__pushSub || null; };
}"""


def test_push_is_turned_on_and_a_pushed_notice_opens_the_pin(phone, page, context, e2e_app):
    page.set_viewport_size({"width": 390, "height": 664})
    context.grant_permissions(["geolocation", "notifications"])
    sub = {"endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
           "keys": PushClient().keys()}
    page.add_init_script(f"({FAKE_SUBSCRIPTION})({json.dumps(sub)})")
    phone.join()
    phone.add_pin("Bänken vid dammen är trasig")
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'")
    pin_id = page.evaluate("import('/static/js/db.js').then(db => db.listPins())")[0]["id"]
    open_more(page)
    page.click("#notify-push")
    page.wait_for_function("() => document.getElementById('notify-push-status').textContent")
    device = stored_device(e2e_app, phone)
    assert device.push_endpoint == sub["endpoint"] and device.push_keys == sub["keys"]
    key = push.public_key(e2e_app.config["VAPID_PRIVATE_KEY"])
    assert bytes(page.evaluate("window.__subscribeKey")) == push._b64url_bytes(key)
    assert serious_violations(page) == []

    # What the worker would send for this pin (walkapp/notices.py), pushed through DevTools.
    from babel.support import NullTranslations

    news = notices.News(comment_id=pin_id, walk_code="ASEDA7", walk_title="Vandring i Åseda",
                        text="", status="done", answer="Lagad i dag.", department=None,
                        promised_on=None)
    message = notices.push_message(notices.Reader(NullTranslations(), "en", "UTC"), news)
    cdp, reg_id = sw_registration(context, page)
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": phone.server.url, "registrationId": reg_id, "data": json.dumps(message)})
    shown = phone.until("""navigator.serviceWorker.ready.then(r => r.getNotifications())
        .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag,
                                      url: n.data.url})))""")
    assert shown == [{"title": "News about your input", "body": "Done: Lagad i dag.",
                      "tag": f"walkapp-{pin_id}", "url": f"/w/ASEDA7?pin={pin_id}"}]

    page.goto(phone.server.url + shown[0]["url"])  # what a tap on the notice opens
    page.wait_for_function("() => window.__notifyReady === true")
    page.wait_for_function(f"() => document.activeElement.id === 'pin-{pin_id}'")
    assert page.is_visible("#list-panel") and "?pin=" not in page.url

    open_more(page)
    page.click("#notify-push")  # and off again
    page.wait_for_function("() => window.__pushSub === null")
    deadline = time.monotonic() + 10
    while stored_device(e2e_app, phone).push_endpoint is not None:
        assert time.monotonic() < deadline, "the server still has the subscription"
        page.wait_for_timeout(100)


def test_erase_my_data_empties_the_phone_and_the_server(phone, page, e2e_app):
    page.set_viewport_size({"width": 390, "height": 664})
    phone.open()
    phone.add_pin("Ett utkast som ska bort")
    page.wait_for_function("() => document.getElementById('indicator').dataset.state === 'done'")
    device_id = stored_device(e2e_app, phone).id
    open_more(page)
    page.fill("#notify-email", "anna.svensson@example.org")
    page.click("#notify-email-form button[type=submit]")
    page.wait_for_selector("#notify-email-remove", state="visible")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#erase-me")
    page.wait_for_function("() => window.__notifyReady === true && !document.querySelector"
                           "('#pin-list .pin-item')")
    phone.until("import('/static/js/db.js').then(db => db.listPins()).then(p => !p.length)")
    kept = page.evaluate("""import('/static/js/db.js').then(async db => [
        await db.getMeta('me'), await db.listOutbox()])""")
    me, queue = kept  # a fresh anonymous device may have registered since: it has no address
    assert (me or {}).get("contact_email") is None and queue == []
    with e2e_app.app_context():
        assert db.session.get(Device, device_id) is None
        db.session.remove()
