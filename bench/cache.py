"""Caching: what each turn reads from cache against what the layout allows, and what it saves.

Conversations run through the app's ChatBot against the offline model (real retrieval, real tool
calls); every request body is recorded and replayed through the offline model's cache simulation
(the API's rules: marks, 20-block lookback, minimum cacheable length, TTL). The layout's limit
for a request is every token it shares with the conversation's previous request, i.e. all but
the ones new in it. Token counts are the offline model's (about four characters a token), so
shares are exact for the layout and approximate in absolute tokens.

Costs use settings.PRICES for config.MODEL: our layout (measured), the same requests with every
cache mark removed, and the guide's layout (static context moved into the first user message,
no marks). Output tokens are the same in all three and left out of the input comparison.
"""

from __future__ import annotations

import copy
import json
import tempfile
from dataclasses import dataclass
from typing import Any

import chatbot
import config
import events
import llm
import settings
from bench.context import Context
from evals import suite
from events import Facts
from knowledge import KnowledgeBase
from offline import PromptCache, count_tokens, prefix_tokens
from store import Store

SIX_TURNS = [
    "What does comprehensive cover?",
    "Is towing included with roadside assistance?",
    "I'd like a quote for my car",
    "2021 Honda Civic, 9000 miles a year, I'm 29",
    "Do you have a discount for paperless billing?",
    "Thanks, that's helpful",
]
TICKETS_PER_MONTH = 10_000
TARGET_GAP_POINTS = 3.0
TARGET_COST_SHARE = 0.35


@dataclass
class Request:
    body: dict[str, Any]
    turn: int
    # Output tokens of the whole turn, on the turn's last request (0 on the others).
    output_tokens: int = 0


def record(kb: KnowledgeBase, messages: list[str], folder: str) -> list[Request]:
    """One conversation through ChatBot on the offline model; every request body, in order."""
    turn = [0]
    bodies: list[Request] = []

    def observe(request: Any) -> None:
        if request.url.path.endswith("/v1/messages"):
            bodies.append(Request(json.loads(request.content), turn[0]))

    connection = llm.connect(force_offline=True, observe=observe, offline_pace=0.0)
    store = Store(f"sqlite:///{folder}/cache-bench.db")
    bot = chatbot.ChatBot(connection.client, store, kb)
    history: list[dict[str, Any]] = []
    facts: Facts = {}
    for index, text in enumerate(messages, 1):
        turn[0] = index
        for event in bot.respond(history, text, facts):
            if isinstance(event, events.TurnDone):
                history, facts = event.history(history), event.facts
                bodies[-1].output_tokens = event.usage.output_tokens
    store.engine.dispose()
    return bodies


def per_turn(requests: list[Request]) -> list[dict[str, float]]:
    """For each customer turn: tokens read, written and uncached, and the layout's limit."""
    cache = PromptCache(clock=lambda: 0.0)
    minimum = settings.MIN_CACHEABLE_TOKENS.get(config.MODEL, settings.DEFAULT_MIN_CACHEABLE_TOKENS)
    previous: list[tuple[str, int]] = []
    turns: dict[int, dict[str, float]] = {}
    for request in requests:
        usage = cache.account(request.body, minimum)
        blocks = prefix_tokens(request.body)
        shared = 0
        for (text, tokens), (before, _) in zip(blocks, previous, strict=False):
            if text != before:
                break
            shared += tokens
        previous = blocks
        row = turns.setdefault(
            request.turn, {"read": 0, "written": 0, "uncached": 0, "total": 0, "limit": 0}
        )
        row["read"] += usage.cache_read_input_tokens
        row["written"] += usage.cache_creation_input_tokens
        row["uncached"] += usage.input_tokens
        row["total"] += sum(tokens for _, tokens in blocks)
        row["limit"] += shared
    return [turns[t] for t in sorted(turns)]


def unmarked(body: dict[str, Any]) -> dict[str, Any]:
    plain = json.loads(json.dumps(body).replace('"cache_control": {', '"_mark": {'))
    return _drop_marks(plain)


def _drop_marks(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_marks(v) for k, v in value.items() if k != "_mark"}
    if isinstance(value, list):
        return [_drop_marks(v) for v in value]
    return value


