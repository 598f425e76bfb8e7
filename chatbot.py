"""ChatBot: one customer turn, end to end, as a stream of typed events. No Streamlit here.

A turn: build the request (cached static prefix, history with a rolling cache mark, this turn),
stream the reply, run every tool the model asked for, loop until the model ends its turn, and
hand the caller the new messages in one piece. The caller commits them or, when the turn fails,
does nothing at all: history is never touched halfway.
"""

from __future__ import annotations

import copy
import json
import logging
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anthropic
import httpx2

import budget
import config
import envelope
import escalation
import guardrails
import review
import settings
import tools
from events import (
    Event,
    Folded,
    Handoff,
    Masked,
    Sources,
    TextDelta,
    Thinking,
    ToolFinished,
    ToolStarted,
    TurnDone,
    TurnError,
    Usage,
    Withdrawn,
)
from knowledge import KnowledgeBase, Results
from store import Store

log = logging.getLogger(__name__)
# One JSON line per finished turn: ids, route, timings, tokens, tools. Never the customer's words.
turn_log = logging.getLogger("acme.turns")

# ---------------------------------------------------------------------------------------------
# Plain-language messages: never a stack trace or an API error body on the page.
# ---------------------------------------------------------------------------------------------

BUSY = "I'm getting a lot of questions right now and couldn't answer. Please try again in a moment."
UNAVAILABLE = "I couldn't reach the assistant service just now. Please try again in a moment."
DROPPED = "The connection dropped while I was answering. Please try again."
MISCONFIGURED = (
    "The assistant isn't set up correctly (its API access was refused). Please let the team "
    "running this demo know; in the meantime they can switch to the offline demo model."
)
NOT_ACCEPTED = "Something in that message couldn't be processed. Please try again or rephrase it."
UNEXPECTED = "Something went wrong on my side. Please try again."
ROUND_LIMIT = (
    "I've taken as many steps as I can for one message without finishing. Could you tell me "
    "which part matters most, or ask me to connect you with a colleague?"
)
CUT_SHORT = "(My answer was cut short because it ran long. Ask me to continue and I'll pick up.)"
DECLINED = (
    "I'm not able to help with that request. I'm happy to help with anything about your Acme "
    "car, electric car or two-wheeler insurance."
)


def customer_message(error: BaseException) -> str:
    """What to tell the customer about a failed call, by kind of failure."""
    if isinstance(error, anthropic.RateLimitError | anthropic.InternalServerError):
        return BUSY
    if isinstance(error, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return MISCONFIGURED
    if isinstance(error, anthropic.BadRequestError | anthropic.UnprocessableEntityError):
        return NOT_ACCEPTED
    if isinstance(error, anthropic.APIStatusError):
        return (
            BUSY if error.status_code in (408, 409, 429) or error.status_code >= 500 else UNEXPECTED
        )
    # SDK versions differ in how they wrap a body cut off mid-stream (bare in 2.16, inside an
    # APIConnectionError from 2.17), so look through the whole cause chain for it.
    if any(isinstance(e, httpx2.RemoteProtocolError | httpx2.ReadError) for e in _causes(error)):
        return DROPPED
    if isinstance(error, anthropic.APIConnectionError | httpx2.TransportError):
        return UNAVAILABLE
    return UNEXPECTED


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, then what raised it (__cause__, else __context__), down the chain; each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# ---------------------------------------------------------------------------------------------
# Requests.
# ---------------------------------------------------------------------------------------------


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
    text: str, knowledge: Results | None = None, language: str = "en"
) -> dict[str, Any]:
    """The customer's message as content blocks, so a cache mark can sit on its last block.

    Retrieved passages ride in this turn, not in the system prompt: the static prefix stays
    byte-identical (and cached) while each message brings its own knowledge.
    """
    if knowledge is None:
        return {"role": "user", "content": [{"type": "text", "text": text}]}
    return {
        "role": "user",
        "content": [
            {"type": "text", "text": envelope.knowledge_block(knowledge)},
            {"type": "text", "text": envelope.customer_block(text, language)},
        ],
    }


def customer_text(message: dict[str, Any]) -> str:
    """What the customer wrote in a user message (no passages, no tool results)."""
    for block in message["content"]:
        text = block.get("text", "") if block.get("type") == "text" else ""
        words = envelope.customer_words(text)
        if words is not None:
            return words
        if text and not text.startswith(("<knowledge>", f"<{budget.TAG} ")):
            return text
    return ""


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


