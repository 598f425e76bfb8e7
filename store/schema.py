"""Schema set-up: the engine for a database URL, and the steps that bring its tables up to date.

Owns how a database is opened (SQLite tuned for threads, PostgreSQL with pre-ping) and the
idempotent steps the baseline migration is made of: create the missing tables, add the columns
and indexes an older database lacks, each safe when another process does the same at once.
It must not decide when they run (store.migrations does) nor read or write rows.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from store.tables import Base

_SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(url: str) -> Engine:
    """An engine for url; for SQLite, a WAL-mode file shared by threads that waits on locks."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets page reads proceed during a write; the busy timeout queues concurrent writers."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    _wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _wal(cursor: Any) -> None:
    """Switch a new database file to WAL (the mode then stays with the file).

    Several connections opening a brand-new file at once (replicas starting together) race to
    switch it; SQLite answers the losers "database is locked" at once, without waiting on the
    busy timeout, so they try again until the winner has switched it.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def create_tables(engine: Engine) -> None:
    """Creates the tables that are missing; a second process starting at once may beat us."""
    try:
        Base.metadata.create_all(engine)
    except DBAPIError:
        Base.metadata.create_all(engine)  # the other process created some; the rest remain


def add_missing_columns(engine: Engine) -> None:
    """Adds the columns a database made by an earlier version lacks.

    create_all makes missing tables but never alters existing ones. Every column added since
    the first release is nullable, so old rows simply have NULL there. When two processes start
    at once, the slower one meets a "duplicate column" error: it looks again and adds only what
    is still missing, failing only if that made no progress (a real error, not a race).
    """
    missing = _missing_columns(engine)
    while missing:
        try:
            with engine.begin() as connection:
                _begin_ddl(connection)
                for table, column in missing:
                    connection.exec_driver_sql(_add_column_sql(table, column, engine))
            return
        except DBAPIError:
            left = _missing_columns(engine)
            if len(left) >= len(missing):
                raise
            missing = left


def add_missing_indexes(engine: Engine) -> None:
    """Creates the indexes a database made by an earlier version lacks (the Insights panel and
    the daily spend sum read turns, handoffs and feedback by time). A process starting at the
    same moment may create one first: that is looked up again, not an error."""
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            try:
                index.create(engine, checkfirst=True)
            except DBAPIError:
                if index.name not in {i["name"] for i in inspect(engine).get_indexes(table.name)}:
                    raise


def _missing_columns(engine: Engine) -> list[tuple[Table, Column[Any]]]:
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    missing = []
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing += [(table, column) for column in table.columns if column.name not in present]
    return missing


def _begin_ddl(connection: Connection) -> None:
    """pysqlite only opens a transaction before DML, so schema changes need an explicit BEGIN."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def _add_column_sql(table: Table, column: Column[Any], engine: Engine) -> str:
    quote = engine.dialect.identifier_preparer.quote
    kind = column.type.compile(dialect=engine.dialect)
    return f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {kind}"
