"""Residents who ask to hear of answers: Web Push end to end (subscribe through the API, an
answer is recorded, the worker sends, a loopback push endpoint checks the VAPID signature and
decrypts the payload with http_ece), and e-mail to an address given for this one purpose."""

import base64
import json
import os
import stat
import uuid
from datetime import timedelta

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from tests.conftest import comment_item
from tests.receivers import PushClient
from walkapp import push, workflow
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.models import Comment, Delivery, Device, utcnow

CLERK = Actor(name="Gata/park", role="department")


def b64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def subscription(endpoint: str, client: PushClient | None = None) -> dict:
    return {"endpoint": endpoint, "keys": (client or PushClient()).keys()}


@pytest.fixture
def loopback_push(app, http_server):
    """Our loopback HTTP server stands in for a browser's push service."""
    app.config.update(PUSH_SERVICE_HOSTS=["127.0.0.1"], PUSH_ALLOW_HTTP=True)
    return http_server


def answer(app, comment_id: str, text="Vi lagar kantstenen i maj.", to="done"):
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(comment_id))
        workflow.move(db.session, c, to, CLERK, utcnow(), public_text=text)
        db.session.commit()


def soon() -> object:
    return utcnow() + timedelta(minutes=3)  # past the notice delay


# --- the VAPID key -------------------------------------------------------------------------

def test_vapid_key_is_made_once_into_the_instance_folder_readable_by_us_only(app, client,
                                                                            tmp_path):
    path = tmp_path / "vapid.pem"
    app.config["VAPID_PRIVATE_KEY"] = str(path)
    key = client.get("/api/v1/push/key").get_json()["public_key"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    raw = b64(key)
    assert len(raw) == 65 and raw[0] == 4  # the uncompressed P-256 point the browser wants
    before = path.read_bytes()
    push.vapid.cache_clear()
    assert client.get("/api/v1/push/key").get_json()["public_key"] == key
    assert path.read_bytes() == before  # never replaced


# --- subscribing -----------------------------------------------------------------------------

def test_subscribe_renew_and_unsubscribe(app, world, device):
    sub = subscription("https://fcm.googleapis.com/fcm/send/abc123")
    resp = device.put("/api/v1/devices/me/push", json={"subscription": sub, "language": "da"})
    assert resp.status_code == 201 and resp.get_json()["push"] is True
    assert device.put("/api/v1/devices/me/push", json={"subscription": sub}).status_code == 200
    me = device.get("/api/v1/devices/me").get_json()
    assert (me["push"], me["language"]) == (True, "da")
    assert device.delete("/api/v1/devices/me/push").status_code == 204
    assert device.get("/api/v1/devices/me").get_json()["push"] is False


@pytest.mark.parametrize(("sub", "field"), [
    ({"endpoint": "https://169.254.169.254/latest/meta-data", "keys": PushClient().keys()},
     "subscription.endpoint"),
    ({"endpoint": "http://fcm.googleapis.com/fcm/send/x", "keys": PushClient().keys()},
     "subscription.endpoint"),
    ({"endpoint": "https://fcm.googleapis.com/fcm/send/x",
      "keys": {"p256dh": "A" * 87, "auth": "B" * 22}}, "subscription.keys.p256dh"),
    ({"endpoint": "https://fcm.googleapis.com/fcm/send/x"}, "subscription.keys"),
    ("not an object", "subscription"),
])
def test_a_subscription_we_cannot_or_must_not_use_is_refused_by_field(world, device, sub,
                                                                    field):
    resp = device.put("/api/v1/devices/me/push", json={"subscription": sub})
    assert resp.status_code == 400
    assert field in [f["field"] for f in resp.get_json()["error"]["fields"]]
    assert device.get("/api/v1/devices/me").get_json()["push"] is False  # nothing written


def test_push_endpoints_need_a_token(client):
    body = {"subscription": subscription("https://fcm.googleapis.com/fcm/send/x")}
    assert client.put("/api/v1/devices/me/push", json=body).status_code == 401
    assert client.delete("/api/v1/devices/me/push").status_code == 401
    assert client.put("/api/v1/devices/me/email", json={"email": "a@example.org"}
                      ).status_code == 401


# --- end to end ------------------------------------------------------------------------------

def verify_vapid(header: str, public_key: str, audience: str) -> dict:
    """Check the Authorization: vapid t=<JWT>, k=<key> header as a push service does."""
    scheme, _, params = header.partition(" ")
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert scheme == "vapid" and fields["k"] == public_key
    head, claims, sig = fields["t"].split(".")
    raw = b64(sig)
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                     int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64(public_key))
    key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    body = json.loads(b64(claims))
    assert body["aud"] == audience and body["exp"] > utcnow().timestamp()
    return body


