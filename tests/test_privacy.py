"""Personal data: a resident erases their device from the app (nothing of it is left in any
table, its token stops working, submitted inputs stay as public records without a link to
it), and `walkapp purge` removes what is past its retention."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.conftest import comment_item, stored_photo
from tests.conftest import small_jpeg as jpeg
from tests.receivers import PushClient
from tests.test_api_walks import POINTS, track_url
from walkapp import workflow
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.models import Base, Comment, Delivery, Device, hash_token, utcnow

CLERK = Actor(name="Gata/park", role="department")
EMAIL = "anna.svensson@example.org"
ENDPOINT = "https://fcm.googleapis.com/fcm/send/anna-phone-endpoint"


def every_value(app) -> str:
    """Every value of every row of every table, as one text to search."""
    with app.app_context():
        parts = []
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                parts += [str(v) for v in row]
        return "\n".join(parts)


@pytest.fixture
def used_phone(app, world, device):
    """A phone that gave an address and a push subscription, recorded a route, sent one
    input an official has reviewed (and a department answered) and one still a draft with
    a photo."""
    keys = PushClient().keys()
    assert device.put("/api/v1/devices/me/email", json={"email": EMAIL}).status_code == 201
    assert device.put("/api/v1/devices/me/push", json={
        "subscription": {"endpoint": ENDPOINT, "keys": keys}}).status_code == 201
    assert device.put(track_url(), json={"points": POINTS}).status_code == 201
    kept, draft, photo_id = comment_item(text="Publikt inspel"), comment_item(), uuid.uuid4()
    draft["photos"] = [str(photo_id)]
    device.sync(kept, draft)
    device.put(f"/api/v1/comments/{draft['id']}/photos/{photo_id}", data=jpeg(),
               headers={"Content-Type": "image/jpeg"})
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(kept["id"]))
        workflow.move(db.session, c, "done", CLERK, utcnow(), public_text="Klart.")
        db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(Delivery).where(
            Delivery.device_id == device.id)) == 2  # push and e-mail notices waiting
    return {"kept": kept["id"], "draft": draft["id"], "photo": photo_id, "keys": keys}


def test_erasure_leaves_nothing_of_the_device_in_any_table(app, device, used_phone):
    assert all(stored_photo(app, used_phone["photo"], v) for v in ("full", "thumb"))
    traces = [device.id, hash_token(device.token), EMAIL, ENDPOINT,
              used_phone["keys"]["p256dh"], used_phone["keys"]["auth"], used_phone["draft"]]
    before = every_value(app)
    assert all(t in before for t in traces)  # the search would find them

    resp = device.delete("/api/v1/devices/me")
    assert resp.status_code == 200
    assert resp.get_json() == {"drafts_deleted": 1, "inputs_kept": 1}
    after = every_value(app)
    assert [t for t in traces if t in after] == []
    assert not any(stored_photo(app, used_phone["photo"], v) for v in ("full", "thumb"))
    with app.app_context():
        kept = db.session.get(Comment, uuid.UUID(used_phone["kept"]))
        assert (kept.text, kept.status, kept.device_id) == ("Publikt inspel", "done", None)
        assert kept.answer == "Klart."  # the public record and its answer stay


def test_after_erasure_the_token_opens_nothing(world, device, used_phone):
    device.delete("/api/v1/devices/me")
    for method, url in [("get", "/api/v1/devices/me"), ("get", "/api/v1/devices/me/comments"),
                        ("delete", "/api/v1/devices/me"), ("delete", "/api/v1/devices/me/push")]:
        resp = getattr(device, method)(url)
        assert resp.status_code == 401, url
    assert device.sync(comment_item()).status_code == 401


def test_a_new_device_cannot_take_over_a_kept_input(world, device, used_phone, new_device):
    device.delete("/api/v1/devices/me")
    again = comment_item(id=used_phone["kept"], text="Ändrat")
    (result,) = new_device().sync(again).get_json()["results"]
    assert result["status"] == "rejected" and result["errors"][0]["field"].endswith(".id")


def test_erasure_needs_the_token(client):
    assert client.delete("/api/v1/devices/me").status_code == 401


def test_the_readme_says_inputs_are_public_records():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "public records" in readme and "DELETE /api/v1/devices/me" in readme


# --- walkapp purge ---------------------------------------------------------------------------

def test_purge_removes_personal_data_past_its_retention(app, runner, world, device,
                                                        new_device, outbox):
    recent = new_device()
    for d in (device, recent):
        d.put("/api/v1/devices/me/email", json={"email": EMAIL})
        d.put("/api/v1/devices/me/push", json={
            "subscription": {"endpoint": ENDPOINT + d.id, "keys": PushClient().keys()}})
    device.sync(comment_item())
    outbox.run()  # the department's e-mail: sent, with its payload and recipient
    with app.app_context():
        long_ago = utcnow() - timedelta(days=400)
        old = db.session.get(Device, device.id)
        old.contact_email_at = old.push_at = long_ago
        db.session.execute(text("UPDATE delivery SET updated_at = :t"), {"t": long_ago})
        db.session.commit()

    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0 and "would remove: 1 contact emails" in dry.output
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "removed: 1 contact emails, 1 push subscriptions, 1 delivery payloads")
    with app.app_context():
        old, new = db.session.get(Device, device.id), db.session.get(Device, recent.id)
        assert (old.contact_email, old.push_endpoint, old.push_keys) == (None, None, None)
        assert (new.contact_email, new.push_endpoint is not None) == (EMAIL, True)
        (row,) = db.session.scalars(select(Delivery)).all()
        assert (row.state, row.payload, row.recipient) == ("sent", None, None)
    assert runner.invoke(args=["purge"]).output.strip() == (
        "removed: 0 contact emails, 0 push subscriptions, 0 delivery payloads")


def test_a_purged_delivery_sent_again_is_cancelled_with_a_reason(app, world, device, outbox):
    from walkapp import delivery, privacy

    device.sync(comment_item())
    with app.app_context():
        row = db.session.scalar(select(Delivery))
        row.state, row.updated_at = "failed", utcnow() - timedelta(days=400)
        db.session.commit()
        privacy.purge(db.session, utcnow(), 365, 90)
        delivery.retry(db.session, [row.id], utcnow())
        db.session.commit()
    assert outbox.run() == {"cancelled": 1}
    (row,) = outbox.rows()
    assert (row.state, row.last_error) == ("cancelled", delivery.PURGED)
