"""The outbox is written with the event it announces: by sync's bulk routing and by
history.record, in the same transaction, one row per event and channel, by the department's
settings and the residents' opt-ins."""

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import comment_item, set_department
from walkapp import delivery, workflow
from walkapp.extensions import db
from walkapp.history import Actor, record
from walkapp.models import Comment, Delivery, Device

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
OFFICIAL = Actor(name="Anna", user_id=None, role="official")
CLERK = Actor(name="Gata/park", role="department")


def rows(**where) -> list[Delivery]:
    return db.session.scalars(select(Delivery).filter_by(**where).order_by(Delivery.id)).all()


def test_sync_queues_an_email_per_routed_input_with_the_event(ctx, world, device):
    item = comment_item(photos=[str(uuid.uuid4())])
    device.sync(item)
    (row,) = rows()
    assert (row.channel, row.event, row.state, row.attempts) == ("email", "route", "pending", 0)
    assert row.department_id == world["departments"]["streets"]
    assert row.comment_id == uuid.UUID(item["id"]) and len(row.key) == 32
    assert row.payload["type"] == "input.routed"
    data = row.payload["input"]
    assert (data["id"], data["text"], data["photos"]) == (item["id"], item["text"], 1)
    assert data["category"]["labels"]["en"] == "Roads and traffic"
    assert data["walk"] == {"join_code": "ASEDA7", "title": "Vandring i Åseda"}
    assert device.id not in str(row.payload)  # departments never learn which phone


def test_a_retry_of_the_same_batch_queues_nothing_more(ctx, world, device):
    item = comment_item()
    device.sync(item)
    device.sync(item)
    assert len(rows()) == 1


def test_a_department_with_a_webhook_gets_both(app, world, device):
    set_department(app, webhook_url="https://streets.example.org/hook")
    device.sync(comment_item())
    with app.app_context():
        assert [r.channel for r in rows()] == ["email", "webhook"]


def test_digest_rows_wait_for_the_departments_hour(app, world, device):
    set_department(app, email_mode="digest", digest_hour=6)
    device.sync(comment_item())
    with app.app_context():
        (row,) = rows()
        local = row.next_attempt_at.astimezone(ZoneInfo("Europe/Stockholm"))
        assert (row.channel, local.hour, local.minute) == ("digest", 6, 0)


def test_email_off_and_no_webhook_queue_nothing(app, world, device):
    set_department(app, email_mode="off")
    device.sync(comment_item())
    with app.app_context():
        assert rows() == []


def test_an_outbox_that_cannot_be_written_stores_nothing_at_all(app, world, device,
                                                               monkeypatch):
    real = delivery.department_rows

    def broken(*args, **kwargs):
        return [dict(r, channel=None) for r in real(*args, **kwargs)]  # violates NOT NULL
    monkeypatch.setattr(delivery, "department_rows", broken)
    item = comment_item()
    assert device.sync(item).status_code == 500
    with app.app_context():
        assert db.session.get(Comment, uuid.UUID(item["id"])) is None


@pytest.mark.parametrize(("when", "hour"), [
    ("2026-03-28T12:00:00+01:00", "2026-03-29T07:00:00+02:00"),  # the night clocks go forward
    ("2026-10-24T06:59:00+02:00", "2026-10-24T07:00:00+02:00"),
    ("2026-10-24T07:00:00+02:00", "2026-10-25T07:00:00+01:00"),  # the night they go back
])
def test_next_digest_is_at_the_local_hour_across_daylight_saving(when, hour):
    now = datetime.fromisoformat(when)
    assert delivery.next_digest(now, 7, "Europe/Stockholm") == datetime.fromisoformat(hour)


# --- history.record ---------------------------------------------------------------------------

@pytest.fixture
def routed(app, world, device):
    item = comment_item()
    device.sync(item)
    with app.app_context():
        db.session.execute(db.delete(Delivery))  # the routing's own rows; tested above
        db.session.commit()
    return uuid.UUID(item["id"])


def opt_in(device_id: str, email: str | None = "anna@example.org", push: bool = False):
    d = db.session.get(Device, device_id)
    d.contact_email = email
    if push:
        d.push_endpoint, d.push_keys = "https://fcm.googleapis.com/fcm/send/x", {"p256dh": "a",
                                                                               "auth": "b"}


def test_a_reroute_tells_the_new_department(ctx, world, routed):
    c = db.session.get(Comment, routed)
    c.department_id, c.status = world["departments"]["parks"], "routed"
    record(db.session, c, "reroute", OFFICIAL, NOW, status="routed",
           department_id=world["departments"]["parks"])
    db.session.commit()
    (row,) = rows()
    assert (row.channel, row.event, row.department_id) == (
        "email", "reroute", world["departments"]["parks"])
    assert row.payload["type"] == "input.rerouted"


def test_notes_and_promises_tell_nobody(ctx, routed, device):
    opt_in(device.id)
    c = db.session.get(Comment, routed)
    record(db.session, c, "note", OFFICIAL, NOW, note="Ring Trafikverket")
    workflow.promise(db.session, c, NOW.date(), CLERK, NOW, NOW.date())
    db.session.commit()
    assert rows() == []


def test_status_changes_and_answers_tell_residents_who_asked(ctx, routed, device):
    c = db.session.get(Comment, routed)
    workflow.move(db.session, c, "acknowledged", CLERK, NOW)
    assert rows() == []  # nobody asked to hear
    opt_in(device.id, push=True)
    workflow.move(db.session, c, "done", CLERK, NOW, public_text="Lagat i dag.")
    db.session.commit()
    push, mail = rows()
    assert (push.channel, mail.channel) == ("push", "resident_email")
    assert {r.event for r in (push, mail)} == {"answer"} and push.device_id == device.id
    assert push.next_attempt_at == NOW + delivery.NOTIFY_DELAY  # a quick run makes one notice
    assert push.payload == {"status": "done"}  # the notice is written from the input later


def test_residents_behind_a_merged_duplicate_hear_the_answer_too(ctx, world, routed, device,
                                                               new_device):
    other = new_device()
    twin = comment_item()
    other.sync(twin)
    db.session.execute(db.delete(Delivery))
    opt_in(other.id)
    duplicate = db.session.get(Comment, uuid.UUID(twin["id"]))
    duplicate.merged_into_id, duplicate.status = routed, "duplicate"
    c = db.session.get(Comment, routed)
    workflow.move(db.session, c, "done", CLERK, NOW, public_text="Lagat.")
    db.session.commit()
    (row,) = rows()
    assert (row.device_id, row.comment_id) == (other.id, duplicate.id)
