"""Open311 GET requests at volume, beside a bare SELECT of the same rows.

    python bench/open311_requests.py [--comments 200000] [--runs 7]

Seeds the demo municipality and N inputs spread over two years (SQLite file in a temporary
instance folder; a third have a history of status moves, some a promise and an answer),
then times full requests through the app (routing, parameter parsing, the query, the
history lookup for updated_datetime, JSON/XML rendering) with Flask's test client:

- the default query (last 90 days, capped at 1000) as JSON and as XML;
- a filtered query (service_code + status=closed) and a deep page;
- service_request_id with 100 ids, and one request by its URL;
- the floor: a bare SELECT of the default query's 1000 rows, no ORM, no rendering.

Then drops the (municipality_id, created_at) index and times the default query again, to
show what the index is for. Medians of --runs; the machine is shared, so compare ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text

STATUSES = ["routed", "acknowledged", "in_progress", "done", "wont_do", "noted"]


def seed(app, n: int) -> list[str]:
    from flask_migrate import upgrade

    from walkapp.demo import seed as seed_demo
    from walkapp.extensions import db
    from walkapp.models import Category, Comment, Department, StatusChange

    rng = random.Random(311)
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        cats = [c.id for c in db.session.scalars(select(Category))]
        depts = [d.id for d in db.session.scalars(select(Department))]
        muni = db.session.scalar(text("SELECT id FROM municipality"))
        now = datetime.now(UTC)
        ids, rows, history = [], [], []
        for i in range(n):
            cid = uuid.uuid4()
            made = now - timedelta(seconds=rng.uniform(0, 730 * 86400))
            status = rng.choice(STATUSES)
            closed = status in ("done", "wont_do", "noted")
            rows.append({
                "id": cid, "municipality_id": muni, "walk_id": None, "device_id": None,
                "source": "app", "kind": "question", "category_id": rng.choice(cats),
                "text": f"Input number {i}: the pavement is broken here", "lon": 15.345,
                "lat": 57.168, "created_at": made, "received_at": made, "updated_at": made,
                "changed_at": made, "content_hash": "x" * 64, "status": status,
                "department_id": rng.choice(depts),
                "hidden_at": made if rng.random() < 0.02 else None,
                "promised_on": date.today() if rng.random() < 0.1 else None,
                "answer": "Fixed." if closed else None,
            })
            if rng.random() < 0.33:
                history.append({"comment_id": cid, "action": "status", "from_status": "routed",
                                "status": status, "author": "bench",
                                "created_at": made + timedelta(days=2)})
            ids.append(str(cid))
        for start in range(0, n, 5000):
            db.session.execute(insert(Comment.__table__), rows[start:start + 5000])
        if history:
            db.session.execute(insert(StatusChange.__table__), history)
        db.session.commit()
    return ids


def timed(fn, runs: int) -> float:
    fn()  # warm caches and the router
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="walkapp-bench-311-"))
    os.environ["WALKAPP_INSTANCE"] = str(folder)
    from walkapp import create_app
    from walkapp.extensions import db

    app = create_app({"SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}"})
    t0 = time.perf_counter()
    ids = seed(app, args.comments)
    print(f"seeded {args.comments:,} inputs in {time.perf_counter() - t0:.1f} s "
          f"(python {platform.python_version()}, SQLite)")
    client = app.test_client()
    base = "/open311/v2/requests"

    def get(url: str, expect: int | None = None):
        def call():
            resp = client.get(url)
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
            if expect is not None:
                assert len(resp.get_json()) == expect, len(resp.get_json())
        return call

    with app.app_context():
        floor_sql = text(
            "SELECT id, status, category_id, text, public_text, department_id, created_at, "
            "lon, lat, answer, promised_on FROM comment WHERE municipality_id = 1 "
            "AND hidden_at IS NULL AND created_at >= :start AND created_at <= :end "
            "ORDER BY created_at DESC, id DESC LIMIT 1001")

        def floor():
            end = datetime.now(UTC).replace(tzinfo=None)
            rows = db.session.execute(floor_sql, {"start": end - timedelta(days=90),
                                                  "end": end}).all()
            db.session.rollback()
            assert len(rows) == 1001

        cases = [
            ("default window, JSON (1000)", get(f"{base}.json", 1000)),
            ("default window, XML (1000)", get(f"{base}.xml")),
            ("service_code+status=closed", get(f"{base}.json?service_code=roads&status=closed")),
            ("page 5 of 100", get(f"{base}.json?page=5&page_size=100", 100)),
            ("100 ids", get(f"{base}.json?service_request_id=" + ",".join(ids[:100]))),
            ("one request by URL", get(f"{base}/{ids[0]}.json")),
            ("floor: bare SELECT of 1000 rows", floor),
        ]
        results = {name: timed(fn, args.runs) for name, fn in cases}
        has_index = db.session.execute(text(
            "SELECT 1 FROM sqlite_master WHERE name = 'ix_comment_municipality_created'"
        )).scalar()
        db.session.rollback()
        if has_index:
            db.session.execute(text("DROP INDEX ix_comment_municipality_created"))
            db.session.commit()
            results["default window, JSON, no index"] = timed(
                get(f"{base}.json", 1000), args.runs)
            results["floor, no index"] = timed(floor, args.runs)
    floor_ms = results["floor: bare SELECT of 1000 rows"]
    print(f"{'case':<34} {'median ms':>10} {'× floor':>8}")
    for name, ms in results.items():
        print(f"{name:<34} {ms:>10.1f} {ms / floor_ms:>8.1f}")


if __name__ == "__main__":
    main()
