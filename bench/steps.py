"""What runs between the customer's Enter and the first byte of the request to the API, step by
step: the eval suite's conversations through ChatBot with the offline model as the transport,
each step's time per turn (p50 / p95), and the whole wait before the request.

The steps are timed where the turn calls them: the bench wraps each with a stopwatch that
calls straight through and counts only calls made before the turn's first request. A step
nested in another (the e5 query inside the trigger check and the search) is listed under it.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2

import budget
import chatbot
import escalation
import events
import guardrails
import guardrails.inbound
import guardrails.semantic
import knowledge.embedders
import knowledge.index
import tools
import turn
from bench.context import Context, first_reading
from bench.turns import TURNS, WARM_UP, Stopwatch, client_for, conversations, percentiles
from events import Facts
from store import Store

# (owner, attribute, label), in the order a turn calls them. Labels with a leading "  " are
# parts of the step above them.
STEPS: tuple[tuple[Any, str, str], ...] = (
    (guardrails.inbound, "mask", "mask personal data"),
    (guardrails.semantic, "triggers", "triggers by pattern"),
    (guardrails.semantic.SemanticTriggers, "read", "triggers by meaning"),
    (knowledge.embedders.LocalEmbedder, "queries", "  e5 query embedding (once a message)"),
    (guardrails.inbound, "language_of", "language"),
    (guardrails.inbound, "injection", "injection"),
    (guardrails.inbound, "sentiment", "mood"),
    (tools.ToolContext, "of", "store: the turn's context"),
    (escalation, "turn_starts", "store: who owns the conversation"),
    (turn.Turn, "start", "reply check set-up"),
    (knowledge.index.KnowledgeBase, "search", "retrieval"),
    (knowledge.index.KnowledgeBase, "refresh", "  kb/ freshness check"),
    (knowledge.embedders.UseEmbedder, "queries", "  USE query embedding (once a message)"),
    (escalation, "handback_note", "store: a colleague's hand-back note"),
    (chatbot, "user_message", "this turn's message"),
    (guardrails, "neutralise", "  passages that give orders neutralised"),
    (budget, "fit", "context budget"),
    (chatbot, "build_request", "request: composition and cache marks"),
)


class Steps:
    """Per turn, milliseconds spent in each step before the first request."""

    def __init__(self) -> None:
        self.turn: dict[str, float] = {}
        self.requested = False

    def timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                if not self.requested:
                    spent = (time.perf_counter() - started) * 1000
                    self.turn[label] = self.turn.get(label, 0.0) + spent

        return wrapper

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Every step wrapped for the duration; restored after."""
        saved = []
        for owner, name, label in STEPS:
            original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            saved.append((owner, name, original))
            if isinstance(original, classmethod):
                setattr(owner, name, classmethod(self.timed(label, original.__func__)))
            else:
                setattr(owner, name, self.timed(label, original))
        try:
            yield
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)


class FirstRequest(Stopwatch):
    """The stopwatch transport, noting when each turn's first request arrives."""

    def __init__(self, steps: Steps) -> None:
        super().__init__()
        self.steps = steps
        self.first_request: float | None = None

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        if self.first_request is None:
            self.first_request = time.perf_counter()
            self.steps.requested = True
        return super().handle(request)


def measure(ctx: Context) -> tuple[list[dict[str, float]], list[float]]:
    """Each turn's steps, and its whole wait from the message to the first request (ms)."""
    steps = Steps()
    transport = FirstRequest(steps)
    turns: list[dict[str, float]] = []
    waits: list[float] = []
    with tempfile.TemporaryDirectory(prefix="acme-bench-steps-") as folder:
        store = Store(f"sqlite:///{folder}/steps.db")
        bot = chatbot.ChatBot(client_for(transport), store, ctx.kb())
        talks = iter(conversations() * 3)
        with steps.installed():
            while len(waits) < TURNS + WARM_UP:
                history: list[dict[str, Any]] = []
                facts: Facts = {}
                for text in next(talks):
                    first_reading()
                    steps.turn, steps.requested, transport.first_request = {}, False, None
                    started = time.perf_counter()
                    for event in bot.respond(history, text, facts):
                        if isinstance(event, events.TurnDone):
                            history, facts = event.history(history), event.facts
                    if transport.first_request is None:
                        continue  # handed to a person before any request
                    turns.append(steps.turn)
                    waits.append((transport.first_request - started) * 1000)
        store.engine.dispose()
    return turns[WARM_UP:], waits[WARM_UP:]


def run(ctx: Context) -> dict[str, float]:
    turns, waits = measure(ctx)
    figures: dict[str, float] = {}
    p50, p95 = percentiles(waits)
    figures["before the request, in all: p50 (ms)"] = p50
    figures["before the request, in all: p95 (ms)"] = p95
    for _, _, label in STEPS:
        p50, p95 = percentiles([spent.get(label, 0.0) for spent in turns])
        figures[f"  {label}: p50 (ms)"] = p50
        figures[f"  {label}: p95 (ms)"] = p95
    return figures


TARGETS: dict[str, float] = {}