def test_an_answer_reaches_the_phone_by_web_push(app, client, world, device, outbox,
                                                 loopback_push):
    phone = PushClient()
    item = comment_item()
    device.sync(item)
    resp = device.put("/api/v1/devices/me/push", json={
        "subscription": subscription(loopback_push.url + "/push/phone-1", phone),
        "language": "en"})
    assert resp.status_code == 201
    answer(app, item["id"])
    assert outbox.run(at=soon()) == {"sent": 2}  # the department's mail and the push
    (req,) = loopback_push.requests
    assert req.path == "/push/phone-1"
    assert req.headers["content-encoding"] == "aes128gcm" and int(req.headers["ttl"]) > 0
    (row,) = outbox.rows(channel="push")
    assert req.headers["topic"] == row.key  # a resend replaces, never adds
    public_key = client.get("/api/v1/push/key").get_json()["public_key"]
    claims = verify_vapid(req.headers["authorization"], public_key, loopback_push.url)
    assert claims["sub"] == "mailto:walkapp@kommun.example"
    message = phone.decrypt(req.body)
    assert message == {
        "title": "News about your input", "body": "Done: Vi lagar kantstenen i maj.",
        "url": f"/w/ASEDA7?pin={item['id']}", "tag": f"walkapp-{item['id']}", "lang": "en"}
    with pytest.raises(http_ece.ECEException):
        PushClient().decrypt(req.body)  # only that phone can read it
    assert (row.state, row.recipient) == ("sent", "127.0.0.1")  # the service, not the phone


def test_a_quick_run_of_changes_makes_one_notice_with_the_latest_state(
        app, world, device, outbox, loopback_push):
    phone = PushClient()
    item = comment_item()
    device.sync(item)
    device.put("/api/v1/devices/me/push", json={
        "subscription": subscription(loopback_push.url + "/p", phone), "language": "en"})
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        workflow.move(db.session, c, "acknowledged", CLERK, utcnow())
        workflow.move(db.session, c, "in_progress", CLERK, utcnow(), public_text="Vi tittar.")
        db.session.commit()
    counts = outbox.run(at=soon())
    assert counts["cancelled"] == 1 and len(loopback_push.requests) == 1
    assert phone.decrypt(loopback_push.requests[0].body)["body"] == "In progress: Vi tittar."


def test_an_ended_subscription_is_forgotten(app, world, device, outbox, loopback_push):
    item = comment_item()
    device.sync(item)
    device.put("/api/v1/devices/me/push", json={
        "subscription": subscription(loopback_push.url + "/gone")})
    loopback_push.answer = lambda req: 410
    answer(app, item["id"])
    outbox.run(at=soon())
    (row,) = outbox.rows(channel="push")
    assert row.state == "cancelled" and row.last_error == push.GONE
    with app.app_context():
        d = db.session.get(Device, device.id)
        assert (d.push_endpoint, d.push_keys) == (None, None)


def test_push_service_down_is_retried(app, world, device, outbox, loopback_push):
    item = comment_item()
    device.sync(item)
    device.put("/api/v1/devices/me/push", json={
        "subscription": subscription(loopback_push.url + "/p")})
    loopback_push.stop()
    answer(app, item["id"])
    assert outbox.run(at=soon())["retry"] == 1
    loopback_push.start()
    assert outbox.run(at=soon() + timedelta(minutes=5)) == {"sent": 1}


