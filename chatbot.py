"""ChatBot: one customer turn, end to end, as a stream of typed events. No Streamlit here.

A turn, top to bottom (respond): check the customer's message once (guardrails.check), search
the help centre, build the request (request.py), stream the reply through the output check, run
every tool the model asked for, loop until the model ends its turn, apply the escalation policy
(escalation.py), record the turn, and hand the caller the new messages in one piece. The caller
commits them or, when the turn fails, does nothing at all: history is never touched halfway.
While a person owns the conversation Eva never answers: the state is read when the turn starts
and again before anything of hers is shown or stored, and a claim that lands mid-turn ends it
with WithPerson (the customer's message goes to the person).

Owns the loop only: requests are built in request.py, tags in envelope.py, handoffs opened in
escalation.py, tools run by tools.py, rows written by the store.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator, Iterator
from datetime import date, datetime
from typing import Any

import anthropic
import httpx2

import budget
import config
import escalation
import guardrails
import llm
import review
import settings
import tools
from events import (
    Event,
    Facts,
    Folded,
    Handoff,
    Masked,
    Source,
    Sources,
    TextDelta,
    Thinking,
    ToolFinished,
    ToolStarted,
    TurnDone,
    TurnError,
    Usage,
    Withdrawn,
    WithPerson,
)
from insurance import money
from knowledge import KnowledgeBase, Results, cited_sources
from request import (
    block_param,
    build_request,
    customer_text,
    request_tokens,
    text_of,
    user_message,
    with_text,
)
from store import Store
from transcripts import evidence_of, fold_transcript, transcript_of
from turn import Turn

log = logging.getLogger(__name__)
# One JSON line per finished turn: ids, route, timings, tokens, tools. Never the customer's words.
turn_log = logging.getLogger("acme.turns")


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
        self, history: list[dict[str, Any]], text: str, facts: Facts | None = None
    ) -> Iterator[Event]:
        """Yield the events of one turn; the last is TurnDone, TurnError or WithPerson."""
        facts = Facts(**(facts or {}))
        inbound = guardrails.check(text, facts.get("language", "en"))
        if inbound.masked:
            told = facts.get("masking_explained", False)
            facts["masking_explained"] = True
            notice = "" if told else guardrails.masking_notice(inbound.masked)
            yield Masked(inbound.text, inbound.masked, notice)
        facts["language"] = inbound.language
        context = tools.ToolContext.of(
            self.store, facts, self.knowledge, inbound.language, self.clock
        )
        person = escalation.turn_starts(self.store, context.conversation_id)
        if person is not None:
            yield self._passed_on(context, inbound.text, facts, person, joined=False)
            return
        said_before = [customer_text(m) for m in history if m["role"] == "user"]
        turn = Turn.start(history, said_before, inbound, held=config.HOLD_REPLY_UNTIL_SCORED)
        found = self._retrieve(inbound.text)
        if found is not None:
            turn.offered.update((hit.chunk.id, hit.source()) for hit in found.hits())
        try:
            today = money.business_date(context.clock())
            yield from self._fit(turn, history, inbound, found, facts, today)
            yield from self._loop(turn, len(turn.messages) - 1, context)
            escalation.still_ours(self.store, context.conversation_id)
        except escalation.Claimed as claimed:
            yield self._passed_on(context, inbound.text, facts, claimed.person, joined=True)
            return
        except (anthropic.APIError, httpx2.HTTPError) as error:
            log.warning("turn failed: %s", type(error).__name__)
            yield TurnError(llm.customer_message(error))
            return
        except Exception:
            log.exception("turn failed unexpectedly")
            yield TurnError(config.UNEXPECTED)
            return
        sources = cited_sources(turn.reply(), turn.offered)
        # Even a refused exchange is checked: a threat to sue still reaches a person.
        try:
            route, confidence = yield from self._escalate(
                turn, inbound, said_before, facts, context, bool(sources)
            )
            escalation.still_ours(self.store, context.conversation_id)
        except escalation.Claimed as claimed:
            yield self._passed_on(context, inbound.text, facts, claimed.person, joined=True)
            return
        if turn.held:
            yield TextDelta(turn.reply())
        context.remember(facts)
        reply = turn.reply()
        sources = sources if route != review.WITHHOLD else []
        turn_id = self._record(turn, context, inbound.text, reply, route, confidence, sources)
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

    def _passed_on(
        self, context: tools.ToolContext, text: str, facts: Facts, person: str, joined: bool
    ) -> WithPerson:
        """The turn's end without Eva: the customer's (masked) message kept for the person."""
        message = escalation.to_person(self.store, context.conversation_id, text)
        context.remember(facts)
        return WithPerson(person, int(message["id"]), joined, facts)

    def _fit(
        self,
        turn: Turn,
        history: list[dict[str, Any]],
        inbound: guardrails.Inbound,
        found: Results | None,
        facts: Facts,
        today: date,
    ) -> Iterator[Event]:
        """Add this turn's message, folding the oldest turns first if the request would not fit
        the context budget (summarised by the side model, or set aside)."""
        # A colleague who handed the conversation back left a note: it rides in this message.
        note = escalation.handback_note(self.store, facts.get("conversation_id", ""), facts)
        message = self._user_message(inbound.text, found, inbound.language, turn, note, today)
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
            yield Folded(
                fitted.turns,
                fitted.summarised,
                config.fold_note(fitted.turns, fitted.summarised, inbound.language),
            )
        turn.add(fitted.messages[-1])

    def _user_message(
        self, text: str, found: Results | None, language: str, turn: Turn, note: str, today: date
    ) -> dict[str, Any]:
        """This turn's user message, with passages that try to give orders neutralised."""
        message = user_message(text, found, language, note, today)
        if found is not None:
            block = message["content"][0]
            block["text"], injected = guardrails.neutralise(block["text"])
            if injected:
                turn.flag("injection:article")
        return message

    def _escalate(
        self,
        turn: Turn,
        inbound: guardrails.Inbound,
        said_before: list[str],
        facts: Facts,
        context: tools.ToolContext,
        cited: bool,
    ) -> Generator[Event, None, tuple[str, float | None]]:
        """The checks after a reply is drafted: triggers, warnings, confidence, handoff.

        Returns (route, confidence). Every trigger is checked in code, whatever the model did.
        """
        language = context.language
        grounded = cited or turn.tools_done > 0
        checked = escalation.after_reply(
            inbound,
            facts,
            reply=turn.reply(),
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
        if not found and not turn.handoffs and turn.stop_reason == "end_turn":
            route, confidence, withheld = yield from self._review(
                turn, inbound.text, grounded, language
            )
            if withheld:
                found.append("low_confidence")
        if warn:
            # Last, so a withdrawn draft cannot take the warning with it.
            yield from self._say(turn, config.localised(config.ABUSE_WARNING, language))
        turn.flags += [f"trigger:{name}" for name in found]
        if found and not turn.handoffs:
            yield from self._hand_over(turn, context, found, withheld)
        elif found:
            self._join(context, found)
        if turn.handoffs:
            route = review.WITHHOLD if withheld else "handed_off"
        return route, confidence

    def _review(
        self, turn: Turn, question: str, grounded: bool, language: str
    ) -> Generator[Event, None, tuple[str, float | None, str]]:
        """Score a finished reply nothing else flagged: send it, offer a person beside it, or
        withdraw it for a colleague. Returns (route, confidence, the withdrawn draft or "")."""
        reply = turn.reply()
        if not reply.strip():
            return review.SEND, None, ""
        draft = review.Draft(
            question=question,
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
            turn.withdraw(config.localised(config.WITHDRAWN_NOTE, language))
            if not turn.held:
                yield Withdrawn(turn.reply())
            return route, confidence, reply
        return route, confidence, ""

    def _say(self, turn: Turn, note: str) -> Iterator[Event]:
        """A line of the app's own at the end of the reply (and of the stored assistant turn)."""
        shown = turn.note(note)
        if not turn.held:
            yield TextDelta(shown)

    def _hand_over(
        self, turn: Turn, context: tools.ToolContext, found: list[str], withheld: str
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
        shown = turn.note(config.handoff_note(event.reference, event.next_steps, context.language))
        self._brief(event, turn, context, withheld)
        yield event
        if not turn.held:
            yield TextDelta(shown)

    def _join(self, context: tools.ToolContext, found: list[str]) -> None:
        """Triggers found in code on a turn where the model already handed over join its
        handoff: the queue and the Insights chart say why (a dispute above the limit, a request
        for a person), not just "model", and the graver reason raises the priority. The
        customer has already been told."""
        reason, priority = escalation.reason_for(found)
        escalation.open_handoff(context, reason, priority, reason, trigger=found[0], source="code")

    def _brief(
        self, opened: Handoff, turn: Turn, context: tools.ToolContext, withheld: str = ""
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
        turn: Turn,
        context: tools.ToolContext,
        text: str,
        reply: str,
        route: str,
        confidence: float | None,
        sources: list[Source],
    ) -> int | None:
        """The turn's record (masked): what was said, flagged, done and spent, where the reply
        went; and one JSON log line without any of the customer's words."""
        metrics = turn.metrics(sources)
        flags = turn.findings()
        handoff_reference = turn.handoffs[0].reference if turn.handoffs else None
        line = turn.log_line(context.conversation_id, context.language, route, confidence, sources)
        turn_log.info(json.dumps(line))
        try:
            stored = self.store.record_turn(
                context.conversation_id,
                # The store masks what it keeps (guardrails.for_storage).
                customer_text=text,
                reply=reply,
                language=context.language,
                flags=flags,
                route=route,
                confidence=confidence,
                handoff_reference=handoff_reference,
                metrics=metrics,
            )
        except Exception:
            # The customer has their answer; a lost record is logged, not shown to them.
            log.exception("could not record the turn")
            return None
        return int(stored["id"])

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

    def _loop(self, turn: Turn, history_length: int, context: tools.ToolContext) -> Iterator[Event]:
        """Call the model until it ends its turn, running tools between calls."""
        for round_number in range(1, config.MAX_TOOL_ROUNDS + 1):
            message = yield from self._stream(turn, history_length, context)
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
                turn.add(
                    {"role": "assistant", "content": turn.closing(content, config.ROUND_LIMIT)}
                )
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
                turn.notice = config.DECLINED
                return
            if stop == "max_tokens":
                content = [b for b in content if b["type"] != "tool_use"]
                turn.add({"role": "assistant", "content": turn.closing(content, config.CUT_SHORT)})
                return
            if not text_of(content):
                content.append({"type": "text", "text": "…"})
            turn.add({"role": "assistant", "content": content})
            return

    def _stream(
        self, turn: Turn, history_length: int, context: tools.ToolContext
    ) -> Generator[Event, None, anthropic.types.Message]:
        """One streamed model call; returns the final message.

        Text reaches the page only after the output checks, word by word, and only while no
        person owns the conversation (raises Claimed otherwise).
        """
        request = build_request(turn.messages, history_length)
        turn.round_text = ""
        new_round = True
        # The conversation's state is read before the first words and again as each new
        # sentence starts to show (at most STATE_CHECK_SECONDS apart within a long one), not
        # at every word: a person who claims it stops Eva within a sentence.
        checked: tuple[int, float] | None = None
        with self.client.messages.stream(**request) as stream:
            for event in stream:
                if event.type == "text":
                    released = turn.guard.feed(event.text)
                    if released:
                        now = time.monotonic()
                        if (
                            checked is None
                            or checked[0] != turn.guard.finished
                            or now - checked[1] >= settings.STATE_CHECK_SECONDS
                        ):
                            escalation.still_ours(self.store, context.conversation_id)
                            checked = (turn.guard.finished, now)
                        yield from self._show(turn, released, new_round)
                        new_round = False
                elif event.type == "thinking":
                    yield Thinking(event.thinking)
            message = stream.get_final_message()
        released = turn.guard.flush()
        if released:
            escalation.still_ours(self.store, context.conversation_id)
            yield from self._show(turn, released, new_round)
        usage = Usage.of(message, config.MODEL)
        turn.usage = turn.usage + usage
        return message

    def _show(self, turn: Turn, text: str, new_round: bool) -> Iterator[Event]:
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
        self, content: list[dict[str, Any]], context: tools.ToolContext, turn: Turn
    ) -> Generator[Event, None, list[dict[str, Any]]]:
        """Run every tool_use in order; return their results as one user message's content."""
        results: list[dict[str, Any]] = []
        for block in content:
            if block["type"] != "tool_use":
                continue
            escalation.still_ours(
                self.store, context.conversation_id
            )  # a tool may move money: never after a person has taken over
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
            turn.took(block["name"], result, searched=block["name"] == tools.SEARCH)
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
