"""Size of the field app's shell: everything a phone needs to start the app, tiles excluded.

Run from the repo root:  python bench/pwa_budget.py [--budget-kb 150]

The list is the service worker's own precache list (walkapp.field.shell.precache_urls, which
/sw.js is built from) plus /sw.js itself. Each file is fetched through the Flask app, as a
phone would get it, and compressed with gzip -9 (and brotli -11 when the `brotli` package
is installed). Exits 1 when the compressed total is over the budget (1 KB = 1000 bytes).
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

try:
    import brotli
except ImportError:  # optional: gzip is what every server can do
    brotli = None


def measure() -> list[tuple[str, int, int, int | None]]:
    os.environ.setdefault("WALKAPP_INSTANCE", tempfile.mkdtemp(prefix="walkapp-budget-"))
    from walkapp import create_app
    from walkapp.field.shell import precache_urls

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "DEMO_TILES": True})
    client = app.test_client()
    rows = []
    for url in [*precache_urls(app), "/sw.js"]:
        resp = client.get(url)
        if resp.status_code != 200:
            raise SystemExit(f"{url}: HTTP {resp.status_code}")
        body = resp.get_data()
        br = len(brotli.compress(body, quality=11)) if brotli else None
        rows.append((url, len(body), len(gzip.compress(body, compresslevel=9)), br))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-kb", type=float, default=150.0)
    args = parser.parse_args()
    rows = measure()
    width = max(len(r[0]) for r in rows)
    head = f"{'file':<{width}}  {'raw':>9}  {'gzip':>9}  {'brotli':>9}"
    print(head)
    print("-" * len(head))
    for url, raw, gz, br in rows:
        br_cell = f"{br:>9,}" if br is not None else f"{'-':>9}"
        print(f"{url:<{width}}  {raw:>9,}  {gz:>9,}  {br_cell}")
    total_raw = sum(r[1] for r in rows)
    total_gz = sum(r[2] for r in rows)
    total_br = sum(r[3] for r in rows) if brotli else None
    print("-" * len(head))
    br_text = f"{total_br:>9,}" if total_br is not None else f"{'-':>9}"
    print(f"{'total (' + str(len(rows)) + ' files)':<{width}}  {total_raw:>9,}  {total_gz:>9,}  "
          f"{br_text}")
    budget = args.budget_kb * 1000
    print(f"\nbudget {args.budget_kb:g} KB compressed: gzip {total_gz / 1000:.1f} KB"
          + (f", brotli {total_br / 1000:.1f} KB" if total_br is not None else
             " (brotli: pip install brotli)")
          + f" -> {'OK' if total_gz <= budget else 'OVER BUDGET'}")
    return 0 if total_gz <= budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
