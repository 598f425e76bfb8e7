"""Handlers of the tools that act within limits set in code: request_refund, cancel_policy and
request_policy_change.

Money moves only up to the limit in insurance.money, and the contract is never changed in the
chat: above the limit, or for any change, the request goes to a colleague through
escalation.open_handoff, as an action pending their approval with its exact input, and the
model is told it was not done. A colleague's approval runs the same handler again with
ctx.approved_by set (approvals.decide): then it acts, and the record names the approver.
Nothing in a tool's input can move these limits; the rules themselves stay in insurance/.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import config
import escalation
import tool_input
from insurance import money
from insurance.money import usd
from tool_handlers.accounts import verified_number
from tool_input import InputError
from tool_types import ToolContext, ToolResult, error, ok


def request_refund(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = verified_number(args, ctx)
    if isinstance(number, ToolResult):
        return number
    policy = _known_policy(ctx, number)
    amount: Decimal = args["amount_usd"]
    cap = money.refund_cap(policy["monthly_premium"])
    if amount > cap:
        raise InputError(
            [
                f"amount_usd can be at most {money.REFUND_CAP_MONTHS} monthly premiums "
                f"({usd(cap)}) on {number}; got {usd(amount)}. Check the amount with the "
                "customer"
            ]
        )
    limit = money.money_limit()
    earlier = money.refunded_since(ctx.store.refunds(number), ctx.clock())
    if not money.within_limit(earlier, amount) and ctx.approved_by is None:
        return _handed_off(
            ctx,
            ("request_refund", args),
            "refund_over_limit",
            f"Refund of {usd(amount)} requested on {number} (after {usd(earlier)} refunded "
            f"by the chat in the last {money.REFUND_WINDOW_DAYS} days), above the {usd(limit)} "
            f"the chat may refund; nothing was refunded. Reason given: {args['reason']}",
            not_done=f"The refund of {usd(amount)} was NOT made: it is above the "
            f"{usd(limit)} limit for refunds in the chat.",
            extra={"amount_usd": float(amount), "limit_usd": float(limit)},
        )
    refund = ctx.store.add_refund(
        number,
        amount,
        args["reason"],
        kind="refund",
        conversation_id=ctx.conversation_id,
        approved_by=ctx.approved_by,
    )
    result = {
        "reference": refund["reference"],
        "policy_number": number,
        "amount_usd": refund["amount"],
        "status": refund["status"],
        "next_steps": money.payout(amount, policy["billing"]["payment_method"]),
    }
    return ok(result, summary=f"Refund {refund['reference']}: {usd(amount)} on {number}")


def cancel_policy(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = verified_number(args, ctx)
    if isinstance(number, ToolResult):
        return number
    policy = _known_policy(ctx, number)
    if policy["status"] == "cancelled":
        since = f" since {policy['cancelled_on']}" if policy["cancelled_on"] else ""
        return error(
            f"Policy {number} is already cancelled{since}, so there is nothing to cancel. If "
            "the customer disputes a charge, create a ticket.",
            summary=f"Refused: {number} already cancelled",
        )
    today = money.business_date(ctx.clock())
    effective = tool_input.effective_date(args["effective_date"], today)
    renewal = date.fromisoformat(policy["renewal_date"])
    refund, working = money.pro_rata_refund(policy["monthly_premium"], renewal, effective)
    limit = money.money_limit()
    earlier = money.refunded_since(ctx.store.refunds(number), ctx.clock())
    if not money.within_limit(earlier, refund) and ctx.approved_by is None:
        return _handed_off(
            ctx,
            ("cancel_policy", args),
            "refund_over_limit",
            f"Cancellation of {number} from {effective} requested; its pro-rata refund "
            f"({working}) is above the {usd(limit)} the chat may refund, so nothing was "
            f"cancelled. Reason given: {args['reason']}",
            not_done=f"The policy was NOT cancelled: its refund of {usd(refund)} is above the "
            f"{usd(limit)} limit for refunds in the chat.",
            extra={"refund_usd": float(refund), "limit_usd": float(limit)},
        )
    cancelled = ctx.store.cancel_policy(
        number,
        effective,
        refund_usd=refund if refund else None,
        reason=args["reason"],
        conversation_id=ctx.conversation_id,
        approved_by=ctx.approved_by,
    )
    refunded = cancelled.get("refund")
    payout = money.payout(refund, policy["billing"]["payment_method"])
    result = {
        "policy_number": number,
        "status": cancelled["status"],
        "effective_date": effective.isoformat(),
        "refund_usd": float(refund),
        "reference": refunded["reference"] if refunded else None,
        "calculation": working,
        "next_steps": (
            f"Cover ends on {effective.isoformat()}. "
            + (payout if refunded else "No premium is refunded: none is unused.")
        ),
    }
    return ok(result, summary=f"Cancelled {number} from {effective}; refund {usd(refund)}")


def request_policy_change(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = verified_number(args, ctx)
    if isinstance(number, ToolResult):
        return number
    if ctx.approved_by is not None:
        return _approved_change(ctx, number, args["change"])
    return _handed_off(
        ctx,
        ("request_policy_change", args),
        "contract_change",
        f"Policy change requested on {number}: {args['change']}",
        not_done="The change was NOT made: changes to the policy are only made by a colleague.",
    )


def _approved_change(ctx: ToolContext, number: str, change: str) -> ToolResult:
    """A change a colleague approved: filed for the back office to make, with who approved it
    (the contract itself lives in the back office's systems, not in the chat's store)."""
    ticket = ctx.store.add_ticket(
        f"Approved policy change on {number}",
        f"{change}\n\nApproved by {ctx.approved_by}.",
        "policy_change",
        policy_number=number,
        conversation_id=ctx.conversation_id,
    )
    result = {
        "reference": ticket["reference"],
        "policy_number": number,
        "status": "approved",
        "next_steps": "The back office makes the change and confirms any new premium.",
    }
    return ok(result, summary=f"Change on {number} approved: {ticket['reference']}")


def _handed_off(
    ctx: ToolContext,
    pending: tuple[str, dict[str, Any]],
    trigger: str,
    summary: str,
    not_done: str,
    extra: dict[str, Any] | None = None,
) -> ToolResult:
    """Not an error: the request is in good hands, pending a colleague's approval with its
    exact input, and the model is told it was not done."""
    reason, priority = config.TRIGGERS[trigger]
    handoff = escalation.open_handoff(
        ctx, reason, priority, summary, trigger=trigger, source="code", pending=pending
    )
    data = {"handed_off": True, **handoff, **(extra or {})}
    note = (
        f"{not_done} A colleague will review the request and contact the customer; the "
        f"handoff reference is {handoff['reference']}. Tell the customer it has not been done "
        "yet, give them the reference, and do not promise the outcome."
    )
    # JSON like every other result (the offline model words it from the fields), with the
    # instruction for the model beside them.
    result = ok({"done": False, "note": note, **data}, f"Handed off {handoff['reference']}")
    return ToolResult(result.content, False, f"Handed off {handoff['reference']} ({trigger})", data)


def _known_policy(ctx: ToolContext, number: str) -> dict[str, Any]:
    policy = ctx.store.policy(number)
    if policy is None:  # verified earlier in this conversation, so only if it was deleted since
        raise LookupError(f"verified policy {number} is gone")
    return policy
