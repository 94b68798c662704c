"""Runs the JS unit tests (tests/js/*.test.mjs) with Node's own test runner, if node exists."""

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _node_version() -> tuple[int, ...]:
    if shutil.which("node") is None:
        return ()
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return tuple(int(p) for p in out.stdout.strip().lstrip("v").split(".")[:2])


# static/js has no package.json, so Node must detect that the .js files are ES modules:
# --experimental-detect-module exists from Node 20.10 (and is the default from 22.7).
@pytest.mark.skipif(_node_version() < (20, 10), reason="needs node >= 20.10")
def test_js_units():
    files = sorted(str(p) for p in HERE.glob("*.test.mjs"))
    proc = subprocess.run(["node", "--experimental-detect-module", "--test", *files],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
