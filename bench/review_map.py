"""The review map's one JSON endpoint at scale, beside a plain bbox SELECT as the floor.

    python bench/review_map.py [--sqlite-rows 100000] [--pg-rows 1000000] [--queries 300]
                               [--no-pg] [--no-browser] [--port 5191]

Inputs are spread over the demo municipality (Uppvidinge, ≈ 1 200 km²): most around its
five localities, the rest anywhere. Each query is a random view a 1280×800 screen would ask
for (zoom 8–18, centre on a town or anywhere) with a random filter (none, kind, category,
department, status, walk, overdue, free text, dates, or several). The endpoint is timed
through Flask's test client (routing, auth, JSON included); the floor is
`SELECT id, lon, lat FROM comment WHERE <the same bbox>` over the same rows and index.
Targets: p95 < 150 ms on SQLite with 100k inputs, < 300 ms on PostgreSQL with 1M.

PostgreSQL gets a database of its own (created and dropped here): WALKAPP_BENCH_PG_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) names the server.
With a browser, the review page is loaded in Chromium with the largest cluster response the
endpoint can give (review_map.MAX_CELLS cells) and its main-thread time is measured.
"""

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from walkapp.geo import CELL_ZOOM  # noqa: E402

KINDS = ["question", "opinion", "idea"]
STATUSES = ["routed"] * 4 + ["acknowledged", "in_progress", "done", "wont_do", "not_ours",
                             "duplicate", "noted", "received"]
WORDS = ["gatlampa", "busshållplats", "potthål", "bänk", "lekplats", "fiber", "trottoar",
         "cykelväg", "skog", "bibliotek", "torget", "skolan", "ån", "parkering"]
PASSWORD = "bench-password-123"  # noqa: S105 (a throwaway bench account)
SCREEN = (1280, 800)


def cells(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """geo.lonlat_to_cell for arrays."""
    n = 2**CELL_ZOOM
    lat_r = np.radians(np.clip(lat, -85.0511, 85.0511))
    x = ((lon + 180.0) / 360.0 * n).astype(np.int64)
    y = ((1.0 - np.arcsinh(np.tan(lat_r)) / math.pi) / 2.0 * n).astype(np.int64)
    return np.clip(x, 0, n - 1), np.clip(y, 0, n - 1)


def make_app(url: str, folder: Path):
    from flask_migrate import upgrade

    from walkapp import create_app
    from walkapp.demo import seed
    from walkapp.extensions import db
    from walkapp.models import User

    os.environ["WALKAPP_INSTANCE"] = str(folder)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "DEMO_TILES": True,
                      "PHOTO_FOLDER": str(folder / "photos")})
    with app.app_context():
        upgrade()
        seed(db.session, password=PASSWORD, with_inputs=False)
        official = db.session.scalar(select(User).where(User.role == "official"))
        app.config["BENCH_LOGIN"] = official.email
    return app