def italic(title: str) -> str:
    return f"*{title.casefold()}*"


MASKED_NAMES = {
    "card": "a card number",
    "ssn": "a Social Security number",
    "bank": "bank account details",
    "secret": "a password or code",
}


def masking_notice(kinds: tuple[str, ...]) -> str:
    names = [MASKED_NAMES.get(kind, kind) for kind in kinds]
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return config.MASKED_NOTICE.format(what=what)


def cited_sources(reply: str, offered: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The offered article sections the reply cites, in the order it cites them.

    Eva cites an article by its exact title in italics (*Roadside assistance*): a title merely
    used as words ("roadside assistance is included") is not a citation. Where the reply also
    names a section's heading, only those sections are listed; otherwise every section of
    that article she was given.
    """
    folded = reply.casefold()
    articles: dict[str, list[dict[str, str]]] = {}
    for source in offered.values():
        if source["kind"] == "article" and italic(source["title"]) in folded:
            articles.setdefault(source["title"], []).append(source)
    cited: list[tuple[int, dict[str, str]]] = []
    for title, sections in articles.items():
        named = [s for s in sections if s["section"].casefold() in folded]
        at = folded.find(italic(title))
        cited += [(at, s) for s in named or sections]
    return [source for _, source in sorted(cited, key=lambda pair: pair[0])]


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
    return block.to_dict()


def usage_of(message: Any, model: str) -> Usage:
    """Token counts of one response and their cost from config's price table."""
    raw = message.usage
    counts = (
        raw.input_tokens or 0,
        raw.output_tokens or 0,
        raw.cache_creation_input_tokens or 0,
        raw.cache_read_input_tokens or 0,
    )
    prices = settings.PRICES.get(model)
    cost = None
    if prices:
        rates = (prices["input"], prices["output"], prices["cache_write"], prices["cache_read"])
        cost = sum(n * rate for n, rate in zip(counts, rates, strict=True)) / 1_000_000
    return Usage(*counts, cost_usd=cost)


def text_of(content: list[dict[str, Any]]) -> str:
    return "".join(block["text"] for block in content if block["type"] == "text")


# ---------------------------------------------------------------------------------------------
# The turn.
# ---------------------------------------------------------------------------------------------


@dataclass
class _Turn:
    """Working state of one turn; thrown away unless the turn completes."""

    messages: list[dict[str, Any]]
    new: list[dict[str, Any]]
    guard: guardrails.ReplyGuard
    usage: Usage = field(default_factory=Usage)
    shown: list[str] = field(default_factory=list)
    notice: str | None = None
    stop_reason: str = "end_turn"
    # Help-centre sections put before the model this turn, by chunk id: the citable ones.
    offered: dict[str, dict[str, str]] = field(default_factory=dict)
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
    tool_log: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    first_text_ms: int | None = None
    folded: list[dict[str, Any]] | None = None

    def add(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self.new.append(message)

    def flag(self, finding: str) -> None:
        if finding not in self.flags:
            self.flags.append(finding)


class ChatBot:
    """Runs customer turns against an injected client; knows nothing of the page."""

    def __init__(
        self,
        client: anthropic.Anthropic,
        store: Store,
        knowledge: KnowledgeBase | None = None,
        reviewer: review.Reviewer | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.client = client
        # What "now" is for the tools (quotes, claim dates, the team's hours): the evals pin it.
        self.clock = clock
        self.store = store
        self.knowledge = knowledge
        # The page passes the side model when a key is set; by default no extra calls are made.
        self.reviewer = reviewer or review.HeuristicReviewer()

    def respond(
        self, history: list[dict[str, Any]], text: str, facts: dict[str, Any] | None = None
    ) -> Iterator[Event]:
        """Yield the events of one turn; the last is TurnDone or TurnError."""
        facts = dict(facts or {})
        masked = guardrails.mask(text, config.MASK_FOR_MODEL)
        if masked.kinds:
            told = facts.get("masking_explained", False)
            facts["masking_explained"] = True
            yield Masked(masked.text, masked.kinds, "" if told else masking_notice(masked.kinds))
        text = masked.text
        language = guardrails.language_of(text, facts.get("language", "en"))
        facts["language"] = language
        context = tools.ToolContext(
            store=self.store,
            conversation_id=facts.get("conversation_id") or uuid.uuid4().hex,
            verified_policy=facts.get("verified_policy"),
            failed_verifications=facts.get("failed_verifications", 0),
            knowledge=self.knowledge,
            language=language,
            **({"clock": self.clock} if self.clock else {}),
        )
        said_before = [customer_text(m) for m in history if m["role"] == "user"]
        head = budget.earlier(history)
        turn = _Turn(
            messages=list(history),
            new=[],
            guard=guardrails.ReplyGuard(
                # A summary of folded turns holds what the customer said in them.
                allowed=guardrails.known_values(
                    [*said_before, head[1] if head else "", text, *config.FACTS.values()]
                ),
                language=language,
            ),
            held=config.HOLD_REPLY_UNTIL_SCORED,
        )
        turn.flags += [f"masked:{kind}" for kind in masked.kinds]
        if guardrails.injection(text):
            turn.flag("injection:customer")
        found = self._retrieve(text)
        if found is not None:
            turn.offered.update((hit.chunk.id, hit.source()) for hit in found.hits())
        try:
            message = self._user_message(text, found, language, turn)
            fitted = budget.fit(
                [*history, message],
                request_tokens,
                self._count,
                lambda folded: self.reviewer.condense(fold_transcript(folded)),
            )
            if fitted.turns:
                turn.folded = fitted.messages[:-1]
                turn.messages = list(turn.folded)
                turn.flag("folded:summary" if fitted.summarised else "folded:set_aside")
                facts["folded_turns"] = fitted.turns
                yield Folded(fitted.turns, fitted.summarised, fold_note(fitted, language))
            history_length = len(turn.messages)
            turn.add(fitted.messages[-1])
            yield from self._loop(turn, history_length, context)
        except (anthropic.APIError, httpx2.HTTPError) as error:
            log.warning("turn failed: %s", type(error).__name__)
            yield TurnError(customer_message(error))
            return
        except Exception:
            log.exception("turn failed unexpectedly")
            yield TurnError(UNEXPECTED)
            return
        reply = "".join(turn.shown)
        sources = cited_sources(reply, turn.offered)
        # Even a refused exchange is checked: a threat to sue still reaches a person.
        route, confidence = yield from self._escalate(
            turn, text, said_before, facts, context, bool(sources)
        )
        if turn.held:
            yield TextDelta("".join(turn.shown))
        facts.update(
            conversation_id=context.conversation_id,
            verified_policy=context.verified_policy,
            failed_verifications=context.failed_verifications,
        )
        reply = "".join(turn.shown)
        sources = sources if route != review.WITHHOLD else []
        turn_id = self._record(turn, context, text, reply, route, confidence, sources)
        if sources:
            yield Sources(sources)
        yield turn.usage
        yield TurnDone(
            messages=turn.new,
            reply=reply,
            notice=turn.notice,
            facts=facts,
            usage=turn.usage,
            stop_reason=turn.stop_reason,
            sources=sources,
            turn_id=turn_id,
            folded=turn.folded,
        )

    def _user_message(
        self, text: str, found: Results | None, language: str, turn: _Turn
    ) -> dict[str, Any]:
        """This turn's user message, with passages that try to give orders neutralised."""
        message = user_message(text, found, language)
        if found is not None:
            block = message["content"][0]
            block["text"], injected = guardrails.neutralise(block["text"])
            if injected:
                turn.flag("injection:article")
        return message

    def _escalate(
        self,
        turn: _Turn,
        text: str,
        said_before: list[str],
        facts: dict[str, Any],
        context: tools.ToolContext,
        cited: bool,
    ) -> Generator[Event, None, tuple[str, float | None]]:
        """The checks after a reply is drafted: triggers, warnings, confidence, handoff.

        Returns (route, confidence). Every trigger is checked in code, whatever the model did.
        """
        language = context.language
        reply = "".join(turn.shown)
        grounded = cited or turn.tools_done > 0
        checked = escalation.after_reply(
            text,
            facts,
            reply=reply,
            said_before=said_before,
            grounded=grounded,
            # Withheld before a refund or cancellation tool then acted: the tool's result says
            # what was done, so there is nothing left to promise.
            promise_withheld=bool(turn.guard.withheld) and not turn.guard.promises_allowed,
        )
        found, warn = checked.found, checked.warning is not None
        if warn:
            turn.flag(f"warning:abuse:{checked.warning}")
        if "commitment" in found:
            yield from self._say(turn, config.localised(config.COMMITMENT_LINE, language))
        route, confidence, withheld = review.SEND, None, ""
        if not found and not turn.handoffs and turn.stop_reason == "end_turn" and reply.strip():
            draft = review.Draft(
                question=text,
                reply=reply,
                evidence=evidence_of(turn.messages),
                grounded=grounded,
                tool_errors=turn.tool_errors,
            )
            confidence = self.reviewer.score(draft)
            route = review.route(confidence)
            if route == review.OFFER and not review.offers_person(reply):
                yield from self._say(turn, config.localised(config.CONFIDENCE_OFFER, language))
            elif route == review.WITHHOLD:
                found.append("low_confidence")
                withheld = reply
                self._withdraw(turn, config.localised(config.WITHDRAWN_NOTE, language))
                if not turn.held:
                    yield Withdrawn("".join(turn.shown))
        if warn:
            # Last, so a withdrawn draft cannot take the warning with it.
            yield from self._say(turn, config.localised(config.ABUSE_WARNING, language))
        turn.flags += [f"trigger:{name}" for name in found]
        if found and not turn.handoffs:
            yield from self._hand_over(turn, context, found, withheld)
        if turn.handoffs:
            route = review.WITHHOLD if withheld else "handed_off"
        return route, confidence

    def _say(self, turn: _Turn, note: str) -> Iterator[Event]:
        """A line of the app's own at the end of the reply (and of the stored assistant turn)."""
        shown = append_note(turn, note)
        if not turn.held:
            yield TextDelta(shown)

    def _withdraw(self, turn: _Turn, note: str) -> None:
        """Take the draft back: the customer and the history keep only `note`."""
        turn.shown[:] = [note]
        for message in turn.new:
            if message["role"] == "assistant":
                message["content"] = [b for b in message["content"] if b["type"] != "text"]
        last = turn.new[-1]
        last["content"] = [*last["content"], {"type": "text", "text": note}]

    def _hand_over(
        self, turn: _Turn, context: tools.ToolContext, found: list[str], withheld: str
    ) -> Iterator[Event]:
        """Queue the conversation for a person because of triggers checked in code.

        The record is complete before the page hears of it: a customer who closes the tab
        mid-turn still leaves a colleague a summary and a draft.
        """
        reason, priority = escalation.reason_for(found)
        opened = escalation.open_handoff(
            context, reason, priority, reason, trigger=found[0], source="code"
        )
        summary = f"Handoff {opened['reference']} ({priority}): {found[0]}"
        turn.tool_log.append({"name": tools.HANDOFF, "is_error": False, "summary": summary})
        yield ToolFinished(
            "code_trigger",
            tools.HANDOFF,
            {"reason": reason, "priority": priority, "trigger": found[0]},
            False,
            summary,
            opened,
        )
        event = Handoff(opened["reference"], reason, priority, opened["next_steps"])
        turn.handoffs.append(event)
        shown = append_note(turn, handoff_note(event, context.language))
        self._brief(event, turn, context, withheld)
        yield event
        if not turn.held:
            yield TextDelta(shown)

    def _brief(
        self, opened: Handoff, turn: _Turn, context: tools.ToolContext, withheld: str = ""
    ) -> None:
        """Complete a handoff's record: summary, a draft for the colleague, the transcript."""
        escalation.brief(
            context,
            self.reviewer,
            opened.reference,
            opened.reason,
            transcript_of(turn.messages),
            withheld,
        )

    def _record(
        self,
        turn: _Turn,
        context: tools.ToolContext,
        text: str,
        reply: str,
        route: str,
        confidence: float | None,
        sources: list[dict[str, str]],
    ) -> int | None:
        """The turn's record (masked): what was said, flagged, done and spent, where the reply
        went; and one JSON log line without any of the customer's words."""
        usage = turn.usage
        metrics = {
            "tool_calls": turn.tool_log,
            "sources": [{"id": s["id"], "title": s["title"]} for s in sources],
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cost_usd": usage.cost_usd,
            "first_text_ms": turn.first_text_ms,
            "latency_ms": round((time.perf_counter() - turn.started) * 1000),
        }
        flags = [*turn.flags, *turn.guard.findings]
        handoff_reference = turn.handoffs[0].reference if turn.handoffs else None
        turn_log.info(
            json.dumps(
                {
                    "event": "turn",
                    "conversation_id": context.conversation_id,
                    "language": context.language,
                    "route": route,
                    "confidence": confidence,
                    "handoff": handoff_reference,
                    "flags": flags,
                    "tools": [call["name"] for call in turn.tool_log],
                    "sources": [s["id"] for s in sources],
                    "model": config.MODEL,
                    **{k: v for k, v in metrics.items() if k not in ("tool_calls", "sources")},
                }
            )
        )
        try:
            stored = self.store.record_turn(
                context.conversation_id,
                # The store masks what it keeps (guardrails.for_storage).
                customer_text=text,
                reply=reply,
                language=context.language,
                flags=[*turn.flags, *turn.guard.findings],
                route=route,
                confidence=confidence,
                handoff_reference=handoff_reference,
                metrics=metrics,
            )
        except Exception:
            # The customer has their answer; a lost record is logged, not shown to them.
            log.exception("could not record the turn")
            return None
        return stored["id"]

    def _count(self, messages: list[dict[str, Any]]) -> int | None:
        """The exact input tokens of a request built from `messages`; None when it can't tell."""
        request = build_request(messages, len(messages) - 1)
        request.pop("max_tokens")
        try:
            return self.client.messages.count_tokens(**request).input_tokens
        except (anthropic.APIError, httpx2.HTTPError) as error:
            log.warning("token count failed, using the estimate: %s", type(error).__name__)
            return None

    def _retrieve(self, text: str) -> Results | None:
        """Passages for this message; a broken kb/ costs the turn its passages, not the turn."""
        if self.knowledge is None:
            return None
        try:
            return self.knowledge.search(text)
        except Exception:
            log.exception("knowledge search failed; answering without passages")
            return Results()

    def _loop(
        self, turn: _Turn, history_length: int, context: tools.ToolContext
    ) -> Iterator[Event]:
        """Call the model until it ends its turn, running tools between calls."""
        for round_number in range(1, config.MAX_TOOL_ROUNDS + 1):
            message = yield from self._stream(turn, history_length)
            turn.stop_reason = stop = message.stop_reason or "end_turn"
            content = [p for p in (block_param(b) for b in message.content) if p is not None]
            content = with_text(content, turn.round_text)
            if turn.messages[-1]["role"] == "assistant":
                # Continuing a paused turn: the reply extends the same assistant message.
                paused = turn.messages[-1]
                content = [*paused["content"], *content]
                turn.messages.pop()
                turn.new.remove(paused)
            if stop == "tool_use" and not any(b["type"] == "tool_use" for b in content):
                stop = turn.stop_reason = "end_turn"
            if stop == "tool_use" and round_number == config.MAX_TOOL_ROUNDS:
                turn.add({"role": "assistant", "content": closing(content, ROUND_LIMIT, turn)})
                return
            if stop == "tool_use":
                turn.add({"role": "assistant", "content": content})
                turn.add(
                    {
                        "role": "user",
                        "content": (yield from self._run_tools(content, context, turn)),
                    }
                )
                continue
            if stop == "pause_turn":
                turn.add({"role": "assistant", "content": content})
                continue
            if stop == "refusal":
                # A refused exchange is not kept: sent again, it would only be refused again.
                turn.new.clear()
                turn.shown.clear()
                turn.notice = DECLINED
                return
            if stop == "max_tokens":
                content = [b for b in content if b["type"] != "tool_use"]
                turn.add({"role": "assistant", "content": closing(content, CUT_SHORT, turn)})
                return
            if not text_of(content):
                content.append({"type": "text", "text": "…"})
            turn.add({"role": "assistant", "content": content})
            return

    def _stream(
        self, turn: _Turn, history_length: int
    ) -> Generator[Event, None, anthropic.types.Message]:
        """One streamed model call; returns the final message.

        Text reaches the page only after the output checks, a sentence at a time.
        """
        request = build_request(turn.messages, history_length)
        turn.round_text = ""
        new_round = True
        with self.client.messages.stream(**request) as stream:
            for event in stream:
                if event.type == "text":
                    released = turn.guard.feed(event.text)
                    if released:
                        yield from self._show(turn, released, new_round)
                        new_round = False
                elif event.type == "thinking":
                    yield Thinking(event.thinking)
            message = stream.get_final_message()
        released = turn.guard.flush()
        if released:
            yield from self._show(turn, released, new_round)
        usage = usage_of(message, config.MODEL)
        turn.usage = turn.usage + usage
        return message

    def _show(self, turn: _Turn, text: str, new_round: bool) -> Iterator[Event]:
        if turn.first_text_ms is None:
            turn.first_text_ms = round((time.perf_counter() - turn.started) * 1000)
        turn.round_text += text
        if new_round and turn.shown and not turn.shown[-1].endswith("\n"):
            # Text after a tool call starts a new paragraph, not mid-sentence.
            turn.shown.append("\n\n")
            if not turn.held:
                yield TextDelta("\n\n")
        turn.shown.append(text)
        if not turn.held:
            yield TextDelta(text)

    def _run_tools(
        self, content: list[dict[str, Any]], context: tools.ToolContext, turn: _Turn
    ) -> Generator[Event, None, list[dict[str, Any]]]:
        """Run every tool_use in order; return their results as one user message's content."""
        results: list[dict[str, Any]] = []
        for block in content:
            if block["type"] != "tool_use":
                continue
            yield ToolStarted(block["id"], block["name"], block["input"])
            result = tools.run_tool(block["name"], block["input"], context)
            yield ToolFinished(
                block["id"],
                block["name"],
                block["input"],
                result.is_error,
                result.summary,
                result.data,
            )
            turn.tool_log.append(
                {"name": block["name"], "is_error": result.is_error, "summary": result.summary}
            )
            if result.is_error:
                turn.tool_errors += 1
            elif block["name"] != tools.SEARCH or result.data.get("sources"):
                turn.tools_done += 1
            for source in result.data.get("sources", []) if block["name"] == tools.SEARCH else []:
                turn.offered[source["id"]] = source
            handed_off = block["name"] == tools.HANDOFF or result.data.get("handed_off")
            if handed_off and not result.is_error:
                event = Handoff(
                    reference=result.data["reference"],
                    reason=str(block["input"].get("reason", result.summary)),
                    priority=str(result.data.get("priority", "normal")),
                    next_steps=str(result.data.get("next_steps", "")),
                )
                turn.handoffs.append(event)
                self._brief(event, turn, context)
                yield event
            # A tool that moved money within its limit: the reply may say it is done ("I've
            # requested your refund"), which the output check otherwise holds as a promise.
            elif tools.acts_on_money(block["name"]) and not result.is_error:
                turn.guard.promises_allowed = True
            # Stored free text (a claim's description) may carry orders: they stay data.
            output, injected = guardrails.neutralise(result.content)
            if injected:
                turn.flag(f"injection:tool:{block['name']}")
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": block["id"],
                    "content": output,
                    "is_error": result.is_error,
                }
            )
        return results


def append_note(turn: _Turn, note: str) -> str:
    """Add a line of the app's own to the reply and the stored assistant turn; return it as
    shown (with the paragraph break before it)."""
    shown = ("\n\n" if "".join(turn.shown).strip() else "") + note
    turn.shown.append(shown)
    last: dict[str, Any] = turn.new[-1] if turn.new else {"role": "user"}
    if last["role"] == "assistant":
        last["content"] = [*last["content"], {"type": "text", "text": note}]
    return shown


def fold_note(fitted: budget.Fit, language: str) -> str:
    notes = config.FOLD_NOTE["summarised" if fitted.summarised else "set_aside"]
    return config.localised(notes, language).format(turns=fitted.turns)


def handoff_note(event: Handoff, language: str) -> str:
    return config.localised(config.HANDOFF_NOTE, language).format(
        reference=event.reference, next_steps=event.next_steps
    )


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


def closing(content: list[dict[str, Any]], notice: str, turn: _Turn) -> list[dict[str, Any]]:
    """An assistant message that ends the turn with a notice instead of a pending tool call."""
    kept = [b for b in content if b["type"] in ("thinking", "redacted_thinking", "text")]
    turn.notice = notice
    return [*kept, {"type": "text", "text": notice}]
