"""Accounts: who may see a policy (holder matching, attempts and lock-out), what a verified
customer is shown of it, and what happens after a claim is filed.

Rules over the store's policy records, passed in by the caller: this module reads no
conversation, writes nothing and words nothing for the model (the tools phrase refusals).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypedDict

import config

MAX_VERIFICATION_ATTEMPTS = 3
CUSTOMER_SERVICE_PHONE = config.FACTS["support_phone"]
CLAIM_WINDOW_YEARS = 3
INCIDENT_TYPES = [
    "collision",
    "theft",
    "glass",
    "weather",
    "vandalism",
    "hit_and_run",
    "animal",
    "fire",
    "other",
]
# Incidents the police are normally told about first: the adjuster asks for the report number.
POLICE_REPORTED = ("theft", "vandalism", "hit_and_run")
TICKET_CATEGORIES = [
    "billing",
    "policy_change",
    "documents",
    "claims",
    "technical",
    "complaint",
    "other",
]


class PolicySummary(TypedDict):
    """What Eva may tell a verified customer about their policy."""

    policy_number: str
    holder: str
    product: str
    status: str
    renewal_date: str
    vehicles: list[dict[str, Any]]
    coverage_level: str
    deductible: int
    add_ons: list[str]
    monthly_premium: float
    billing: dict[str, Any]


def holder_matches(holder: Mapping[str, Any], birth_date: str | None, zip_code: str | None) -> bool:
    """Every detail given has to match; a missing one is simply not checked."""
    return (birth_date is None or birth_date == holder["date_of_birth"]) and (
        zip_code is None or zip_code == holder["zip_code"]
    )


def verification_locked(failed_attempts: int) -> bool:
    """After MAX_VERIFICATION_ATTEMPTS failures a conversation may not try again."""
    return failed_attempts >= MAX_VERIFICATION_ATTEMPTS


def attempts_left(failed_attempts: int) -> int:
    return max(0, MAX_VERIFICATION_ATTEMPTS - failed_attempts)


def policy_summary(policy: Mapping[str, Any]) -> PolicySummary:
    """What Eva may tell a verified customer; contact details and VINs stay out of the chat."""
    holder = policy["holder"]
    return {
        "policy_number": policy["policy_number"],
        "holder": f"{holder['first_name']} {holder['last_name'][:1]}.",
        "product": policy["product"],
        "status": policy["status"],
        "renewal_date": policy["renewal_date"],
        "vehicles": [
            {"make": v["make"], "model": v["model"], "year": v["year"]} for v in policy["vehicles"]
        ],
        "coverage_level": policy["coverage"]["level"],
        "deductible": policy["coverage"]["deductible"],
        "add_ons": policy["coverage"]["add_ons"],
        "monthly_premium": policy["monthly_premium"],
        "billing": policy["billing"],
    }


def earliest_incident_date(today: date) -> date:
    """A claim can be filed for an incident at most CLAIM_WINDOW_YEARS ago."""
    try:
        return today.replace(year=today.year - CLAIM_WINDOW_YEARS)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year - CLAIM_WINDOW_YEARS, day=28)


def claim_next_steps(
    incident_type: str, police_report_number: str | None, policy_status: str
) -> str:
    """Plain sentences, like the other tools' next steps, so they can be relayed as they are."""
    steps = [
        "An adjuster will contact you within 1 business day.",
        f"The claims line {config.FACTS['claims_phone']} is open 24/7; quote your claim number.",
        "Keep photos, receipts and repair estimates; the adjuster will ask for them.",
    ]
    if incident_type in POLICE_REPORTED and not police_report_number:
        steps.append("Please report it to the police and send the adjuster the report number.")
    if policy_status != "active":
        steps.append(
            f"Your policy is {policy_status}, so the adjuster will check it was in force on "
            "the incident date."
        )
    return " ".join(steps)
