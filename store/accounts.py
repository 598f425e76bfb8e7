"""Accounts: policies and their claims as the tools read them, new claims, and cancellation.

Owns reading a policy (holder, vehicles, coverage, billing) and its claims, recording a new
claim, and cancelling a policy together with the refund it is owed, in one transaction. It must
not decide whether the customer may do so (that is the tools' and insurance's job).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from store import records
from store.sessions import Sessions
from store.tables import Claim, Policy


class Accounts(Sessions):
    """The customer's policies and claims."""

    def policy(self, number: str) -> dict[str, Any] | None:
        """The policy with its holder, vehicles, coverage and billing; None if unknown."""
        query = (
            select(Policy)
            .where(Policy.number == number)
            .options(selectinload(Policy.holder), selectinload(Policy.vehicles))
        )
        with self._sessions() as session:
            found = session.scalars(query).one_or_none()
            return records.policy_dict(found) if found else None

    def claims(self, policy_number: str) -> list[dict[str, Any]]:
        """The policy's claims, most recent incident first; empty for an unknown policy."""
        query = (
            select(Claim)
            .join(Claim.policy)
            .where(Policy.number == policy_number)
            .order_by(Claim.incident_date.desc(), Claim.id.desc())
        )
        with self._sessions() as session:
            return [records.claim_dict(claim, policy_number) for claim in session.scalars(query)]

    def add_claim(
        self,
        policy_number: str,
        incident_date: date,
        claim_type: str,
        description: str,
        location: str | None = None,
        police_report_number: str | None = None,
    ) -> dict[str, Any]:
        """Records a new claim as "received". Raises LookupError for an unknown policy."""
        with self._sessions() as session:
            policy_id = session.scalar(select(Policy.id).where(Policy.number == policy_number))
        if policy_id is None:
            raise LookupError(f"no policy {policy_number}")

        def build(reference: str) -> Claim:
            return Claim(
                claim_number=reference,
                policy_id=policy_id,
                claim_type=claim_type,
                status="received",
                incident_date=incident_date,
                reported_at=records.now(),
                description=description,
                location=location,
                police_report_number=police_report_number,
                last_update="Claim received; an adjuster will be assigned within 1 business day.",
            )

        claim = self._insert_with_reference(build, records.claim_reference)
        return records.claim_dict(claim, policy_number)

    def cancel_policy(
        self,
        number: str,
        effective: date,
        *,
        refund_usd: Decimal | float | None = None,
        reason: str = "",
        conversation_id: str | None = None,
        approved_by: str | None = None,
    ) -> dict[str, Any]:
        """Cancels the policy from effective and returns it.

        With refund_usd, the cancellation refund is recorded in the same transaction (returned
        as policy["refund"]), so a policy is never cancelled without the refund it is owed.
        Raises LookupError for an unknown policy and ValueError for one already cancelled.
        """

        def cancel(reference: str) -> dict[str, Any]:
            query = (
                select(Policy)
                .where(Policy.number == number)
                .options(selectinload(Policy.holder), selectinload(Policy.vehicles))
            )
            with self._sessions.begin() as session:
                policy = session.scalars(query).one_or_none()
                if policy is None:
                    raise LookupError(f"no policy {number}")
                if policy.status == "cancelled":
                    raise ValueError(f"policy {number} is already cancelled")
                policy.status = "cancelled"
                policy.cancelled_on = effective
                result = records.policy_dict(policy)
                if refund_usd is not None:
                    refund = records.new_refund(
                        reference,
                        number,
                        refund_usd,
                        reason,
                        "cancellation",
                        conversation_id,
                        approved_by,
                    )
                    session.add(refund)
                    session.flush()
                    result["refund"] = records.refund_dict(refund)
                return result

        return self._with_fresh_reference(cancel, records.refund_reference)
