"""`walkapp deliver` as real processes: one killed with SIGKILL in the middle of a send is
resumed by the next worker without a duplicate, and two running at once send each row once.
(The resuming worker runs in-process: what matters is the state the dead one left.)"""

import collections
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import PUBLIC_URL, comment_item
from walkapp.mailer import UNSURE
from walkapp.models import utcnow

WAIT = 90  # seconds; the machine is shared, so generous — every wait ends on a condition


@pytest.fixture
def start_worker(app, database_url, instance_dir, smtp_server):
    procs = []

    def start(*args, lease=1):
        env = {**os.environ, "WALKAPP_DATABASE_URL": database_url,
               "WALKAPP_INSTANCE": str(instance_dir), "WALKAPP_SECRET_KEY": "test-secret",
               "WALKAPP_SMTP_HOST": "127.0.0.1", "WALKAPP_SMTP_PORT": str(smtp_server.port),
               "WALKAPP_SMTP_SECURITY": "none", "WALKAPP_DELIVERY_LEASE_SECONDS": str(lease),
               "WALKAPP_DELIVERY_TIMEOUT_SECONDS": "10", "WALKAPP_PUBLIC_URL": PUBLIC_URL}
        proc = subprocess.Popen(
            [sys.executable, "-c", "from walkapp.cli import main; main()", "deliver", *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def finished(proc) -> dict[str, int]:
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, err
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", out)}


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def kill_while(holding: threading.Event, proc) -> None:
    """SIGKILL the worker once the receiver holds its request: it sent, it never recorded."""
    assert holding.wait(WAIT), "the worker never reached the receiver"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=WAIT)


@pytest.fixture
def one_backend(database_url):
    """What a dead worker leaves is plain rows: resuming is proven once, on SQLite. (Claims
    under PostgreSQL's row locks are proven by the two-worker test, on both.)"""
    if not database_url.startswith("sqlite"):
        pytest.skip("resuming after a crash is backend-independent; proven on SQLite")


def lease_over(outbox) -> bool:
    return all(r.next_attempt_at < utcnow() for r in outbox.rows(state="sending"))


def test_killed_webhook_worker_is_resumed_and_the_resend_carries_the_same_key(
        one_backend, app, device, outbox, hooked, http_server, start_worker):
    device.sync(*[comment_item(text=f"nr {i}") for i in range(5)])
    holding, release = threading.Event(), threading.Event()

    def answer(req):
        if len(http_server.requests) == 2 and not release.is_set():
            holding.set()
            release.wait(WAIT)
        return 200
    http_server.answer = answer
    kill_while(holding, start_worker())
    release.set()
    states = collections.Counter(r.state for r in outbox.rows())
    assert states == {"sent": 1, "sending": 1, "pending": 3}
    wait_for(lambda: lease_over(outbox), "the dead worker's claim to expire")
    assert outbox.run() == {"sent": 4}
    ids = [r.headers["webhook-id"] for r in http_server.requests]
    repeats = [key for key, n in collections.Counter(ids).items() if n > 1]
    assert len(ids) == 6 and len(set(ids)) == 5 and repeats == [ids[1]]
    first, again = (r for r in http_server.requests if r.headers["webhook-id"] == ids[1])
    assert first.body == again.body  # a receiver that keeps seen ids processes it once
    assert {r.state for r in outbox.rows()} == {"sent"}


def test_killed_mail_worker_is_resumed_and_the_unsure_mail_is_not_sent_again(
        one_backend, app, world, device, outbox, smtp_server, start_worker):
    device.sync(*[comment_item(text=f"nr {i}") for i in range(4)])
    holding = threading.Event()

    def hold(_msg):
        if len(smtp_server.messages) == 2:
            holding.set()
        else:
            smtp_server.release.set()
    smtp_server.on_data = hold
    kill_while(holding, start_worker())
    smtp_server.release.set()
    wait_for(lambda: lease_over(outbox), "the dead worker's claim to expire")
    assert outbox.run() == {"sent": 2}
    ids = smtp_server.ids()
    assert len(ids) == len(set(ids)) == 4  # every message once, the unsure one included
    rows = outbox.rows()
    assert [r.state for r in rows] == ["sent", "failed", "sent", "sent"]
    assert rows[1].last_error == UNSURE  # for an admin: it did arrive here, once


def test_two_workers_at_once_send_each_row_once(app, device, outbox, hooked, http_server,
                                                start_worker):
    n = 24
    device.sync(*[comment_item(text=f"nr {i}") for i in range(n)])
    second = threading.Event()

    def answer(_req):
        # The first request waits for a second one: it can only come from the other worker,
        # so both are surely at work at the same time.
        if len(http_server.requests) == 1:
            second.wait(WAIT)
        else:
            second.set()
            time.sleep(0.005)
        return 200
    http_server.answer = answer
    workers = [start_worker(lease=120), start_worker(lease=120)]
    counts = [finished(w) for w in workers]
    assert all(c["sent"] > 0 for c in counts) and sum(c["sent"] for c in counts) == n
    ids = [r.headers["webhook-id"] for r in http_server.requests]
    assert len(ids) == len(set(ids)) == n
    rows = outbox.rows()
    assert {(r.state, r.attempts) for r in rows} == {("sent", 1)}
