"""What one poll of the officials' live view costs, beside a bare count of the same rows.

    python bench/live_view.py [--pins 2000] [--polls 50]

In process (Flask's test client, SQLite file, demo municipality): N pins on one open walk,
then the three polls a live page makes — the first one (no cursor, a page of 200), the usual
one (a settled cursor, nothing new) and one that brings 10 new pins — each timed --polls
times. The floor is `SELECT count(*) … WHERE walk_id = ?`, which every poll runs too.
Prints medians and ratios; the machine is shared and noisy.
"""

import argparse
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def items(n: int, rng_seed: int = 1) -> list[dict]:
    import random

    rng = random.Random(rng_seed)
    start = datetime.now(UTC) - timedelta(hours=1)
    return [{"id": str(uuid.uuid4()), "walk": "ASEDA1", "kind": rng.choice(
        ["question", "opinion", "idea"]), "category": rng.choice(["roads", "lighting", "parks"]),
        "text": f"Synpunkt {i}", "accuracy_m": 5.0, "photos": [],
        "location": {"type": "Point", "coordinates": [15.345 + rng.uniform(-0.01, 0.01),
                                                      57.168 + rng.uniform(-0.005, 0.005)]},
        "created_at": (start + timedelta(seconds=i)).isoformat()} for i in range(n)]


def timed(fn, runs: int) -> float:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pins", type=int, default=2000)
    ap.add_argument("--polls", type=int, default=50)
    args = ap.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import text

    from walkapp import create_app
    from walkapp.demo import seed
    from walkapp.extensions import db
    from walkapp.models import User

    folder = Path(tempfile.mkdtemp(prefix="walkapp-live-"))
    password = secrets.token_urlsafe(12)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'b.db'}",
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_DEVICES": "100000 per minute", "FEED_SETTLE_SECONDS": 0})
    with app.app_context():
        upgrade()
        seed(db.session, password=password)
        walk_id = db.session.scalar(text("SELECT id FROM walk WHERE join_code = 'ASEDA1'"))
        email = db.session.scalar(db.select(User.email).where(User.role == "official"))
    client = app.test_client()
    token = client.post("/api/v1/devices").get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    pins = items(args.pins + 10 * args.polls)
    for i in range(0, args.pins, 200):
        client.post("/api/v1/sync", json={"comments": pins[i:i + 200]}, headers=auth)
    client.post("/login", data={"email": email, "password": password})
    url = "/review/walks/ASEDA1/live.json"

    first = timed(lambda: client.get(url), args.polls)
    cursor = None
    while True:  # read to the end, as the page does
        body = client.get(url + (f"?since={cursor}" if cursor else "")).get_json()
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    idle = timed(lambda: client.get(f"{url}?since={cursor}"), args.polls)
    extra = iter(range(args.pins, len(pins), 10))
    state = {"cursor": cursor}

    def news():
        i = next(extra)
        client.post("/api/v1/sync", json={"comments": pins[i:i + 10]}, headers=auth)
        t0 = time.perf_counter()
        body = client.get(f"{url}?since={state['cursor']}").get_json()
        state["cursor"] = body["cursor"]
        news.times.append(time.perf_counter() - t0)
    news.times = []
    for _ in range(args.polls):
        news()
    ten = statistics.median(news.times) * 1000

    with app.app_context():
        floor = timed(lambda: db.session.execute(
            text("SELECT count(*) FROM comment WHERE walk_id = :w"), {"w": walk_id}).scalar(),
            args.polls)
    print(f"live view polls, {args.pins} pins on the walk, median of {args.polls}:")
    print(f"  first poll (page of 200)     {first:8.2f} ms  ({first / floor:6.0f}× the floor)")
    print(f"  idle poll (nothing new)      {idle:8.2f} ms  ({idle / floor:6.0f}× the floor)")
    print(f"  poll bringing 10 new pins    {ten:8.2f} ms  ({ten / floor:6.0f}× the floor)")
    print(f"  floor: SELECT count(*)       {floor:8.3f} ms")


if __name__ == "__main__":
    main()
