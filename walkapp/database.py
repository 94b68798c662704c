"""Engine tuning that differs per database: SQLite needs WAL, foreign keys and write locks."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def tune_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from pysqlite so SAVEPOINTs and BEGIN IMMEDIATE work.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        # SQLite's lower() folds ASCII only; ILIKE searches (the review map's free text)
        # must find "ÅSEDA" in "åseda" as PostgreSQL does.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)
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
