"""Each Messages API request Eva makes, built here only: the static prefix (system prompt and
tools, cached), the history with its rolling cache marks, this turn's user message, thinking and
effort. Also the reverse: a response's blocks as they must be sent back.

Builds requests; never sends them (chatbot does) and never defines a tag (envelope does).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import budget
import config
import envelope
import settings
import tools
from knowledge import Results


def cache_mark() -> dict[str, str]:
    return {"type": "ephemeral", "ttl": settings.CACHE_TTL}


def system_prompt() -> str:
    """config's prompt with the list of what Eva can do taken from the tools she has."""
    return config.compose_prompt(tools.capabilities())


def system_blocks() -> list[dict[str, Any]]:
    """The static prefix's system part, composed now so a config.py edit applies at once.

    Cached reads cost a tenth of fresh input, so tools + system go first and carry a mark.
    """
    return [{"type": "text", "text": system_prompt(), "cache_control": cache_mark()}]


def with_cache_marks(messages: list[dict[str, Any]], history_length: int) -> list[dict[str, Any]]:
    """A copy of `messages` with the rolling marks: where the last turn's cache ends, and now.

    The mark on the last user message of the history meets the entry the previous turn wrote
    exactly; the mark on the newest user message writes the entry the next request will read.
    Together with the system mark that is three of the API's four. Marks sit only on user
    messages, whose last block is text or a tool result: thinking blocks cannot carry one.
    """
    marked = list(messages)
    users = [i for i, message in enumerate(messages) if message["role"] == "user"]
    targets = {users[-1]}
    earlier = [i for i in users if i < history_length]
    if earlier:
        targets.add(earlier[-1])
    for index in targets:
        message = copy.deepcopy(messages[index])
        message["content"][-1]["cache_control"] = cache_mark()
        marked[index] = message
    return marked


def thinking_setting() -> dict[str, Any]:
    if config.THINKING_MODE == "adaptive":
        return {"type": "adaptive", "display": config.THINKING_DISPLAY}
    return {"type": config.THINKING_MODE}


def build_request(messages: list[dict[str, Any]], history_length: int) -> dict[str, Any]:
    """Keyword arguments for messages.stream, within the current model's rules.

    No sampling parameters, no prefill, no forced tool choice, no thinking budget: the current
    Sonnet rejects all four. Depth comes from effort.
    """
    return {
        "model": config.MODEL,
        "max_tokens": config.MAX_TOKENS,
        "system": system_blocks(),
        "tools": tools.TOOLS,
        "messages": with_cache_marks(messages, history_length),
        "thinking": thinking_setting(),
        "output_config": {"effort": config.EFFORT},
    }


def request_tokens(messages: list[dict[str, Any]]) -> int:
    """The estimated input tokens of the request `messages` would make (no API call)."""
    request = build_request(messages, len(messages) - 1)
    return budget.estimate({k: request[k] for k in ("system", "tools", "messages")})


def user_message(
    text: str,
    knowledge: Results | None = None,
    language: str = "en",
    colleague: str = "",
    today: date | None = None,
) -> dict[str, Any]:
    """The customer's message as content blocks, so a cache mark can sit on its last block,
    tagged with the date it was sent (today) when the app knows it.

    Retrieved passages ride in this turn, not in the system prompt: the static prefix stays
    byte-identical (and cached) while each message brings its own knowledge. So does a
    colleague's hand-back note: added to the new message, it leaves the cached history as it
    was.
    """
    if knowledge is None and not colleague:
        return {"role": "user", "content": [{"type": "text", "text": text}]}
    blocks = [envelope.knowledge_block(knowledge)] if knowledge is not None else []
    if colleague:
        blocks.append(envelope.colleague_block(colleague))
    blocks.append(envelope.customer_block(text, language, today))
    return {"role": "user", "content": [{"type": "text", "text": block} for block in blocks]}


def customer_text(message: dict[str, Any]) -> str:
    """What the customer wrote in a user message (no passages, no tool results)."""
    for block in message["content"]:
        text = block.get("text", "") if block.get("type") == "text" else ""
        words = envelope.customer_words(text)
        if words is not None:
            return words
        if text and not text.startswith(("<knowledge>", f"<{budget.TAG} ", "<colleague_note>")):
            return text
    return ""


def block_param(block: Any) -> dict[str, Any] | None:
    """A response block as it must be sent back: thinking untouched, empty text dropped."""
    kind = block.type
    if kind == "text":
        return {"type": "text", "text": block.text} if block.text.strip() else None
    if kind == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    if kind == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    other: dict[str, Any] = block.to_dict()
    return other


def text_of(content: list[dict[str, Any]]) -> str:
    return "".join(block["text"] for block in content if block["type"] == "text")


def with_text(content: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """A model call's blocks with its text replaced by what passed the output checks."""
    kept: list[dict[str, Any]] = []
    placed = False
    for block in content:
        if block["type"] != "text":
            kept.append(block)
        elif not placed:
            placed = True
            if text.strip():
                kept.append({"type": "text", "text": text})
    return kept
