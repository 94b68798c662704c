"""The delivery worker against real receivers on loopback: an SMTP server (aiosmtpd) and an
HTTP server for webhooks. Receivers down, refusing or slow; retries with backoff; the digest;
signatures a receiver can verify with the README's own snippet."""

import itertools
import json
import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PUBLIC_URL, comment_item, set_department
from walkapp import webhooks
from walkapp.extensions import db
from walkapp.mailer import UNSURE
from walkapp.models import utcnow

README = Path(__file__).resolve().parents[1] / "README.md"


def later(minutes=0, **kw) -> datetime:
    return utcnow() + timedelta(minutes=minutes, **kw)


# --- e-mail to departments -------------------------------------------------------------------

def test_each_routed_input_is_mailed_in_the_departments_language(app, world, device, outbox,
                                                                 smtp_server):
    set_department(app, language="en")
    item = comment_item(text="The kerb at the crossing is broken.", accuracy_m=6)
    device.sync(item)
    (row,) = outbox.rows(channel="email")
    assert outbox.run() == {"sent": 1}
    (msg,) = smtp_server.messages
    assert msg["To"] == "streets@example.org"
    assert msg["Message-ID"] == f"<{row.key}@kommun.example>"  # the same on any resend
    assert msg["Subject"] == "New input for Gata/park: Roads and traffic"
    body = msg.get_content()
    assert "The kerb at the crossing is broken." in body
    assert f"{PUBLIC_URL}/review/items/{item['id']}" in body
    assert "57.15800, 15.26200 (within 6 m)" in body
    (row,) = outbox.rows(channel="email")
    assert (row.state, row.attempts, row.recipient) == ("sent", 1, "streets@example.org")
    assert outbox.run() == {}  # nothing is sent twice


def test_a_department_without_a_language_gets_the_municipalitys(app, world, device, outbox,
                                                                smtp_server):
    device.sync(comment_item())
    outbox.run()
    (msg,) = smtp_server.messages
    assert msg["Content-Language"] == "sv"
    assert msg["Subject"] == "Nytt inspel till Gata/park: Vägar och trafik"


def test_mail_server_down_is_retried_later_and_nothing_is_lost(app, world, device, outbox,
                                                                smtp_server):
    smtp_server.stop()
    device.sync(comment_item())
    assert outbox.run() == {"retry": 1}
    (row,) = outbox.rows(channel="email")
    assert (row.state, row.attempts) == ("pending", 1)
    assert "Connection refused" in row.last_error
    assert timedelta(seconds=50) < row.next_attempt_at - utcnow() < timedelta(seconds=70)
    assert outbox.run() == {}  # not due yet
    smtp_server.start()  # back, on the same port
    assert outbox.run(at=later(2)) == {"sent": 1}
    assert len(smtp_server.messages) == 1
    (row,) = outbox.rows(channel="email")
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_refused_message_is_failed_at_once_a_deferred_one_retried(app, world, device, outbox,
                                                                    smtp_server):
    device.sync(comment_item())
    smtp_server.refuse = "451 4.3.0 Try again later"
    assert outbox.run() == {"retry": 1}
    smtp_server.refuse = "550 5.1.1 No such mailbox"
    assert outbox.run(at=later(2)) == {"failed": 1}
    (row,) = outbox.rows(channel="email")
    assert row.state == "failed" and "550" in row.last_error


def test_backoff_doubles_then_the_delivery_fails_and_an_admin_retry_sends_it(
        app, world, device, outbox, smtp_server):
    from walkapp import delivery

    app.config["DELIVERY_MAX_ATTEMPTS"] = 4
    smtp_server.stop()
    device.sync(comment_item())
    now, delays = utcnow(), []
    for _ in range(4):
        outbox.run(at=now)
        (row,) = outbox.rows(channel="email")
        delays.append((row.next_attempt_at - now).total_seconds())
        now = max(now, row.next_attempt_at)
    assert row.state == "failed" and row.attempts == 4
    ratios = [b / a for a, b in itertools.pairwise(delays[:-1])]  # the last one failed
    assert all(1.5 < r < 2.5 for r in ratios), delays  # 60 s, 120 s, 240 s (±10 %)
    smtp_server.start()
    with app.app_context():
        assert delivery.retry(db.session, [row.id], now) == 1
        db.session.commit()
    assert outbox.run(at=now) == {"sent": 1}
    assert len(smtp_server.messages) == 1


