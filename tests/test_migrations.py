"""The numbered migrations: recorded, applied once, also when replicas start together.

Every test runs on SQLite and on PostgreSQL (conftest's database_url). How an earlier
version's database is upgraded is tested in test_store.py ("Databases made by the previous
version"); these tests are about the record and the lock.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import Engine, create_engine, insert

from store import Base, Feedback, Store, migrations, schema
from store.migrations import MIGRATIONS, Migration

# The schema the migrations build, table by table: columns, then the indexed columns. A change
# to store.tables fails here on purpose: append a migration that brings an existing database
# to the new shape (the baseline only builds it for databases that have not had it yet), then
# update this and LATEST.
SCHEMA = {
    "approvals": (
        "id reference conversation_id handoff_reference tool params policy_number language status"
        " created_at decided_at decided_by decided_by_name result",
        "conversation_id reference",
    ),
    "claims": (
        "id claim_number policy_id claim_type status incident_date reported_at description"
        " location police_report_number claimed_amount approved_amount paid_amount adjuster"
        " last_update",
        "claim_number policy_id",
    ),
    "conversations": (
        "id language started_at updated_at owner state mode mode_since agent_id agent_name outcome",
        "mode started_at",
    ),
    "customers": ("id first_name last_name email phone date_of_birth zip_code state", ""),
    "feedback": (
        "id conversation_id turn_id kind score comment created_at",
        "conversation_id created_at",
    ),
    "handoffs": (
        "id reference conversation_id reason priority summary status created_at resolved_at"
        " trigger language policy_number transcript draft source",
        "conversation_id created_at reference",
    ),
    "human_messages": (
        "id conversation_id created_at kind author_id author_name text",
        "conversation_id",
    ),
    "policies": (
        "id number customer_id product status start_date renewal_date coverage_level deductible"
        " add_ons monthly_premium payment_method autopay next_due_date balance_due cancelled_on",
        "number",
    ),
    "refunds": (
        "id reference policy_number amount reason kind status conversation_id created_at"
        " approved_by",
        "conversation_id policy_number reference",
    ),
    "staff_actions": (
        "id at actor actor_name role action conversation_id detail",
        "action at conversation_id",
    ),
    "tickets": (
        "id reference conversation_id policy_number category subject description contact_email"
        " status created_at",
        "conversation_id reference",
    ),
    "turns": (
        "id conversation_id created_at customer_text reply language flags route confidence"
        " handoff_reference tool_calls sources input_tokens output_tokens cache_read_tokens"
        " cache_write_tokens cost_usd first_text_ms latency_ms",
        "conversation_id created_at",
    ),
    "vehicles": ("id policy_id make model year vin", "policy_id"),
}
LATEST = 2


def test_the_tables_are_the_schema_of_the_latest_migration() -> None:
    tables = {
        table.name: (
            " ".join(column.name for column in table.columns),
            " ".join(sorted(column.name for index in table.indexes for column in index.columns)),
        )
        for table in Base.metadata.sorted_tables
    }
    assert (tables, MIGRATIONS[-1].number) == (SCHEMA, LATEST), (
        "store.tables changed: append a migration to store.migrations, then update SCHEMA"
    )


def test_migrations_are_numbered_in_order_from_one() -> None:
    assert [m.number for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len({m.name for m in MIGRATIONS}) == len(MIGRATIONS)


def test_a_new_database_records_every_migration_once(database_url: str) -> None:
    store = Store(database_url)
    everything = [m.number for m in MIGRATIONS]
    assert migrations.applied(store.engine) == everything

    again = Store(database_url)

    assert migrations.applied(again.engine) == everything
    assert migrations.migrate(again.engine) == []


def test_a_database_from_before_the_record_gets_the_baseline_once(database_url: str) -> None:
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)  # what every version before the numbered migrations did
    with engine.begin() as connection:
        connection.execute(
            insert(Feedback.__table__).values(
                conversation_id="c-old", kind="thumbs", score=1, created_at=datetime(2026, 11, 1)
            )
        )
    engine.dispose()

    store = Store(database_url)

    assert migrations.applied(store.engine) == [m.number for m in MIGRATIONS]
    assert [row["conversation_id"] for row in store.feedback()] == ["c-old"]


def test_replicas_starting_together_apply_each_migration_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[int] = []

    def not_safe_to_run_twice(engine: Engine) -> None:
        ran.append(threading.get_ident())
        time.sleep(0.2)  # long enough for every other replica to reach the lock

    step = Migration(len(MIGRATIONS) + 1, "counted", not_safe_to_run_twice)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, step))
    start = threading.Barrier(4)

    def replica(_: int) -> list[int]:
        engine = schema.make_engine(database_url)
        start.wait()
        try:
            return migrations.migrate(engine)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(replica, range(4)))

    assert len(ran) == 1
    assert sorted(results, key=len)[-1] == [*[m.number for m in MIGRATIONS], step.number]
    assert sum(len(result) for result in results) == step.number
    probe = schema.make_engine(database_url)
    assert migrations.applied(probe) == [*[m.number for m in MIGRATIONS], step.number]
    probe.dispose()
