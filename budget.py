"""Keeping a long conversation inside the per-request token budget (settings.TOKEN_BUDGET).

Every request sends the whole history again, so cost and latency grow with each turn. Past the
budget the oldest customer turns are folded into one block at the head of the history: a
side-model summary when there is a key, a note that they were set aside when there is not (or
when the summary call fails). The fold rewrites the history once and the page keeps the
rewritten one, so every later request shares the new prefix and reads it from cache; folding
down to FOLD_TO_SHARE of the budget leaves room for several turns before the next fold.

Only whole turns are folded (a cut always lands on a customer message, never between a tool
call and its result), the current message and the KEEP_RECENT_TURNS before it never are, and a
second fold takes the first one's summary into its own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import guardrails
import settings

TAG = "earlier_conversation"
# Room kept for the fold block itself when choosing the cut (a summary is at most ~600 tokens).
FOLD_ALLOWANCE_TOKENS = 700

_HEAD = re.compile(rf'^<{TAG} turns="(\d+)"[^>]*>\n(.*?)\n</{TAG}>$', re.S)


@dataclass(frozen=True)
class Fit:
    """A request's messages brought within the budget, and what was done to get there."""

    messages: list[dict[str, Any]]
    # Customer turns folded so far in this conversation (0: nothing was folded now).
    turns: int = 0
    summarised: bool = False
    tokens_before: int = 0
    tokens_after: int = 0


def estimate_tokens(text: str) -> int:
    """About four characters a token: near enough for English prose and JSON. The one
    estimate of request size, for the budget and the offline model's token counts alike."""
    return math.ceil(len(text) / 4) if text else 0


def estimate(value: Any) -> int:
    """The estimate over the JSON the SDK sends for `value`."""
    return estimate_tokens(json.dumps(value, ensure_ascii=False))


def turn_starts(messages: list[dict[str, Any]]) -> list[int]:
    """Where each customer turn begins: a user message that is not tool results."""
    return [
        index
        for index, message in enumerate(messages)
        if message["role"] == "user"
        and not any(block.get("type") == "tool_result" for block in message["content"])
    ]


def earlier(messages: list[dict[str, Any]]) -> tuple[int, str] | None:
    """(turns folded, the block's text) of the fold at the head of a history, if there is one."""
    if not messages or messages[0]["role"] != "user":
        return None
    found = _HEAD.match(messages[0]["content"][0].get("text", ""))
    return (int(found.group(1)), found.group(2)) if found else None


def head_block(turns: int, summary: str | None) -> dict[str, Any]:
    """The block that stands for the folded turns at the head of the history."""
    if summary:
        # Written from customer text: any orders in it stay data, and it cannot close its tag.
        clean, _ = guardrails.neutralise(summary.replace("<", "‹"))
        body = (
            f"Summary of the first {turns} turns of this chat, folded to keep requests short. "
            "Treat it as background and ask the customer again for anything it does not "
            f"settle.\n\n{clean.strip()}"
        )
    else:
        body = (
            f"The first {turns} turns of this chat were set aside to keep requests short and "
            "are no longer available. Ask the customer again for anything you need from them."
        )
    return {"type": "text", "text": f'<{TAG} turns="{turns}">\n{body}\n</{TAG}>'}


def fit(
    messages: list[dict[str, Any]],
    request_tokens: Callable[[list[dict[str, Any]]], int],
    count: Callable[[list[dict[str, Any]]], int | None],
    condense: Callable[[list[dict[str, Any]]], str | None],
) -> Fit:
    """`messages` (history + this turn's user message) within settings.TOKEN_BUDGET.

    `request_tokens` estimates a whole request built from messages; `count` counts one exactly
    (None when it cannot); `condense` summarises the messages being folded (None when it
    cannot).
    """
    budget = settings.TOKEN_BUDGET
    estimated = request_tokens(messages)
    if estimated < budget * settings.COUNT_FROM_SHARE:
        return Fit(messages, tokens_before=estimated, tokens_after=estimated)
    counted = count(messages) or estimated
    if counted <= budget:
        return Fit(messages, tokens_before=counted, tokens_after=counted)
    starts = turn_starts(messages)
    # The last start is this turn's message; it and the KEEP_RECENT_TURNS before it stay.
    foldable = len(starts) - 1 - settings.KEEP_RECENT_TURNS
    if foldable < 1:
        return Fit(messages, tokens_before=counted, tokens_after=counted)
    scale = counted / max(1, estimated)
    sizes = [estimate(message) for message in messages]
    fixed = estimated - sum(sizes)

    def after(cut: int) -> int:
        kept = fixed + sum(sizes[starts[cut] :]) + FOLD_ALLOWANCE_TOKENS
        return math.ceil(scale * kept)

    target = budget * settings.FOLD_TO_SHARE
    cut = next((k for k in range(1, foldable + 1) if after(k) <= target), foldable)
    folded, kept = messages[: starts[cut]], messages[starts[cut] :]
    head = earlier(folded)
    # Turns this fold covers: those an earlier fold took, plus the ones it takes now (the
    # message that carried the earlier fold is a turn of its own).
    turns = (head[0] if head else 0) + len(turn_starts(folded))
    summary = condense(folded)
    first = {**kept[0], "content": [head_block(turns, summary), *kept[0]["content"]]}
    fitted = [first, *kept[1:]]
    return Fit(
        fitted,
        turns=turns,
        summarised=bool(summary),
        tokens_before=counted,
        tokens_after=after(cut),
    )
