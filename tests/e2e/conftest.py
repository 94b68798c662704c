"""Live-server fixtures for the field app's browser tests (Debian chromium via Playwright).

One walkapp server runs in a thread for the whole session (SQLite in a temp folder, the
test world seeded, demo tiles on, a small offline zoom range); it can be stopped and
started again on the same port for the "server down" tests. One browser is shared; every
test gets a fresh context (new phone: empty IndexedDB, caches and service worker).
"""

import os
import shutil
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

# `tests` is a plain folder: make the repo root importable however pytest was started.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import make_test_app, seed_test_world
from walkapp import router_cache
from walkapp.extensions import db
from walkapp.models import Comment, Municipality, User

CHROMIUM = "/usr/bin/chromium"
REQUIRE = bool(os.environ.get("WALKAPP_REQUIRE_BROWSER"))
GEO = {"latitude": 57.15, "longitude": 15.27, "accuracy": 8}


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or REQUIRE:
        return  # CI sets WALKAPP_REQUIRE_BROWSER: a missing browser must fail, not skip
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (set WALKAPP_REQUIRE_BROWSER to fail)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


class _Handler(WSGIRequestHandler):
    # One request per connection: a stopped server must look down at once, not keep
    # answering on a keep-alive connection the browser still holds.
    protocol_version = "HTTP/1.0"

    def log_request(self, *args, **kwargs):
        pass


class LiveServer:
    """walkapp in a thread; stop() and start() again keep the port (and the database)."""

    def __init__(self, app):
        self.app, self.port, self._server, self._thread = app, 0, None, None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        for _ in range(50):  # the old socket may linger a moment after a stop
            try:
                self._server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                           request_handler=_Handler)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"could not bind port {self.port}")
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory, instance_dir):
    folder = tmp_path_factory.mktemp("e2e")
    app = make_test_app(
        f"sqlite:///{folder / 'e2e.db'}", instance_dir,
        OFFLINE_MIN_ZOOM=14, OFFLINE_MAX_ZOOM=15, OFFLINE_MAX_TILES=200,
        TILE_MIN_ZOOM=12, TILE_MAX_ZOOM=17,
    )
    with app.app_context():
        upgrade()
    router_cache.clear()
    seed_test_world(app)
    yield app
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(app.config["PHOTO_FOLDER"], ignore_errors=True)


@pytest.fixture
def staff_account(e2e_app):
    """A new staff account of the test municipality: make(role, name) -> (email, password)."""
    def make(role: str, name: str) -> tuple[str, str]:
        email = f"{role}-{uuid.uuid4().hex[:6]}@example.org"
        with e2e_app.app_context():
            muni_id = db.session.scalar(select(Municipality.id))
            user = User(email=email, name=name, role=role, municipality_id=muni_id)
            user.set_password("correct horse battery")
            db.session.add(user)
            db.session.commit()
        return email, "correct horse battery"
    return make


@pytest.fixture(scope="session")
def live_server(e2e_app):
    server = LiveServer(e2e_app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(live_server, e2e_app):
    """The live server for one test: running, and its config restored afterwards."""
    saved = dict(e2e_app.config)
    if not live_server.running:
        live_server.start()
    yield live_server
    if not live_server.running:
        live_server.start()
    e2e_app.config.clear()
    e2e_app.config.update(saved)


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing and WALKAPP_REQUIRE_BROWSER is set")
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--disable-quic"]}


@pytest.fixture(scope="session")
def device():
    """pytest-playwright's device emulation; shadows tests/conftest.py's API `device`."""
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "geolocation": GEO, "permissions": ["geolocation"],
            "viewport": {"width": 412, "height": 860}, "locale": "sv-SE"}


