"""The store as the tools and the page rely on it: seeded once, plain data, safe references."""

from __future__ import annotations

import json
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import StatementError

import config
import store as store_module
from store import Store

REFERENCE_CODE = "[A-HJKMNP-Z2-9]{6}"  # no 0/O or 1/I/L


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/t.db"


@pytest.fixture
def store(url: str) -> Store:
    return Store(url)


def count(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def add_ticket(store: Store, subject: str = "Card expired") -> dict:
    return store.add_ticket(subject, "Please update the card on file.", "billing")


def test_first_start_seeds_the_demo_customers(store: Store) -> None:
    assert count(store, "customers") == 12
    assert count(store, "policies") == 12


def test_second_start_neither_duplicates_nor_resets_data(url: str, store: Store) -> None:
    store.add_claim("ACM-100231", date(2026, 11, 1), "glass", "Cracked windshield.")
    tables = ("customers", "policies", "vehicles", "claims")
    before = {table: count(store, table) for table in tables}

    again = Store(url)

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
    fixtures = json.loads((config.FIXTURES_DIR / "customers.json").read_text(encoding="utf-8"))
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
    monkeypatch.setattr(store_module, "_ticket_reference", lambda: next(drawn))

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
    with pytest.raises(StatementError):
        turn(store, flags=[object()])

    assert store.conversation("conv-1") is None
    assert count(store, "conversations") == 0


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

# The tables as the first release created them, before handoff details and cancellations.
OLD_SCHEMA = """
CREATE TABLE handoffs (
    id INTEGER NOT NULL, reference VARCHAR(8) NOT NULL, conversation_id VARCHAR(64) NOT NULL,
    reason TEXT NOT NULL, priority VARCHAR(10) NOT NULL, summary TEXT NOT NULL,
    status VARCHAR(10) NOT NULL, created_at DATETIME NOT NULL, resolved_at DATETIME,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_handoffs_reference ON handoffs (reference);
CREATE INDEX ix_handoffs_conversation_id ON handoffs (conversation_id);
CREATE TABLE policies (
    id INTEGER NOT NULL, number VARCHAR(20) NOT NULL, customer_id INTEGER NOT NULL,
    product VARCHAR(20) NOT NULL, status VARCHAR(20) NOT NULL, start_date DATE NOT NULL,
    renewal_date DATE NOT NULL, coverage_level VARCHAR(20) NOT NULL, deductible INTEGER NOT NULL,
    add_ons JSON NOT NULL, monthly_premium NUMERIC(10, 2) NOT NULL,
    payment_method VARCHAR(60) NOT NULL, autopay BOOLEAN NOT NULL, next_due_date DATE,
    balance_due NUMERIC(10, 2) NOT NULL, PRIMARY KEY (id),
    FOREIGN KEY(customer_id) REFERENCES customers (id)
);
CREATE UNIQUE INDEX ix_policies_number ON policies (number);
INSERT INTO handoffs VALUES (1, 'H-OLD222', 'conv-old', 'wants a person', 'normal',
    'Asked for a person before the upgrade.', 'open', '2026-11-01 09:00:00.000000', NULL);
"""


@pytest.fixture
def old_database(tmp_path: Path) -> Path:
    path = tmp_path / "acme.db"
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(OLD_SCHEMA)
    return path


def columns(path: Path, table: str) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def test_old_database_gets_the_new_columns_and_keeps_its_rows(old_database: Path) -> None:
    store = Store(f"sqlite:///{old_database}")

    (old,) = store.handoffs()
    assert (old["reference"], old["summary"]) == (
        "H-OLD222",
        "Asked for a person before the upgrade.",
    )
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


def test_opening_an_upgraded_database_again_changes_nothing(old_database: Path) -> None:
    Store(f"sqlite:///{old_database}")
    before = columns(old_database, "handoffs")

    again = Store(f"sqlite:///{old_database}")

    assert columns(old_database, "handoffs") == before
    assert [h["reference"] for h in again.handoffs()] == ["H-OLD222"]


def test_upgrade_survives_another_process_adding_a_column_first(
    old_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_engine = store_module._engine
    raced: list[str] = []

    def engine_with_a_rival(url: str) -> Engine:
        engine = real_engine(url)

        @event.listens_for(engine, "before_cursor_execute")
        def rival_goes_first(_conn, _cursor, statement: str, *_args: object) -> None:
            if statement.startswith("ALTER TABLE handoffs") and not raced:
                # Another process starting at the same moment adds the draft column first.
                raced.append(statement)
                with closing(sqlite3.connect(old_database)) as rival:
                    rival.execute("ALTER TABLE handoffs ADD COLUMN draft TEXT")
                    rival.commit()

        return engine

    monkeypatch.setattr(store_module, "_engine", engine_with_a_rival)

    store = Store(f"sqlite:///{old_database}")

    assert raced
    assert {"trigger", "draft", "source"} <= columns(old_database, "handoffs")
    assert "cancelled_on" in columns(old_database, "policies")
    assert store.update_handoff("H-OLD222", draft="x", source="model") is not None
