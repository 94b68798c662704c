"""The README's two commands are what CI and a new user run: keep them true."""

import re
import shlex
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


# --- the production steps, run as written ------------------------------------------------

def production_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Running in production"):]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


def production_commands() -> list[list[str]]:
    """The `walkapp …` lines of the README's production block, as argument lists."""
    joined = production_block().replace("\\\n", " ")
    lines = [shlex.split(line, comments=True) for line in joined.splitlines()]
    return [args[1:] for args in lines if args and args[0] == "walkapp"]


def test_production_steps_run_in_order_on_an_empty_database(empty_database_url, tmp_path,
                                                            monkeypatch):
    from sqlalchemy import inspect, select

    from tests.conftest import comment_item, make_test_app
    from walkapp.extensions import db
    from walkapp.models import Comment, Department, Municipality, User, Walk

    commands = production_commands()
    assert [c[0] for c in commands] == [
        "init-db", "create-municipality", "create-user", "add-department", "add-department",
        "import-areas", "api-key", "create-walk", "deliver", "purge"]
    monkeypatch.chdir(ROOT)  # the README's paths are relative to the checkout
    app = make_test_app(empty_database_url, tmp_path)
    try:
        with app.app_context():
            assert inspect(db.engine).get_table_names() == []
        runner = app.test_cli_runner()
        password = "a long enough password"
        outputs = []
        for args in commands:
            # the worker's service form runs until stopped: here it runs once
            args = [a for a in args if a != "--loop"]
            result = runner.invoke(args=args, input=f"{password}\n{password}\n")
            assert result.exit_code == 0, (args, result.output)
            outputs.append(result.output)
        code = re.search(r"created walk (\w+)", outputs[-3]).group(1)
        api_key = re.search(r"^(o311_\S+)$", outputs[-4], re.M).group(1)
        assert outputs[-2].startswith("deliveries:") and outputs[-1].startswith("removed:")

        with app.app_context():
            muni = db.session.scalar(select(Municipality))
            assert (muni.slug, muni.timezone, muni.fallback_department.name) == (
                "uppvidinge", "Europe/Stockholm", "Kontaktcenter")
            assert muni.boundary.geom_type == "Polygon"
            assert len(muni.categories) == 10
            assert {d.slug for d in db.session.scalars(select(Department))} == {
                "kontaktcenter", "gata-park", "bostad"}
            walk = db.session.scalar(select(Walk))
            assert walk.join_code == code and walk.area is not None
            # 17:30 in Swedish summer time is 15:30 UTC
            assert walk.starts_at.isoformat() == "2026-05-20T15:30:00+00:00"
            admin = db.session.scalar(select(User))
            assert admin.role == "admin" and admin.check_password(password)

        # …and the municipality works: the admin signs in, a pin is routed by the areas.
        client = app.test_client()
        app.config["WTF_CSRF_ENABLED"] = False
        resp = client.post("/login", data={"email": "anna@kommun.example",
                                           "password": password})
        assert resp.status_code == 302
        assert client.get("/admin/").status_code == 200
        token = client.post("/api/v1/devices").get_json()["token"]
        resp = client.post("/api/v1/sync", headers={"Authorization": f"Bearer {token}"},
                           json={"comments": [comment_item(
                               walk=code, category="lighting",
                               location={"type": "Point", "coordinates": [15.345, 57.168]})]})
        assert resp.get_json()["results"][0]["department"]["slug"] == "gata-park"
        resp = client.post("/api/v1/sync", headers={"Authorization": f"Bearer {token}"},
                           json={"comments": [comment_item(walk=code, category="housing")]})
        assert resp.get_json()["results"][0]["department"]["slug"] == "kontaktcenter"
        with app.app_context():
            assert db.session.scalar(select(Comment.source)) == "app"
        # the department's own system reads through Open311 with the key it was given
        resp = client.get(f"/open311/v2/requests.json?api_key={api_key}")
        assert resp.status_code == 200 and len(resp.get_json()) == 2
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
