"""Load and faults: N phones against a real walkapp stack, then the database is checked.

    python bench/load_phones.py --stack production   # nginx → gunicorn (2+2 workers) → PostgreSQL
    python bench/load_phones.py --stack demo         # `walkapp demo` on SQLite

The script starts the stack itself on loopback (ports --port .. --port+2): nginx with the
repo's config in front of two gunicorn pools as the README sets them up (2 workers for
everything but photo uploads, 2 at nice 10 for those; --photo-workers 0 for one pool of 4).
Each phone runs in a thread of its own: it registers, fetches the walk, sends its comments
in batches with one photo each (a 1600×1200 JPEG, what the field app sends), and reads its
feed. Faults are injected on the way:
  - lost responses: a batch is sent and the connection dropped unread, then sent again;
  - duplicate batches: a batch that went through is sent once more;
  - aborted photo uploads: half a photo, then the connection is dropped; then a full retry;
  - resent photos: a stored photo is uploaded again;
  - stalled uploads: a few phones send 10 % of a photo and wait (--stall-seconds);
  - database connections cut (PostgreSQL): every --cut-every seconds, pg_terminate_backend
    on every connection of the app's database;
  - optionally (--kill-worker) a gunicorn worker killed with SIGKILL mid-run.
Phones retry what failed (network error, 5xx, 408, 429, 503) with backoff, as the field app
does. Afterwards the database must hold exactly the expected comments and photos: none lost,
none twice, every comment routed. Printed: throughput, p50/p95/p99 per endpoint and the
count of 5xx answers (goal, issue 7: 0 lost, 0 duplicates, 0 5xx, sync p95 < 1 s).
Bounded: --phones × --comments requests' worth of work and a --deadline; loopback only.
"""

import argparse
import http.client
import io
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"  # loopback only
WALK, CENTRE = "ASEDA1", (15.345, 57.168)
CATEGORIES = ["roads", "lighting", "parks", "housing", "broadband", "safety", "other"]
RETRY = {408, 429, 500, 502, 503, 504}


# --- what the phones measure ---------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)    # endpoint → seconds of answered requests
        self.started = defaultdict(list)    # endpoint → when each answered request began
        self.arrived = []                   # when each phone had registered and its walk
        self.status = defaultdict(lambda: defaultdict(int))  # endpoint → status → count
        self.net_errors = defaultdict(int)
        self.faults = defaultdict(int)

    def record(self, endpoint, status, seconds, began=0.0):
        with self.lock:
            self.status[endpoint][status] += 1
            if status is not None:
                self.latency[endpoint].append(seconds)
                self.started[endpoint].append(began)
            else:
                self.net_errors[endpoint] += 1

    def fault(self, name, n=1):
        with self.lock:
            self.faults[name] += n


STATS = Stats()


