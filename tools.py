"""Eva's tools: one record per tool (REGISTRY), the tables derived from it, and dispatch.

Tool identity lives only here: the API's tool list, card labels, storage masking, the offline
model's reports and the prompt's list of what Eva can do all derive from REGISTRY. To add a
tool, write one Tool(...) record below (its fields are explained in tool_types.Tool), its
handler in the right module of tool_handlers/ (public: no identity needed; accounts: identity
first; support: tickets and handoff; money: within limits), and its tests. Every input is
checked against the schema the model was given (tool_input), so a mistake comes back as a
sentence the model can act on, never an exception. Identity and the limits on what Eva may do
alone are enforced in code (the handlers and the rules of insurance/), not in the prompt; this
module holds no rule and words no handler's result.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import config
import guardrails
import tool_input
from insurance import accounts, money, rating
from insurance.money import usd
from store import PRIORITIES
from tool_handlers.accounts import file_claim, get_claim_status, lookup_policy
from tool_handlers.money import cancel_policy, request_policy_change, request_refund
from tool_handlers.public import get_office_hours, get_quote, search_knowledge_base
from tool_handlers.support import create_ticket, escalate_to_human
from tool_input import InputError as InputError
from tool_types import Tool as Tool
from tool_types import ToolContext as ToolContext
from tool_types import ToolResult as ToolResult
from tool_types import clipped, error

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
logger = logging.getLogger(__name__)


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
        return error(
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
        return error(
            f"{name} failed because of an internal error, not because of anything the customer "
            "did. Apologise, do not retry it, and offer to create a ticket or hand over to a "
            "colleague instead.",
            summary=f"Internal error in {name} ({type(exc).__name__})",
        )


def _invalid_input(name: str, problems: list[str]) -> ToolResult:
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return error(
        f"Invalid input for {name}: {'. '.join(problems)}. Correct the input (ask the customer "
        f"if you need to) and call {name} again.",
        summary=f"Invalid input: {clipped(problems[0], 80)}{more}",
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
        handler=search_knowledge_base,
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
        handler=get_quote,
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
        handler=lookup_policy,
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
        handler=get_claim_status,
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
        handler=get_office_hours,
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
        handler=file_claim,
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
        handler=create_ticket,
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
        handler=escalate_to_human,
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
        handler=request_refund,
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
        handler=cancel_policy,
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
        handler=request_policy_change,
        label="Passing a policy change to a colleague",
        stored_free_text=("change",),
        report="money",
    ),
)
BY_NAME = {tool.name: tool for tool in REGISTRY}
TOOLS: list[dict[str, Any]] = [tool.spec for tool in REGISTRY]
