"""Fixtures: the demo customers, policies, vehicles and claims of fixtures/customers.json.

Owns turning those records into rows, once, on a database's first start. It must not touch a
database that already has customers (data written later survives a restart) nor the schema.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.tables import Claim, Customer, Policy, Vehicle


def seed_if_empty(sessions: sessionmaker[Session], fixtures: Path) -> None:
    """Loads the demo customers on first start only, so data written later survives."""
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(Customer)):
            return
    records = json.loads(fixtures.read_text(encoding="utf-8"))
    try:
        with sessions.begin() as session:
            session.add_all(_customer_from_fixture(record) for record in records)
    except IntegrityError:
        return  # another process seeded the same database a moment earlier


def _customer_from_fixture(record: dict[str, Any]) -> Customer:
    p = record["policy"]
    billing = p["billing"]
    policy = Policy(
        number=p["number"],
        product=p["product"],
        status=p["status"],
        start_date=date.fromisoformat(p["start_date"]),
        renewal_date=date.fromisoformat(p["renewal_date"]),
        coverage_level=p["coverage_level"],
        deductible=p["deductible"],
        add_ons=p["add_ons"],
        monthly_premium=Decimal(str(p["monthly_premium"])),
        payment_method=billing["payment_method"],
        autopay=billing["autopay"],
        next_due_date=_optional_date(billing["next_due_date"]),
        balance_due=Decimal(str(billing["balance_due"])),
        vehicles=[Vehicle(**vehicle) for vehicle in p["vehicles"]],
        claims=[_claim_from_fixture(claim) for claim in p["claims"]],
    )
    return Customer(
        first_name=record["first_name"],
        last_name=record["last_name"],
        email=record["email"],
        phone=record["phone"],
        date_of_birth=date.fromisoformat(record["date_of_birth"]),
        zip_code=record["zip_code"],
        state=record["state"],
        policies=[policy],
    )


def _claim_from_fixture(c: dict[str, Any]) -> Claim:
    return Claim(
        claim_number=c["claim_number"],
        claim_type=c["type"],
        status=c["status"],
        incident_date=date.fromisoformat(c["incident_date"]),
        reported_at=datetime.fromisoformat(c["reported_at"]),
        description=c["description"],
        location=c.get("location"),
        police_report_number=c.get("police_report_number"),
        claimed_amount=_optional_money(c.get("claimed_amount")),
        approved_amount=_optional_money(c.get("approved_amount")),
        paid_amount=_optional_money(c.get("paid_amount")),
        adjuster=c.get("adjuster"),
        last_update=c["last_update"],
    )


def _optional_money(value: float | str | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
