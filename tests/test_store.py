"""The store as the tools and the page rely on it: seeded once, plain data, safe references."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

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