def call(port, method, path, endpoint, body=None, headers=None, timeout=60):
    """One request on a new connection: (status or None, parsed JSON or None, headers)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        STATS.record(endpoint, resp.status, time.perf_counter() - start, start)
        parsed = json.loads(data) if data and resp.getheader("Content-Type", "").startswith(
            "application/json") else None
        return resp.status, parsed, resp
    except (OSError, http.client.HTTPException):
        STATS.record(endpoint, None, 0)
        return None, None, None
    finally:
        conn.close()


def with_retries(port, method, path, endpoint, ok, deadline, **kwargs):
    """call() until the status is in ok, backing off like the field app (1, 2, 4 … 30 s)."""
    for attempt in range(12):
        status, body, resp = call(port, method, path, endpoint, **kwargs)
        if status in ok:
            return status, body
        if status is not None and status not in RETRY:
            raise RuntimeError(f"{method} {path}: {status} {body}")
        if time.monotonic() > deadline:
            break
        wait = min(2 ** attempt, 30) * (0.5 + random.random() / 2)
        if resp is not None and (ra := resp.getheader("Retry-After", "")).isdigit():
            wait = min(int(ra), 30)
        time.sleep(wait)
    raise RuntimeError(f"{method} {path}: gave up after retries")


def send_and_drop(port, method, path, head: dict, body: bytes, fraction: float = 1.0):
    """Send the request (or a fraction of its body) and close without reading the answer."""
    try:
        with socket.create_connection((HOST, port), timeout=30) as sock:
            lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}",
                     f"Content-Length: {len(body)}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in head.items()]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode()
                         + body[:int(len(body) * fraction)])
            return sock.dup() if fraction < 1.0 else None
    except OSError:
        return None


# --- one phone ---------------------------------------------------------------------------------

def make_photos(n: int, size) -> list[bytes]:
    import numpy as np
    from PIL import Image

    out = []
    for seed in range(n):
        rng = np.random.default_rng(seed)
        w, h = size
        coarse = rng.integers(0, 256, (h // 48, w // 48, 3), dtype=np.uint8)
        base = np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC))
        noisy = base.astype(np.int16) + rng.normal(0, 5, base.shape).astype(np.int16)
        buf = io.BytesIO()
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


class Phone(threading.Thread):
    def __init__(self, n, args, port, photos, deadline, expected):
        super().__init__(daemon=True, name=f"phone-{n}")
        self.n, self.args, self.port, self.photos = n, args, port, photos
        self.deadline, self.expected = deadline, expected
        self.rng = random.Random(n)
        self.error = None

    def run(self):
        try:
            self._run()
        except Exception as err:  # reported at the end
            self.error = f"{self.name}: {err}"

    def _run(self):
        a, port, rng = self.args, self.port, self.rng
        time.sleep(rng.random() * 2)  # phones arrive over a couple of seconds
        _, body = with_retries(port, "POST", "/api/v1/devices", "register", {201},
                               self.deadline)
        auth = {"Authorization": f"Bearer {body['token']}"}
        with_retries(port, "GET", f"/api/v1/walks/{WALK}", "walk", {200}, self.deadline)
        with STATS.lock:
            STATS.arrived.append(time.perf_counter())
        items = [self._item() for _ in range(a.comments)]
        stall_at = rng.randrange(len(items)) if self.n < a.stalls else None
        for i in range(0, len(items), a.batch):
            batch = items[i:i + a.batch]
            self._sync(batch, auth)
            for j, item in enumerate(batch):
                self._photo(item, auth, stall=(i + j == stall_at))
        with_retries(port, "GET", "/api/v1/devices/me/comments", "feed", {200}, self.deadline,
                     headers=auth)
        with self.expected.lock:
            self.expected.comments.update(it["id"] for it in items)
            self.expected.photos.update(it["photos"][0] for it in items)

    def _item(self):
        lon, lat = CENTRE
        return {
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), "walk": WALK,
            "kind": self.rng.choice(["question", "opinion", "idea"]),
            "category": self.rng.choice(CATEGORIES),
            "text": "Trottoaren är ojämn vid busshållplatsen; svårt med rullator.",
            "location": {"type": "Point", "coordinates": [
                lon + self.rng.uniform(-0.01, 0.01), lat + self.rng.uniform(-0.006, 0.006)]},
            "accuracy_m": round(self.rng.uniform(3, 30), 1),
            "created_at": (datetime.now(UTC) - timedelta(minutes=self.rng.randint(0, 90)))
            .isoformat(),
            "photos": [str(uuid.UUID(int=self.rng.getrandbits(128), version=4))],
        }

    def _sync(self, batch, auth):
        body = json.dumps({"comments": batch}).encode()
        head = {**auth, "Content-Type": "application/json"}
        if self.rng.random() < self.args.p_lost:
            send_and_drop(self.port, "POST", "/api/v1/sync", head, body)
            STATS.fault("lost responses (batch resent)")
        _, answer = with_retries(self.port, "POST", "/api/v1/sync", "sync", {200},
                                 self.deadline, body=body, headers=head)
        bad = [r for r in answer["results"] if r["status"] not in ("created", "unchanged")]
        if bad:
            raise RuntimeError(f"sync refused: {bad[:2]}")
        if self.rng.random() < self.args.p_dup:
            STATS.fault("duplicate batches")
            _, again = with_retries(self.port, "POST", "/api/v1/sync", "sync", {200},
                                    self.deadline, body=body, headers=head)
            assert all(r["status"] == "unchanged" for r in again["results"]), again

    def _photo(self, item, auth, stall=False):
        data = self.photos[self.rng.randrange(len(self.photos))]
        path = f"/api/v1/comments/{item['id']}/photos/{item['photos'][0]}"
        head = {**auth, "Content-Type": "image/jpeg"}
        if stall:
            sock = send_and_drop(self.port, "PUT", path, head, data, fraction=0.1)
            STATS.fault("stalled uploads")
            time.sleep(self.args.stall_seconds)
            if sock is not None:
                sock.close()
        elif self.rng.random() < self.args.p_abort:
            send_and_drop(self.port, "PUT", path, head, data, fraction=0.5)
            STATS.fault("aborted photo uploads")
        with_retries(self.port, "PUT", path, "photo", {200, 201}, self.deadline, body=data,
                     headers=head)
        if self.rng.random() < self.args.p_resend:
            STATS.fault("photos resent")
            status, _ = with_retries(self.port, "PUT", path, "photo", {200, 201},
                                     self.deadline, body=data, headers=head)
            assert status == 200, status


class Expected:
    def __init__(self):
        self.lock, self.comments, self.photos = threading.Lock(), set(), set()


# --- faults from outside -------------------------------------------------------------------

def cut_connections(db_url: str, every: float, stop: threading.Event) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    admin = create_engine(db_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    while not stop.wait(every):
        with admin.connect() as conn:
            n = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        STATS.fault("database connection cuts")
        STATS.fault("database connections cut", n)
    admin.dispose()


def kill_a_worker(master_pid: int, after: float, stop: threading.Event) -> None:
    if stop.wait(after):
        return
    out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True)
    pids = [int(p) for p in out.stdout.split()]
    if pids:
        os.kill(random.choice(pids), signal.SIGKILL)
        STATS.fault("gunicorn workers killed (SIGKILL)")


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of these processes, their live children and their reaped
    children: what the server itself spent, however busy the rest of the machine is."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        for p in [pid, *(int(c) for c in children.stdout.split())]:
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
            total += (utime + stime + (cutime + cstime if p == pid else 0)) / tick
    return total


# --- the stacks -----------------------------------------------------------------------------

def wait_http(port: int, proc: subprocess.Popen, log: Path, seconds=120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", f"/api/v1/walks/{WALK}")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"no answer on port {port}:\n{log.read_text()[-3000:]}")


def seed(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    from walkapp import create_app
    from walkapp.demo import seed as seed_demo
    from walkapp.extensions import db

    os.environ["WALKAPP_INSTANCE"] = str(instance)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        db.engine.dispose()


def start_production(args, tmp: Path, procs: list):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = f"walkapp_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
    seed(url, tmp)
    front, app_port, photo_port = args.port, args.port + 1, args.port + 2
    env = {**os.environ, "WALKAPP_DATABASE_URL": url, "WALKAPP_INSTANCE": str(tmp),
           "WALKAPP_SECRET_KEY": "bench", "WALKAPP_TRUSTED_PROXIES": "1",
           "WALKAPP_PHOTO_STORAGE": args.photo_storage, "PYTHONPATH": str(ROOT)}
    if args.redis:
        env.update(WALKAPP_RATELIMIT_STORAGE_URI=args.redis,
                   WALKAPP_RATELIMIT_KEY_PREFIX=name)
    pools = [("gunicorn", app_port, args.workers - args.photo_workers, [])]
    if args.photo_workers:  # the README's setup: photos in their own pool, lower priority
        pools.append(("gunicorn-photos", photo_port, args.photo_workers, ["nice", "-n", "10"]))
    else:
        photo_port = app_port
    for name_, port_, workers, prefix in pools:
        log = tmp / f"{name_}.log"
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "gunicorn", "-c",
             str(ROOT / "deploy" / "gunicorn.conf.py"), "--access-logfile", "/dev/null",
             "walkapp:create_app()"],
            env={**env, "WALKAPP_BIND": f"{HOST}:{port_}", "WALKAPP_WORKERS": str(workers)},
            cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_http(port_, proc, log)
    port = app_port
    if not args.no_nginx:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp / sub).mkdir()
        conf = tmp / "nginx.conf"
        conf.write_text(f"""daemon off; master_process off; worker_processes 1;
