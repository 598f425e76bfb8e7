"""One customer turn on the page: the reply drawn as it streams (text, tool cards, sources),
then the whole turn committed at once (history, display, facts, usage, the saved state); a
turn that fails leaves all of that as it was and offers the text again with one click.

Turns the bot's events into placeholders; it runs no turn logic of its own (chatbot.py does)
and draws committed messages only through ui/messages.py.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import chatbot
import events
import tools
from events import Entry, HandoffLine, TextSegment, ToolCard
from ui.messages import AVATARS, FOLD_HELP, sources_list, tool_card
from ui.session import save_conversation

RATE_LIMITED = (
    "That's a lot of messages in a short time. Please wait a moment, then send it again: "
    "your text is still in the box, or use *Send again*."
)


def queue(text: str) -> None:
    """A button's question, sent as if typed (used by starters and Retry)."""
    st.session_state.pending = text
    st.session_state.failed = None
    # The failed text was put back in the input box; once resent it must not linger there.
    st.session_state.chat_input = ""


def stream_turn(bot: chatbot.ChatBot, text: str) -> None:
    """Show the reply as it streams, then commit the whole turn at once (or nothing)."""
    state = st.session_state
    with st.chat_message("user", avatar=AVATARS["user"]):
        said = st.empty()
        said.text(text)
        privacy = st.empty()
    shown, privacy_notice = text, ""
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        segments: list[TextSegment | ToolCard] = []
        # The text segment the reply is streaming into, while its box is open.
        current: TextSegment = {"kind": "text", "text": ""}
        status_line = st.empty()
        box = None
        boxes: list[Any] = []
        handoff: HandoffLine | None = None
        folded = ""
        for event in bot.respond(state.history, text, state.facts):
            if isinstance(event, events.Masked):
                shown, privacy_notice = event.text, event.notice
                said.text(shown)
                if privacy_notice:
                    privacy.info(privacy_notice, icon="🔒")
            elif isinstance(event, events.TextDelta):
                if box is None:
                    current = {"kind": "text", "text": ""}
                    segments.append(current)
                    box = st.empty()
                    boxes.append(box)
                current["text"] += event.text
                box.markdown(current["text"] + "▌")
                status_line.empty()
            elif isinstance(event, events.Folded):
                folded = event.notice
                st.caption(folded, help=FOLD_HELP)
            elif isinstance(event, events.Thinking):
                status_line.caption("Eva is thinking…")
            elif isinstance(event, events.ToolStarted):
                if box is not None:
                    box.markdown(current["text"])
                box = None
                label = tools.label(event.name)
                status_line.caption(f"{label}…")
            elif isinstance(event, events.ToolFinished):
                # A card opened by code comes with no ToolStarted: close the text above it.
                if box is not None:
                    box.markdown(current["text"])
                box = None
                status_line.empty()
                card: ToolCard = {
                    "kind": "tool",
                    "name": event.name,
                    "input": event.input,
                    "is_error": event.is_error,
                    "summary": event.summary,
                }
                segments.append(card)
                tool_card(card)
            elif isinstance(event, events.Handoff):
                handoff = {
                    "reference": event.reference,
                    "reason": event.reason,
                    "next_steps": event.next_steps,
                }
            elif isinstance(event, events.Withdrawn):
                # A draft scored too low to send is taken back; only the handoff line stays.
                for shown_box in boxes:
                    shown_box.empty()
                segments = [s for s in segments if s["kind"] != "text"]
                current = {"kind": "text", "text": event.text}
                segments.append(current)
                box = st.empty()
                boxes.append(box)
                box.markdown(event.text)
            elif isinstance(event, events.Sources):
                if box is not None:
                    box.markdown(current["text"])
                sources_list(event.items)
            elif isinstance(event, events.TurnError):
                state.failed = {"text": text, "shown": shown, "message": event.message}
                state.prefill = text
                st.rerun()
            elif isinstance(event, events.TurnDone):
                commit(shown, event, segments, handoff, privacy_notice, folded)
                st.rerun()
            elif isinstance(event, events.WithPerson):
                # A person has the conversation: whatever of Eva's streamed is dropped, and the
                # message went to them (their replies arrive through the page's polling).
                passed_on(shown, event, privacy_notice)
                st.rerun()


def commit(
    text: str,
    done: events.TurnDone,
    segments: list[TextSegment | ToolCard],
    handoff: HandoffLine | None,
    privacy_notice: str = "",
    folded: str = "",
) -> None:
    """Append the finished turn to history and display in one step."""
    state = st.session_state
    if done.stop_reason == "refusal":
        segments = []
    # Everything is computed first and assigned last, so nothing can half-apply.
    history = done.history(state.history)
    display: list[Entry] = [
        *state.display,
        {"role": "user", "segments": [{"kind": "text", "text": text}], "privacy": privacy_notice},
        {
            "role": "assistant",
            "segments": segments,
            "notice": done.notice,
            "handoff": handoff,
            "sources": done.sources,
            "turn_id": done.turn_id,
            "folded": folded,
        },
    ]
    new_totals = (events.Usage.from_totals(state.usage) + done.usage).totals()
    state.history, state.display, state.facts, state.usage = (
        history,
        display,
        done.facts,
        new_totals,
    )
    save_conversation()


def passed_on(text: str, event: events.WithPerson, privacy_notice: str = "") -> None:
    """Keep the customer's message on the page; Eva's history is unchanged (what the person
    and the customer say reaches her in the hand-back note)."""
    state = st.session_state
    said: Entry = {
        "role": "user",
        "segments": [{"kind": "text", "text": text}],
        "privacy": privacy_notice,
    }
    state.display, state.facts = [*state.display, said], event.facts
    save_conversation()


def failed_turn() -> None:
    """The customer's unsent text, a calm explanation and one-click retry."""
    failed = st.session_state.failed
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.text(failed.get("shown", failed["text"]))
        st.caption("Not sent")
    limited = failed["message"] == RATE_LIMITED
    st.warning(failed["message"], icon="⏳" if limited else "⚠️")
    label = "Send again" if limited else "Retry"
    st.button(label, on_click=queue, args=(failed["text"],), type="primary", key="retry")
