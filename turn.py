"""The working state of one customer turn, and the few ways the app changes it: add a message,
flag a finding, add a line of its own, take a draft back, close on a notice, and the figures its
record keeps. Thrown away unless the turn completes, so a failed turn leaves history untouched.

Holds state; never calls the model, a tool or the store (chatbot drives it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import budget
import config
import guardrails
from events import Handoff, Source, ToolCall, Usage

if TYPE_CHECKING:
    from tools import ToolResult


@dataclass
class Turn:
    """One turn in progress: the messages so far, what the customer has been shown, and what
    the record will say."""

    messages: list[dict[str, Any]]
    new: list[dict[str, Any]]
    guard: guardrails.ReplyGuard
    usage: Usage = field(default_factory=Usage)
    shown: list[str] = field(default_factory=list)
    notice: str | None = None
    stop_reason: str = "end_turn"
    # Help-centre sections put before the model this turn, by chunk id: the citable ones.
    offered: dict[str, Source] = field(default_factory=dict)
    # What the turn's record notes: injection attempts, output checks, triggers.
    flags: list[str] = field(default_factory=list)
    # Handoffs opened this turn (by the model, a tool over its limit, or a trigger).
    handoffs: list[Handoff] = field(default_factory=list)
    tools_done: int = 0
    tool_errors: int = 0
    # The checked text of the current model call, which replaces the call's text blocks.
    round_text: str = ""
    held: bool = False
    # Every tool call of the turn as the record keeps it: name, outcome, the card's summary.
    tool_log: list[ToolCall] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    first_text_ms: int | None = None
    folded: list[dict[str, Any]] | None = None

    @classmethod
    def start(
        cls,
        history: list[dict[str, Any]],
        said_before: list[str],
        inbound: guardrails.Inbound,
        held: bool,
    ) -> Turn:
        """A turn on `history` with its output check, flagged with what the message held.

        Personal data Eva may repeat is what the customer gave (a summary of folded turns holds
        what they said in them) and Acme's own contact details.
        """
        head = budget.earlier(history)
        guard = guardrails.ReplyGuard(
            allowed=guardrails.known_values(
                [*said_before, head[1] if head else "", inbound.text, *config.FACTS.values()]
            ),
            language=inbound.language,
        )
        return cls(messages=list(history), new=[], guard=guard, held=held, flags=inbound.flags())

    def add(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self.new.append(message)

    def flag(self, finding: str) -> None:
        if finding not in self.flags:
            self.flags.append(finding)

    def took(self, name: str, result: ToolResult, searched: bool) -> None:
        """Count a finished tool call: its line in the record, progress or an error, and the
        passages a search offered (citable like the turn's own)."""
        self.tool_log.append({"name": name, "is_error": result.is_error, "summary": result.summary})
        if result.is_error:
            self.tool_errors += 1
            return
        found = result.data.get("sources", []) if searched else []
        if not searched or found:
            self.tools_done += 1
        for source in found:
            self.offered[source["id"]] = source

    def reply(self) -> str:
        return "".join(self.shown)

    def note(self, line: str) -> str:
        """Add a line of the app's own to the reply and the stored assistant turn; return it as
        shown (with the paragraph break before it)."""
        shown = ("\n\n" if self.reply().strip() else "") + line
        self.shown.append(shown)
        last: dict[str, Any] = self.new[-1] if self.new else {"role": "user"}
        if last["role"] == "assistant":
            last["content"] = [*last["content"], {"type": "text", "text": line}]
        return shown

    def withdraw(self, line: str) -> None:
        """Take the draft back: the customer and the history keep only `line`."""
        self.shown[:] = [line]
        for message in self.new:
            if message["role"] == "assistant":
                message["content"] = [b for b in message["content"] if b["type"] != "text"]
        last = self.new[-1]
        last["content"] = [*last["content"], {"type": "text", "text": line}]

    def closing(self, content: list[dict[str, Any]], notice: str) -> list[dict[str, Any]]:
        """An assistant message that ends the turn with a notice instead of a pending tool
        call."""
        kept = [b for b in content if b["type"] in ("thinking", "redacted_thinking", "text")]
        self.notice = notice
        return [*kept, {"type": "text", "text": notice}]

    def findings(self) -> list[str]:
        """Everything the record flags: the turn's own findings, then the output check's."""
        return [*self.flags, *self.guard.findings]

    def log_line(
        self,
        conversation_id: str,
        language: str,
        route: str,
        confidence: float | None,
        sources: list[Source],
    ) -> dict[str, Any]:
        """The turn's one JSON log line: ids, route, flags, tools, timings and tokens, and
        never any of the customer's words."""
        figures = self.metrics(sources)
        return {
            "event": "turn",
            "conversation_id": conversation_id,
            "language": language,
            "route": route,
            "confidence": confidence,
            "handoff": self.handoffs[0].reference if self.handoffs else None,
            "flags": self.findings(),
            "tools": [call["name"] for call in self.tool_log],
            "sources": [s["id"] for s in sources],
            "model": config.MODEL,
            **{k: v for k, v in figures.items() if k not in ("tool_calls", "sources")},
        }

    def metrics(self, sources: list[Source]) -> dict[str, Any]:
        """The figures the turn's record keeps: tools, cited sources, tokens, cost, timings."""
        usage = self.usage
        return {
            "tool_calls": self.tool_log,
            "sources": [{"id": s["id"], "title": s["title"]} for s in sources],
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cost_usd": usage.cost_usd,
            "first_text_ms": self.first_text_ms,
            "latency_ms": round((time.perf_counter() - self.started) * 1000),
        }
