"""Handoffs: the human team's queue of conversations, in the one priority order.

Owns opening, updating, listing and resolving handoff rows (reason, summary, draft and
transcript masked for storage). It must not decide when a person is needed or which open
handoff a trigger joins (that is escalation's job).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

import guardrails
from store import records
from store.sessions import Sessions
from store.tables import PRIORITIES, Handoff


class Handoffs(Sessions):
    """The queue a support lead works: most urgent first, then oldest first."""

    def add_handoff(
        self,
        conversation_id: str,
        reason: str,
        priority: str,
        summary: str,
        *,
        trigger: str | None = None,
        language: str | None = None,
        policy_number: str | None = None,
        transcript: list[dict[str, str]] | None = None,
        draft: str | None = None,
        source: str = "model",
    ) -> dict[str, Any]:
        """Puts the conversation in the human team's queue and returns the queue entry."""
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        details = records.handoff_columns(
            trigger=trigger,
            language=language,
            policy_number=policy_number,
            transcript=transcript,
            draft=draft,
            source=source,
        )

        def build(reference: str) -> Handoff:
            return Handoff(
                reference=reference,
                conversation_id=conversation_id,
                reason=guardrails.for_storage(reason),
                priority=priority,
                summary=guardrails.for_storage(summary),
                status="open",
                created_at=records.now(),
                **details,
            )

        return records.handoff_dict(self._insert_with_reference(build, records.handoff_reference))

    def update_handoff(self, reference: str, /, **fields: Any) -> dict[str, Any] | None:
        """Sets some of HANDOFF_UPDATABLE on a handoff; None if there is no such reference."""
        details = records.handoff_columns(**fields)
        with self._sessions.begin() as session:
            handoff = _by_reference(session, reference)
            if handoff is None:
                return None
            for name, value in details.items():
                setattr(handoff, name, value)
            return records.handoff_dict(handoff)

    def handoffs(
        self, status: str | None = "open", conversation_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The queue as a support lead works it: most urgent first, then oldest first."""
        urgency = case({p: rank for rank, p in enumerate(PRIORITIES)}, value=Handoff.priority)
        query = select(Handoff).order_by(urgency, Handoff.created_at, Handoff.id)
        if status is not None:
            query = query.where(Handoff.status == status)
        if conversation_id is not None:
            query = query.where(Handoff.conversation_id == conversation_id)
        with self._sessions() as session:
            return [records.handoff_dict(handoff) for handoff in session.scalars(query)]

    def resolve_handoff(self, reference: str) -> dict[str, Any] | None:
        """Marks a handoff resolved (again is harmless); None if there is no such reference."""
        with self._sessions.begin() as session:
            handoff = _by_reference(session, reference)
            if handoff is None:
                return None
            if handoff.status != "resolved":
                handoff.status = "resolved"
                handoff.resolved_at = records.now()
            return records.handoff_dict(handoff)


def _by_reference(session: Session, reference: str) -> Handoff | None:
    return session.scalars(select(Handoff).where(Handoff.reference == reference)).one_or_none()
