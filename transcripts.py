"""A conversation read back as plain text, for people and for the side model: the turns about
to be folded (for the summariser), what a colleague reads in a handoff, and the evidence a
draft reply is checked against.

Reads messages; never changes them and never masks (the store masks what it keeps).
"""

from __future__ import annotations

import json
from typing import Any

import budget
from request import customer_text, system_prompt

# How much of one tool result the summariser of folded turns reads.
FOLD_TOOL_RESULT_CHARS = 600


def fold_transcript(messages: list[dict[str, Any]]) -> str:
    """Turns about to be folded as the summariser reads them: an earlier summary, what the
    customer and Eva said, and each tool call with its result (clipped). Passages are left
    out: the knowledge base still has them."""
    lines: list[str] = []
    head = budget.earlier(messages)
    if head:
        lines.append(f"(summary of the {head[0]} turns before)\n{head[1]}")
    for message in messages:
        if message["role"] == "user" and customer_text(message):
            lines.append(f"customer: {customer_text(message)}")
        for block in message["content"]:
            if block["type"] == "text" and message["role"] == "assistant" and block["text"]:
                lines.append(f"eva: {block['text'].strip()}")
            elif block["type"] == "tool_use":
                lines.append(f"tool call: {block['name']} {json.dumps(block['input'])}")
            elif block["type"] == "tool_result":
                result = str(block.get("content", ""))[:FOLD_TOOL_RESULT_CHARS]
                lines.append(f"tool result: {result}")
    return "\n".join(lines)


def evidence_of(messages: list[dict[str, Any]]) -> str:
    """What a reply can be checked against: the prompt, passages, tool results, the customer."""
    parts = [system_prompt()]
    for message in messages:
        if message["role"] != "user":
            continue
        for block in message["content"]:
            if block.get("type") == "text":
                parts.append(block["text"])
            elif block.get("type") == "tool_result":
                parts.append(str(block.get("content", "")))
    return "\n".join(parts)


def transcript_of(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The conversation as a colleague reads it: who said what, no passages, no tool output."""
    lines: list[dict[str, str]] = []
    for message in messages:
        if message["role"] == "user":
            said = customer_text(message)
            if said:
                lines.append({"role": "customer", "text": said})
        else:
            # Notes the app added are blocks of their own: read as paragraphs, not run on.
            parts = [b["text"] for b in message["content"] if b["type"] == "text"]
            text = "\n\n".join(p.strip() for p in parts if p.strip() and p.strip() != "…")
            if text:
                lines.append({"role": "eva", "text": text})
    return lines
