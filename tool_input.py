"""A tool's input checked against the JSON schema the model was given, and the fields parsed.

Every problem comes back as an InputError naming the field, what is allowed and what was sent,
so the model can correct itself instead of meeting an exception. Loose but unambiguous forms
are accepted ("12,000", "Electric car", "acm 100231", 08/27/1991). Bounds that are business
rules (the claim window, how far ahead a cancellation may be dated) are read from insurance/;
this module owns no rule of its own and never touches the store or a conversation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from insurance import accounts, money


class InputError(Exception):
    """Input the model can correct; each problem names the field, what is allowed and what came."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validated(schema: dict[str, Any], raw: object) -> dict[str, Any]:
    """The input checked against schema, with enums normalised and defaults filled in."""
    properties: dict[str, Any] = schema["properties"]
    if not isinstance(raw, Mapping):
        raise InputError([f"input must be an object with the fields {', '.join(properties)}"])
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, spec in properties.items():
        value = raw.get(name)
        blank = value is None or (isinstance(value, str) and not value.strip())
        if blank and name not in schema["required"]:
            if "default" in spec:
                values[name] = spec["default"]
        elif value is None:
            problems.append(f"{name} is required")
        else:
            try:
                values[name] = _checked_value(name, spec, value)
            except InputError as problem:
                problems += problem.problems
    problems += [
        f"unknown field '{name}' (accepted: {', '.join(properties)})"
        for name in raw
        if name not in properties
    ]
    if problems:
        raise InputError(problems)
    return values


def _checked_value(name: str, spec: dict[str, Any], value: object) -> int | str | Decimal:
    if spec["type"] == "number":
        return _amount(name, spec, value)
    value = _integer(name, value) if spec["type"] == "integer" else _text(name, value)
    if "enum" in spec:
        return _enum_member(name, spec["enum"], value)
    if isinstance(value, int):
        _check_range(name, spec, value)
    else:
        _check_length(name, spec, value)
    return value


def _integer(name: str, value: object) -> int:
    """Whole numbers, also as numeric strings ("2022", "12,000"): models sometimes send those."""
    if isinstance(value, bool):
        raise InputError([f"{name} must be a whole number; got {value}"])
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip().replace(",", "")):
        return int(value.strip().replace(",", ""))
    raise InputError([f"{name} must be a whole number; got {value!r}"])


def _amount(name: str, spec: dict[str, Any], value: object) -> Decimal:
    """Dollars and cents, exactly: 42.5, "42.50" and "$1,200" are all amounts models send."""
    unreadable = InputError(
        [f"{name} must be an amount in US dollars such as 42.50; got {value!r}"]
    )
    if isinstance(value, str):
        text = value.strip().replace(",", "").removeprefix("$")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
            raise unreadable
        amount = Decimal(text)
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        amount = Decimal(str(value))
    else:
        raise unreadable
    low = spec.get("exclusiveMinimum")
    if low is not None and amount <= low:
        raise InputError([f"{name} must be more than {low}; got {value}"])
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise InputError([f"{name} must be in dollars and cents (2 decimals); got {value}"])
    return amount


def _text(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError([f"{name} must be text; got {type(value).__name__}"])
    return str(value).strip()


def _enum_member(name: str, allowed: list[Any], value: int | str) -> int | str:
    """Matches case and spacing loosely: 'Electric car' is electric_car."""
    key = re.sub(r"[\s-]+", "_", value.lower()) if isinstance(value, str) else value
    if key not in allowed:
        options = ", ".join(str(option) for option in allowed)
        raise InputError([f"{name} must be one of {options}; got {value!r}"])
    return key


def _check_range(name: str, spec: dict[str, Any], value: int) -> None:
    low, high = spec.get("minimum"), spec.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError([f"{name} must be between {low} and {high}; got {value}"])


def _check_length(name: str, spec: dict[str, Any], value: str) -> None:
    if len(value) < spec.get("minLength", 0):
        if spec["minLength"] == 1:
            raise InputError([f"{name} must not be empty"])
        raise InputError(
            [f"{name} must be at least {spec['minLength']} characters; got {len(value)}"]
        )
    if len(value) > spec.get("maxLength", len(value)):
        raise InputError(
            [f"{name} must be at most {spec['maxLength']} characters; got {len(value)}"]
        )


def policy_number(value: str) -> str:
    """'acm 100231' and 'ACM100231' are ACM-100231."""
    match = re.fullmatch(r"ACM(\d{6})", re.sub(r"[\s-]", "", value.upper()))
    if match is None:
        raise InputError([f"policy_number must look like ACM-100231; got {value!r}"])
    return f"ACM-{match.group(1)}"


def claim_number(value: str) -> str:
    match = re.fullmatch(r"CLM(\d{5})", re.sub(r"[\s-]", "", value.upper()))
    if match is None:
        raise InputError([f"claim_number must look like CLM-20417; got {value!r}"])
    return f"CLM-{match.group(1)}"


def zip_code(value: str | None) -> str | None:
    """Five digits; a ZIP+4 counts by its first five."""
    if value is None:
        return None
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{5}(\d{4})?", digits):
        raise InputError([f"zip_code must be 5 digits; got {value!r}"])
    return digits[:5]


def date_of_birth(value: str | None) -> str | None:
    """ISO date text; US month/day/year is accepted too, as customers type it that way."""
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            continue
    raise InputError([f"date_of_birth must be a date in the form YYYY-MM-DD; got {value!r}"])


def incident_date(value: str, today: date) -> date:
    try:
        incident = date.fromisoformat(value)
    except ValueError:
        raise InputError([f"incident_date must be a date YYYY-MM-DD; got {value!r}"]) from None
    earliest = accounts.earliest_incident_date(today)
    if incident > today:
        raise InputError([f"incident_date cannot be in the future; got {value}"])
    if incident < earliest:
        raise InputError(
            [
                f"incident_date must be within the last {accounts.CLAIM_WINDOW_YEARS} years "
                f"({earliest} or later); got {value}. Older incidents need a ticket."
            ]
        )
    return incident


def effective_date(value: str, today: date) -> date:
    try:
        effective = date.fromisoformat(value)
    except ValueError:
        raise InputError([f"effective_date must be a date YYYY-MM-DD; got {value!r}"]) from None
    first, latest = money.cancellation_window(today)
    if not first <= effective <= latest:
        raise InputError(
            [
                f"effective_date must be from today ({today}) to {latest}; got {value}. A "
                "cancellation cannot be backdated; ask the customer for a date in that range"
            ]
        )
    return effective


def contact_email(value: str | None) -> str | None:
    """Roughly an address: something@somewhere.tld, with no spaces."""
    if value is None:
        return None
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise InputError([f"contact_email must be an email address; got {value!r}"])
    return value