class Phone:
    """What a resident does, plus waits on the app's own signals (never on UI text)."""

    def __init__(self, page, server, app):
        self.page, self.server, self.app = page, server, app

    def open(self, path: str = "/w/ASEDA7") -> None:
        self.page.goto(self.server.url + path)
        self.page.wait_for_function("() => window.__syncAttempts >= 1")

    def join(self, code: str = "ASEDA7") -> None:
        """Open the walk and wait until the service worker controls the page (offline-ready)."""
        self.open(f"/w/{code}")
        self.page.wait_for_function(
            "() => navigator.serviceWorker.ready.then(r => r.active.state === 'activated')")
        if not self.page.evaluate("navigator.serviceWorker.controller !== null"):
            self.page.reload()
            self.page.wait_for_function("() => window.__syncAttempts >= 1")
        assert self.page.evaluate("navigator.serviceWorker.controller !== null")

    @property
    def attempts(self) -> int:
        return self.page.evaluate("window.__syncAttempts || 0")

    def wait_attempts(self, more_than: int, timeout: float = 20000) -> None:
        self.page.wait_for_function(f"() => window.__syncAttempts > {more_than}", timeout=timeout)

    def until(self, expression: str, timeout: float = 20.0):
        """Poll an (async-capable) expression until it is truthy; returns its value."""
        end = time.monotonic() + timeout
        while True:
            value = self.page.evaluate(expression)
            if value:
                return value
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.1)

    def outbox(self) -> list[dict]:
        return self.page.evaluate(
            "import('/static/js/db.js').then(db => db.listOutbox())")

    def pins(self) -> list[dict]:
        return self.page.evaluate("import('/static/js/db.js').then(db => db.listPins())")

    def add_pin(self, text: str, kind: str = "question", category: str = "roads",
                photo: Path | None = None) -> None:
        page = self.page
        page.click("#add-pin")
        page.locator(f"input[name=kind][value={kind}]").check()
        page.select_option("#category", category)
        page.fill("#text", text)
        if photo is not None:
            page.set_input_files("#photo-input", str(photo))
            page.wait_for_selector("#photo-list img")
        saved = page.evaluate("(window.__saveTimings || []).length")
        page.click("#save")
        page.wait_for_function(f"() => (window.__saveTimings || []).length > {saved}")
        page.wait_for_selector("#sheet", state="hidden")


@pytest.fixture
def phone(page, server, e2e_app):
    return Phone(page, server, e2e_app)


@pytest.fixture
def comments_of(e2e_app):
    """The comments stored for a set of ids, with their photos: what the server really has."""
    def read(ids):
        import uuid

        with e2e_app.app_context():
            rows = db.session.scalars(
                select(Comment).where(Comment.id.in_([uuid.UUID(i) for i in ids]))).all()
            out = [{"id": str(c.id), "text": c.text, "status": c.status,
                    "department": c.department.name if c.department else None,
                    "photos": [{"id": str(p.id), "stored": p.stored_at is not None,
                                "width": p.width, "height": p.height} for p in c.photos]}
                   for c in rows]
            db.session.remove()
            return out
    return read


def camera_jpeg(folder: Path) -> Path:
    """A 3000×2000 JPEG, as a phone camera would make (the app must shrink it to ≤ 1600 px).
    Also used by bench/pwa_save.py."""
    from PIL import Image, ImageDraw

    path = folder / "camera.jpg"
    img = Image.new("RGB", (3000, 2000), (90, 140, 200))
    draw = ImageDraw.Draw(img)
    for i in range(0, 3000, 150):
        draw.line([(i, 0), (3000 - i, 2000)], fill=(240, 200, 40), width=12)
    img.save(path, "JPEG", quality=90)
    return path


@pytest.fixture(scope="session")
def big_photo(tmp_path_factory) -> Path:
    return camera_jpeg(tmp_path_factory.mktemp("photos"))


def sw_registration(context, page) -> tuple:
    """A DevTools session on the page and its service worker's registration id, to fire the
    worker's events (sync, push) as the browser would."""
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not any(not r["isDeleted"] for r in registrations) and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # polling for the CDP event, not guessing a delay
    return cdp, next(r for r in registrations if not r["isDeleted"])["registrationId"]


SERIOUS = {"serious", "critical"}


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


@pytest.fixture
def official(staff_account):
    """A new official of the test municipality: (email, password)."""
    return staff_account("official", "Anna Official")


def sign_in(page, server, login, lang: str | None = None) -> None:
    """Sign in through the form and wait for the staff start page."""
    import re

    page.goto(server.url + "/login" + (f"?lang={lang}" if lang else ""))
    page.fill("#email", login[0])
    page.fill("#password", login[1])
    page.click("#submit")
    page.wait_for_url(re.compile(r"/review/$"))
