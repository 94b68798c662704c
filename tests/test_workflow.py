"""The workflow module: every legal and illegal move, required texts, promised dates, overdue,
and the history rows each move leaves."""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import comment_item
from walkapp import workflow
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.models import STATUSES, Comment, StatusChange

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
CLERK = Actor(name="Gata/park", user_id=None, role="department")


@pytest.fixture
def routed(app, world, device):
    """One input routed to the streets department; returns a loader for it."""
    item = comment_item()
    assert device.sync(item).get_json()["results"][0]["comment_status"] == "routed"

    def load() -> Comment:
        return db.session.get(Comment, uuid.UUID(item["id"]))
    return load


LEGAL = {(a, b) for a, moves in workflow.DEPARTMENT_MOVES.items() for b in moves}
ALL_PAIRS = list(itertools.product(STATUSES, STATUSES))


def _texts(to: str) -> dict:
    return {"public_text": "Vi lagar det i vår." if to in workflow.NEEDS_ANSWER else None,
            "note": "Trafikverket äger vägen." if to in workflow.NEEDS_REASON else None}


@pytest.mark.parametrize(("start", "to"), ALL_PAIRS)
def test_every_move_is_legal_or_refused(ctx, routed, start, to):
    c = routed()
    c.status = start
    if (start, to) in LEGAL:
        change = workflow.move(db.session, c, to, CLERK, NOW, **_texts(to))
        assert (change.from_status, change.status, c.status) == (start, to, to)
        assert change.action == "status" and change.author == "Gata/park"
    else:
        with pytest.raises(workflow.WorkflowError) as err:
            workflow.move(db.session, c, to, CLERK, NOW, **_texts(to))
        assert err.value.field == "status" and c.status == start


@pytest.mark.parametrize("to", sorted(workflow.NEEDS_ANSWER))
def test_closing_needs_a_public_answer(ctx, routed, to):
    c = routed()
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.move(db.session, c, to, CLERK, NOW, public_text="   ")
    assert err.value.field == "public_text" and c.status == "routed"
    workflow.move(db.session, c, to, CLERK, NOW, public_text=" Klart. ")
    assert c.answer == "Klart." and c.answered_at == NOW and c.changed_at == NOW


def test_not_ours_needs_a_reason_and_keeps_it_internal(ctx, routed):
    c = routed()
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.move(db.session, c, "not_ours", CLERK, NOW)
    assert err.value.field == "note"
    change = workflow.move(db.session, c, "not_ours", CLERK, NOW, note="Statlig väg")
    assert change.note == "Statlig väg" and change.public_text is None and c.answer is None


def test_a_merged_duplicate_cannot_be_moved(ctx, routed, device):
    c = routed()
    device.sync(primary := comment_item())
    c.merged_into_id = uuid.UUID(primary["id"])
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.move(db.session, c, "acknowledged", CLERK, NOW)
    assert "merged" in str(err.value)


def test_error_message_names_both_statuses(ctx, routed):
    c = routed()
    c.status = "done"
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.move(db.session, c, "acknowledged", CLERK, NOW)
    assert err.value.params == {"from": "done", "to": "acknowledged"}
    assert str(err.value) == "An input that is “done” cannot become “acknowledged”."


def test_promise_sets_the_date_and_refuses_the_past(ctx, routed):
    c = routed()
    today = date(2026, 6, 1)
    with pytest.raises(workflow.WorkflowError):
        workflow.promise(db.session, c, today - timedelta(days=1), CLERK, NOW, today)
    change = workflow.promise(db.session, c, date(2026, 6, 20), CLERK, NOW, today)
    assert c.promised_on == date(2026, 6, 20) and change.data == {"promised_on": "2026-06-20"}
    assert c.changed_at == NOW  # the resident's phone learns of the date on its next sync


def test_due_date_and_overdue(ctx, routed):
    c = routed()
    c.received_at = datetime(2026, 5, 1, 22, 30, tzinfo=UTC)  # already 2 May in Stockholm
    tz = "Europe/Stockholm"
    assert workflow.due_on(c, 21, tz) == date(2026, 5, 23)
    assert not workflow.is_overdue(c, date(2026, 5, 23), 21, tz)
    assert workflow.is_overdue(c, date(2026, 5, 24), 21, tz)
    c.promised_on = date(2026, 6, 30)
    assert not workflow.is_overdue(c, date(2026, 6, 1), 21, tz)
    c.status = "done"
    assert not workflow.is_overdue(c, date(2026, 7, 30), 21, tz)