def test_email_mode_off_cancels_what_is_still_waiting(app, world, device, outbox, smtp_server):
    device.sync(comment_item())
    set_department(app, email_mode="off")
    assert outbox.run() == {"cancelled": 1}
    assert smtp_server.messages == []
    device.sync(comment_item())
    assert outbox.rows(channel="email", state="pending") == []  # none queued any more


def test_a_lost_connection_during_data_is_not_resent(app, world, device, outbox, smtp_server):
    """The one window of e-mail: the server may have taken the message. The row is marked
    for an admin instead of being sent again."""
    device.sync(comment_item())
    smtp_server.drop = True  # the server took the message; the connection dies before "250"
    assert outbox.run() == {"failed": 1}
    (row,) = outbox.rows(channel="email")
    assert (row.state, row.last_error) == ("failed", UNSURE)
    assert len(smtp_server.messages) == 1


# --- the daily digest ------------------------------------------------------------------------

def test_digest_sends_one_mail_a_day_at_the_departments_hour(app, world, device, outbox,
                                                           smtp_server):
    set_department(app, email_mode="digest", digest_hour=7, language="en")
    items = [comment_item(text=f"Input number {i}") for i in range(3)]
    device.sync(*items)
    rows = outbox.rows(channel="digest")
    assert len(rows) == 3 and outbox.rows(channel="email") == []
    due = rows[0].next_attempt_at
    assert due.astimezone(ZoneInfo("Europe/Stockholm")).hour == 7
    assert timedelta(0) < due - utcnow() <= timedelta(days=1)
    assert outbox.run(at=due - timedelta(minutes=1)) == {}
    assert outbox.run(at=due) == {"sent": 3}, [r.last_error for r in outbox.rows()]
    (msg,) = smtp_server.messages
    assert msg["Subject"] == "3 new inputs for Gata/park"
    body = msg.get_content()
    for item in items:
        assert item["text"] in body and f"/review/items/{item['id']}" in body
    rows = outbox.rows(channel="digest")
    assert {r.state for r in rows} == {"sent"} and {r.batch_key for r in rows} == {rows[0].key}
    assert msg["Message-ID"] == f"<{rows[0].key}@kommun.example>"


def test_digest_leaves_out_an_input_that_moved_to_another_department(app, world, device,
                                                                     outbox, smtp_server):
    set_department(app, email_mode="digest")
    stays, moves = comment_item(), comment_item()
    device.sync(stays, moves)
    with app.app_context():
        from walkapp.models import Comment

        db.session.get(Comment, uuid.UUID(moves["id"])).department_id = (
            world["departments"]["parks"])
        db.session.commit()
    due = outbox.rows(channel="digest")[0].next_attempt_at
    assert outbox.run(at=due) == {"sent": 1, "cancelled": 1}
    assert moves["id"] not in smtp_server.messages[0].get_content()


# --- webhooks --------------------------------------------------------------------------------

