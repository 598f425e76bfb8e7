"""Numbered migrations: the ordered steps from any earlier database to today's, each applied once.

A database records the steps it has had in `schema_migrations` (number, name, when). When a
Store opens it, the steps it lacks are applied in order under a lock, so replicas starting
together apply each step once: a PostgreSQL advisory lock (one per schema), or a lock file
beside a SQLite database (an in-memory one has a single process). Step 1 is the baseline,
today's schema: it creates what an empty database lacks and adds the columns and indexes an
earlier version's database lacks, so one made before this table existed is brought up to date
by it. A change to store.tables needs a new step appended here (never edit or renumber one
that has shipped). This module must not read or write the store's rows.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
    text,
)

from store import schema


@dataclass(frozen=True)
class Migration:
    """One step. It is recorded after it ran, so one cut short by a crash runs again on the
    next start: write each step to be safe to run twice (check before changing)."""

    number: int
    name: str
    apply: Callable[[Engine], None]


def _baseline(engine: Engine) -> None:
    """Today's schema, from an empty database or from any earlier version's."""
    schema.create_tables(engine)
    schema.add_missing_columns(engine)
    schema.add_missing_indexes(engine)


def _human_side(engine: Engine) -> None:
    """Issue 15: the audit trail, human-mode messages and approvals (new tables), and on
    conversations who speaks for Acme (mode, since when, the agent, the outcome); on refunds,
    who approved one. Conversations from before it are Eva's ("bot")."""
    schema.create_tables(engine)
    schema.add_missing_columns(engine)
    schema.add_missing_indexes(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE conversations SET mode = 'bot' WHERE mode IS NULL"))


MIGRATIONS = (Migration(1, "baseline", _baseline), Migration(2, "human side", _human_side))

# Kept out of store.tables' metadata: it describes the database, not the store's data.
APPLIED = Table(
    "schema_migrations",
    MetaData(),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
# The advisory lock's first key ("Eva1"), so it cannot clash with another lock on the database;
# the second key is the schema's, so databases sharing a server (or the tests' schemas) do not
# wait for each other.
_PG_LOCK = "SELECT {}(1165386033, hashtext(coalesce(current_schema(), '')))"


def migrate(engine: Engine) -> list[int]:
    """Applies the migrations the database has not recorded, in order; returns their numbers."""
    if not _pending(engine):
        return []  # the usual start: one look at the record, no lock
    with _exclusive(engine):
        APPLIED.create(engine, checkfirst=True)
        pending = _pending(engine)  # another process may have applied some while we waited
        for migration in pending:
            migration.apply(engine)
            with engine.begin() as connection:
                connection.execute(
                    insert(APPLIED).values(
                        number=migration.number, name=migration.name, applied_at=datetime.now(UTC)
                    )
                )
    return [migration.number for migration in pending]


def applied(engine: Engine) -> list[int]:
    """The numbers of the migrations the database has had, in order."""
    if not inspect(engine).has_table(APPLIED.name):
        return []
    with engine.connect() as connection:
        return list(connection.scalars(select(APPLIED.c.number).order_by(APPLIED.c.number)))


def _pending(engine: Engine) -> list[Migration]:
    done = set(applied(engine))
    return [migration for migration in MIGRATIONS if migration.number not in done]


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """Held by one process at a time per database, released even if the process dies."""
    if engine.dialect.name == "postgresql":
        # A session lock on a connection of its own: it blocks other migrators, not the DDL
        # the steps run on the engine's other connections.
        with engine.connect() as connection:
            connection.execute(text(_PG_LOCK.format("pg_advisory_lock")))
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text(_PG_LOCK.format("pg_advisory_unlock")))
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    # Not SQLite's own write lock: a step's DDL runs on other connections, which would wait on it.
    with Path(f"{database}-migrate.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
