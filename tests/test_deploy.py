"""The production setup of the README, run for real: gunicorn workers from
deploy/gunicorn.conf.py, rate limits in Redis, and nginx with deploy/nginx-walkapp*.conf.

Redis tests need WALKAPP_TEST_REDIS_URL (CI: the machine's own redis at 127.0.0.1:6379);
nginx tests need /usr/sbin/nginx (CI installs it and sets WALKAPP_REQUIRE_NGINX, so a
missing nginx fails instead of skipping).
"""

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from flask_migrate import upgrade

from tests.conftest import Live, make_test_app, seed_test_world
from walkapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
REDIS_URL = os.environ.get("WALKAPP_TEST_REDIS_URL")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set WALKAPP_TEST_REDIS_URL")
needs_nginx = pytest.mark.skipif(
    not NGINX and not os.environ.get("WALKAPP_REQUIRE_NGINX"), reason="nginx is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{proc.args[0]} did not start (exit {proc.poll()}):\n"
                            f"{log.read_text()[-4000:]}")
            time.sleep(0.1)


def wait_until_serving(live: Live, proc, seconds: float = 90) -> None:
    """The port opens before a worker has built the app: wait for a real answer."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if live.request("GET", "/api/v1/openapi.json", timeout=seconds)[0] == 200:
                return
        except OSError:
            pass
        if proc.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no answer from {proc.proc.args}:\n{proc.log.read_text()[-4000:]}")
        time.sleep(0.1)


class Process:
    """A server in a subprocess with its output in a log file; stopped at the end."""

    def __init__(self, args, env, log: Path, port: int, stop_signal=signal.SIGTERM):
        self.log, self.port, self.stop_signal = log, port, stop_signal
        self.proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log.open("w"),
                                     stderr=subprocess.STDOUT)
        wait_for_port(port, self.proc, log)

    def stop(self) -> None:
        self.proc.send_signal(self.stop_signal)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def deployment(tmp_path):
    """A seeded SQLite database and a way to start gunicorn on it with the repo's config."""
    url = f"sqlite:///{tmp_path / 'walkapp.db'}"
    app = make_test_app(url, tmp_path)
    with app.app_context():
        upgrade()
    seed_test_world(app)
    with app.app_context():
        db.engine.dispose()
    started: list[Process] = []

    def gunicorn(workers: int = 1, **env) -> Live:
        port = free_port()
        environ = {**os.environ, "WALKAPP_DATABASE_URL": url, "WALKAPP_INSTANCE": str(tmp_path),
                   "WALKAPP_SECRET_KEY": "deploy-test", "WALKAPP_BIND": f"127.0.0.1:{port}",
                   "WALKAPP_WORKERS": str(workers), "PYTHONPATH": str(ROOT), **env}
        proc = Process([sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
                        "walkapp:create_app()"], environ, tmp_path / f"gunicorn-{port}.log", port,
                       signal.SIGINT)  # quick shutdown: nothing to finish in a test
        started.append(proc)
        live = Live(type("S", (), {"server_port": port})())
        wait_until_serving(live, proc)
        return live

    gunicorn.tmp = tmp_path
    gunicorn.started = started
    yield gunicorn
    for proc in reversed(started):
        proc.stop()


def post_devices(live: Live, n: int, headers=None) -> list[int]:
    """n device registrations at once, each on its own connection."""
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(
        live.request("POST", "/api/v1/devices", headers=headers)[0])) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(statuses)


# --- gunicorn + Redis -----------------------------------------------------------------------

@needs_redis
def test_gunicorn_workers_boot_with_redis_and_share_its_limits(deployment):
    """The documented multi-worker setup: every worker boots with a redis:// storage (the
    `redis` extra), and they count against one limit."""
    import redis

    prefix = f"walkapp-test-{uuid.uuid4().hex[:8]}"
    live = deployment(workers=2, WALKAPP_RATELIMIT_STORAGE_URI=REDIS_URL,
                      WALKAPP_RATELIMIT_KEY_PREFIX=prefix, WALKAPP_RATELIMIT_DEVICES="3 per minute")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert post_devices(live, 8) == [201] * 3 + [429] * 5
        assert client.keys(f"*{prefix}*"), "the limiter did not count in Redis"
        assert live.request("GET", "/api/v1/walks/ASEDA7")[0] == 200
    finally:
        for key in client.keys(f"*{prefix}*"):
            client.delete(key)
        client.close()
    log = deployment.started[0].log.read_text()
    assert log.count("Booting worker") == 2 and "Traceback" not in log


def test_redis_out_of_reach_does_not_take_the_app_down(deployment):
    live = deployment(workers=1, WALKAPP_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}")
    assert post_devices(live, 2) == [201, 201]
    assert live.request("GET", "/api/v1/walks/ASEDA7")[0] == 200


