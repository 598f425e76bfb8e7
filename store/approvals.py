"""Pending actions: what Eva may not do alone (a refund or cancellation above the limit, a policy
change), kept on the handoff with the tool's exact input until a person decides.

Owns the approvals table and its compare-and-set decision (`... WHERE status = 'pending'`, with
the audit row in the same transaction), so two agents approving at once, or one clicking twice,
start the action exactly once. It must not run the tool nor tell the customer (approvals.py).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update

import guardrails
from store import audit, records
from store.audit import Audit
from store.tables import Approval


class Approvals(Audit):
    """The actions waiting on a person, and their one decision."""

    def add_approval(
        self,
        conversation_id: str,
        handoff_reference: str,
        tool: str,
        params: dict[str, Any],
        *,
        policy_number: str | None = None,
        language: str | None = None,
    ) -> dict[str, Any]:
        """Keeps a pending action (its input masked for storage); the same request still
        pending in the conversation is returned instead of a second one."""
        kept = guardrails.for_storage(params)
        for pending in self.approvals(conversation_id, status="pending"):
            if (pending["tool"], pending["params"]) == (tool, kept):
                return pending

        def build(reference: str) -> Approval:
            return Approval(
                reference=reference,
                conversation_id=conversation_id,
                handoff_reference=handoff_reference,
                tool=tool,
                params=kept,
                policy_number=policy_number,
                language=language,
                status="pending",
                created_at=records.now(),
            )

        row = self._insert_with_reference(build, records.approval_reference)
        return records.approval_dict(row)

    def approvals(
        self, conversation_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Pending actions and their outcomes, oldest first."""
        query = select(Approval).order_by(Approval.created_at, Approval.id)
        if conversation_id is not None:
            query = query.where(Approval.conversation_id == conversation_id)
        if status is not None:
            query = query.where(Approval.status == status)
        with self._sessions() as session:
            return [records.approval_dict(row) for row in session.scalars(query)]

    def approval(self, reference: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.scalars(select(Approval).where(Approval.reference == reference)).first()
            return records.approval_dict(row) if row else None

    def decide_approval(
        self, reference: str, approve: bool, actor: str, name: str, role: str
    ) -> dict[str, Any] | None:
        """Pending → "approving" (the caller then runs the action) or "declined", audited;
        None when it was not pending (decided already, by this person or another)."""
        status = "approving" if approve else "declined"
        with self._sessions.begin() as session:
            changed = cast(
                CursorResult[Any],
                session.execute(
                    update(Approval)
                    .where(Approval.reference == reference, Approval.status == "pending")
                    .values(
                        status=status,
                        decided_at=records.now(),
                        decided_by=actor,
                        decided_by_name=name,
                    )
                    .execution_options(synchronize_session=False)
                ),
            )
            if changed.rowcount != 1:
                return None
            row = session.scalars(select(Approval).where(Approval.reference == reference)).one()
            detail = {"approval": reference, "tool": row.tool}
            action = "approve" if approve else "decline"
            trail = self._audit(session, actor, name, role, action, row.conversation_id, detail)
            decided = records.approval_dict(row)
        audit.logged(trail)
        return decided

    def finish_approval(
        self, reference: str, succeeded: bool, result: dict[str, Any]
    ) -> dict[str, Any] | None:
        """An approved action has run: "approved" when the tool did it, "failed" when it
        refused (the policy was cancelled meanwhile, a date has passed); None if not approving."""
        with self._sessions.begin() as session:
            row = session.scalars(
                select(Approval).where(
                    Approval.reference == reference, Approval.status == "approving"
                )
            ).first()
            if row is None:
                return None
            row.status = "approved" if succeeded else "failed"
            row.result = guardrails.for_storage(result)
            return records.approval_dict(row)