def fill(app, rows: int, rng: np.random.Generator) -> dict:
    """Insert `rows` inputs in bulk (COPY on PostgreSQL); returns what queries may filter by."""
    from walkapp.demo import LOCALITIES
    from walkapp.extensions import db
    from walkapp.models import Category, Department, Municipality, Walk

    with app.app_context():
        muni = db.session.scalar(select(Municipality))
        cats = db.session.execute(select(Category.id, Category.slug)).all()
        depts = db.session.execute(select(Department.id, Department.slug)).all()
        walks = db.session.execute(select(Walk.id, Walk.join_code)).all()
        west, south, east, north = muni.boundary.bounds
        muni_id = muni.id
        db.session.remove()  # SQLite: our read transaction holds the write lock
        town = rng.random(rows) < 0.7
        centres = np.array([c for c, _w, _h in LOCALITIES.values()])
        which = rng.integers(0, len(centres), rows)
        lon = np.where(town, centres[which, 0] + rng.normal(0, 0.015, rows),
                       rng.uniform(west, east, rows))
        lat = np.where(town, centres[which, 1] + rng.normal(0, 0.008, rows),
                       rng.uniform(south, north, rows))
        cx, cy = cells(lon, lat)
        now = datetime.now(UTC)
        start = time.perf_counter()
        columns = ["id", "municipality_id", "walk_id", "source", "kind", "category_id",
                   "text", "lon", "lat", "cell_x", "cell_y", "accuracy_m", "created_at",
                   "received_at", "updated_at", "changed_at", "content_hash", "status",
                   "department_id", "hidden_at", "promised_on"]
        engine = db.engine

        # Every random field drawn at once (a million rows in Python one by one is slow).
        minutes = rng.integers(0, 2 * 365 * 24 * 60, rows)
        walk_ix = np.where(rng.random(rows) < 0.8, rng.integers(0, len(walks), rows), -1)
        words = rng.integers(0, len(WORDS), (rows, 6))
        promised_days = np.where(rng.random(rows) < 0.2, rng.integers(5, 60, rows), -1)
        hidden = rng.random(rows) < 0.02
        status_ix = rng.integers(0, len(STATUSES), rows)
        cat_ix = rng.integers(0, len(cats), rows)
        dept_ix = rng.integers(0, len(depts), rows)

        def row(i: int) -> tuple:
            created = now - timedelta(minutes=int(minutes[i]))
            walk = walks[walk_ix[i]][0] if walk_ix[i] >= 0 else None
            text_ = " ".join(WORDS[w] for w in words[i]) + f" #{i}"
            promised = (created + timedelta(days=int(promised_days[i]))).date() \
                if promised_days[i] >= 0 else None
            return (uuid.uuid4(), muni_id, walk, "app" if walk else "open311",
                    KINDS[i % 3], cats[cat_ix[i]][0], text_,
                    float(lon[i]), float(lat[i]), int(cx[i]), int(cy[i]), 8.0, created,
                    created + timedelta(minutes=5), created, created, "x",
                    STATUSES[status_ix[i]], depts[dept_ix[i]][0],
                    created if hidden[i] else None, promised)

        if engine.dialect.name == "postgresql":
            raw = engine.raw_connection()
            try:
                with raw.cursor() as cur, cur.copy(
                        f"COPY comment ({', '.join(columns)}) FROM STDIN") as copy:
                    for i in range(rows):
                        copy.write_row(row(i))
                raw.commit()
            finally:
                raw.close()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE comment"))
        else:
            from walkapp.models import Comment

            table = Comment.__table__
            with engine.begin() as conn:
                for s in range(0, rows, 20_000):
                    conn.execute(table.insert(), [
                        {**dict(zip(columns, row(i), strict=True))}
                        for i in range(s, min(rows, s + 20_000))])
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        took = time.perf_counter() - start
        return {"categories": [c for _i, c in cats], "departments": [d for _i, d in depts],
                "walks": [w for _i, w in walks], "boundary": (west, south, east, north),
                "centres": centres, "seconds": took}


def view(rng: random.Random, meta: dict) -> tuple[tuple[float, ...], int]:
    """A random 1280×800 screen: zoom 8–18 around a town or anywhere in the municipality."""
    zoom = rng.randint(8, 18)
    if rng.random() < 0.7:
        lon, lat = meta["centres"][rng.randrange(len(meta["centres"]))]
        lon, lat = lon + rng.gauss(0, 0.01), lat + rng.gauss(0, 0.005)
    else:
        w, s, e, n = meta["boundary"]
        lon, lat = rng.uniform(w, e), rng.uniform(s, n)
    deg_per_px = 360 / (256 * 2**zoom)
    half_w = SCREEN[0] / 2 * deg_per_px
    half_h = SCREEN[1] / 2 * deg_per_px * math.cos(math.radians(lat))
    return (max(lon - half_w, -180), max(lat - half_h, -85), min(lon + half_w, 180),
            min(lat + half_h, 85)), zoom