pid {tmp}/nginx.pid; error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  upstream walkapp {{ server {HOST}:{app_port}; }}
  upstream walkapp_photos {{ server {HOST}:{photo_port}; }}
  server {{ listen {HOST}:{front}; include {ROOT}/deploy/nginx-walkapp-proxy.conf; }}
}}""")
        proc = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(conf)],
                                stdout=(tmp / "nginx.log").open("w"), stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_http(front, proc, tmp / "nginx.log")
        port = front
    via = "" if args.no_nginx else "nginx → "
    split = (f"{args.workers - args.photo_workers} sync workers + {args.photo_workers} for "
             "photo uploads at nice 10" if args.photo_workers else f"{args.workers} sync workers")
    label = (f"{via}gunicorn ({split}, deploy/gunicorn.conf.py) → PostgreSQL; photos stored: "
             f"{args.photo_storage}; rate limits: {'redis' if args.redis else 'memory'}")

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return port, url, label, procs[0].pid, drop, [p.pid for p in procs]


def start_demo(args, tmp: Path, procs: list):
    env = {**os.environ, "WALKAPP_INSTANCE": str(tmp), "PYTHONPATH": str(ROOT),
           "WALKAPP_PHOTO_STORAGE": args.photo_storage}
    env.pop("WALKAPP_DATABASE_URL", None)
    log = tmp / "demo.log"
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "walkapp", "demo",
                             "--port", str(args.port)], env=env, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    procs.append(proc)
    wait_http(args.port, proc, log)
    url = f"sqlite:///{tmp / 'walkapp.db'}"
    label = f"`walkapp demo` (Werkzeug, threaded) → SQLite; photos: {args.photo_storage}"
    return args.port, url, label, None, lambda: None, [proc.pid]


# --- checking the database ------------------------------------------------------------------

def verify(url: str, tmp: Path, storage: str, expected: Expected) -> list[str]:
    from sqlalchemy import func, select

    from walkapp import create_app, photo_store
    from walkapp.extensions import db
    from walkapp.models import Comment, Photo

    os.environ["WALKAPP_INSTANCE"] = str(tmp)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "PHOTO_STORAGE": storage, "PHOTO_FOLDER": str(tmp / "photos")})
    with app.app_context():
        s = db.session
        ids = [str(i) for i in s.scalars(select(Comment.id))]
        stored = {str(pid): (str(cid), at) for pid, cid, at in
                  s.execute(select(Photo.id, Photo.comment_id, Photo.stored_at))}
        unrouted = s.scalar(select(func.count()).select_from(Comment)
                            .where(Comment.department_id.is_(None)))
        store = photo_store.for_app(app)
        sample = list(expected.photos)
        no_bytes = 0
        for pid in sample:
            fh = store.open(s, uuid.UUID(pid), "full")
            if fh is None:
                no_bytes += 1
            else:
                fh.close()
        db.engine.dispose()
    lines = [
        f"comments: {len(ids)} stored, {len(expected.comments)} expected, "
        f"{len(ids) - len(set(ids))} duplicates, {len(expected.comments - set(ids))} lost, "
        f"{len(set(ids) - expected.comments)} unexpected, {unrouted} unrouted",
        f"photos:   {sum(1 for v in stored.values() if v[1])} stored, "
        f"{len(expected.photos)} expected, {len(expected.photos - set(stored))} lost, "
        f"{sum(1 for p in expected.photos if p in stored and not stored[p][1])} without "
        f"bytes in the row, {no_bytes} without bytes in the store",
    ]
    ok = (len(ids) == len(set(ids)) == len(expected.comments) and set(ids) == expected.comments
          and not unrouted and expected.photos <= set(stored) and not no_bytes
          and all(stored[p][1] for p in expected.photos))
    return lines, ok


# --- report -------------------------------------------------------------------------------------

def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def report(label, args, elapsed, photo_kb, verification, ok, server_cpu):
    print(f"stack: {label}")
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus; phones {args.phones}, "
          f"{args.phones * args.comments} comments in batches of {args.batch}, one "
          f"{args.photo_size} JPEG ({photo_kb:.0f} kB) each")
    print("faults injected: " + (", ".join(f"{v} {k}" for k, v in sorted(STATS.faults.items()))
                                 or "none"))
    n = args.phones * args.comments
    total = sum(sum(c.values()) for c in STATS.status.values())
    print(f"elapsed {elapsed:.1f} s: {n / elapsed:.1f} comments/s, {n / elapsed:.1f} photos/s, "
          f"{total / elapsed:.1f} requests/s; machine load average {os.getloadavg()[0]:.1f}")
    print(f"app server CPU: {server_cpu:.1f} s = {server_cpu / n * 1000:.0f} ms per comment with "
          f"its photo (all requests and faults included) → about "
          f"{os.cpu_count() / (server_cpu / n):.0f} comments/s on {os.cpu_count()} idle cores")
    print(f"{'endpoint':<9} {'answers':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'5xx':>4} {'4xx':>4} {'no answer':>9}")
    fivexx = 0
    for ep in ("register", "walk", "sync", "photo", "feed"):
        lat = [v * 1000 for v in STATS.latency[ep]]
        codes = STATS.status[ep]
        e5 = sum(c for s, c in codes.items() if s and s >= 500)
        e4 = sum(c for s, c in codes.items() if s and 400 <= s < 500)
        fivexx += e5
        print(f"{ep:<9} {len(lat):>7} {pct(lat, 50):>7.0f} {pct(lat, 95):>7.0f} "
              f"{pct(lat, 99):>7.0f} {e5:>4} {e4:>4} {STATS.net_errors[ep]:>9}")
    codes = {s: c for ep in STATS.status.values() for s, c in ep.items() if s and s >= 400}
    if codes:
        print("error statuses: " + ", ".join(f"{s}×{c}" for s, c in sorted(codes.items())))
    for line in verification:
        print(line)
    sync_p95 = pct([v * 1000 for v in STATS.latency["sync"]], 95)
    if STATS.arrived:  # the opening burst: every phone's first batch within a few seconds
        last = max(STATS.arrived)
        later = [v * 1000 for v, t in zip(STATS.latency["sync"], STATS.started["sync"],
                                           strict=True) if t > last]
        print(f"sync once every phone had arrived ({len(later)} answers, "
              f"{last - STATS.first:.1f} s in): p50 {pct(later, 50):.0f} ms, "
              f"p95 {pct(later, 95):.0f} ms, p99 {pct(later, 99):.0f} ms")
    print(f"verdict: {'OK' if ok else 'FAILED'} (data), 5xx {fivexx}, sync p95 {sync_p95:.0f} ms "
          f"(goals: 0 lost, 0 duplicates, 0 5xx, sync p95 < 1000 ms)")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stack", choices=["production", "demo"], default="production")
    ap.add_argument("--port", type=int, default=5170, help="first of three loopback ports")
    ap.add_argument("--phones", type=int, default=50)
    ap.add_argument("--comments", type=int, default=40, help="per phone")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers in all")
    ap.add_argument("--photo-workers", type=int, default=2,
                    help="of those, in the photo-upload pool (0: one pool for everything)")
    ap.add_argument("--photo-size", default="1600x1200")
    ap.add_argument("--photo-storage", choices=["local", "database"], default="local")
    ap.add_argument("--pg-url", default=os.environ.get(
        "WALKAPP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0",
                    help="rate-limit storage for the production stack ('' for memory)")
    ap.add_argument("--no-nginx", action="store_true", help="phones talk to gunicorn directly")
    ap.add_argument("--p-lost", type=float, default=0.1)
    ap.add_argument("--p-dup", type=float, default=0.05)
    ap.add_argument("--p-abort", type=float, default=0.05)
    ap.add_argument("--p-resend", type=float, default=0.05)
    ap.add_argument("--stalls", type=int, default=3, help="phones that stall one upload")
    ap.add_argument("--stall-seconds", type=float, default=20)
    ap.add_argument("--cut-every", type=float, default=5, help="seconds; 0: never")
    ap.add_argument("--kill-worker", type=float, default=0,
                    help="SIGKILL one gunicorn worker this many seconds in (0: never)")
    ap.add_argument("--deadline", type=float, default=900, help="seconds for the whole run")
    ap.add_argument("--keep", action="store_true", help="keep the server logs and files")
    args = ap.parse_args()
    w, h = (int(v) for v in args.photo_size.split("x"))
    photos = make_photos(4, (w, h))
    tmp = Path(tempfile.mkdtemp(prefix="walkapp-load-"))
    procs: list[subprocess.Popen] = []
    start = start_production if args.stack == "production" else start_demo
    port, url, label, master, drop, server_pids = start(args, tmp, procs)
    stop = threading.Event()
    helpers = []
    try:
        if args.stack == "production" and args.cut_every:
            helpers.append(threading.Thread(target=cut_connections,
                                            args=(url, args.cut_every, stop), daemon=True))
        if master and args.kill_worker:
            helpers.append(threading.Thread(target=kill_a_worker,
                                            args=(master, args.kill_worker, stop), daemon=True))
        expected = Expected()
        deadline = time.monotonic() + args.deadline
        phones = [Phone(n, args, port, photos, deadline, expected) for n in range(args.phones)]
        began, cpu_before = time.perf_counter(), cpu_seconds(server_pids)
        STATS.first = began
        for t in helpers + phones:
            t.start()
        for p in phones:
            p.join(max(1, deadline - time.monotonic()))
        elapsed = time.perf_counter() - began
        server_cpu = cpu_seconds(server_pids) - cpu_before
        stop.set()
        errors = [p.error for p in phones if p.error] + [
            f"{p.name}: still running at the deadline" for p in phones if p.is_alive()]
        for e in errors[:10]:
            print("phone error:", e)
        verification, ok = verify(url, tmp, args.photo_storage, expected)
        ok = report(label, args, elapsed, statistics.mean(len(p) for p in photos) / 1024,
                    verification, ok and not errors, server_cpu)
    finally:
        stop.set()
        for proc in reversed(procs):
            is_gunicorn = "gunicorn" in " ".join(map(str, proc.args))
            proc.send_signal(signal.SIGINT if is_gunicorn else signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop()
        if args.keep:
            print(f"logs and files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
