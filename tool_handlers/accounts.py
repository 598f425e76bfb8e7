"""Handlers of the tools that need identity first: lookup_policy (verifies the customer and
binds the conversation to one policy), get_claim_status and file_claim; and verified_number,
the check every tool on a policy runs before it reads or acts.

Who may see what is decided by insurance.accounts; here the result is worded without a hint of
whether a policy exists or which detail was wrong. Money and contract changes are not here
(tool_handlers.money).
"""

from __future__ import annotations

from typing import Any

import tool_input
from insurance import accounts
from tool_input import InputError
from tool_types import ToolContext, ToolResult, error, ok


def lookup_policy(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    if accounts.verification_locked(ctx.failed_verifications):
        return _verification_locked()
    number = tool_input.policy_number(args["policy_number"])
    birth_date = tool_input.date_of_birth(args.get("date_of_birth"))
    zip_code = tool_input.zip_code(args.get("zip_code"))
    if birth_date is None and zip_code is None:
        raise InputError(["give date_of_birth or zip_code (or both) with the policy_number"])
    if ctx.verified_policy not in (None, number):
        return error(
            f"This conversation is already verified for policy {ctx.verified_policy}, and only "
            "one policy can be verified per conversation. To discuss another policy the "
            "customer needs to start a new conversation.",
            summary=f"Refused: already verified for {ctx.verified_policy}",
        )
    policy = ctx.store.policy(number)
    if policy is None or not accounts.holder_matches(policy["holder"], birth_date, zip_code):
        return _failed_verification(ctx)
    ctx.verified_policy = number
    summary = accounts.policy_summary(policy)
    return ok(summary, summary=f"Verified {number} ({summary['holder']})")


def _failed_verification(ctx: ToolContext) -> ToolResult:
    """The same words whatever was wrong, so the reply never confirms a policy or a detail."""
    ctx.failed_verifications += 1
    attempts, most = ctx.failed_verifications, accounts.MAX_VERIFICATION_ATTEMPTS
    if accounts.verification_locked(attempts):
        message = (
            f"Could not verify those details, and that was attempt {attempts} of {most}, so "
            "verification is now locked for this conversation. Do not try again; the customer "
            f"can call customer service on {accounts.CUSTOMER_SERVICE_PHONE}."
        )
    else:
        left = accounts.attempts_left(attempts)
        message = (
            "Could not verify those details. Ask the customer to check the policy number and "
            "the date of birth or ZIP code against their policy documents. "
            f"{left} attempt{'s' if left > 1 else ''} left in this conversation."
        )
    return error(
        message,
        summary=f"Verification failed ({attempts} of {most})",
        data={"verified": False, "failed_attempts": attempts},
    )


def _verification_locked() -> ToolResult:
    return error(
        f"Verification is locked after {accounts.MAX_VERIFICATION_ATTEMPTS} failed attempts in "
        "this conversation. Do not try again; the customer can call customer service on "
        f"{accounts.CUSTOMER_SERVICE_PHONE}.",
        summary="Verification locked",
        data={"verified": False, "locked": True},
    )


def _not_verified(ctx: ToolContext, number: str) -> ToolResult:
    """Refuses without a hint of whether the policy exists or what it holds."""
    if ctx.verified_policy is None and accounts.verification_locked(ctx.failed_verifications):
        how = f"Verification is locked; the customer can call {accounts.CUSTOMER_SERVICE_PHONE}."
    elif ctx.verified_policy is None:
        how = (
            "Verify it first with lookup_policy (policy number plus date of birth or ZIP code), "
            "then call this tool again."
        )
    else:
        how = (
            f"This conversation is verified for {ctx.verified_policy} only; another policy "
            "needs a new conversation."
        )
    return error(
        f"The customer's identity has not been verified for policy {number} in this "
        f"conversation, so no details can be given. {how}",
        summary=f"Refused: {number} not verified",
    )


def verified_number(args: dict[str, Any], ctx: ToolContext) -> str | ToolResult:
    """The input's policy number if this conversation verified it, else the refusal to return."""
    number = tool_input.policy_number(args["policy_number"])
    return number if ctx.verified_policy == number else _not_verified(ctx, number)


def get_claim_status(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = verified_number(args, ctx)
    if isinstance(number, ToolResult):
        return number
    claims = ctx.store.claims(number)
    if args.get("claim_number") is None:
        listed = ", ".join(f"{c['claim_number']} {c['status']}" for c in claims) or "none"
        return ok(
            {"policy_number": number, "claims": claims},
            summary=f"{len(claims)} claim(s) on {number}: {listed}",
        )
    wanted = tool_input.claim_number(args["claim_number"])
    matching = [c for c in claims if c["claim_number"] == wanted]
    if not matching:
        known = ", ".join(c["claim_number"] for c in claims) or "none"
        return error(
            f"There is no claim {wanted} on policy {number}. Its claims are: {known}. Check the "
            "number with the customer, or leave claim_number out to list every claim.",
            summary=f"No claim {wanted} on {number}",
        )
    claim = matching[0]
    return ok(
        {"policy_number": number, "claims": matching},
        summary=f"{wanted}: {claim['status']} ({claim['type']}, {claim['incident_date']})",
    )


def file_claim(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = verified_number(args, ctx)
    if isinstance(number, ToolResult):
        return number
    incident_date = tool_input.incident_date(args["incident_date"], ctx.clock().date())
    claim = ctx.store.add_claim(
        number,
        incident_date,
        args["incident_type"],
        args["description"],
        location=args.get("location"),
        police_report_number=args.get("police_report_number"),
    )
    policy = ctx.store.policy(number)
    next_steps = accounts.claim_next_steps(
        args["incident_type"],
        args.get("police_report_number"),
        policy["status"] if policy else "unknown",
    )
    result = {
        "claim_number": claim["claim_number"],
        "policy_number": number,
        "status": claim["status"],
        "incident_type": claim["type"],
        "incident_date": claim["incident_date"],
        "next_steps": next_steps,
    }
    return ok(
        result,
        summary=(
            f"Claim {claim['claim_number']} filed on {number} "
            f"({claim['type']}, {claim['incident_date']})"
        ),
    )
