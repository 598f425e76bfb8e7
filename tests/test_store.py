"""The store as the tools and the page rely on it: seeded once, plain data, safe references.

Every test that takes `store` or `database_url` runs on SQLite and on PostgreSQL (conftest).
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, insert, inspect, text
from sqlalchemy.exc import IntegrityError, StatementError

import config
import settings
from store import Base, Handoff, Store, records, schema, tables

REFERENCE_CODE = "[A-HJKMNP-Z2-9]{6}"  # no 0/O or 1/I/L


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(database_url)


def count(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def add_ticket(store: Store, subject: str = "Card expired") -> dict:
    return store.add_ticket(subject, "Please update the card on file.", "billing")


def test_first_start_seeds_the_demo_customers(store: Store) -> None:
    assert count(store, "customers") == 12
    assert count(store, "policies") == 12


def test_second_start_neither_duplicates_nor_resets_data(database_url: str, store: Store) -> None:
    store.add_claim("ACM-100231", date(2026, 11, 1), "glass", "Cracked windshield.")
    tables = ("customers", "policies", "vehicles", "claims")
    before = {table: count(store, table) for table in tables}

    again = Store(database_url)

    assert {table: count(again, table) for table in tables} == before
    assert len(again.claims("ACM-100231")) == 3


def test_policy_is_plain_json_data_with_holder_vehicles_coverage_and_billing(
    store: Store,
) -> None:
    policy = store.policy("ACM-102964")

    assert policy is not None
    assert json.loads(json.dumps(policy)) == policy
    assert policy["holder"]["first_name"] == "Ada"
    assert policy["holder"]["date_of_birth"] == "1962-11-05"
    assert [v["model"] for v in policy["vehicles"]] == ["Outback", "Civic"]
    assert policy["coverage"] == {
        "level": "standard",
        "deductible": 1000,
        "add_ons": ["roadside assistance"],
    }
    assert policy["billing"]["autopay"] is True
    assert policy["monthly_premium"] == 142.7


def test_unknown_policy_is_none(store: Store) -> None:
    assert store.policy("ACM-999999") is None
    assert store.claims("ACM-999999") == []


def test_fixtures_cover_every_product_and_status(store: Store) -> None:
    fixtures = json.loads((settings.FIXTURES_DIR / "customers.json").read_text(encoding="utf-8"))
    policies = [store.policy(record["policy"]["number"]) for record in fixtures]

    assert len(policies) == 12
    assert all(p is not None for p in policies)
    assert all(re.fullmatch(r"ACM-1\d{5}", p["policy_number"]) for p in policies)
    assert {p["product"] for p in policies} == {"car", "electric_car", "two_wheeler"}
    statuses = [p["status"] for p in policies]
    assert statuses.count("lapsed") == 1
    assert statuses.count("cancelled") == 1
    assert any(len(p["vehicles"]) > 1 for p in policies)
    assert all(p["holder"]["email"].endswith("@example.com") for p in policies)


def test_ev_customer_has_a_stolen_charging_cable_claim(store: Store) -> None:
    policy = store.policy("ACM-100458")
    (claim,) = store.claims("ACM-100458")

    assert policy is not None and policy["product"] == "electric_car"
    assert "charging equipment" in policy["coverage"]["add_ons"]
    assert claim["type"] == "theft"
    assert "charging cable" in claim["description"]


def test_claims_come_newest_incident_first(store: Store) -> None:
    dates = [c["incident_date"] for c in store.claims("ACM-100231")]

    assert dates == sorted(dates, reverse=True)


def test_new_claim_is_received_with_a_utc_timestamp(store: Store) -> None:
    claim = store.add_claim(
        "ACM-101377", date(2026, 11, 20), "collision", "Low-speed tip-over.", location="Austin"
    )

    reported = datetime.fromisoformat(claim["reported_at"])
    assert claim["status"] == "received"
    assert reported.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - reported) < timedelta(minutes=5)
    assert store.claims("ACM-101377") == [claim]


def test_claim_on_unknown_policy_is_refused(store: Store) -> None:
    with pytest.raises(LookupError):
        store.add_claim("ACM-999999", date(2026, 11, 20), "theft", "Stolen scooter.")


def test_references_are_unique_and_well_formed(store: Store) -> None:
    tickets = [add_ticket(store)["reference"] for _ in range(40)]
    handoffs = [
        store.add_handoff("c", "wants a person", "normal", "s")["reference"] for _ in range(40)
    ]
    claims = [
        store.add_claim("ACM-100231", date(2026, 11, 1), "glass", "Chip.")["claim_number"]
        for _ in range(40)
    ]

    assert all(re.fullmatch(f"TCK-{REFERENCE_CODE}", r) for r in tickets)
    assert all(re.fullmatch(f"H-{REFERENCE_CODE}", r) for r in handoffs)
    assert all(re.fullmatch(r"CLM-\d{5}", r) for r in claims)
    assert len(set(tickets)) == len(set(handoffs)) == len(set(claims)) == 40


def test_a_taken_reference_is_redrawn(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["TCK-AAAAAA", "TCK-AAAAAA", "TCK-BBBBBB"])
    monkeypatch.setattr(records, "ticket_reference", lambda: next(drawn))

    first, second = add_ticket(store), add_ticket(store)

    assert (first["reference"], second["reference"]) == ("TCK-AAAAAA", "TCK-BBBBBB")
    assert count(store, "tickets") == 2


def test_handoff_queue_puts_urgent_first_and_drops_resolved(store: Store) -> None:
    low = store.add_handoff("c1", "question about documents", "low", "Wants a copy.")
    urgent = store.add_handoff("c2", "stranded after accident", "urgent", "On the I-90.")

    assert [h["reference"] for h in store.handoffs()] == [urgent["reference"], low["reference"]]

    resolved = store.resolve_handoff(urgent["reference"])

    assert resolved is not None and resolved["status"] == "resolved"
    assert datetime.fromisoformat(resolved["resolved_at"]).utcoffset() == timedelta(0)
    assert [h["reference"] for h in store.handoffs()] == [low["reference"]]
    assert [h["reference"] for h in store.handoffs("resolved")] == [urgent["reference"]]
    assert len(store.handoffs(None)) == 2


def test_resolving_an_unknown_handoff_returns_none(store: Store) -> None:
    assert store.resolve_handoff("H-NOPE22") is None


def test_handoff_with_unknown_priority_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="priority"):
        store.add_handoff("c1", "reason", "critical", "summary")


def test_concurrent_tickets_are_all_stored(store: Store) -> None:
    def add_many(worker: int) -> list[str]:
        return [add_ticket(store, f"worker {worker} #{i}")["reference"] for i in range(15)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        references = [r for batch in pool.map(add_many, range(8)) for r in batch]

    stored = store.tickets()
    assert len(stored) == 120
    assert {t["reference"] for t in stored} == set(references)


def test_sqlite_file_gets_its_folder_and_wal_mode(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/nested/data/acme.db")

    with store.engine.connect() as connection:
        mode = connection.execute(text("PRAGMA journal_mode")).scalar_one()

    assert (tmp_path / "nested" / "data" / "acme.db").exists()
    assert mode == "wal"


# ---------------------------------------------------------------------------------------------
# Handoff details, refunds, cancellation
# ---------------------------------------------------------------------------------------------

CARD = "4111 1111 1111 1111"  # a test Visa number: passes the Luhn check


def test_handoff_keeps_what_the_colleague_needs_with_personal_data_masked(store: Store) -> None:
    handoff = store.add_handoff(
        "c1",
        "Low confidence",
        "normal",
        f"Customer wants to pay with {CARD}.",
        trigger="low_confidence",
        language="de",
        policy_number="ACM-100231",
        transcript=[
            {"role": "customer", "text": f"Meine Karte ist {CARD}"},
            {"role": "eva", "text": "Danke."},
        ],
        draft=f"I have charged {CARD}.",
        source="code",
    )

    (queued,) = store.handoffs()
    assert queued == handoff
    assert handoff["trigger"] == "low_confidence"
    assert (handoff["language"], handoff["policy_number"], handoff["source"]) == (
        "de",
        "ACM-100231",
        "code",
    )
    assert handoff["transcript"] == [
        {"role": "customer", "text": "Meine Karte ist [card number removed]"},
        {"role": "eva", "text": "Danke."},
    ]
    assert handoff["draft"] == "I have charged [card number removed]."
    assert handoff["summary"] == "Customer wants to pay with [card number removed]."


def test_handoff_without_details_has_an_empty_transcript(store: Store) -> None:
    handoff = store.add_handoff("c1", "wants a person", "normal", "Asked for a person.")

    assert handoff["transcript"] == []
    assert (handoff["trigger"], handoff["draft"], handoff["source"]) == (None, None, "model")


def test_update_handoff_sets_details_and_masks_them(store: Store) -> None:
    reference = store.add_handoff("c1", "legal", "high", "Mentions a lawyer.")["reference"]

    updated = store.update_handoff(
        reference,
        summary=f"Threatens to sue; paid with {CARD}.",
        draft=f"Refund to {CARD}",
        transcript=[{"role": "customer", "text": "call me on 312-555-0142"}],
        trigger="legal",
    )

    assert updated is not None
    assert updated["summary"] == "Threatens to sue; paid with [card number removed]."
    assert updated["draft"] == "Refund to [card number removed]"
    assert updated["transcript"] == [
        {"role": "customer", "text": "call me on [phone number removed]"}
    ]
    assert updated["trigger"] == "legal"
    assert store.handoffs() == [updated]


@pytest.mark.parametrize("field", ["status", "priority", "reference", "colour"])
def test_update_handoff_refuses_other_fields(store: Store, field: str) -> None:
    reference = store.add_handoff("c1", "legal", "high", "Mentions a lawyer.")["reference"]

    with pytest.raises(ValueError, match=field):
        store.update_handoff(reference, **{field: "x"})
    assert store.handoffs()[0]["status"] == "open"


def test_update_unknown_handoff_is_none(store: Store) -> None:
    assert store.update_handoff("H-NOPE22", draft="x") is None


def test_refunds_are_recorded_as_requested_newest_first(store: Store) -> None:
    first = store.add_refund("ACM-100231", 42.5, "Charged twice in October", conversation_id="c1")
    second = store.add_refund("ACM-100231", Decimal("10.01"), "Late fee waived")
    other = store.add_refund("ACM-100458", 5, "Rounding", kind="cancellation")

    assert re.fullmatch(f"R-{REFERENCE_CODE}", first["reference"])
    assert (first["amount"], first["status"], first["kind"]) == (42.5, "requested", "refund")
    assert first["conversation_id"] == "c1"
    assert [r["reference"] for r in store.refunds("ACM-100231")] == [
        second["reference"],
        first["reference"],
    ]
    assert len(store.refunds()) == 3
    assert store.refunds("ACM-100458") == [other]


def test_refund_of_unknown_kind_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="kind"):
        store.add_refund("ACM-100231", 10, "x", kind="gift")
    assert store.refunds() == []


def test_refund_reason_is_masked(store: Store) -> None:
    refund = store.add_refund("ACM-100231", 10, f"Pay it to {CARD}")

    assert refund["reason"] == "Pay it to [card number removed]"


def test_cancel_policy_with_its_refund(store: Store) -> None:
    cancelled = store.cancel_policy(
        "ACM-110546", date(2026, 12, 1), refund_usd=Decimal("177.09"), reason="Sold the bike"
    )

    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_on"] == "2026-12-01"
    assert cancelled["refund"]["amount"] == 177.09
    assert cancelled["refund"]["kind"] == "cancellation"
    stored = store.policy("ACM-110546")
    assert stored is not None and stored["status"] == "cancelled"
    assert store.refunds("ACM-110546") == [cancelled["refund"]]


def test_cancel_policy_twice_or_unknown_is_refused(store: Store) -> None:
    store.cancel_policy("ACM-110546", date(2026, 12, 1), refund_usd=10)

    with pytest.raises(ValueError, match="already cancelled"):
        store.cancel_policy("ACM-110546", date(2026, 12, 2), refund_usd=10)
    with pytest.raises(LookupError):
        store.cancel_policy("ACM-999999", date(2026, 12, 1))
    assert len(store.refunds()) == 1
    assert store.policy("ACM-110546")["cancelled_on"] == "2026-12-01"


# ---------------------------------------------------------------------------------------------
# Conversations and turns
# ---------------------------------------------------------------------------------------------


def turn(store: Store, conversation_id: str = "conv-1", **changes: object) -> dict:
    values = {
        "customer_text": "Where is my claim?",
        "reply": "It is in review.",
        "language": "en",
        "flags": [],
        "route": "sent",
        **changes,
    }
    return store.record_turn(conversation_id, **values)


def test_record_turn_stores_the_conversation_and_the_turn_masked(store: Store) -> None:
    recorded = turn(
        store,
        customer_text=f"My card is {CARD}, email me at a.b@example.com",
        reply="I can't take card numbers here.",
        flags=["masked:card", "masked:email"],
        route="sent_with_offer",
        confidence=0.7,
    )

    conversation = store.conversation("conv-1")
    assert conversation is not None
    assert conversation["turns"] == [recorded]
    assert recorded["customer_text"] == (
        "My card is [card number removed], email me at [email removed]"
    )
    assert recorded["flags"] == ["masked:card", "masked:email"]
    assert (recorded["route"], recorded["confidence"]) == ("sent_with_offer", 0.7)
    assert count(store, "conversations") == count(store, "turns") == 1


def test_conversation_follows_the_latest_language_and_keeps_turns_in_order(
    store: Store,
) -> None:
    first = turn(store, customer_text="Hello")
    second = turn(store, customer_text="Hola, ¿dónde está mi reclamación?", language="es")
    handed = turn(store, route="handed_off", flags=["trigger:legal"], handoff_reference="H-ABCDEF")

    conversation = store.conversation("conv-1")
    assert conversation is not None
    assert [t["id"] for t in conversation["turns"]] == [first["id"], second["id"], handed["id"]]
    assert conversation["language"] == "en"
    assert conversation["turns"][1]["language"] == "es"
    assert conversation["turns"][2]["handoff_reference"] == "H-ABCDEF"
    assert conversation["started_at"] <= conversation["updated_at"]
    assert store.conversation("conv-2") is None


def test_a_turn_that_cannot_be_written_leaves_no_conversation_behind(store: Store) -> None:
    # SQLAlchemy encodes JSON for SQLite (StatementError); psycopg encodes it itself (TypeError).
    with pytest.raises((StatementError, TypeError)):
        turn(store, flags=[object()])

    assert store.conversation("conv-1") is None
    assert count(store, "conversations") == 0


def statements_run_by(store: Store) -> list[str]:
    """Every SQL statement the store sends from now on, as sent."""
    sent: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def record(_conn, _cursor, statement: str, *_args: object) -> None:
        sent.append(statement)

    return sent


def position(statements: list[str], start: str) -> int:
    return next(i for i, statement in enumerate(statements) if statement.startswith(start))


def test_a_turn_whose_insert_fails_leaves_neither_conversation_nor_turn(store: Store) -> None:
    sent = statements_run_by(store)

    with pytest.raises(IntegrityError):
        turn(store, route=None)  # NOT NULL: the database refuses the turn's row

    assert position(sent, "INSERT INTO conversations") < position(sent, "INSERT INTO turns")
    assert store.conversation("conv-1") is None
    assert count(store, "conversations") == count(store, "turns") == 0


def test_a_turn_whose_insert_fails_leaves_its_conversation_as_it_was(store: Store) -> None:
    turn(store, language="en")
    before = store.conversation("conv-1")
    sent = statements_run_by(store)

    with pytest.raises(IntegrityError):
        turn(store, language="es", route=None)

    assert position(sent, "UPDATE conversations") < position(sent, "INSERT INTO turns")
    assert store.conversation("conv-1") == before
    assert count(store, "turns") == 1


def test_twenty_conversations_at_once_are_all_stored_without_errors(store: Store) -> None:
    workers, turns_each = 20, 10
    start_together = threading.Barrier(workers, timeout=60)

    def converse(worker: int) -> None:
        start_together.wait()
        for i in range(turns_each):
            turn(store, f"conv-{worker}", customer_text=f"worker {worker} #{i}")
        store.add_handoff(f"conv-{worker}", "wants a person", "normal", f"Worker {worker}.")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(converse, worker) for worker in range(workers)]
    errors = [repr(future.exception()) for future in futures if future.exception()]

    assert errors == []
    assert count(store, "conversations") == workers
    assert count(store, "turns") == workers * turns_each
    for worker in range(workers):
        conversation = store.conversation(f"conv-{worker}")
        assert conversation is not None
        texts = [t["customer_text"] for t in conversation["turns"]]
        assert texts == [f"worker {worker} #{i}" for i in range(turns_each)]
    queued = sorted(h["conversation_id"] for h in store.handoffs())
    assert queued == sorted(f"conv-{worker}" for worker in range(workers))


def test_concurrent_turns_of_a_new_conversation_are_all_stored(store: Store) -> None:
    def add(worker: int) -> None:
        for i in range(5):
            turn(store, customer_text=f"worker {worker} #{i}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(add, range(8)))

    conversation = store.conversation("conv-1")
    assert conversation is not None
    assert len(conversation["turns"]) == 40
    assert count(store, "conversations") == 1


# ---------------------------------------------------------------------------------------------
# Databases made by the previous version
# ---------------------------------------------------------------------------------------------

# Columns added since the first release. The old database holds only these two tables and the
# customers they refer to, so opening it must also create every other table.
ADDED_SINCE_FIRST_RELEASE = {
    "handoffs": tables.HANDOFF_DETAILS,
    "policies": ("cancelled_on",),
}


@pytest.fixture
def old_database(database_url: str) -> str:
    """A database as the first release left it, with one open handoff in it."""
    engine = create_engine(database_url)
    tables = [Base.metadata.tables[name] for name in ("customers", "policies", "handoffs")]
    Base.metadata.create_all(engine, tables=tables)
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as connection:
        for table, added in ADDED_SINCE_FIRST_RELEASE.items():
            for column in added:
                connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {quote(column)}")
        # Nor did it index handoffs by time.
        connection.exec_driver_sql("DROP INDEX ix_handoffs_created_at")
        connection.execute(
            insert(Handoff.__table__).values(
                id=1,
                reference="H-OLD222",
                conversation_id="conv-old",
                reason="wants a person",
                priority="normal",
                summary="Asked for a person before the upgrade.",
                status="open",
                created_at=datetime(2026, 11, 1, 9, tzinfo=UTC),
            )
        )
    engine.dispose()
    return database_url


def columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_old_database_lacks_what_was_added_since(old_database: str) -> None:
    assert not set(tables.HANDOFF_DETAILS) & columns(old_database, "handoffs")
    assert "cancelled_on" not in columns(old_database, "policies")


def test_old_database_gets_the_new_columns_and_keeps_its_rows(old_database: str) -> None:
    store = Store(old_database)

    (old,) = store.handoffs()
    assert (old["reference"], old["summary"]) == (
        "H-OLD222",
        "Asked for a person before the upgrade.",
    )
    assert old["created_at"] == "2026-11-01T09:00:00+00:00"
    assert (old["trigger"], old["transcript"], old["source"]) == (None, [], None)
    updated = store.update_handoff("H-OLD222", draft="Reply draft", language="en")
    assert updated is not None and updated["draft"] == "Reply draft"
    assert {"trigger", "language", "policy_number", "transcript", "draft", "source"} <= columns(
        old_database, "handoffs"
    )
    new = store.add_handoff("conv-new", "legal", "high", "Lawyer.", trigger="legal", source="code")
    assert new["trigger"] == "legal"
    assert store.cancel_policy("ACM-110546", date(2026, 12, 1))["cancelled_on"] == "2026-12-01"
    turn(store)
    assert store.conversation("conv-1") is not None


def indexes(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {index["name"] for index in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def test_old_database_gets_the_time_indexes_the_insights_read(old_database: str) -> None:
    assert "ix_handoffs_created_at" not in indexes(old_database, "handoffs")
    Store(old_database)
    assert "ix_handoffs_created_at" in indexes(old_database, "handoffs")
    assert "ix_turns_created_at" in indexes(old_database, "turns")
    Store(old_database)  # and opening it again is fine


def test_opening_an_upgraded_database_again_changes_nothing(old_database: str) -> None:
    Store(old_database)
    before = columns(old_database, "handoffs")

    again = Store(old_database)

    assert columns(old_database, "handoffs") == before
    assert [h["reference"] for h in again.handoffs()] == ["H-OLD222"]


def test_upgrade_survives_another_process_adding_a_column_first(
    old_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_engine = schema.make_engine
    raced: list[str] = []

    def engine_with_a_rival(url: str) -> Engine:
        engine = real_engine(url)

        @event.listens_for(engine, "before_cursor_execute")
        def rival_goes_first(_conn, _cursor, statement: str, *_args: object) -> None:
            if statement.startswith("ALTER TABLE handoffs") and not raced:
                # Another process starting at the same moment adds the draft column first.
                raced.append(statement)
                rival = create_engine(old_database)
                with rival.begin() as connection:
                    connection.exec_driver_sql("ALTER TABLE handoffs ADD COLUMN draft TEXT")
                rival.dispose()

        return engine

    monkeypatch.setattr(schema, "make_engine", engine_with_a_rival)

    store = Store(old_database)

    assert raced
    assert {"trigger", "draft", "source"} <= columns(old_database, "handoffs")
    assert "cancelled_on" in columns(old_database, "policies")
    assert store.update_handoff("H-OLD222", draft="x", source="model") is not None


def test_a_saved_conversation_comes_back_only_to_its_owner_masked_and_without_thinking(
    store: Store,
) -> None:
    state = {
        "history": [
            {"role": "user", "content": [{"type": "text", "text": "I'm ann@example.org"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "ann@example.org wants…", "signature": "s"},
                    {"type": "text", "text": "Noted."},
                ],
            },
        ],
        "facts": {"conversation_id": "c-owned"},
    }
    store.save_state("c-owned", "jo@acme.example", state)
    assert store.load_state("c-owned", "someone@else.example") is None
    assert store.load_state("c-owned", None) is None
    saved = store.load_state("c-owned", "jo@acme.example")
    assert saved is not None and "ann@example.org" not in str(saved)
    assert [b["type"] for b in saved["history"][1]["content"]] == ["text"]
    with pytest.raises(PermissionError):
        store.save_state("c-owned", "someone@else.example", state)


def test_a_saved_conversation_keeps_acmes_own_phone_number(store: Store) -> None:
    line = f"Call us on {config.FACTS['support_phone']}, or reach Jo on 312-555-0199."
    state = {"display": [{"role": "assistant", "segments": [{"kind": "text", "text": line}]}]}
    store.save_state("c-phone", None, state)
    saved = str(store.load_state("c-phone", None))
    assert config.FACTS["support_phone"] in saved and "312-555-0199" not in saved


def test_a_handoff_transcript_keeps_acmes_own_phone_number(store: Store) -> None:
    line = f"Call us on {config.FACTS['support_phone']}, or reach Jo on 312-555-0199."
    opened = store.add_handoff("c-phone", "Wants a person", "normal", "Asked for a person")
    store.update_handoff(opened["reference"], transcript=[{"role": "eva", "text": line}])
    (handoff,) = store.handoffs()
    kept = handoff["transcript"][0]["text"]
    assert config.FACTS["support_phone"] in kept and "312-555-0199" not in kept
