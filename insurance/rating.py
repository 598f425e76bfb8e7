"""Rating: the indicative premium for insuring one vehicle, factor by factor, and its quote id.

A premium is
  (liability base + physical-damage base × vehicle age × deductible × EV discount)
  × annual mileage × driver age,
rounded half-up to cents; the annual premium is twelve rounded monthly premiums. Pure arithmetic
on RATING_TABLES: it reads no store and no clock (the caller passes today) and words nothing
for the model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from insurance.money import cents
from store import REFERENCE_ALPHABET

# Bands are (lowest value in the band, factor) in ascending order. Amounts and factors are
# decimal strings so the arithmetic is exact and a premium can be checked by hand.
RATING_TABLES: dict[str, Any] = {
    # USD per month. Liability (damage to others) is part of every coverage level.
    "liability_base": {"car": "52.00", "electric_car": "52.00", "two_wheeler": "24.00"},
    # USD per month for cover of the insured vehicle itself; liability-only has none.
    "physical_damage_base": {
        "car": {"liability": "0", "standard": "38.00", "comprehensive": "64.00"},
        "electric_car": {"liability": "0", "standard": "46.00", "comprehensive": "78.00"},
        "two_wheeler": {"liability": "0", "standard": "16.00", "comprehensive": "28.00"},
    },
    # Vehicle age in years (quote year - model year); newer vehicles cost more to repair.
    "vehicle_age": [(0, "1.20"), (3, "1.10"), (6, "1.00"), (11, "0.85"), (21, "0.75")],
    # Deductible in USD; applies to physical damage only.
    "deductible": {250: "1.15", 500: "1.00", 1000: "0.88", 2000: "0.78"},
    # Share taken off the physical-damage part for electric cars.
    "ev_physical_damage_discount": "0.10",
    # Miles per year.
    "annual_mileage": [
        (0, "0.85"),
        (5_001, "0.95"),
        (10_001, "1.00"),
        (15_001, "1.10"),
        (20_001, "1.20"),
        (30_001, "1.35"),
    ],
    # Age of the main driver.
    "driver_age": [
        (16, "1.80"),
        (21, "1.40"),
        (25, "1.15"),
        (30, "1.00"),
        (65, "1.10"),
        (75, "1.30"),
    ],
}

VEHICLE_TYPES = ["car", "electric_car", "two_wheeler"]
COVERAGE_LEVELS = ["liability", "standard", "comprehensive"]
DEDUCTIBLES: list[int] = list(RATING_TABLES["deductible"])
QUOTE_VALID_DAYS = 30


@dataclass(frozen=True)
class QuoteRequest:
    """What a premium depends on. The field order is the order a quote lists its inputs in."""

    vehicle_type: str
    make: str
    model: str
    year: int
    mileage: int
    driver_age: int
    coverage_level: str = "standard"
    deductible: int = 500


class Factor(TypedDict):
    """One line of a quote's breakdown, e.g. Driver age · 22 (21-24) · ×1.40."""

    factor: str
    value: str
    effect: str


class Quote(TypedDict):
    quote_id: str
    currency: str
    monthly_premium: float
    annual_premium: float
    valid_days: int
    valid_until: str
    breakdown: list[Factor]
    inputs: dict[str, Any]
    note: str


def quote(request: QuoteRequest, today: date) -> Quote:
    """Prices the request with RATING_TABLES and explains every factor that was applied."""
    vehicle_type, coverage = request.vehicle_type, request.coverage_level
    liability = Decimal(RATING_TABLES["liability_base"][vehicle_type])
    physical_base = Decimal(RATING_TABLES["physical_damage_base"][vehicle_type][coverage])
    breakdown = [_row("Liability base rate", vehicle_type, f"${liability}/month")]

    physical = physical_base
    if physical_base:
        breakdown.append(_row("Own-vehicle base rate", coverage, f"+${physical_base}/month"))
        physical, rows = _physical_damage_factors(physical_base, request, today)
        breakdown += rows
    else:
        breakdown.append(_row("Deductible", f"${request.deductible:,}", "none: liability only"))

    mileage_factor, mileage_band = _band(RATING_TABLES["annual_mileage"], request.mileage)
    driver_factor, driver_band = _band(RATING_TABLES["driver_age"], request.driver_age)
    breakdown += [
        _row("Annual mileage", f"{request.mileage:,} miles ({mileage_band})", f"×{mileage_factor}"),
        _row("Driver age", f"{request.driver_age} ({driver_band})", f"×{driver_factor}"),
    ]
    monthly = cents((liability + physical) * mileage_factor * driver_factor)
    return {
        "quote_id": quote_id(request),
        "currency": "USD",
        "monthly_premium": float(monthly),
        "annual_premium": float(monthly * 12),
        "valid_days": QUOTE_VALID_DAYS,
        "valid_until": (today + timedelta(days=QUOTE_VALID_DAYS)).isoformat(),
        "breakdown": breakdown,
        "inputs": asdict(request),
        "note": "Indicative estimate; the price is confirmed when the policy is set up.",
    }


def quote_id(request: QuoteRequest) -> str:
    """Same inputs, same id: a customer asking twice gets the quote they were given before."""
    canonical = {k: v.casefold() if isinstance(v, str) else v for k, v in asdict(request).items()}
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).digest()
    number = int.from_bytes(digest, "big")
    code = ""
    for _ in range(6):
        number, index = divmod(number, len(REFERENCE_ALPHABET))
        code += REFERENCE_ALPHABET[index]
    return f"Q-{code}"


def _physical_damage_factors(
    base: Decimal, request: QuoteRequest, today: date
) -> tuple[Decimal, list[Factor]]:
    """The own-vehicle part after vehicle age, deductible and EV discount, with their rows."""
    vehicle_age = max(0, today.year - request.year)
    age_factor, age_band = _band(RATING_TABLES["vehicle_age"], vehicle_age)
    deductible_factor = Decimal(RATING_TABLES["deductible"][request.deductible])
    rows = [
        _row("Vehicle age", f"{_years(vehicle_age)} ({age_band})", f"×{age_factor} own-vehicle"),
        _row("Deductible", f"${request.deductible:,}", f"×{deductible_factor} own-vehicle"),
    ]
    amount = base * age_factor * deductible_factor
    if request.vehicle_type == "electric_car":
        discount = Decimal(RATING_TABLES["ev_physical_damage_discount"])
        amount *= 1 - discount
        rows.append(
            _row("Electric car discount", f"{discount:.0%}", f"×{1 - discount} own-vehicle")
        )
    return amount, rows


def _years(count: int) -> str:
    return f"{count} year{'' if count == 1 else 's'}"


def _band(bands: list[tuple[int, str]], value: int) -> tuple[Decimal, str]:
    """The factor of the band holding value, and the band written out, e.g. '21-24'."""
    index = max(i for i, (lowest, _) in enumerate(bands) if value >= lowest)
    lowest, factor = bands[index]
    last = index + 1 == len(bands)
    label = f"{lowest:,}+" if last else f"{lowest:,}-{bands[index + 1][0] - 1:,}"
    return Decimal(factor), label


def _row(factor: str, value: str, effect: str) -> Factor:
    return {"factor": factor, "value": value, "effect": effect}