def test_history_rows_are_stored(ctx, routed):
    c = routed()
    workflow.move(db.session, c, "acknowledged", CLERK, NOW)
    workflow.move(db.session, c, "done", CLERK, NOW + timedelta(hours=1), public_text="Fixat")
    db.session.commit()
    rows = db.session.scalars(select(StatusChange).where(StatusChange.comment_id == c.id)
                              .order_by(StatusChange.id)).all()
    assert [(r.action, r.from_status, r.status) for r in rows] == [
        ("route", "received", "routed"), ("status", "routed", "acknowledged"),
        ("status", "acknowledged", "done")]
    assert rows[-1].public_text == "Fixat"


def test_a_duplicate_shows_the_primary_answer_in_its_residents_feed(app, ctx, world, new_device):
    alice, bob = new_device(), new_device()
    mine, theirs = comment_item(), comment_item(text="Samma hål i vägen")
    alice.sync(mine)
    bob.sync(theirs)
    primary = db.session.get(Comment, uuid.UUID(mine["id"]))
    dup = db.session.get(Comment, uuid.UUID(theirs["id"]))
    dup.merged_into_id, dup.status = primary.id, "duplicate"
    db.session.commit()
    later = datetime.now(UTC) + timedelta(seconds=1)
    workflow.move(db.session, primary, "done", CLERK, later, public_text="Lagat i dag.")
    db.session.commit()
    assert db.session.get(Comment, dup.id).changed_at == later  # bob's feed moves too
    app.config["FEED_SETTLE_SECONDS"] = 0
    feed = bob.get("/api/v1/devices/me/comments").get_json()["comments"]
    assert [(c["status"], c["merged"], [r["text"] for r in c["responses"]]) for c in feed] == [
        ("done", True, ["Lagat i dag."])]


def test_note_and_answer(ctx, routed):
    c = routed()
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.add_note(db.session, c, "  ", CLERK, NOW)
    assert err.value.field == "note"
    note = workflow.add_note(db.session, c, " Ring Peab ", CLERK, NOW)
    assert (note.action, note.note, note.public_text, c.answer) == ("note", "Ring Peab", None, None)
    assert c.changed_at != NOW  # a note is not news for the resident
    reply = workflow.answer(db.session, c, "Vi tittar på det.\n/Gata", CLERK, NOW)
    assert (reply.action, reply.status, c.status) == ("answer", "routed", "routed")
    assert c.answer == "Vi tittar på det.\n/Gata" and c.changed_at == NOW
    c.status = "not_ours"
    with pytest.raises(workflow.WorkflowError):
        workflow.answer(db.session, c, "Hej", CLERK, NOW)


def test_promise_only_while_the_department_owes_something(ctx, routed):
    c = routed()
    c.status = "done"
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.promise(db.session, c, date(2026, 7, 1), CLERK, NOW, date(2026, 6, 1))
    assert err.value.params == {"now": "done"} and c.promised_on is None


def test_bulk_writes_all_or_nothing(ctx, routed, device):
    first = routed()
    second_item = comment_item()
    device.sync(second_item)
    second = db.session.get(Comment, uuid.UUID(second_item["id"]))
    second.status = "done"
    with pytest.raises(workflow.BulkRefused) as err:
        workflow.acknowledge_all(db.session, [first, second], CLERK, NOW)
    assert [r.comment for r in err.value.refused] == [second]
    assert first.status == "routed" and not [o for o in db.session.new
                                             if isinstance(o, StatusChange)]
    second.status = "in_progress"
    with pytest.raises(workflow.BulkRefused):
        workflow.acknowledge_all(db.session, [first, second], CLERK, NOW)
    changes = workflow.promise_all(db.session, [first, second], date(2026, 6, 9), CLERK, NOW,
                                   date(2026, 6, 1))
    assert len(changes) == 2 and first.promised_on == second.promised_on == date(2026, 6, 9)


def test_stale_form_is_refused(ctx, routed):
    c = routed()
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.move(db.session, c, "in_progress", CLERK, NOW, expected="acknowledged")
    assert err.value.params == {"now": "routed"} and c.status == "routed"
