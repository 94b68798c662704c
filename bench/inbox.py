"""The department inbox at scale, beside a bare SELECT of one page as the floor.

    python bench/inbox.py [--rows 100000] [--share 0.2] [--queries 40] [--pg]

A municipality with --rows inputs, --share of them routed to the department being timed
(the rest to four others), statuses spread over the workflow, arrivals over two years (so
many are overdue), some with promised dates. Each inbox view is timed through Flask's test
client (sign-in cookie, filters, overdue-first ordering, counts, map data and the HTML
included): the default list, only overdue, a category, a walk, free text, a far page, and
one input's page. The floor is the page's rows alone:
`SELECT … FROM comment WHERE department_id = ? AND status IN (…) ORDER BY received_at LIMIT 50`.
--pg runs the same on a PostgreSQL database of its own (WALKAPP_BENCH_PG_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), created and dropped here.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

KINDS = ["question", "opinion", "idea"]
STATUSES = ["routed"] * 5 + ["acknowledged"] * 2 + ["in_progress", "done", "wont_do",
                                                     "not_ours", "duplicate"]
WORDS = ["gatlampa", "busshållplats", "potthål", "bänk", "lekplats", "trottoar", "cykelväg",
         "torget", "skolan", "parkering", "snöröjning", "belysning"]
PASSWORD = "bench-password-123"  # noqa: S105 (a throwaway bench account)


def seed(app, rows: int, share: float) -> dict:
    from flask_migrate import upgrade

    from walkapp.demo import seed as seed_demo
    from walkapp.extensions import db
    from walkapp.models import Category, Comment, Department, Municipality, User, Walk

    rng = random.Random(7)
    with app.app_context():
        upgrade()
        seed_demo(db.session, password=PASSWORD)
        muni = db.session.scalar(select(Municipality))
        depts = db.session.scalars(select(Department).order_by(Department.id)).all()
        mine, others = depts[0], depts[1:5]
        cats = db.session.scalars(select(Category)).all()
        walks = db.session.scalars(select(Walk)).all()
        clerk = db.session.scalar(select(User).where(User.department_id == mine.id))
        now = datetime.now(UTC)
        batch = []
        for i in range(rows):
            received = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            status = rng.choice(STATUSES)
            batch.append({
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "municipality_id": muni.id, "walk_id": rng.choice(walks).id,
                "source": "app", "kind": rng.choice(KINDS), "category_id": rng.choice(cats).id,
                "text": " ".join(rng.choices(WORDS, k=8)), "lon": 15.3 + rng.random() * 0.1,
                "lat": 57.1 + rng.random() * 0.1, "accuracy_m": 8.0, "created_at": received,
                "received_at": received, "updated_at": received, "changed_at": received,
                "content_hash": "0" * 64, "status": status,
                "department_id": (mine if rng.random() < share else rng.choice(others)).id,
                "promised_on": (date.today() + timedelta(days=rng.randrange(-30, 60))
                                if status in ("acknowledged", "in_progress")
                                and rng.random() < 0.5 else None)})
            if len(batch) == 5000 or i == rows - 1:
                db.session.execute(insert(Comment), batch)
                batch = []
        db.session.commit()
        one = db.session.scalar(select(Comment.id).where(Comment.department_id == mine.id))
        return {"email": clerk.email, "department_id": mine.id, "one": one,
                "category": cats[1].slug, "walk": walks[0].join_code}


def timed(fn, n: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per call. On a shared, busy machine the CPU time of this
    process (the app, and SQLite inside it) is the steadier figure."""
    fn()  # warm up (templates compiled, caches filled)
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def run(url: str, rows: int, share: float, queries: int) -> None:
    from walkapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    t = time.perf_counter()
    info = seed(app, rows, share)
    print(f"  seeded {rows} inputs ({share:.0%} for the department) in "
          f"{time.perf_counter() - t:.1f} s")
    client = app.test_client()
    resp = client.post("/login", data={"email": info["email"], "password": PASSWORD})
    assert resp.status_code == 302, resp.status_code

    def get(path):
        def call():
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)
        return call

    engine = create_engine(url)
    floor_sql = text("SELECT id, kind, status, lon, lat, received_at FROM comment "
                     "WHERE department_id = :d AND status IN ('routed', 'acknowledged', "
                     "'in_progress') ORDER BY received_at LIMIT 50")

    def floor():
        with engine.connect() as conn:
            conn.execute(floor_sql, {"d": info["department_id"]}).all()

    wall, cpu = timed(floor, queries)
    base, base_cpu = statistics.median(wall), statistics.median(cpu)
    print(f"  {'floor: one page, bare SELECT':<30} median {base:7.1f} ms  "
          f"{'':17} cpu {base_cpu:6.1f} ms")
    views = [("default list", "/inbox/"), ("only overdue", "/inbox/?overdue=1"),
             ("a category", f"/inbox/?category={info['category']}"),
             ("a walk, all statuses", f"/inbox/?walk={info['walk']}&status=all"),
             ("free text", "/inbox/?q=potth%C3%A5l+vid"), ("page 40", "/inbox/?page=40"),
             ("one input", f"/inbox/{info['one']}")]
    for name, path in views:
        wall, cpu = timed(get(path), queries)
        med, med_cpu = statistics.median(wall), statistics.median(cpu)
        print(f"  {name:<30} median {med:7.1f} ms  p95 {p95(wall):7.1f} ms  "
              f"cpu {med_cpu:6.1f} ms  ({med / base:5.1f}× the floor)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["WALKAPP_INSTANCE"] = folder
        print(f"SQLite, {args.rows} inputs:")
        run(f"sqlite:///{folder}/bench.db", args.rows, args.share, args.queries)
        if args.pg:
            server = os.environ.get("WALKAPP_BENCH_PG_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
            name = f"walkapp_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                print(f"PostgreSQL, {args.rows} inputs:")
                run(make_url(server).set(database=name).render_as_string(hide_password=False),
                    args.rows, args.share, args.queries)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
