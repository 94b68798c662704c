"""The database under faults: connections cut by PostgreSQL, a private SQLite file, and the
migration that gives existing staff a session token."""

import os
import stat
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.pool import NullPool

from tests.conftest import comment_item, fresh_postgres, make_test_app
from walkapp.extensions import db
from walkapp.models import Comment


def on_postgresql(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def pg_admin(app):
    """A connection of its own (outside the app's pool) to cut the app's connections with."""
    if not on_postgresql(app):
        pytest.skip("PostgreSQL only: SQLite has no connections to cut")
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool,
                           isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def terminate(admin, pid: int | None = None) -> int:
    """pg_terminate_backend on the app database's other connections (or one), and wait
    until they are gone."""
    where = "pid = :pid" if pid else "datname = current_database() AND pid <> pg_backend_pid()"
    with admin.connect() as conn:
        pids = conn.execute(text(f"SELECT pid FROM pg_stat_activity WHERE {where}"),  # noqa: S608
                            {"pid": pid}).scalars().all()
        for p in pids:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": p})
        deadline = time.monotonic() + 10
        while pids and time.monotonic() < deadline:
            alive = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"),
                                 {"p": list(pids)}).scalar()
            if not alive:
                break
            time.sleep(0.02)
    return len(pids)


def mixed_requests(device, n: int) -> list[int]:
    statuses = []
    for i in range(n):
        if i % 4 == 0:
            resp = device.sync(comment_item())
        elif i % 4 == 1:
            resp = device.get("/api/v1/walks/ASEDA7")
        elif i % 4 == 2:
            resp = device.get("/api/v1/devices/me/comments")
        else:
            resp = device.client.post("/api/v1/devices")
        statuses.append(resp.status_code)
    return statuses


def test_pooled_connections_cut_by_the_server_are_replaced(app, world, device, pg_admin):
    """PostgreSQL restarts or cuts idle connections: 4 of 16 requests used to answer 500."""
    with app.app_context():
        assert db.engine.pool._pre_ping  # the fix itself
    for _round in range(3):
        assert all(s < 300 for s in mixed_requests(device, 8))
        assert terminate(pg_admin) >= 1  # the pool's idle connections, mid-run
        assert all(s < 300 for s in mixed_requests(device, 16))


def test_a_connection_cut_during_a_sync_is_retried_once(app, world, device, pg_admin):
    """Cut under a running request (not idle in the pool): the sync runs again on a fresh
    connection; idempotent on the comment's id, so it is stored once."""
    item = comment_item()
    state = {"armed": True}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _cut(conn, cursor, statement, *args):
        if state["armed"] and statement.lstrip().upper().startswith("INSERT INTO COMMENT"):
            state["armed"] = False
            terminate(pg_admin, conn.connection.dbapi_connection.info.backend_pid)

    try:
        resp = device.sync(item)
    finally:
        event.remove(engine, "before_cursor_execute", _cut)
    assert not state["armed"], "the cut never happened"
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["results"][0]["status"] == "created"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_a_connection_cut_before_the_closing_rollback_keeps_the_answer(app, world, device,
                                                                     pg_admin):
    """A GET ends with its read transaction still open; the cut lands just before teardown
    says ROLLBACK. The answer was ready: it must not become a 500."""
    state = {"armed": False}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "rollback")
    def _cut(conn):
        if state["armed"]:
            state["armed"] = False
            terminate(pg_admin, conn.connection.dbapi_connection.info.backend_pid)

    state["armed"] = True
    try:
        resp = device.get("/api/v1/walks/ASEDA7")
    finally:
        event.remove(engine, "rollback", _cut)
    assert not state["armed"], "the cut never happened"
    assert resp.status_code == 200 and resp.get_json()["join_code"] == "ASEDA7"
    assert device.get("/api/v1/walks/ASEDA7").status_code == 200  # and the next one too


# --- SQLite's file ------------------------------------------------------------------------

def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_file_is_private(tmp_path):
    path = tmp_path / "walkapp.db"
    app = make_test_app(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        upgrade()
        db.session.execute(text("SELECT 1"))
        assert mode(path) == 0o600
        for extra in (f"{path}-wal", f"{path}-shm"):
            assert not os.path.exists(extra) or mode(extra) == 0o600
        db.engine.dispose()


def test_a_world_readable_sqlite_file_is_made_private(tmp_path):
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    app = make_test_app(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        db.engine.dispose()
    assert mode(path) == 0o600


# --- the migration ------------------------------------------------------------------------

@pytest.fixture
def fresh_database(database_url, tmp_path):
    """An empty database of the backend under test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    with fresh_postgres("walkapp_mig") as url:
        yield url


def test_migration_gives_existing_staff_their_own_session_token(fresh_database, tmp_path):
    app = make_test_app(fresh_database, tmp_path)
    with app.app_context():
        upgrade(revision="e3ddd542d988")  # the schema before issue 7
        db.session.execute(text(
            "INSERT INTO municipality (slug, name, country, default_language, areas_version)"
            " VALUES ('m', 'M', 'SE', 'sv', 0)"))
        for email in ("a@example.org", "b@example.org"):
            db.session.execute(text(
                'INSERT INTO "user" (email, name, password_hash, role, municipality_id, active,'
                " created_at) VALUES (:e, 'N', 'x', 'official', 1, true, CURRENT_TIMESTAMP)"),
                {"e": email})
        db.session.commit()
        upgrade()
        tokens = db.session.execute(text('SELECT session_token FROM "user"')).scalars().all()
        assert len(tokens) == 2 and len(set(tokens)) == 2 and all(tokens)
        db.session.remove()
        db.engine.dispose()
