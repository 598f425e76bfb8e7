"""A colleague's decision on an action Eva may not take alone (a refund or cancellation above
the limit, a policy change), pending on the handoff with the tool's exact input.

Approving runs the same tool handler Eva uses (tools.run_tool), with ToolContext.approved_by
set, so every rule but the chat's limit still applies and the record names the approver. The
decision is the store's compare-and-set on the pending row: two colleagues approving at once,
or one clicking twice, run the action exactly once. The customer is told the outcome in their
language. Owns no rule of money (insurance/) and no handoff lifecycle (escalation.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import config
import escalation
import tools
from escalation import Staff
from insurance.money import usd
from store import Store


def decide(
    store: Store,
    reference: str,
    staff: Staff,
    approve: bool,
    *,
    clock: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """Approves (runs the action) or declines a pending action; returns the approval as it is
    now. When someone already decided it, nothing runs and their decision is returned (its
    decided_by says whose). Raises LookupError for an unknown reference."""
    decided = store.decide_approval(reference, approve, staff.id, staff.name, staff.role)
    if decided is None:
        current = store.approval(reference)
        if current is None:
            raise LookupError(f"no pending action {reference}")
        return current
    conversation_id = decided["conversation_id"]
    if not approve:
        escalation.tell(store, conversation_id, staff, config.DECLINED_LINE)
        return decided
    context = tools.ToolContext(
        store=store,
        conversation_id=conversation_id,
        verified_policy=decided["policy_number"],
        language=decided["language"] or "en",
        approved_by=staff.id,
    )
    if clock:
        context.clock = clock
    result = tools.run_tool(decided["tool"], decided["params"], context)
    done = not result.is_error and not result.data.get("handed_off")
    outcome: dict[str, Any] = {"summary": result.summary, "reference": result.data.get("reference")}
    if not done:
        outcome["problem"] = result.content
    finished = store.finish_approval(reference, done, outcome) or decided
    if done:
        line = config.APPROVED_LINE[decided["tool"]]
        escalation.tell(store, conversation_id, staff, line, **_told(result.data))
    return finished


def _told(data: dict[str, Any]) -> dict[str, str]:
    """The figures an approved action's line names, from its tool's result."""
    amount = data.get("amount_usd", data.get("refund_usd"))
    return {
        "reference": str(data.get("reference") or ""),
        "policy": str(data.get("policy_number") or ""),
        "date": str(data.get("effective_date") or ""),
        "amount": usd(amount) if isinstance(amount, int | float) else "",
    }
