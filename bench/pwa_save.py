"""Save latency of the field app: from the Save button to the pin committed in IndexedDB.

Run from the repo root:  python bench/pwa_save.py [--saves 50] [--online]

Starts walkapp on a temporary SQLite database with the test town, opens the walk in Debian's
chromium (headless, via Playwright) and saves pins through the real form, N without a photo
and N with a 3000×2000 camera JPEG. The app itself measures each save (performance.now() at
the submit event → the IndexedDB transaction's complete event, durability "strict") into
window.__saveTimings; photo preparation (decode, shrink to ≤ 1600 px, JPEG) happens when the
photo is picked, before Save, and is reported on its own line (window.__photoTimings).
By default the phone is offline, as in the field; --online lets sync run alongside.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.conftest import camera_jpeg

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def start_server(folder: Path):
    os.environ.setdefault("WALKAPP_INSTANCE", str(folder / "instance"))
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from tests.conftest import make_test_app, seed_test_world

    app = make_test_app(f"sqlite:///{folder / 'bench.db'}", folder)
    with app.app_context():
        upgrade()
    seed_test_world(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def save_pins(page, n: int, photo: Path | None) -> list[float]:
    start = page.evaluate("(window.__saveTimings || []).length")
    for i in range(n):
        page.click("#add-pin")
        page.locator("input[name=kind][value=idea]").check()
        page.select_option("#category", "parks")
        page.fill("#text", f"Mätning {i}: fler bänkar i parken")
        if photo is not None:
            page.set_input_files("#photo-input", str(photo))
            page.wait_for_selector("#photo-list img")
        page.click("#save")
        page.wait_for_function(f"() => (window.__saveTimings || []).length > {start + i}")
        page.wait_for_selector("#sheet", state="hidden")
    return page.evaluate(f"window.__saveTimings.slice({start})")


def summary(name: str, values: list[float]) -> str:
    values = sorted(values)
    p95 = values[max(0, round(0.95 * len(values)) - 1)]
    return (f"{name:<26} n={len(values):<3} median {statistics.median(values):6.1f} ms   "
            f"p95 {p95:6.1f} ms   max {values[-1]:6.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--online", action="store_true", help="let sync run during the saves")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = start_server(folder)
        url = f"http://127.0.0.1:{server.server_port}/w/ASEDA7"
        photo = camera_jpeg(folder)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(
                viewport={"width": 412, "height": 860}, locale="sv-SE",
                geolocation={"latitude": 57.15, "longitude": 15.27, "accuracy": 8},
                permissions=["geolocation"])
            page = context.new_page()
            page.goto(url)
            page.wait_for_function("() => window.__syncAttempts >= 1")
            if not args.online:
                context.set_offline(True)
            plain = save_pins(page, args.saves, None)
            with_photo = save_pins(page, args.saves, photo)
            prepare = page.evaluate("window.__photoTimings || []")
            browser.close()
        server.shutdown()
    version = "online" if args.online else "offline"
    print(f"Save -> IndexedDB committed ({version}, chromium headless, target < 50 ms)")
    print(summary("save, no photo", plain))
    print(summary("save, with 1 photo", with_photo))
    print(summary("photo prepare (on pick)", prepare))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