def filters(rng: random.Random, meta: dict) -> dict:
    choices = [
        lambda: {},
        lambda: {"kind": rng.choice(KINDS)},
        lambda: {"category": rng.choice(meta["categories"])},
        lambda: {"department": rng.choice(meta["departments"])},
        lambda: {"status": "not_ours,routed"},
        lambda: {"walk": rng.choice(meta["walks"])},
        lambda: {"overdue": "1"},
        lambda: {"q": rng.choice(WORDS)},
        lambda: {"from": "2025-06-01", "to": "2025-12-31"},
        lambda: {"kind": "idea", "category": rng.choice(meta["categories"]), "hidden": "exclude",
                 "sort": "-status"},
    ]
    weights = [4, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    return rng.choices(choices, weights)[0]()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def run(app, meta: dict, queries: int, label: str) -> dict:
    from walkapp import review_map
    from walkapp.extensions import db

    client = app.test_client()
    resp = client.post("/login", data={"email": app.config["BENCH_LOGIN"],
                                       "password": PASSWORD})
    assert resp.status_code == 302, resp.status_code
    rng = random.Random(7)
    endpoint, floor, modes, biggest = [], [], {"points": 0, "clusters": 0}, (0, None)
    with app.app_context():
        engine = db.engine
    for _ in range(queries):
        bbox, zoom = view(rng, meta)
        params = {"bbox": ",".join(f"{v:.6f}" for v in bbox), "zoom": zoom,
                  **filters(rng, meta)}
        t0 = time.perf_counter()
        resp = client.get("/review/map/data", query_string=params)
        endpoint.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        body = resp.get_json()
        modes[body["mode"]] += 1
        if len(body["clusters"]) > biggest[0]:
            biggest = (len(body["clusters"]), params)
        x0, y0, x1, y1 = review_map.cell_range(bbox)
        t0 = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text(
                "SELECT id, lon, lat FROM comment WHERE municipality_id = 1 AND cell_x "
                "BETWEEN :x0 AND :x1 AND cell_y BETWEEN :y0 AND :y1"),
                {"x0": x0, "x1": x1, "y0": y0, "y1": y1}).all()
        floor.append((time.perf_counter() - t0) * 1000)
    out = {"label": label, "median": statistics.median(endpoint), "p95": pct(endpoint, 95),
           "floor_median": statistics.median(floor), "floor_p95": pct(floor, 95),
           "modes": modes, "biggest": biggest}
    print(f"{label}: endpoint median {out['median']:.1f} ms, p95 {out['p95']:.1f} ms | "
          f"plain bbox SELECT median {out['floor_median']:.1f} ms, p95 "
          f"{out['floor_p95']:.1f} ms | ratio of medians {out['median'] / out['floor_median']:.2f}"
          f", of p95 {out['p95'] / out['floor_p95']:.2f} | {modes['points']} point views, "
          f"{modes['clusters']} cluster views (largest {biggest[0]} clusters)", flush=True)
    return out


def largest_response(app) -> bytes:
    """The most clusters the endpoint gives: a view wider than the municipality asked at
    street zoom, so the grid is capped at MAX_CELLS."""
    client = app.test_client()
    client.post("/login", data={"email": app.config["BENCH_LOGIN"], "password": PASSWORD})
    return client.get("/review/map/data", query_string={
        "bbox": "14.9,56.8,15.9,57.4", "zoom": 18}).get_data()


def synthetic_worst(real: bytes) -> bytes:
    """MAX_CELLS clusters (what no real municipality fills, but the endpoint allows), each
    shaped like a real one, with the real counts and list."""
    import json

    from walkapp import review_map

    body = json.loads(real)
    template = body["clusters"][0]
    rng = random.Random(3)
    body["clusters"] = [{**template, "lon": 14.9 + rng.random(), "lat": 56.8 + rng.random() * 0.6,
                         "count": rng.randint(2, 5000)} for _ in range(review_map.MAX_CELLS)]
    return json.dumps(body).encode()


