"""Eva's tools: one record per tool (schema, handler, card label, flags), dispatch, and the
handlers that turn a checked input into a result the model reads and the page shows.

Every input is checked against the same schema the model was given (tool_input), so a mistake
comes back as a sentence the model can act on instead of an exception. Identity is enforced
here, not in the prompt: policy details and claims are only returned for the one policy
verified in the conversation. So are the limits on what Eva may do alone: money moves only up
to config.MONEY_LIMIT_USD, and a change to the contract never; above that the tools open a
handoff instead, and nothing in a tool's input can change it. The rules themselves (prices,
who may see a policy, refund limits) live in insurance/; a handler parses, calls them and
shapes the result. Tool identity lives only in REGISTRY: nothing else lists the tools.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import config
import envelope
import escalation
import guardrails
import tool_input
from insurance import accounts, money, rating
from insurance.money import usd
from knowledge import KnowledgeBase
from store import PRIORITIES, Store
from tool_input import InputError

_POLICY_NUMBER = {
    "type": "string",
    "minLength": 1,
    "maxLength": 20,
    "description": "The policy number, e.g. ACM-100231.",
}
_LIMIT = usd(money.money_limit())
# The tool whose results are help-centre passages (the turn collects their sources), and the
# one that hands the conversation to a person (code triggers log their handoffs under it).
SEARCH = "search_knowledge_base"
HANDOFF = "escalate_to_human"


@dataclass(frozen=True)
class ToolResult:
    """One tool call's outcome: what the model reads and what the page shows."""

    content: str
    is_error: bool
    summary: str
    data: dict[str, Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ToolContext:
    """One per turn, built from the conversation's facts; tools read them and may update them."""

    store: Store
    conversation_id: str
    verified_policy: str | None = None
    failed_verifications: int = 0
    knowledge: KnowledgeBase | None = None
    language: str = "en"
    # The time now, as an aware datetime; tests pass a fixed one.
    clock: Callable[[], datetime] = _utc_now


Handler = Callable[[dict[str, Any], ToolContext], ToolResult]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tool:
    """Everything about one tool, in one place (see REGISTRY)."""

    name: str
    # One line of the prompt's list of what Eva can do (config.IDENTITY), in the prompt's voice.
    capability: str
    description: str
    input_schema: dict[str, Any]
    handler: Handler
    # The card's label on the page while the tool runs and in the transcript.
    label: str
    # Fields of free text the tool writes to the database: masked for storage first (a
    # dedicated field such as contact_email is there to be kept, and validated).
    stored_free_text: tuple[str, ...] = ()
    # Moves money or ends cover: once it has succeeded, the reply may say it is done.
    acts_on_money: bool = False
    # How the offline model words a successful result (offline.REPORTS); None: "Done: …".
    report: str | None = None

    @property
    def spec(self) -> dict[str, Any]:
        """The tool as the Messages API takes it."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
        }


def capabilities() -> list[str]:
    """The prompt's list of what Eva can do with tools, one line per tool in REGISTRY."""
    return [tool.capability for tool in REGISTRY]


def label(name: str) -> str:
    """A tool's card label; an unknown name shows as itself."""
    tool = BY_NAME.get(name)
    return tool.label if tool else name


def acts_on_money(name: str) -> bool:
    tool = BY_NAME.get(name)
    return bool(tool and tool.acts_on_money)


def report(name: str) -> str | None:
    """How the offline model words the tool's result (Tool.report)."""
    tool = BY_NAME.get(name)
    return tool.report if tool else None


def run_tool(name: str, given: object, ctx: ToolContext) -> ToolResult:
    """Never raises: unknown tools, invalid input and failures all become is_error results."""
    tool = BY_NAME.get(name)
    if tool is None:
        return _error(
            f"There is no tool called '{name}'. The tools are: {', '.join(BY_NAME)}.",
            summary=f"Unknown tool: {name}",
        )
    try:
        args = tool_input.validated(tool.input_schema, given)
        # Whatever the model wrote in free text, personal data in it is not kept.
        args = {
            key: guardrails.for_storage(value) if key in tool.stored_free_text else value
            for key, value in args.items()
        }
        return tool.handler(args, ctx)
    except InputError as problem:
        return _invalid_input(name, problem.problems)
    except Exception as exc:
        logger.exception("tool %s failed", name)
        return _error(
            f"{name} failed because of an internal error, not because of anything the customer "
            "did. Apologise, do not retry it, and offer to create a ticket or hand over to a "
            "colleague instead.",
            summary=f"Internal error in {name} ({type(exc).__name__})",
        )


# ---------------------------------------------------------------------------------------------
# search_knowledge_base, get_quote, get_office_hours: no identity needed
# ---------------------------------------------------------------------------------------------


def _search_knowledge_base(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    query = args["query"]
    if ctx.knowledge is None:
        return _error(
            "The help centre search is not available right now. Do not answer from memory: "
            "offer to create a ticket or connect the customer with a colleague.",
            summary="Help centre search unavailable",
        )
    results = ctx.knowledge.search(query)
    found = len(results.articles)
    return ToolResult(
        content=envelope.knowledge_block(results, searched_for=query),
        is_error=False,
        summary=f"Searched the help centre for “{_clipped(query)}”: "
        + (f"{found} article section{'s' if found != 1 else ''}" if found else "nothing found"),
        data={"query": query, "sources": [hit.source() for hit in results.hits()]},
    )


def _get_quote(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    # Priced on the context's clock: the evals pin it, so their expected premiums do not drift
    # as vehicles age with the calendar.
    request = rating.QuoteRequest(**args)
    quote = rating.quote(request, ctx.clock().date())
    vehicle = f"{request.year} {request.make} {request.model}"
    return _ok(
        quote,
        summary=(
            f"Quote {quote['quote_id']}: ${quote['monthly_premium']:,.2f}/month "
            f"({vehicle}, {request.coverage_level})"
        ),
    )


def _get_office_hours(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    now = ctx.clock().astimezone(ZoneInfo(escalation.TEAM_TIMEZONE))
    data: dict[str, Any] = {
        "open_now": escalation.team_available(now),
        "now": f"{now:%A %H:%M} Eastern Time",
        "hours": [config.FACTS["hours_weekdays"], config.FACTS["hours_saturday"], "Sunday closed"],
    }
    if data["open_now"]:
        closes = now.replace(hour=escalation.TEAM_HOURS_ET[now.weekday()][1], minute=0)
        data["closes_at"] = escalation.spoken(closes)
        return _ok(data, f"Open now, until {config.spoken_hour(closes.hour)} ET")
    data["opens_next"] = escalation.spoken(escalation.next_opening(now))
    return _ok(data, f"Closed now; opens {data['opens_next']}")


# ---------------------------------------------------------------------------------------------
# lookup_policy, get_claim_status, file_claim: identity first
# ---------------------------------------------------------------------------------------------


def _lookup_policy(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    if accounts.verification_locked(ctx.failed_verifications):
        return _verification_locked()
    number = tool_input.policy_number(args["policy_number"])
    birth_date = tool_input.date_of_birth(args.get("date_of_birth"))
    zip_code = tool_input.zip_code(args.get("zip_code"))
    if birth_date is None and zip_code is None:
        raise InputError(["give date_of_birth or zip_code (or both) with the policy_number"])
    if ctx.verified_policy not in (None, number):
        return _error(
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
    return _ok(summary, summary=f"Verified {number} ({summary['holder']})")


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
    return _error(
        message,
        summary=f"Verification failed ({attempts} of {most})",
        data={"verified": False, "failed_attempts": attempts},
    )


def _verification_locked() -> ToolResult:
    return _error(
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
    return _error(
        f"The customer's identity has not been verified for policy {number} in this "
        f"conversation, so no details can be given. {how}",
        summary=f"Refused: {number} not verified",
    )


def _verified_number(args: dict[str, Any], ctx: ToolContext) -> str | ToolResult:
    """The input's policy number if this conversation verified it, else the refusal to return."""
    number = tool_input.policy_number(args["policy_number"])
    return number if ctx.verified_policy == number else _not_verified(ctx, number)


def _get_claim_status(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = _verified_number(args, ctx)
    if isinstance(number, ToolResult):
        return number
    claims = ctx.store.claims(number)
    if args.get("claim_number") is None:
        listed = ", ".join(f"{c['claim_number']} {c['status']}" for c in claims) or "none"
        return _ok(
            {"policy_number": number, "claims": claims},
            summary=f"{len(claims)} claim(s) on {number}: {listed}",
        )
    wanted = tool_input.claim_number(args["claim_number"])
    matching = [c for c in claims if c["claim_number"] == wanted]
    if not matching:
        known = ", ".join(c["claim_number"] for c in claims) or "none"
        return _error(
            f"There is no claim {wanted} on policy {number}. Its claims are: {known}. Check the "
            "number with the customer, or leave claim_number out to list every claim.",
            summary=f"No claim {wanted} on {number}",
        )
    claim = matching[0]
    return _ok(
        {"policy_number": number, "claims": matching},
        summary=f"{wanted}: {claim['status']} ({claim['type']}, {claim['incident_date']})",
    )


def _file_claim(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = _verified_number(args, ctx)
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
    return _ok(
        result,
        summary=(
            f"Claim {claim['claim_number']} filed on {number} "
            f"({claim['type']}, {claim['incident_date']})"
        ),
    )


# ---------------------------------------------------------------------------------------------
# create_ticket, escalate_to_human
# ---------------------------------------------------------------------------------------------


def _create_ticket(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
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
    summary = f"Ticket {ticket['reference']} ({ticket['category']}): {_clipped(args['subject'])}"
    return _ok(result, summary=summary)


def _escalate_to_human(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    result = escalation.open_handoff(
        ctx, args["reason"], args["priority"], args["summary"], trigger="model", source="model"
    )
    summary = f"Handoff {result['reference']} ({args['priority']}): {_clipped(args['reason'])}"
    return _ok(result, summary=summary)


# ---------------------------------------------------------------------------------------------
# request_refund, cancel_policy, request_policy_change: agency within limits set in code
# ---------------------------------------------------------------------------------------------


def _request_refund(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = _verified_number(args, ctx)
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
    if not money.within_limit(earlier, amount):
        return _handed_off(
            ctx,
            "refund_over_limit",
            f"Refund of {usd(amount)} requested on {number} (after {usd(earlier)} refunded "
            f"by the chat in the last {money.REFUND_WINDOW_DAYS} days), above the {usd(limit)} "
            f"the chat may refund; nothing was refunded. Reason given: {args['reason']}",
            not_done=f"The refund of {usd(amount)} was NOT made: it is above the "
            f"{usd(limit)} limit for refunds in the chat.",
            extra={"amount_usd": float(amount), "limit_usd": float(limit)},
        )
    refund = ctx.store.add_refund(
        number, amount, args["reason"], kind="refund", conversation_id=ctx.conversation_id
    )
    result = {
        "reference": refund["reference"],
        "policy_number": number,
        "amount_usd": refund["amount"],
        "status": refund["status"],
        "next_steps": money.payout(amount, policy["billing"]["payment_method"]),
    }
    return _ok(result, summary=f"Refund {refund['reference']}: {usd(amount)} on {number}")


def _cancel_policy(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = _verified_number(args, ctx)
    if isinstance(number, ToolResult):
        return number
    policy = _known_policy(ctx, number)
    if policy["status"] == "cancelled":
        since = f" since {policy['cancelled_on']}" if policy["cancelled_on"] else ""
        return _error(
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
    if not money.within_limit(earlier, refund):
        return _handed_off(
            ctx,
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
    return _ok(result, summary=f"Cancelled {number} from {effective}; refund {usd(refund)}")


def _request_policy_change(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    number = _verified_number(args, ctx)
    if isinstance(number, ToolResult):
        return number
    return _handed_off(
        ctx,
        "contract_change",
        f"Policy change requested on {number}: {args['change']}",
        not_done="The change was NOT made: changes to the policy are only made by a colleague.",
    )


def _handed_off(
    ctx: ToolContext,
    trigger: str,
    summary: str,
    not_done: str,
    extra: dict[str, Any] | None = None,
) -> ToolResult:
    """Not an error: the request is in good hands, and the model is told it was not done."""
    reason, priority = config.TRIGGERS[trigger]
    handoff = escalation.open_handoff(
        ctx, reason, priority, summary, trigger=trigger, source="code"
    )
    data = {"handed_off": True, **handoff, **(extra or {})}
    content = (
        f"{not_done} A colleague will review the request and contact the customer; the "
        f"handoff reference is {handoff['reference']}. Tell the customer it has not been done "
        f"yet, give them the reference, and do not promise the outcome. {handoff['next_steps']}"
    )
    return ToolResult(
        content=content,
        is_error=False,
        summary=f"Handed off {handoff['reference']} ({trigger})",
        data=data,
    )


def _known_policy(ctx: ToolContext, number: str) -> dict[str, Any]:
    policy = ctx.store.policy(number)
    if policy is None:  # verified earlier in this conversation, so only if it was deleted since
        raise LookupError(f"verified policy {number} is gone")
    return policy


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


def _ok(data: Mapping[str, Any], summary: str) -> ToolResult:
    content = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return ToolResult(content=content, is_error=False, summary=summary, data=dict(data))


def _error(message: str, summary: str, data: dict[str, Any] | None = None) -> ToolResult:
    return ToolResult(content=message, is_error=True, summary=summary, data=data or {})


def _clipped(text: str, limit: int = 60) -> str:
    """Keeps a tool card to one line."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _invalid_input(name: str, problems: list[str]) -> ToolResult:
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return _error(
        f"Invalid input for {name}: {'. '.join(problems)}. Correct the input (ask the customer "
        f"if you need to) and call {name} again.",
        summary=f"Invalid input: {_clipped(problems[0], 80)}{more}",
        data={"problems": problems},
    )


# One record per tool: everything else about tools derives from these (the API's tool list,
# dispatch, the page's card labels, storage masking, the offline model's reports). Adding a
# tool is a record here plus its handler and tests. The order is the order the API sees.
REGISTRY: tuple[Tool, ...] = (
    Tool(
        name=SEARCH,
        capability=(
            "Search the help centre again with search_knowledge_base when the passages you were "
            "given do not answer the question (for example, search in English for a question "
            "asked in Spanish)."
        ),
        description=(
            "Searches Acme's help centre articles and resolved past tickets. The passages that "
            "come with each customer message are found with the customer's own words; use this "
            "when they do not answer the question: search again with a short, specific query "
            "in English (for example 'charging cable stolen from garage'), also for questions "
            "asked in another language. Returns passages with id, title and section. Articles "
            "are Acme's policy: cite them by title. Past tickets are precedent only."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "query": {
                    "type": "string",
                    "minLength": 2,
                    "maxLength": 300,
                    "description": "What to look for, in a few specific words.",
                }
            },
            "required": ["query"],
            "additionalProperties": False,
        },
        handler=_search_knowledge_base,
        label="Searching the help centre",
    ),
    Tool(
        name="get_quote",
        capability="Get a price estimate with get_quote.",
        description=(
            "Calculates an indicative monthly and annual premium for insuring one vehicle. "
            "Use it when someone asks what cover would cost; first collect the vehicle type, "
            "make, model, model year, annual mileage and the main driver's age, and ask for "
            "anything missing instead of guessing. Coverage level and deductible default to "
            "standard and $500 when the customer has no preference. Returns the premium, a "
            "factor-by-factor breakdown to explain the price, and a quote_id valid for "
            f"{rating.QUOTE_VALID_DAYS} days. "
            "It is an estimate, not a binding offer, and needs no identity check."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "vehicle_type": {"type": "string", "enum": rating.VEHICLE_TYPES},
                "make": {"type": "string", "minLength": 1, "maxLength": 40},
                "model": {"type": "string", "minLength": 1, "maxLength": 40},
                "year": {
                    "type": "integer",
                    "minimum": 1981,
                    "maximum": datetime.now(UTC).year + 1,
                    "description": "Model year of the vehicle.",
                },
                "mileage": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 100_000,
                    "description": "Miles driven per year.",
                },
                "driver_age": {
                    "type": "integer",
                    "minimum": 16,
                    "maximum": 99,
                    "description": "Age in years of the main driver.",
                },
                "coverage_level": {
                    "type": "string",
                    "enum": rating.COVERAGE_LEVELS,
                    "default": "standard",
                    "description": (
                        "liability: damage to others only; standard: adds collision damage to "
                        "the vehicle; comprehensive: adds theft, fire, weather, glass, vandalism."
                    ),
                },
                "deductible": {
                    "type": "integer",
                    "enum": rating.DEDUCTIBLES,
                    "default": 500,
                    "description": "USD the customer pays per claim; ignored for liability.",
                },
            },
            "required": ["vehicle_type", "make", "model", "year", "mileage", "driver_age"],
            "additionalProperties": False,
        },
        handler=_get_quote,
        label="Preparing a quote",
        report="quote",
    ),
    Tool(
        name="lookup_policy",
        capability="Verify a customer and read their policy with lookup_policy.",
        description=(
            "Verifies the customer's identity and returns a summary of their policy: product, "
            "status, vehicles, coverage, premium and billing. Use it before discussing anything "
            "specific to a policy; it needs the policy number plus the policyholder's date of "
            "birth or the ZIP code on the policy, exactly as the customer gave them (never "
            "guess or fill in). On success the conversation is bound to that policy, and only "
            "one policy can be verified per conversation. A failure does not say which detail "
            f"was wrong; after {accounts.MAX_VERIFICATION_ATTEMPTS} failures verification is "
            "locked and the customer must call customer service on "
            f"{accounts.CUSTOMER_SERVICE_PHONE}."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "policy_number": _POLICY_NUMBER,
                "date_of_birth": {
                    "type": "string",
                    "format": "date",
                    "description": "The policyholder's date of birth, YYYY-MM-DD.",
                },
                "zip_code": {
                    "type": "string",
                    "description": "The 5-digit ZIP code on the policy.",
                },
            },
            "required": ["policy_number"],
            "additionalProperties": False,
        },
        handler=_lookup_policy,
        label="Verifying identity and finding the policy",
        report="policy",
    ),
    Tool(
        name="get_claim_status",
        capability="Check the progress of a claim with get_claim_status.",
        description=(
            "Returns the claims on the verified policy with their type, status (received, "
            "in_review, approved, paid, denied, closed), incident date, amounts, the adjuster's "
            "first name and the latest update. Use it when the customer asks how a claim is "
            "going; give claim_number for one claim or leave it out to list them all. It only "
            "works for the policy verified in this conversation with lookup_policy, so verify "
            "first."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "policy_number": _POLICY_NUMBER,
                "claim_number": {
                    "type": "string",
                    "description": "A claim number such as CLM-20417, if the customer has one.",
                },
            },
            "required": ["policy_number"],
            "additionalProperties": False,
        },
        handler=_get_claim_status,
        label="Checking claim status",
        report="claims",
    ),
    Tool(
        name="get_office_hours",
        capability="Say whether the team is in now, and when it opens, with get_office_hours.",
        description=(
            "Says whether Acme's support team is working right now, when it closes today or "
            "when it next opens, and the weekly hours (Eastern Time). Use it when the customer "
            "asks if someone is available now, or when a person could call or pick up their "
            "case. Reads nothing about the customer; needs no verification."
        ),
        input_schema={
            "type": "object",
            "properties": {},
            "required": [],
            "additionalProperties": False,
        },
        handler=_get_office_hours,
        label="Checking the team's hours",
    ),
    Tool(
        name="file_claim",
        capability="Report a new claim on the verified policy with file_claim.",
        description=(
            "Files a new claim (first notice of loss) on the verified policy and returns the "
            "claim number and next steps. Use it only once the customer has confirmed they want "
            "to file and you have the incident date, the incident type and a description of "
            "what happened; ask for the location and a police report number if they have them "
            "(theft, vandalism and hit-and-run normally need one). It only works for the policy "
            "verified with lookup_policy. Do not use it to update an existing claim: create a "
            "ticket for that."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "policy_number": _POLICY_NUMBER,
                "incident_date": {
                    "type": "string",
                    "format": "date",
                    "description": (
                        "YYYY-MM-DD; not in the future, at most "
                        f"{accounts.CLAIM_WINDOW_YEARS} years ago."
                    ),
                },
                "incident_type": {"type": "string", "enum": accounts.INCIDENT_TYPES},
                "description": {
                    "type": "string",
                    "minLength": 10,
                    "maxLength": 2000,
                    "description": "What happened and what was damaged, in the customer's words.",
                },
                "location": {"type": "string", "maxLength": 200},
                "police_report_number": {"type": "string", "maxLength": 40},
            },
            "required": ["policy_number", "incident_date", "incident_type", "description"],
            "additionalProperties": False,
        },
        handler=_file_claim,
        label="Filing a claim",
        stored_free_text=("description", "location"),
        report="reference",
    ),
    Tool(
        name="create_ticket",
        capability="Record a non-urgent follow-up for a colleague with create_ticket.",
        description=(
            "Creates a ticket for the back-office team for requests the chat cannot complete: "
            "billing questions, documents, updates to an existing claim, technical problems, "
            "complaints, or a policy change for a customer who cannot be verified (a verified "
            "customer's change goes through request_policy_change, a refund through "
            "request_refund, a cancellation through cancel_policy). Give a short "
            "subject, a description with everything a colleague needs to act without asking "
            "again, the category, and the policy number and contact email if the customer gave "
            "them. Returns the ticket reference; a colleague replies within 1 business day. "
            "When the customer wants a person now, use escalate_to_human instead."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "subject": {"type": "string", "minLength": 3, "maxLength": 150},
                "description": {"type": "string", "minLength": 10, "maxLength": 4000},
                "category": {"type": "string", "enum": accounts.TICKET_CATEGORIES},
                "policy_number": _POLICY_NUMBER,
                "contact_email": {"type": "string", "maxLength": 120},
            },
            "required": ["subject", "description", "category"],
            "additionalProperties": False,
        },
        handler=_create_ticket,
        label="Creating a follow-up ticket",
        stored_free_text=("subject", "description"),
        report="reference",
    ),
    Tool(
        name=HANDOFF,
        capability="Hand the conversation to a human colleague with escalate_to_human.",
        description=(
            "Hands the conversation to a human colleague by putting it in the support team's "
            "queue. Use it when the customer asks for a person, is distressed or making a "
            "serious complaint, or when you cannot help after a genuine attempt. Priority: "
            "urgent if someone is stranded or unsafe, high if distressed or time-critical, "
            "normal otherwise, low if there is no time pressure. Write the summary so the "
            "colleague can continue without the customer repeating anything. Returns a handoff "
            "reference and whether the team is available now "
            f"({config.FACTS['hours_weekdays']}; {config.FACTS['hours_saturday']}) or will pick "
            "it up the next business morning."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "reason": {"type": "string", "minLength": 3, "maxLength": 500},
                # Least urgent first: store.PRIORITIES (the one order) reversed.
                "priority": {"type": "string", "enum": list(reversed(PRIORITIES))},
                "summary": {"type": "string", "minLength": 10, "maxLength": 4000},
            },
            "required": ["reason", "priority", "summary"],
            "additionalProperties": False,
        },
        handler=_escalate_to_human,
        label="Handing over to a colleague",
        stored_free_text=("reason", "summary"),
        report="handoff",
    ),
    Tool(
        name="request_refund",
        capability=(
            "Refund a verified customer within the limit with request_refund (above it, a "
            "colleague decides)."
        ),
        description=(
            "Refunds premium to the customer on the verified policy, for example a payment "
            "taken twice. Use it only when the customer asks for a refund of a specific amount "
            "and has told you why; never suggest or round up an amount yourself. It only works "
            "for the policy verified with lookup_policy, and the amount can be at most "
            f"{money.REFUND_CAP_MONTHS} monthly premiums. Up to {_LIMIT} the refund is made at "
            "once: it returns a refund reference, and the money reaches the original payment "
            f"method within {money.REFUND_PAYOUT_TIME}. Above {_LIMIT} nothing is refunded: the "
            "request goes to a colleague, who reviews it and contacts the customer; the result "
            "then says handed_off and gives a handoff reference. To end the policy, use "
            "cancel_policy."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "policy_number": _POLICY_NUMBER,
                "amount_usd": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "description": "The amount the customer asked for, in US dollars, e.g. 42.50.",
                },
                "reason": {
                    "type": "string",
                    "minLength": 3,
                    "maxLength": 500,
                    "description": "Why the customer is owed it, in their words.",
                },
            },
            "required": ["policy_number", "amount_usd", "reason"],
            "additionalProperties": False,
        },
        handler=_request_refund,
        label="Requesting a refund",
        stored_free_text=("reason",),
        acts_on_money=True,
        report="money",
    ),
    Tool(
        name="cancel_policy",
        capability=(
            "Cancel a verified policy with its pro-rata refund with cancel_policy (above the "
            "limit, a colleague decides)."
        ),
        description=(
            "Cancels the verified policy from an effective date and refunds the unused premium "
            "pro rata: monthly premium × 12 × days from the effective date to the renewal date "
            "÷ 365. Use it only when the customer has clearly asked to cancel and confirmed the "
            "date, after you have told them their cover ends on it. The effective date must be "
            f"today or later, at most {money.CANCEL_WITHIN_DAYS} days ahead. It only works for the "
            f"policy verified with lookup_policy. If the refund is {_LIMIT} or less, the policy "
            "is cancelled at once and the result gives the refund, its reference (none when "
            "nothing is refunded) and how it was worked out. "
            f"Above {_LIMIT} nothing is cancelled: the request goes to a colleague, who reviews "
            "it and contacts the customer; the result then says handed_off and gives a handoff "
            "reference."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "policy_number": _POLICY_NUMBER,
                "effective_date": {
                    "type": "string",
                    "format": "date",
                    "description": (
                        f"YYYY-MM-DD: today or up to {money.CANCEL_WITHIN_DAYS} days ahead; cover "
                        "ends on this date."
                    ),
                },
                "reason": {
                    "type": "string",
                    "minLength": 3,
                    "maxLength": 500,
                    "description": "Why the customer is cancelling, in their words.",
                },
            },
            "required": ["policy_number", "effective_date", "reason"],
            "additionalProperties": False,
        },
        handler=_cancel_policy,
        label="Cancelling the policy",
        stored_free_text=("reason",),
        acts_on_money=True,
        report="money",
    ),
    Tool(
        name="request_policy_change",
        capability="Pass a change to a verified policy to a colleague with request_policy_change.",
        description=(
            "Passes a change to the verified policy (address, vehicle, driver, coverage level, "
            "deductible, add-ons, payment method) to a colleague: changes to the contract are "
            "never made in the chat. Use it when a verified customer asks for such a change, "
            "once you know exactly what should change and from when. It only works for the "
            "policy verified with lookup_policy. Nothing is changed yet: the result says "
            "handed_off and gives a handoff reference; a colleague confirms the change and any "
            "new premium with the customer."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "policy_number": _POLICY_NUMBER,
                "change": {
                    "type": "string",
                    "minLength": 10,
                    "maxLength": 2000,
                    "description": (
                        "What should change, from what to what, and from when, e.g. 'Replace "
                        "the 2016 Honda Civic with a 2023 Toyota Corolla from 2026-12-01'."
                    ),
                },
            },
            "required": ["policy_number", "change"],
            "additionalProperties": False,
        },
        handler=_request_policy_change,
        label="Passing a policy change to a colleague",
        stored_free_text=("change",),
        report="money",
    ),
)
BY_NAME = {tool.name: tool for tool in REGISTRY}
TOOLS: list[dict[str, Any]] = [tool.spec for tool in REGISTRY]
