"""Handlers of the tools that pass the conversation on: create_ticket (a follow-up for the
back office) and escalate_to_human (the queue, through escalation.open_handoff).

A ticket carries a policy number only when this conversation verified it; the handoff itself
(open or join, priority, what the customer is told) belongs to escalation, not here.
"""

from __future__ import annotations

from typing import Any

import escalation
import tool_input
from tool_types import ToolContext, ToolResult, clipped, ok


def create_ticket(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    policy_number = args.get("policy_number")
    email = tool_input.contact_email(args.get("contact_email"))
    number = tool_input.policy_number(policy_number) if policy_number else None
    # Only a policy verified in this conversation is attached: a named one could be anyone's,
    # and a colleague must not act on it (or email its documents) on the chat's word alone.
    verified = number is not None and number == ctx.verified_policy
    description = args["description"]
    if number and not verified:
        description += (
            f"\n\n[Unverified: the customer named policy {number}; identity not checked.]"
        )
    ticket = ctx.store.add_ticket(
        args["subject"],
        description,
        args["category"],
        policy_number=number if verified else None,
        contact_email=email,
        conversation_id=ctx.conversation_id,
    )
    reply_to = f" by email to {email}" if email else ""
    result = {
        "reference": ticket["reference"],
        "category": ticket["category"],
        "status": ticket["status"],
        "policy_verified": verified,
        "next_steps": f"A colleague replies within 1 business day{reply_to}.",
    }
    summary = f"Ticket {ticket['reference']} ({ticket['category']}): {clipped(args['subject'])}"
    return ok(result, summary=summary)


def escalate_to_human(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    result = escalation.open_handoff(
        ctx, args["reason"], args["priority"], args["summary"], trigger="model", source="model"
    )
    summary = f"Handoff {result['reference']} ({args['priority']}): {clipped(args['reason'])}"
    return ok(result, summary=summary)