def answer_with(body: bytes):
    return lambda route, _request: route.fulfill(status=200, body=body,
                                                 content_type="application/json")


def browser(app, port: int) -> None:
    """Main-thread time of the review page drawing the largest cluster responses."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    real = largest_response(app)
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-quic"])
            page = b.new_page(viewport={"width": 1280, "height": 800})
            base = f"http://127.0.0.1:{port}"
            page.goto(base + "/login")
            page.fill("#email", app.config["BENCH_LOGIN"])
            page.fill("#password", PASSWORD)
            page.click("#submit")
            page.wait_for_url("**/review/")
            for name, body in (("real", real), ("synthetic", synthetic_worst(real))):
                page.unroute("**/review/map/data?*")
                page.route("**/review/map/data?*", answer_with(body))
                page.goto(base + "/review/map")
                page.wait_for_function("() => window.__reviewUpdates >= 1")
                cdp = page.context.new_cdp_session(page)
                cdp.send("Performance.enable")
                tasks, renders = [], []
                for i in range(5):
                    before = {m["name"]: m["value"] for m in
                              cdp.send("Performance.getMetrics")["metrics"]}
                    page.evaluate("document.getElementById('filters').requestSubmit()")
                    page.wait_for_function(f"() => window.__reviewUpdates >= {i + 2}")
                    after = {m["name"]: m["value"] for m in
                             cdp.send("Performance.getMetrics")["metrics"]}
                    tasks.append((after["TaskDuration"] - before["TaskDuration"]) * 1000)
                    renders.append(page.evaluate(
                        "performance.getEntriesByName('review-render').at(-1).duration"))
                clusters = page.evaluate("window.__reviewLast.clusters")
                print(f"browser ({name}): {clusters} clusters, {len(body) / 1024:.0f} KB: "
                      f"drawing map, counts and list median {statistics.median(renders):.0f} "
                      f"ms (max {max(renders):.0f}); main-thread task time per update median "
                      f"{statistics.median(tasks):.0f} ms (max {max(tasks):.0f}), 5 updates",
                      flush=True)
            b.close()
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite-rows", type=int, default=100_000)
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--port", type=int, default=5191)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    results = []
    with tempfile.TemporaryDirectory(prefix="walkapp-bench-") as tmp:
        folder = Path(tmp)
        app = make_app(f"sqlite:///{folder / 'bench.db'}", folder)
        meta = fill(app, args.sqlite_rows, rng)
        print(f"SQLite: {args.sqlite_rows:,} inputs inserted in {meta['seconds']:.1f} s",
              flush=True)
        results.append(run(app, meta, args.queries, f"SQLite {args.sqlite_rows:,}"))
        if not args.no_browser:
            browser(app, args.port)
        if not args.no_pg:
            results.append(postgres(args, rng, folder))
    targets = {"SQLite": 150, "PostgreSQL": 300}
    for r in results:
        target = targets[r["label"].split()[0]]
        verdict = "meets" if r["p95"] < target else "MISSES"
        print(f"{r['label']}: p95 {r['p95']:.1f} ms {verdict} the {target} ms target "
              f"(floor p95 {r['floor_p95']:.1f} ms)")


def postgres(args, rng, folder: Path) -> dict:
    url = os.environ.get("WALKAPP_BENCH_PG_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = f"walkapp_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        bench_url = make_url(url).set(database=name).render_as_string(hide_password=False)
        app = make_app(bench_url, folder / "pg")
        meta = fill(app, args.pg_rows, rng)
        print(f"PostgreSQL: {args.pg_rows:,} inputs copied in {meta['seconds']:.1f} s",
              flush=True)
        result = run(app, meta, args.queries, f"PostgreSQL {args.pg_rows:,}")
        from walkapp.extensions import db

        with app.app_context():
            db.engine.dispose()
        return result
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
