"""End-state checks: what a conversation left in the store, against what it should have left.

Like τ-bench's database check, this grades the outcome, not the words or the tool sequence that
got there. The runner takes a snapshot of the store's outcome tables before the first turn and
after the last; the difference, as plain rows (`writes`), is compared with the scenario's
`end_state`. Every kind of write is checked: a kind the expectation does not list must have no
writes at all, so a refund nobody asked for, a second claim or a handoff on a plain question
fails the scenario. References and timestamps are left out of the rows: they are random or
clock-bound, and no expectation can name them in advance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from store import Store
from store.tables import Approval, Claim, Customer, Handoff, Policy, Refund, Ticket, Vehicle

Row = dict[str, Any]
# Each table's rows as {primary key: columns}.
Snapshot = dict[str, dict[Any, Row]]


def _claim(row: Row, numbers: Mapping[int, str]) -> Row:
    return {
        "policy_number": numbers.get(row["policy_id"]),
        "incident_type": row["claim_type"],
        "incident_date": row["incident_date"],
        "description": row["description"],
        "location": row["location"],
        "police_report_number": row["police_report_number"],
        "status": row["status"],
        "claimed_amount": row["claimed_amount"],
        "approved_amount": row["approved_amount"],
        "paid_amount": row["paid_amount"],
        "adjuster": row["adjuster"],
    }


def _refund(row: Row, numbers: Mapping[int, str]) -> Row:
    return {
        "policy_number": row["policy_number"],
        "amount_usd": row["amount"],
        "kind": row["kind"],
        "status": row["status"],
        "approved_by": row["approved_by"],
        "reason": row["reason"],
    }


def _columns(*names: str) -> Callable[[Row, Mapping[int, str]], Row]:
    return lambda row, numbers: {name: row[name] for name in names}


def _all_but(*names: str) -> Callable[[Row, Mapping[int, str]], Row]:
    """Every column but the key, references and timestamps, with the policy named by number."""
    skip = {"id", "policy_id", "customer_id", *names}

    def row_of(row: Row, numbers: Mapping[int, str]) -> Row:
        named = {"policy_number": numbers.get(row["policy_id"])} if "policy_id" in row else {}
        return named | {key: value for key, value in row.items() if key not in skip}

    return row_of


@dataclass(frozen=True)
class Kind:
    """One kind of write: the table, how a row of it reads in an expectation, and the fields
    that say which row it is when it changed or went (a new row is shown whole)."""

    table: Any
    row: Callable[[Row, Mapping[int, str]], Row]
    identity: tuple[str, ...]
    # A seeded row is also known by its number (column, field): a claim or policy of the
    # fixtures, never one made in the conversation (its number is random).
    known_by: tuple[str, str] | None = None


# The kinds a scenario's end_state can name: every table that holds the business's records
# (conversations, turns, feedback and the audit trail are the transcript, not outcomes).
KINDS: dict[str, Kind] = {
    "claims": Kind(Claim, _claim, ("policy_number",), ("claim_number", "claim_number")),
    "refunds": Kind(Refund, _refund, ("policy_number",)),
    "tickets": Kind(
        Ticket,
        _columns("category", "policy_number", "subject", "description", "contact_email", "status"),
        ("policy_number",),
    ),
    "handoffs": Kind(
        Handoff,
        _columns("trigger", "priority", "status", "policy_number", "language", "reason", "source"),
        ("trigger",),
    ),
    "approvals": Kind(
        Approval, _columns("tool", "policy_number", "status", "params"), ("tool", "policy_number")
    ),
    # A cancellation is a changed policy {status: cancelled, cancelled_on: ...}, its refund a
    # `refunds` row.
    "policies": Kind(Policy, _all_but("number"), (), ("number", "policy_number")),
    "vehicles": Kind(Vehicle, _all_but(), ("policy_number", "vin")),
    "customers": Kind(Customer, _all_but(), ("first_name", "last_name")),
}


class EndStateError(ValueError):
    """An end_state that does not follow the format."""


@dataclass(frozen=True)
class EndState:
    """kind → the rows that must be written, each a mapping of fields to expected values. Kinds
    left out must have no writes."""

    rows: dict[str, tuple[Row, ...]]


def parse(raw: Any, where: str) -> EndState | None:
    """An end_state from a scenario or task file: `nothing`, or a mapping of kinds to lists of
    rows. Unknown kinds, and rows that are not mappings, are errors naming `where`."""
    if raw is None:
        return None
    if raw == "nothing":
        return EndState({})
    if not isinstance(raw, dict):
        raise EndStateError(f"{where}: end_state is `nothing` or a mapping of kinds to rows")
    unknown = set(raw) - set(KINDS)
    if unknown:
        raise EndStateError(f"{where}: no such end_state kind {sorted(unknown)} ({sorted(KINDS)})")
    rows: dict[str, tuple[Row, ...]] = {}
    for kind, listed in raw.items():
        listed = listed or []
        if not isinstance(listed, list) or not all(isinstance(r, dict) for r in listed):
            raise EndStateError(f"{where}: end_state {kind} is a list of mappings")
        for row in listed:
            _patterns_valid(row, where)
        rows[kind] = tuple(listed)
    return EndState(rows)


def _patterns_valid(row: Row, where: str) -> None:
    """Every `/regex/` in a row compiles, nested ones (an approval's params) included."""
    for value in row.values():
        if isinstance(value, dict):
            _patterns_valid(value, where)
        else:
            _pattern(value, where)


def snapshot(store: Store) -> Snapshot:
    """The outcome tables' rows, by primary key."""
    tables: Snapshot = {}
    with store.engine.connect() as connection:
        for kind, spec in KINDS.items():
            rows = connection.execute(select(spec.table.__table__)).mappings()
            tables[kind] = {row["id"]: dict(row) for row in rows}
    return tables


def writes(before: Snapshot, after: Snapshot) -> dict[str, list[Row]]:
    """What the conversation wrote, per kind, as the rows an expectation reads: a new row
    whole; a changed one as which row it is, the new values and `changed` (the columns); a
    removed one as which row it was and `deleted: true`."""
    numbers = {key: row["number"] for key, row in after["policies"].items()}
    found: dict[str, list[Row]] = {}
    for kind, spec in KINDS.items():
        old, new = before[kind], after[kind]
        rows = [_plain(spec.row(row, numbers)) for key, row in new.items() if key not in old]
        for key in sorted(old.keys() & new.keys()):
            was, now = (_plain(spec.row(r, numbers)) for r in (old[key], new[key]))
            changed = sorted(name for name in now if now[name] != was[name])
            if changed:
                who = _identity(spec, now, new[key])
                rows.append({**who, **{name: now[name] for name in changed}, "changed": changed})
        for key in sorted(old.keys() - new.keys()):
            gone = _plain(spec.row(old[key], numbers))
            rows.append({**_identity(spec, gone, old[key]), "deleted": True})
        if rows:
            found[kind] = rows
    return found


def _identity(spec: Kind, row: Row, raw: Row) -> Row:
    """Which row a changed or removed one is: its number if seeded, and the kind's fields."""
    named = {spec.known_by[1]: raw[spec.known_by[0]]} if spec.known_by else {}
    return named | {field: row.get(field) for field in spec.identity}


def _plain(row: Row) -> Row:
    """Dates as ISO text and money as float: how a YAML expectation writes them."""
    return {key: _value(value) for key, value in row.items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def grade(expected: EndState, written: dict[str, list[Row]]) -> list[str]:
    """What is wrong with the writes: a row missing (with the nearest one's differences), or a
    write nobody asked for. Empty when the store holds exactly the expected outcome."""
    problems: list[str] = []
    for kind in KINDS:
        # The most specific expectation takes its row first, so a looser one cannot take it.
        wanted = sorted(expected.rows.get(kind, ()), key=len, reverse=True)
        left = list(written.get(kind, []))
        for row in wanted:
            same = [i for i, actual in enumerate(left) if not _differences(row, actual)]
            if same:
                left.pop(same[0])
                continue
            nearest = min(left, key=lambda actual: len(_differences(row, actual)), default=None)
            why = _near(row, nearest) if nearest else "none written"
            problems.append(f"end state: no {kind} row with {_show(row)} ({why})")
            if nearest is not None:
                # The wrong version of this row, named above: not also an unrequested write.
                left.remove(nearest)
        for extra in left:
            problems.append(f"end state: unrequested {kind} write {_show(_brief(extra))}")
    return problems


def _differences(wanted: Row, actual: Row) -> list[str]:
    """The expected fields the row does not meet; for a changed row, also each changed column
    the expectation does not name (a cancellation that also rewrote the cover is not one)."""
    missed = [name for name, value in wanted.items() if not matches(value, actual.get(name))]
    unnamed = [name for name in actual.get("changed", ()) if name not in wanted]
    return missed + [f"{name} (changed)" for name in unnamed]


def _near(wanted: Row, actual: Row) -> str:
    return "nearest has " + ", ".join(
        f"{name}={actual.get(name.removesuffix(' (changed)'))!r}"
        for name in _differences(wanted, actual)
    )


def _brief(row: Row) -> Row:
    """A written row for a message: the fields an expectation would most likely name."""
    return {key: value for key, value in row.items() if value is not None and key != "reason"}


def _show(row: Row) -> str:
    return "{" + ", ".join(f"{key}={_value(value)!r}" for key, value in row.items()) + "}"


def matches(wanted: Any, actual: Any) -> bool:
    """Whether a written value meets an expected one: text case-insensitively, `/regex/` as a
    search, `"*"` as anything but empty, numbers to the cent, mappings field by field, and
    `null` only by an empty value."""
    wanted = _value(wanted)
    if wanted is None:
        return actual in (None, "", [], {})
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return isinstance(wanted, bool) and isinstance(actual, bool) and wanted == actual
    if isinstance(wanted, int | float):
        return isinstance(actual, int | float) and abs(actual - wanted) < 0.005
    if isinstance(wanted, str) and isinstance(actual, int | float):
        try:  # "428.90" in quotes is still the amount 428.9
            return abs(float(wanted.replace(",", "")) - actual) < 0.005
        except ValueError:
            return False
    if isinstance(wanted, dict):
        fields = wanted.items()
        return isinstance(actual, dict) and all(matches(v, actual.get(k)) for k, v in fields)
    if isinstance(wanted, str):
        if actual in (None, "", [], {}):
            return False
        pattern = _pattern(wanted, "")
        if pattern is not None:
            return bool(pattern.search(str(_value(actual))))
        return wanted == "*" or wanted.casefold() == str(_value(actual)).casefold()
    return bool(wanted == actual)


def _pattern(value: Any, where: str) -> re.Pattern[str] | None:
    """The regex of a `/…/` value (None for a plain value); a bad one is an error."""
    if not (isinstance(value, str) and len(value) > 1 and value[0] == value[-1] == "/"):
        return None
    try:
        return re.compile(value[1:-1])
    except re.error as problem:
        raise EndStateError(f"{where}: bad regex {value!r} ({problem})") from problem
