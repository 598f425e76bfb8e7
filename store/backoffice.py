"""Back office: the tickets and refund requests Eva files for the team to work.

Owns recording and listing tickets and refunds (free text masked for storage on the way in).
It must not pay, approve or route anything: the back office works these rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from store import records
from store.sessions import Sessions
from store.tables import REFUND_KINDS, Refund, Ticket


class BackOffice(Sessions):
    """Tickets and refund requests for the team."""

    def add_ticket(
        self,
        subject: str,
        description: str,
        category: str,
        policy_number: str | None = None,
        contact_email: str | None = None,
        conversation_id: str | None = None,
    ) -> dict[str, Any]:
        """Records an open ticket for the back office and returns it with its reference."""

        def build(reference: str) -> Ticket:
            return Ticket(
                reference=reference,
                conversation_id=conversation_id,
                policy_number=policy_number,
                category=category,
                subject=subject,
                description=description,
                contact_email=contact_email,
                status="open",
                created_at=records.now(),
            )

        return records.ticket_dict(self._insert_with_reference(build, records.ticket_reference))

    def tickets(self) -> list[dict[str, Any]]:
        """Every ticket, newest first."""
        query = select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc())
        with self._sessions() as session:
            return [records.ticket_dict(ticket) for ticket in session.scalars(query)]

    def add_refund(
        self,
        policy_number: str,
        amount: Decimal | float,
        reason: str,
        *,
        kind: str = "refund",
        conversation_id: str | None = None,
        approved_by: str | None = None,
    ) -> dict[str, Any]:
        """Records a requested refund for the back office to pay and returns it; approved_by
        names the colleague who approved one above the chat's limit."""
        if kind not in REFUND_KINDS:
            raise ValueError(f"kind must be one of {', '.join(REFUND_KINDS)}")

        def build(reference: str) -> Refund:
            return records.new_refund(
                reference, policy_number, amount, reason, kind, conversation_id, approved_by
            )

        return records.refund_dict(self._insert_with_reference(build, records.refund_reference))

    def refunds(self, policy_number: str | None = None) -> list[dict[str, Any]]:
        """Every refund, or one policy's, newest first."""
        query = select(Refund).order_by(Refund.created_at.desc(), Refund.id.desc())
        if policy_number is not None:
            query = query.where(Refund.policy_number == policy_number)
        with self._sessions() as session:
            return [records.refund_dict(refund) for refund in session.scalars(query)]
