"""Ingest rate through the real HTTP stack, beside raw sqlite3.executemany of the same rows.

    python bench/sync_ingest.py [--comments 20000] [--batch 50] [--runs 3]

The app runs in a child process (werkzeug's threaded HTTP/1.1 server, SQLite in WAL mode,
routing on, demo municipality seeded); this process posts batches over one keep-alive
connection, like a phone draining its outbox. The raw figure inserts the same rows with
sqlite3.executemany into the same schema: the floor for "just writing the rows".
"""

import argparse
import http.client
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WERKZEUG = """
import sys
sys.path.insert(0, {root!r})
from werkzeug.serving import WSGIRequestHandler, make_server
from walkapp import create_app
app = create_app()
WSGIRequestHandler.protocol_version = "HTTP/1.1"   # keep-alive, as a phone would
server = make_server("127.0.0.1", {port}, app, threaded=True)
print("ready", flush=True)
server.serve_forever()
"""


def seed_database(url: str) -> None:
    from flask_migrate import upgrade

    from walkapp import create_app
    from walkapp.demo import seed
    from walkapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        seed(db.session)


def start_server(kind: str, port: int, env: dict) -> subprocess.Popen:
    if kind == "gunicorn":
        cmd = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
               f"127.0.0.1:{port}", "--chdir", str(ROOT), "walkapp:create_app()"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                return proc
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gunicorn did not start")
    code = WERKZEUG.format(root=str(ROOT), port=port)
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc

CATEGORIES = ["roads", "lighting", "parks", "housing", "broadband", "safety", "other"]
WALKS = {"ASEDA1": (15.345, 57.168)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_items(n: int, rng: random.Random) -> list[dict]:
    now = datetime.now(UTC)
    items = []
    for i in range(n):
        code, (lon, lat) = rng.choice(list(WALKS.items()))
        items.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "walk": code, "kind": rng.choice(["question", "opinion", "idea"]),
            "category": rng.choice(CATEGORIES),
            "text": f"Synpunkt {i}: " + "trottoaren är ojämn vid busshållplatsen. " * 3,
            "location": {"type": "Point", "coordinates": [lon + rng.uniform(-0.01, 0.01),
                                                          lat + rng.uniform(-0.006, 0.006)]},
            "accuracy_m": round(rng.uniform(3, 40), 1),
            "created_at": (now - timedelta(seconds=rng.randint(0, 7200))).isoformat(),
        })
    return items


def run_http(n: int, batch: int, seed: int, server: str) -> tuple[float, int]:
    tmp = Path(tempfile.mkdtemp(prefix="walkapp-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "WALKAPP_INSTANCE": str(tmp), "WALKAPP_DATABASE_URL": url,
           "WALKAPP_SECRET_KEY": "bench", "WALKAPP_RATELIMIT_DEVICES": "1000 per minute"}
    os.environ["WALKAPP_INSTANCE"] = str(tmp)
    seed_database(url)
    port = free_port()
    proc = start_server(server, port, env)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/api/v1/devices")
        token = json.loads(conn.getresponse().read())["token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        items = make_items(n, random.Random(seed))
        bodies = [json.dumps({"comments": items[i:i + batch]}) for i in range(0, n, batch)]
        created = 0
        start = time.perf_counter()
        for body in bodies:
            conn.request("POST", "/api/v1/sync", body=body, headers=headers)
            resp = conn.getresponse()
            results = json.loads(resp.read())["results"]
            created += sum(r["status"] == "created" for r in results)
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed, created
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_raw(n: int, seed: int) -> float:
    """The same rows straight into the same schema (comment + decision + status rows)."""
    from flask_migrate import upgrade

    from walkapp import create_app

    tmp = Path(tempfile.mkdtemp(prefix="walkapp-bench-raw-"))
    os.environ["WALKAPP_INSTANCE"] = str(tmp)
    path = tmp / "raw.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=OFF")
    items = make_items(n, random.Random(seed))
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    comments = [(uuid.UUID(it["id"]).hex, 1, "dev", it["kind"], 1, it["text"],
                 *it["location"]["coordinates"], it["accuracy_m"], it["created_at"], now, now,
                 now, "0" * 64, "routed", 1) for it in items]
    decisions = [(uuid.UUID(it["id"]).hex, 1, None, "area", "rule", now, "router")
                 for it in items]
    statuses = [(uuid.UUID(it["id"]).hex, "routed", "router", now) for it in items]
    start = time.perf_counter()
    for i in range(0, n, 50):  # one transaction per batch of 50, like the API
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO comment (id, walk_id, device_id, kind, category_id, text, lon, lat,"
            " accuracy_m, created_at, received_at, updated_at, changed_at, content_hash,"
            " status, department_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            comments[i:i + 50])
        db.executemany(
            "INSERT INTO routing_decision (comment_id, department_id, service_area_id, reason,"
            " rule, decided_at, decided_by) VALUES (?,?,?,?,?,?,?)", decisions[i:i + 50])
        db.executemany(
            "INSERT INTO status_change (comment_id, status, author, created_at)"
            " VALUES (?,?,?,?)", statuses[i:i + 50])
        db.execute("COMMIT")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--server", choices=["werkzeug", "gunicorn"], default="werkzeug",
                    help="werkzeug's threaded server (what `walkapp demo` runs) or gunicorn "
                         "with one sync worker (production; pip install gunicorn)")
    args = ap.parse_args()
    print(f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
          f"{os.cpu_count()} cpus, {platform.machine()}")
    http_rates, raw_rates = [], []
    for run in range(args.runs):
        elapsed, created = run_http(args.comments, args.batch, seed=run, server=args.server)
        assert created == args.comments, f"only {created} of {args.comments} created"
        http_rates.append(args.comments / elapsed)
        raw_rates.append(args.comments / run_raw(args.comments, seed=run))
        print(f"run {run + 1}: HTTP {http_rates[-1]:,.0f}/s, raw {raw_rates[-1]:,.0f}/s")
    http_med, raw_med = statistics.median(http_rates), statistics.median(raw_rates)
    print(f"HTTP sync via {args.server} (batches of {args.batch}, routing on, "
          f"{args.comments:,} comments): "
          f"{http_med:,.0f} comments/s (median of {args.runs})")
    print(f"raw sqlite3.executemany, same rows:  {raw_med:,.0f} comments/s (median)")
    print(f"ratio HTTP/raw: {http_med / raw_med:.3f}  (goal: HTTP ≥ 3,000 comments/s)")


if __name__ == "__main__":
    main()
