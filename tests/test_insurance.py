"""The back office's rules called directly, without the tool envelope: prices, who may see a
policy and what they see, and the limits on money."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import config
from insurance import accounts, money, rating
from store import Store

THIS_YEAR = datetime.now(UTC).year
TODAY = datetime.now(UTC).date()
ET = ZoneInfo("America/New_York")

BASE_QUOTE = {
    "vehicle_type": "car",
    "make": "Toyota",
    "model": "RAV4",
    "year": THIS_YEAR - 4,
    "mileage": 12_000,
    "driver_age": 35,
    "coverage_level": "comprehensive",
    "deductible": 500,
}

# (vehicle_type, coverage, vehicle_age, mileage, driver_age, deductible, (monthly, annual)),
# each worked out by hand; tests/test_tools.py prices the same through get_quote.
HAND_CALCULATED = [
    # (52 + 64 × 1.10 age 3-5 × 1.00 $500) × 1.00 miles × 1.00 age 30-64 = 122.40
    ("car", "comprehensive", 4, 12_000, 35, 500, (122.40, 1468.80)),
    # (52 + 78 × 1.20 × 0.88 $1000 × 0.90 EV) × 0.95 miles × 1.40 age 21-24
    # = 126.1312 × 1.33 = 167.754496
    ("electric_car", "comprehensive", 1, 8_000, 22, 1000, (167.75, 2013.00)),
    # liability only: 24 × 0.85 miles ≤5,000 × 1.10 age 65-74 = 22.44; deductible ignored
    ("two_wheeler", "liability", 15, 3_000, 70, 2000, (22.44, 269.28)),
    # (52 + 38 × 0.75 age 21+ × 1.15 $250) × 1.20 miles × 1.80 age 16-20 = 84.775 × 2.16
    # = 183.114
    ("car", "standard", 25, 25_000, 18, 250, (183.11, 2197.32)),
    # next year's model counts as age 0: (24 + 16 × 1.20) × 1.35 miles 30,001+ × 1.30 age 75+
    # = 43.2 × 1.755 = 75.816
    ("two_wheeler", "standard", -1, 40_000, 80, 500, (75.82, 909.84)),
    # band edges: 15,000 miles and age 30 are both ×1.00; liability ignores vehicle age
    ("car", "liability", 1, 15_000, 30, 500, (52.00, 624.00)),
    # (52 + 46 × 1.00 age 6-10 × 0.78 $2000 × 0.90 EV) × 0.85 miles × 1.15 age 25-29
    # = 84.292 × 0.9775 = 82.39543
    ("electric_car", "standard", 6, 5_000, 25, 2000, (82.40, 988.80)),
    # (52 + 64 × 1.10) × 0.95 miles 5,001-10,000 × 1.10 age 65-74 = 122.4 × 1.045 = 127.908
    ("car", "comprehensive", 3, 5_001, 65, 500, (127.91, 1534.92)),
]
HAND_CALCULATED_FIELDS = (
    "vehicle_type",
    "coverage",
    "vehicle_age",
    "mileage",
    "driver_age",
    "deductible",
    "expected",
)

# From fixtures/customers.json: the EV customer (premium $154.90, renewal 2027-06-15).
EV_POLICY, EV_DOB, EV_ZIP = "ACM-100458", "1991-08-27", "94110"


def quote(**changes: Any) -> rating.Quote:
    return rating.quote(rating.QuoteRequest(**{**BASE_QUOTE, **changes}), TODAY)


def monthly(**changes: Any) -> float:
    return quote(**changes)["monthly_premium"]


# ---------------------------------------------------------------------------------------------
# Rating: the formula
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(HAND_CALCULATED_FIELDS, HAND_CALCULATED)
def test_quote_premium_matches_hand_calculation(
    vehicle_type: str,
    coverage: str,
    vehicle_age: int,
    mileage: int,
    driver_age: int,
    deductible: int,
    expected: tuple[float, float],
) -> None:
    priced = quote(
        vehicle_type=vehicle_type,
        coverage_level=coverage,
        year=THIS_YEAR - vehicle_age,
        mileage=mileage,
        driver_age=driver_age,
        deductible=deductible,
    )

    assert (priced["monthly_premium"], priced["annual_premium"]) == expected
    assert priced["currency"] == "USD"


@pytest.mark.parametrize(("dearer", "cheaper"), [(18, 40), (23, 40), (27, 40), (85, 40), (70, 40)])
def test_young_and_very_old_drivers_pay_more(dearer: int, cheaper: int) -> None:
    assert monthly(driver_age=dearer) > monthly(driver_age=cheaper)


def test_higher_deductible_is_cheaper() -> None:
    prices = [monthly(deductible=d) for d in (250, 500, 1000, 2000)]

    assert prices == sorted(prices, reverse=True)
    assert len(set(prices)) == 4


def test_deductible_does_not_change_liability_only_price() -> None:
    prices = {monthly(coverage_level="liability", deductible=d) for d in (250, 2000)}

    assert len(prices) == 1


def test_more_mileage_costs_more() -> None:
    prices = [monthly(mileage=m) for m in (3_000, 8_000, 12_000, 18_000, 25_000, 60_000)]

    assert prices == sorted(prices)
    assert len(set(prices)) == 6


def test_newer_vehicles_cost_more_for_own_vehicle_cover_only() -> None:
    ages = (1, 4, 8, 15, 25)
    comprehensive = [monthly(year=THIS_YEAR - age) for age in ages]
    liability = {monthly(year=THIS_YEAR - age, coverage_level="liability") for age in ages}

    assert comprehensive == sorted(comprehensive, reverse=True)
    assert len(set(comprehensive)) == 5
    assert len(liability) == 1


def test_ev_discount_applies_to_own_vehicle_cover_not_liability() -> None:
    ev = quote(vehicle_type="electric_car")
    discount = next(r for r in ev["breakdown"] if r["factor"] == "Electric car discount")

    assert discount["value"] == "10%"
    assert monthly(vehicle_type="electric_car", coverage_level="liability") == monthly(
        vehicle_type="car", coverage_level="liability"
    )
    car = quote(vehicle_type="car")
    assert not any(r["factor"] == "Electric car discount" for r in car["breakdown"])


def test_a_quote_lists_its_inputs_and_is_plain_json() -> None:
    """What the tool sends the model and a staff desk would show: the request as given."""
    priced = quote()

    assert priced["inputs"] == BASE_QUOTE
    assert list(priced["inputs"]) == list(BASE_QUOTE), "inputs in the schema's order"
    assert json.loads(json.dumps(priced)) == priced
    assert priced["quote_id"] == rating.quote_id(rating.QuoteRequest(**BASE_QUOTE))


# ---------------------------------------------------------------------------------------------
# Accounts: verification, what a verified customer sees, claims
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "zip_code", "matches"),
    [
        (EV_DOB, None, True),
        (None, EV_ZIP, True),
        (EV_DOB, EV_ZIP, True),
        (EV_DOB, "94111", False),
        ("1991-08-28", EV_ZIP, False),
    ],
)
def test_every_detail_given_has_to_match(
    birth_date: str | None, zip_code: str | None, matches: bool
) -> None:
    holder = {"date_of_birth": EV_DOB, "zip_code": EV_ZIP}

    assert accounts.holder_matches(holder, birth_date, zip_code) is matches


def test_verification_locks_after_the_third_failure() -> None:
    assert [accounts.verification_locked(n) for n in range(5)] == [False] * 3 + [True] * 2
    assert [accounts.attempts_left(n) for n in range(5)] == [3, 2, 1, 0, 0]


def test_a_policy_summary_leaves_contact_details_and_vins_out(tmp_path: Path) -> None:
    policy = Store(f"sqlite:///{tmp_path}/t.db").policy(EV_POLICY)
    assert policy is not None

    summary = accounts.policy_summary(policy)

    assert summary["holder"] == "Priya P."
    assert summary["billing"]["payment_method"] == "Mastercard ending 5454"
    shown = json.dumps(summary)
    assert "Placeholder" not in shown and "@example.com" not in shown
    assert "555-0102" not in shown and "vin" not in shown and "5YJ3" not in shown


@pytest.mark.parametrize(
    ("incident", "police_report", "status", "police_step", "in_force_step"),
    [
        ("theft", None, "active", True, False),
        ("theft", "SFPD-1", "active", False, False),
        ("hit_and_run", None, "active", True, False),
        ("glass", None, "cancelled", False, True),
    ],
)
def test_claim_next_steps_ask_for_what_the_adjuster_needs(
    incident: str, police_report: str | None, status: str, police_step: bool, in_force_step: bool
) -> None:
    steps = accounts.claim_next_steps(incident, police_report, status)

    assert config.FACTS["claims_phone"] in steps
    assert ("report it to the police" in steps) is police_step
    assert (f"Your policy is {status}" in steps) is in_force_step


@pytest.mark.parametrize(
    ("today", "earliest"),
    [(date(2026, 11, 23), date(2023, 11, 23)), (date(2028, 2, 29), date(2025, 2, 28))],
)
def test_claims_go_back_three_years(today: date, earliest: date) -> None:
    assert accounts.earliest_incident_date(today) == earliest


# ---------------------------------------------------------------------------------------------
# Money: the limit, the cap, pro-rata refunds
# ---------------------------------------------------------------------------------------------


def test_the_limit_comes_from_config_and_counts_what_was_already_refunded() -> None:
    limit = Decimal(str(config.MONEY_LIMIT_USD))

    assert money.money_limit() == limit
    assert money.within_limit(Decimal(0), limit)
    assert not money.within_limit(Decimal(0), limit + Decimal("0.01"))
    assert not money.within_limit(limit / 2, limit / 2 + Decimal("0.01"))


def test_only_refunds_within_the_window_count_towards_the_limit() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    refunds = [
        {"amount": 100.0, "created_at": (now - timedelta(days=29)).isoformat()},
        {"amount": 50.5, "created_at": (now - timedelta(days=30)).isoformat()},
        {"amount": 400.0, "created_at": (now - timedelta(days=31)).isoformat()},
    ]

    assert money.refunded_since(refunds, now) == Decimal("150.5")
    assert money.refunded_since([], now) == 0


def test_a_refund_is_at_most_a_year_of_premium() -> None:
    assert money.refund_cap(39.90) == Decimal("478.80")


@pytest.mark.parametrize(
    ("premium", "renewal", "effective", "expected", "working"),
    [
        (39.90, "2027-04-15", "2026-12-01", "177.09", "$39.90 × 12 × 135 days ÷ 365 = $177.09"),
        (118.25, "2026-12-01", "2026-11-23", "31.10", "$118.25 × 12 × 8 days ÷ 365 = $31.10"),
        (118.25, "2026-12-01", "2026-12-15", "0.00", "$118.25 × 12 × 0 days ÷ 365 = $0.00"),
    ],
)
def test_a_cancellation_refunds_the_unused_premium_pro_rata(
    premium: float, renewal: str, effective: str, expected: str, working: str
) -> None:
    refund, written = money.pro_rata_refund(
        premium, date.fromisoformat(renewal), date.fromisoformat(effective)
    )

    assert (refund, written) == (Decimal(expected), working)


def test_a_cancellation_is_dated_in_acmes_calendar_within_60_days() -> None:
    late = datetime(2026, 11, 23, 22, 30, tzinfo=ET)  # 03:30 on the 24th in UTC

    assert money.business_date(late) == date(2026, 11, 23)
    assert money.cancellation_window(date(2026, 11, 23)) == (date(2026, 11, 23), date(2027, 1, 22))


def test_a_payout_says_where_and_when_the_money_goes() -> None:
    said = money.payout(Decimal("42.5"), "Visa ending 4242")

    assert said == (
        "The refund of $42.50 is processed to the original payment method (Visa ending 4242) "
        "within 5–7 business days."
    )