def readme_verify():
    """The receiver's verification snippet, exactly as the README prints it."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Verifying a webhook", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    return namespace["verify"]


def test_webhook_is_signed_and_the_readme_snippet_verifies_it(app, device, outbox, hooked,
                                                            http_server):
    item = comment_item()
    device.sync(item)
    (row,) = outbox.rows(channel="webhook")
    assert outbox.run() == {"sent": 1}
    (req,) = http_server.requests
    assert req.path == "/in" and req.headers["content-type"] == "application/json"
    assert req.headers["webhook-id"] == req.headers["idempotency-key"] == row.key
    event = req.json()
    assert event["type"] == "input.routed" and event["id"] == row.key
    assert event["data"]["id"] == item["id"] and event["data"]["text"] == item["text"]
    assert event["data"]["url"] == f"{PUBLIC_URL}/review/items/{item['id']}"
    assert event["department"] == {"slug": "streets", "name": "Gata/park"}

    verify = readme_verify()
    assert verify(hooked, req.headers, req.body) == row.key
    with pytest.raises(ValueError, match="signature"):
        verify(hooked, req.headers, req.body.replace(b"Kan", b"Ska"))
    with pytest.raises(ValueError, match="signature"):
        verify(webhooks.new_secret(), req.headers, req.body)
    stale = {**req.headers, "webhook-timestamp": str(int(time.time()) - 600)}
    with pytest.raises(ValueError, match="window"):
        verify(hooked, stale, req.body)


def test_receiver_down_or_failing_is_retried_with_the_same_key(app, device, outbox, hooked,
                                                             http_server):
    http_server.stop()
    device.sync(comment_item())
    assert outbox.run() == {"retry": 1}
    http_server.start()
    http_server.answer = lambda req: 503
    assert outbox.run(at=later(2)) == {"retry": 1}
    http_server.answer = None
    assert outbox.run(at=later(10)) == {"sent": 1}
    first, second = http_server.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body  # the same event; only the timestamp is fresh
    assert readme_verify()(hooked, second.headers, second.body)
    (row,) = outbox.rows(channel="webhook")
    assert (row.state, row.attempts) == ("sent", 3)


def test_after_a_rotation_both_secrets_sign_until_the_grace_period_ends(
        app, device, outbox, hooked, http_server):
    new = webhooks.new_secret()
    set_department(app, webhook_secret=new, webhook_secret_previous=hooked,
                   webhook_secret_at=utcnow())
    device.sync(comment_item())
    outbox.run()
    req = http_server.requests[-1]
    assert len(req.headers["webhook-signature"].split()) == 2
    verify = readme_verify()
    assert verify(hooked, req.headers, req.body) and verify(new, req.headers, req.body)
    set_department(app, webhook_secret_at=utcnow() - timedelta(hours=25))
    device.sync(comment_item())
    outbox.run()
    req = http_server.requests[-1]
    assert verify(new, req.headers, req.body)
    with pytest.raises(ValueError, match="signature"):
        verify(hooked, req.headers, req.body)


def test_no_transaction_is_open_while_a_webhook_is_sent(app, database_url, device, outbox,
                                                      hooked, http_server):
    """While the receiver holds the request, another connection can write (SQLite: the one
    write lock is free) and no connection sits idle in a transaction (PostgreSQL)."""
    engine = create_engine(database_url, connect_args={"timeout": 1}
                           if database_url.startswith("sqlite") else {})
    seen = []

    def probe(_req):
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # fails after 1 s if a writer holds it
                conn.execute(text("UPDATE department SET description = 'probe' WHERE id < 0"))
                seen.append("write lock free")
            else:
                idle = conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%'")).scalar()
                seen.append("no idle transaction" if idle == 0 else f"{idle} idle")
        return 200
    http_server.answer = probe
    device.sync(comment_item())
    assert outbox.run() == {"sent": 1}
    engine.dispose()
    assert seen in (["write lock free"], ["no idle transaction"])


def test_department_deliveries_never_hold_a_residents_device_id(app, device, outbox, hooked,
                                                               http_server):
    device.sync(comment_item())
    outbox.run()
    assert device.id not in http_server.requests[0].body.decode()
    assert all(json.dumps(r.payload).find(device.id) < 0 for r in outbox.rows())


def test_timestamps_in_mail_are_local(app, world, device, outbox, smtp_server):
    set_department(app, language="en")
    item = comment_item()
    device.sync(item)
    outbox.run()
    (row,) = outbox.rows(channel="email")
    local = row.created_at.astimezone(ZoneInfo("Europe/Stockholm"))
    assert local.strftime("%-I:%M") in smtp_server.messages[0].get_content()


# --- the command -----------------------------------------------------------------------------

def test_walkapp_deliver_sends_once_and_says_what_it_did(app, runner, world, device, outbox,
                                                         smtp_server):
    device.sync(comment_item(), comment_item())
    result = runner.invoke(args=["deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deliveries: sent=2 retry=0 failed=0 cancelled=0"
    assert len(smtp_server.messages) == 2


def test_the_loop_keeps_sending_until_asked_to_stop(app, world, device, outbox, smtp_server):
    import threading

    from walkapp import delivery

    device.sync(comment_item())
    stopping = threading.Event()

    def loop():
        with app.app_context():
            delivery.run_forever(db.session, outbox.settings(), 0.05, stopping)
    worker = threading.Thread(target=loop)
    worker.start()
    deadline = time.monotonic() + 30
    while len(smtp_server.messages) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    device.sync(comment_item())  # arrives while the loop idles
    while len(smtp_server.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    stopping.set()
    worker.join(timeout=30)
    assert not worker.is_alive() and len(smtp_server.messages) == 2
