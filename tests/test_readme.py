"""The README's two commands are what CI and a new user run: keep them true."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(python3 -m venv .+)\n```", text)


def test_readme_starts_with_the_two_commands():
    install_run, install_test = readme_commands()[:2]
    assert install_run.endswith("pip install -e . && walkapp demo")
    assert install_test.endswith("pip install -e '.[test]' && pytest")


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci
