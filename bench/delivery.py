"""The delivery outbox: what writing it costs sync, and how fast one worker empties it.

    python bench/delivery.py [--rows 500] [--runs 3] [--pg postgresql+psycopg://…]

1. Sync with the outbox: comments/s through walkapp.sync.apply_batch (batches of 50, routing
   on) when departments get an e-mail and a webhook per input (two outbox rows each), beside
   the same batches when no department wants anything (no rows).
2. The worker: deliveries/s of `run_once` to a real HTTP receiver and a real SMTP server on
   loopback (one claim, one send, one record per row), beside the bare sends with no
   database (requests.post / smtplib in a loop): the price of durability per message.
Medians of --runs; the machine is shared and noisy, so compare the ratios.
"""

import argparse
import os
import smtplib
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.receivers import HttpReceiver, SmtpReceiver  # noqa: E402


def make_app(url: str):
    from flask_migrate import upgrade

    from walkapp import create_app
    from walkapp.demo import seed
    from walkapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "PUBLIC_URL": "https://walk.example.org"})
    with app.app_context():
        upgrade()
        seed(db.session)
    return app


def items(n: int, code: str, lon: float, lat: float) -> list[dict]:
    now = datetime.now(UTC)
    return [{"id": str(uuid.uuid4()), "walk": code, "kind": "idea", "category": "roads",
             "text": f"Inspel {i}: gropar i vägen vid bron", "accuracy_m": 8.0,
             "location": {"type": "Point", "coordinates": [lon + i * 1e-6, lat]},
             "created_at": (now - timedelta(minutes=5)).isoformat(), "photos": []}
            for i in range(n)]


def set_departments(app, **values) -> None:
    from walkapp.extensions import db
    from walkapp.models import Department

    with app.app_context():
        for dept in db.session.scalars(db.select(Department)):
            for name, value in values.items():
                setattr(dept, name, value)
        db.session.commit()


def sync_rate(app, rows: int) -> float:
    from walkapp import router_cache
    from walkapp.extensions import db
    from walkapp.models import Device, Walk
    from walkapp.sync import apply_batch

    with app.app_context():
        walk = db.session.scalar(db.select(Walk).where(Walk.status == "open"))
        device, _ = Device.issue()
        db.session.add(device)
        db.session.commit()
        code, lon, lat = walk.join_code, walk.meeting_lon, walk.meeting_lat
        batches = [items(50, code, lon, lat) for _ in range(rows // 50)]
        start = time.perf_counter()
        for batch in batches:
            apply_batch(db.session, device.id, batch, datetime.now(UTC),
                        lambda w: router_cache.router_for(db.session, w.municipality))
        return rows / (time.perf_counter() - start)


def clear_outbox(app) -> None:
    from walkapp.extensions import db
    from walkapp.models import Delivery

    with app.app_context():
        db.session.execute(db.delete(Delivery))
        db.session.commit()


def worker_rate(app, channel: str) -> tuple[float, int]:
    from walkapp import delivery
    from walkapp.extensions import db
    from walkapp.i18n import translations_for
    from walkapp.models import Delivery

    with app.app_context():
        n = db.session.scalar(db.select(db.func.count()).select_from(Delivery)
                              .where(Delivery.channel == channel, Delivery.state == "pending"))
        db.session.execute(db.update(Delivery).where(Delivery.channel != channel)
                           .values(state="cancelled"))
        db.session.commit()
        settings = delivery.Settings.from_config(app.config, translations_for(app))
        start = time.perf_counter()
        counts = delivery.run_once(db.session, settings)
        elapsed = time.perf_counter() - start
        assert counts.get("sent") == n, counts
        return n / elapsed, n


def bare_webhooks(url: str, n: int) -> float:
    body = b'{"id":"x","type":"input.routed","data":{}}'
    start = time.perf_counter()
    for _ in range(n):
        requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=15)
    return n / (time.perf_counter() - start)


def bare_mails(port: int, n: int) -> float:
    msg = b"From: a@b.c\r\nTo: d@e.f\r\nSubject: x\r\n\r\nbody\r\n"
    start = time.perf_counter()
    for _ in range(n):
        with smtplib.SMTP("127.0.0.1", port, timeout=15) as smtp:
            smtp.sendmail("a@b.c", ["d@e.f"], msg)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500, help="inputs per run, in batches of 50")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", help="a PostgreSQL server URL: the bench makes (and drops) its "
                        "own database there instead of using a temporary SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="walkapp-bench-"))
    os.environ["WALKAPP_INSTANCE"] = str(folder)
    url = scratch_database(args.pg) if args.pg else f"sqlite:///{folder / 'bench.db'}"
    try:
        run(args, make_app(url))
    finally:
        if args.pg:
            drop_database(args.pg, url)


def scratch_database(server: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"walkapp_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(server, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with create_engine(server, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(args, app) -> None:
    http, smtp = HttpReceiver().start(), SmtpReceiver().start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_SECURITY="none")
    from walkapp import webhooks

    figures: dict[str, list[float]] = {k: [] for k in (
        "sync, no outbox rows", "sync, 2 outbox rows per input", "worker: webhooks",
        "bare requests.post", "worker: e-mails", "bare smtplib")}
    for _ in range(args.runs):
        set_departments(app, email_mode="off", webhook_url=None)
        figures["sync, no outbox rows"].append(sync_rate(app, args.rows))
        set_departments(app, email_mode="immediate", webhook_url=http.url + "/in",
                        webhook_secret=webhooks.new_secret(), email="dept@example.org")
        figures["sync, 2 outbox rows per input"].append(sync_rate(app, args.rows))
        rate, n = worker_rate(app, "webhook")
        figures["worker: webhooks"].append(rate)
        figures["bare requests.post"].append(bare_webhooks(http.url + "/in", n))
        clear_outbox(app)
        sync_rate(app, args.rows)
        rate, n = worker_rate(app, "email")
        figures["worker: e-mails"].append(rate)
        figures["bare smtplib"].append(bare_mails(smtp.port, n))
        clear_outbox(app)
    http.stop()
    smtp.stop()
    backend = "PostgreSQL" if args.pg else "SQLite"
    print(f"delivery bench on {backend}, {args.rows} inputs per run, median of {args.runs}")
    med = {k: statistics.median(v) for k, v in figures.items()}
    for name, value in med.items():
        print(f"  {name:32s} {value:9.1f} /s")
    for what, fast, slow in (
            ("sync with the outbox", "sync, no outbox rows", "sync, 2 outbox rows per input"),
            ("worker vs bare webhooks", "bare requests.post", "worker: webhooks"),
            ("worker vs bare e-mails", "bare smtplib", "worker: e-mails")):
        print(f"  {what}: {med[fast] / med[slow]:.2f}× the time")


if __name__ == "__main__":
    main()
