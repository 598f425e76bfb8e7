"""After tools: the offline model's plain-language report of what the tools returned.

Each successful result is worded by the kind its tool record names (tools.report(name), one of
REPORTS), in English but for a handoff and a search that found nothing, which are in the
customer's language like the line before the call; a search result is answered like a question
(grounding.py); an error is passed on as it came. It reports the tools' own numbers and never
computes one, and it never runs a tool.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import config
import tools
from offline.grounding import grounded_reply
from offline.messages import content_blocks, reply_language, text_of, user_texts_recent


def after_tools(
    messages: list[dict[str, Any]], results: list[dict[str, Any]], body: dict[str, Any]
) -> str:
    """Plain-language report of what the tools returned: their numbers, never ours."""
    names = _tool_names(messages)
    language = reply_language(messages)
    parts = []
    for result in results:
        name = names.get(str(result.get("tool_use_id")), "")
        content = _result_text(result)
        if result.get("is_error"):
            parts.append(f"I couldn't complete that step: {content}")
            continue
        if name == tools.SEARCH:
            question = (user_texts_recent(messages, 1) or [""])[0]
            found = grounded_reply(question, content, body)
            parts.append(found or config.localised(config.OFFLINE_NOT_FOUND, language))
            continue
        data = _json_or_none(content)
        report = REPORTS.get(tools.report(name) or "")
        parts.append(
            report(data, language) if report and isinstance(data, dict) else f"Done: {content}"
        )
    return "\n\n".join(parts)


def _tool_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Which tool each tool_use id called, from the assistant's turns."""
    return {
        b["id"]: b["name"]
        for m in messages
        if m["role"] == "assistant"
        for b in content_blocks(m)
        if b.get("type") == "tool_use"
    }


def _result_text(result: dict[str, Any]) -> str:
    """A tool_result's content as text, whether it came as a string or as blocks."""
    content = result.get("content")
    if isinstance(content, list):
        return text_of(content)
    return str(content or "")


def _json_or_none(text: str) -> Any:
    """The result's data when it is JSON; None for plain text."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _report_quote(data: dict[str, Any], language: str) -> str:
    vehicle = " ".join(str(data.get("inputs", {}).get(k, "")) for k in ("year", "make", "model"))
    return (
        f"Here's your quote **{data.get('quote_id')}** for the {vehicle.strip()}: "
        f"**${data.get('monthly_premium'):,.2f} a month** "
        f"(${data.get('annual_premium'):,.2f} a year). "
        f"It's valid for {data.get('valid_days', 30)} days. I can also show how a different "
        "deductible or coverage level changes the price."
    )


def _report_handoff(data: dict[str, Any], language: str) -> str:
    """What the customer reads when the app hands over too (config.HANDOFF_NOTE), in their
    language: its handoff line before the call was in it as well."""
    return config.handoff_note(
        str(data.get("reference")), str(data.get("next_steps", "")), language
    ).strip()


def _report_policy(data: dict[str, Any], language: str) -> str:
    vehicles = ", ".join(
        " ".join(str(v.get(k, "")) for k in ("year", "make", "model"))
        for v in data.get("vehicles", [])
    )
    return (
        f"Thanks, you're verified. Policy **{data.get('policy_number')}** "
        f"is **{data.get('status')}** ({data.get('coverage_level')} coverage, "
        f"${data.get('deductible')} deductible) for {vehicles}. "
        "What would you like to know about it?"
    )


def _report_claims(data: dict[str, Any], language: str) -> str:
    claims = data.get("claims") or ([data] if "claim_number" in data else [])
    if not claims:
        return "I don't see any claims on this policy."
    lines = [
        f"- **{c.get('claim_number')}** ({c.get('incident_type', c.get('type', ''))}): "
        f"{c.get('status')} — {c.get('last_update', '')}".rstrip(" —")
        for c in claims
    ]
    return "Here are the claims on your policy:\n\n" + "\n".join(lines)


def _report_reference(data: dict[str, Any], language: str) -> str:
    reference = data.get("claim_number") or data.get("reference") or data.get("ticket")
    return f"That's done — your reference is **{reference}**. {data.get('next_steps', '')}".strip()


def _report_money(data: dict[str, Any], language: str) -> str:
    """A refund or cancellation: done within the limit, or passed to a colleague above it."""
    if data.get("handed_off"):
        return (
            "That's beyond my limit in the chat, so a colleague will review it. Nothing has "
            f"changed yet. Your reference is **{data.get('reference')}**. "
            f"{data.get('next_steps', '')}"
        ).strip()
    if data.get("reference") is None:
        return f"That's done. {data.get('calculation', '')}".strip()
    return _report_reference(data, language)


# How a successful result is worded, by the kind each tool's record names (tools.Tool.report).
REPORTS: dict[str, Callable[[dict[str, Any], str], str]] = {
    "money": _report_money,
    "quote": _report_quote,
    "handoff": _report_handoff,
    "policy": _report_policy,
    "claims": _report_claims,
    "reference": _report_reference,
}