def guide_layout(body: dict[str, Any]) -> dict[str, Any]:
    """The guide's request: a one-line system prompt, the static context (our system prompt)
    as the first user message's first block, and no cache marks."""
    moved = unmarked(copy.deepcopy(body))
    system = "".join(block["text"] for block in moved.pop("system", []))
    first = moved["messages"][0]
    first["content"] = [{"type": "text", "text": system}, *first["content"]]
    moved["system"] = [{"type": "text", "text": "You are Eva, Acme Insurance's assistant."}]
    return moved


def input_cost(rows: list[dict[str, float]]) -> float:
    prices = settings.PRICES[config.MODEL]
    return (
        sum(
            r["uncached"] * prices["input"]
            + r["written"] * prices["cache_write"]
            + r["read"] * prices["cache_read"]
            for r in rows
        )
        / 1_000_000
    )


def plain_cost(bodies: list[dict[str, Any]]) -> float:
    return sum(count_tokens(body) for body in bodies) * settings.PRICES[config.MODEL]["input"] / 1e6


def run(ctx: Context) -> dict[str, float]:
    """The table's figures; every turn's numbers go to ctx.details (results.json)."""
    with tempfile.TemporaryDirectory(prefix="acme-bench-cache-") as folder:
        details = measure(ctx.kb(), folder)
    ctx.details["cache"] = details
    return figures(details)


def figures(details: dict[str, Any]) -> dict[str, float]:
    """The headline numbers for the table (the details go to results.json)."""
    costs = details["input_cost_usd"]
    monthly = details["monthly_cost_usd_at_10k_tickets"]
    return {
        "cache: worst gap to the layout's limit, turn 2+, six-turn (points)": details[
            "worst_gap_points_six_turns"
        ],
        "cache: worst gap, eval conversations turn 2+ (points)": details[
            "worst_gap_points_eval_conversations"
        ],
        "6-turn input cost, our layout ($)": costs["our_layout"],
        "6-turn input cost, no cache marks ($)": costs["no_cache_marks"],
        "6-turn input cost, the guide's layout ($)": costs["guide_layout"],
        "input cost share of no-marks": details["input_cost_share_of_no_marks"],
        "10k tickets x 6 turns a month, our layout ($)": monthly["our_layout"],
        "10k tickets x 6 turns a month, no cache marks ($)": monthly["no_cache_marks"],
        "10k tickets x 6 turns a month, the guide's layout ($)": monthly["guide_layout"],
    }


TARGETS = {
    "cache: worst gap to the layout's limit, turn 2+, six-turn (points)": TARGET_GAP_POINTS,
    "cache: worst gap, eval conversations turn 2+ (points)": TARGET_GAP_POINTS,
    "input cost share of no-marks": TARGET_COST_SHARE,
}


def measure(kb: KnowledgeBase, folder: str) -> dict[str, Any]:
    six = record(kb, SIX_TURNS, folder)
    rows = per_turn(six)
    ours = input_cost(rows)
    no_marks = plain_cost([unmarked(r.body) for r in six])
    guide = plain_cost([guide_layout(r.body) for r in six])
    output = sum(r.output_tokens for r in six) * settings.PRICES[config.MODEL]["output"] / 1e6
    # The eval suite's multi-turn conversations: the worst turn from turn 2 on.
    gaps = []
    for scenario in [s for s in suite.load() if len(s.turns) > 1]:
        for index, row in enumerate(per_turn(record(kb, [t.say for t in scenario.turns], folder))):
            if index >= 1 and row["total"]:
                gaps.append(100 * (row["limit"] - row["read"]) / row["total"])
    six_gaps = [100 * (r["limit"] - r["read"]) / r["total"] for r in rows[1:]]
    return {
        "six_turns": [
            {
                **{k: int(v) for k, v in r.items()},
                "cached_share": r["read"] / r["total"],
                "limit_share": r["limit"] / r["total"],
            }
            for r in rows
        ],
        "worst_gap_points_six_turns": max(six_gaps),
        "worst_gap_points_eval_conversations": max(gaps) if gaps else None,
        "eval_conversation_turns_checked": len(gaps),
        "input_cost_usd": {"our_layout": ours, "no_cache_marks": no_marks, "guide_layout": guide},
        "input_cost_share_of_no_marks": ours / no_marks,
        "output_cost_usd": output,
        # 10,000 six-turn conversations a month, input and output.
        "monthly_cost_usd_at_10k_tickets": {
            "our_layout": (ours + output) * TICKETS_PER_MONTH,
            "no_cache_marks": (no_marks + output) * TICKETS_PER_MONTH,
            "guide_layout": (guide + output) * TICKETS_PER_MONTH,
        },
    }
