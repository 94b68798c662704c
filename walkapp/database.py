"""Engine tuning that differs per database: SQLite needs WAL, foreign keys and write locks."""

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine


def _sqlite_from_hint(_compiler, _table, text: str) -> str:
    return text


# SQLAlchemy's SQLite compiler drops table hints; SQLite understands "INDEXED BY", which the
# review map's list needs (its planner otherwise sorts a whole view for one page). Only
# statements that ask with .with_hint(…, "sqlite") are affected.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint


def tune_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

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
        conn.exec_driver_sql("BEGIN IMMEDIATE")