# --- nginx -----------------------------------------------------------------------------------

def nginx_conf(tmp: Path, body: str) -> Path:
    """A main nginx.conf around `body` (an http-level block), runnable as any user."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir(exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    {body}
}}
""")
    return conf


@needs_nginx
def test_the_nginx_site_file_is_valid(tmp_path):
    """`nginx -t` on deploy/nginx-walkapp.conf as shipped, with only the certificate and the
    include path pointed at test files."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=walkapp.example.org", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    site = (DEPLOY / "nginx-walkapp.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/walkapp.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/walkapp.example.org/privkey.pem", str(key))
    site = site.replace("/etc/nginx/snippets/nginx-walkapp-proxy.conf",
                        str(DEPLOY / "nginx-walkapp-proxy.conf"))
    assert str(cert) in site and str(DEPLOY) in site  # the paths the README names
    (tmp_path / "site.conf").write_text(site)
    conf = nginx_conf(tmp_path, f"include {tmp_path}/site.conf;")
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


@pytest.fixture
def behind_nginx(deployment):
    """nginx running deploy/nginx-walkapp-proxy.conf in front of two gunicorn pools of one
    sync worker each: the main one and the one for photo uploads."""
    env = {"WALKAPP_TRUSTED_PROXIES": "1", "WALKAPP_RATELIMIT_DEVICES": "3 per minute"}
    main, photos = deployment(workers=1, **env), deployment(workers=1, **env)
    tmp, port = deployment.tmp, free_port()
    conf = nginx_conf(tmp, f"""
    upstream walkapp {{ server 127.0.0.1:{main.port}; }}
    upstream walkapp_photos {{ server 127.0.0.1:{photos.port}; }}
    server {{
        listen 127.0.0.1:{port};
        include {DEPLOY / "nginx-walkapp-proxy.conf"};
    }}""")
    proc = Process([NGINX, "-p", str(tmp), "-c", str(conf)], os.environ, tmp / "nginx.log", port)
    live = Live(type("S", (), {"server_port": port})())
    live.logs = {"main": deployment.started[0].log, "photos": deployment.started[1].log}
    yield live
    proc.stop()


@needs_nginx
def test_behind_nginx(behind_nginx):
    """Two one-worker gunicorn pools behind the repo's nginx config (one boot, four checks)."""
    live = behind_nginx
    status, body = live.request("POST", "/api/v1/devices")
    assert status == 201, body
    auth = {"Authorization": f"Bearer {body['token']}"}

    # 1. A stalled upload is nginx's to wait for: the main pool's only worker stays free.
    sock = live.raw(timeout=15)
    sock.sendall(("POST /api/v1/sync HTTP/1.1\r\nHost: walkapp.example.org\r\n"
                  f"Authorization: {auth['Authorization']}\r\n"
                  "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                  '{"comments": [').encode())
    for _ in range(3):
        assert live.request("GET", "/api/v1/walks/ASEDA7", timeout=10)[0] == 200
    assert not select.select([sock], [], [], 0)[0]
    sock.close()

    # 2. Photo uploads go to their own pool; everything else to the main one.
    photo_path = f"/api/v1/comments/{uuid.uuid4()}/photos/{uuid.uuid4()}"
    status, body = live.request("PUT", photo_path, body=b"\xff\xd8",
                                headers={**auth, "Content-Type": "image/jpeg"})
    assert status == 404 and body["error"]["fields"][0]["field"] == "comment_id"
    deadline = time.monotonic() + 10  # access logs are written after the answer
    while photo_path not in live.logs["photos"].read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert photo_path in live.logs["photos"].read_text()
    assert photo_path not in live.logs["main"].read_text()
    assert "/api/v1/walks/ASEDA7" in live.logs["main"].read_text()
    assert "/api/v1/walks/ASEDA7" not in live.logs["photos"].read_text()

    # 3. A body over the size limit: refused by nginx, in the API's error shape.
    status, body = live.request(
        "PUT", photo_path, body=b"x" * (17 * 1024 * 1024), headers={"Content-Type": "image/jpeg"})
    assert status == 413 and body["error"]["code"] == "too_large"
    assert body["error"]["fields"][0]["field"] == "body"

    # 4. With WALKAPP_TRUSTED_PROXIES=1 the app takes the address nginx appends: a forged
    #    X-Forwarded-For neither escapes the limit (3 a minute, one used above) nor frames
    #    someone else.
    forged = [{"X-Forwarded-For": f"198.51.100.{n}"} for n in range(3)]
    statuses = [live.request("POST", "/api/v1/devices", headers=h)[0] for h in forged]
    assert statuses == [201, 201, 429]