# --- e-mail to the resident ----------------------------------------------------------------

def test_an_answer_reaches_the_residents_address_with_a_way_to_stop(app, client, world, device,
                                                                   outbox, smtp_server):
    item = comment_item(text="Kantstenen vid övergångsstället är trasig.")
    device.sync(item)
    resp = device.put("/api/v1/devices/me/email",
                      json={"email": " Anna.Svensson@Example.org ", "language": "en"})
    assert resp.status_code == 201
    assert resp.get_json()["contact_email"] == "Anna.Svensson@example.org"
    outbox.run()  # the department's e-mail
    smtp_server.messages.clear()
    answer(app, item["id"])
    assert outbox.run(at=soon()) == {"sent": 1}
    (msg,) = smtp_server.messages
    assert msg["X-Envelope-To"] == "Anna.Svensson@example.org"
    assert msg["Subject"] == "News about your input from Vandring i Åseda"
    body = msg.get_content()
    assert "Kantstenen vid övergångsstället är trasig." in body
    assert "Vi lagar kantstenen i maj." in body and "Answer from Gata/park" in body
    assert f"https://walk.example.org/w/ASEDA7?pin={item['id']}" in body
    stop = msg["List-Unsubscribe"].strip("<>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and stop in body
    path = stop.removeprefix("https://walk.example.org")
    page = client.get(path)
    assert page.status_code == 200 and "Anna.Svensson@example.org" in page.text
    assert client.post(path).status_code == 200  # one click, no form token needed
    assert device.get("/api/v1/devices/me").get_json()["contact_email"] is None
    assert client.get(path.replace("/stop/", "/stop/x")).status_code == 404


def test_an_address_we_cannot_write_to_is_refused(world, device):
    for bad in ("anna", "anna@", "anna@localhost", "anna@site.test", "a" * 300 + "@x.se"):
        resp = device.put("/api/v1/devices/me/email", json={"email": bad})
        assert resp.status_code == 400, bad
        assert resp.get_json()["error"]["fields"][0]["field"] == "email"
    assert device.put("/api/v1/devices/me/email", data="x").status_code == 400
    assert device.get("/api/v1/devices/me").get_json()["contact_email"] is None


def test_removing_the_address_cancels_what_waits(app, world, device, outbox, smtp_server):
    item = comment_item()
    device.sync(item)
    device.put("/api/v1/devices/me/email", json={"email": "anna@example.org"})
    answer(app, item["id"])
    assert device.delete("/api/v1/devices/me/email").status_code == 204
    outbox.run(at=soon())
    with app.app_context():
        row = db.session.scalar(db.select(Delivery).filter_by(channel="resident_email"))
        assert row.state == "cancelled"
    assert all(m["X-Envelope-To"] != "anna@example.org" for m in smtp_server.messages)


def test_the_residents_email_is_in_their_language_with_the_promised_date(
        app, world, device, outbox, smtp_server):
    from datetime import date

    item = comment_item()
    device.sync(item)
    device.put("/api/v1/devices/me/email", json={"email": "anna@example.org", "language": "da"})
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(item["id"]))
        today = utcnow().date()
        workflow.promise(db.session, c, date(today.year + 1, 6, 30), CLERK, utcnow(), today)
        workflow.move(db.session, c, "in_progress", CLERK, utcnow(), public_text="Vi kigger.")
        db.session.commit()
    outbox.run()
    smtp_server.messages.clear()
    outbox.run(at=soon())
    (msg,) = smtp_server.messages
    assert msg["Subject"] == "Nyt om dit input fra Vandring i Åseda"
    body = msg.get_content().replace("\r\n", "\n")
    assert f"Forventes senest: 30. juni {today.year + 1}" in body
    assert "Status: I gang" in body and "Svar fra Gata/park:\nVi kigger." in body
