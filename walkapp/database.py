"""Engine tuning that differs per database, and riding out a lost database connection.

SQLite needs WAL, foreign keys, write locks and a private file; on any database a request
whose connection was cut under it (a restart, a failover, pg_terminate_backend) runs once
more on a fresh one when that is harmless.
"""

import os
from functools import wraps
from pathlib import Path

from flask import current_app, request
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError


def _sqlite_from_hint(_compiler, _table, text: str) -> str:
    return text


# SQLAlchemy's SQLite compiler drops table hints; SQLite understands "INDEXED BY", which the
# review map's list needs (its planner otherwise sorts a whole view for one page). Only
# statements that ask with .with_hint(…, "sqlite") are affected.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint


def tune_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    _private_file(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from pysqlite so SAVEPOINTs and BEGIN IMMEDIATE work.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if ":memory:" not in str(engine.url):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes fails at once with SQLITE_BUSY under concurrency instead of waiting its turn.
        # So no transaction may stay open during slow work (reading a body, decoding a photo).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _private_file(database: str | None) -> None:
    """The database file holds staff password hashes and residents' texts: owner-only, like
    the secret key. SQLite gives its -wal and -shm files the same mode as the database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if p.exists() and p.stat().st_mode & 0o077:
            p.chmod(0o600)


# Methods a client may send again anyway (RFC 9110): running such a view once more is safe.
REPEATABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def repeatable(view):
    """Mark a POST view as safe to run again after a lost connection (e.g. idempotent on
    client ids, or writing nothing that a second run would duplicate)."""
    view.repeatable = True
    return view


def retry_on_lost_connection(app, session) -> None:
    """Wrap every view: when the database connection dies under a request that may be
    repeated, roll back and run the view once more (pool_pre_ping hands out a live
    connection), instead of answering 500. Call after all blueprints are registered."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = _retrying(view, session)


def release_sessions_quietly(app, session) -> None:
    """End each request's session without turning a finished answer into a 500 when the
    database cut the connection after the last query: the server has rolled that
    transaction back itself, so failing to say ROLLBACK on it changes nothing.

    Registered after Flask-SQLAlchemy's own teardown, so it runs first (Flask runs them in
    reverse order) and leaves that one nothing to do."""

    @app.teardown_appcontext
    def _release(_exc):
        try:
            session.remove()
        except DBAPIError as err:
            if not err.connection_invalidated:
                raise
            app.logger.warning("database connection lost before the request's rollback")
            session.remove()


def _retrying(view, session):
    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DBAPIError as err:
            if not err.connection_invalidated or not (
                    request.method in REPEATABLE_METHODS or getattr(view, "repeatable", False)):
                raise
            current_app.logger.warning("database connection lost during %s %s; running it again",
                                 request.method, request.path)
            session.rollback()
            return view(*args, **kwargs)
    return wrapped

