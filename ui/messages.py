"""How a message looks on the chat page: its text and tool cards in order, the privacy note,
the folding note, the sources it cites, the handoff banner, and the thumbs (with an optional
comment) under an answer.

Draws what it is given and keeps the customer's ratings; it never changes the conversation
(history, display, facts), which only a finished turn does (ui/turn.py).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Literal

import streamlit as st

import tools
from ui.session import store

if TYPE_CHECKING:
    from events import Entry, HandoffLine, Source, ToolCard

AVATARS = {"user": "🙂", "assistant": "🛡️", "agent": "🧑‍💼", "notice": "ℹ️"}
FOLD_HELP = (
    "Each request stays under the token budget (ACME_TOKEN_BUDGET). The whole conversation "
    "is still on this page and in the transcript download."
)


def tool_card(tool: ToolCard) -> None:
    """A finished tool call: what was asked, with what, and how it went."""
    label = tools.label(tool["name"])
    state: Literal["error", "complete"] = "error" if tool["is_error"] else "complete"
    with st.status(f"{label} — {tool['summary']}", state=state, expanded=False):
        st.caption(f"Tool `{tool['name']}`")
        st.code(json.dumps(tool["input"], indent=2), language="json")


def handoff_banner(handoff: HandoffLine) -> None:
    """Who has the conversation now, the reference to quote, and what happens next."""
    next_steps = handoff.get("next_steps") or "A person will pick this conversation up."
    st.info(
        f"**Handed over to a colleague — reference {handoff['reference']}.** {next_steps} "
        "You can keep chatting with Eva meanwhile; quote the reference if you call us.",
        icon="🧑‍💼",
    )


def sources_list(sources: list[Source]) -> None:
    """Every help-centre section the answer cites: title, section and the start of the text."""
    with st.expander(f"Sources ({len(sources)})", icon="📚"):
        for source in sources:
            st.markdown(f"**{source['title']}** — {source['section']}")
            st.caption(source["snippet"])


def rate_answer(turn_id: int) -> None:
    """Keep a thumbs rating (st.feedback: 0 down, 1 up) for one answer."""
    score = st.session_state.get(f"thumbs-{turn_id}")
    if score is not None:
        conversation = st.session_state.facts["conversation_id"]
        store().add_feedback(conversation, "thumbs", score, turn_id=turn_id)


def comment_answer(turn_id: int) -> None:
    """Add the optional comment to the answer's rating."""
    score = st.session_state.get(f"thumbs-{turn_id}")
    comment = st.session_state.get(f"comment-{turn_id}", "").strip()
    if score is not None and comment:
        store().add_feedback(
            st.session_state.facts["conversation_id"],
            "thumbs",
            score,
            turn_id=turn_id,
            comment=comment,
        )
        st.session_state[f"commented-{turn_id}"] = True


def feedback_row(turn_id: int) -> None:
    """Thumbs under an answer; after a rating, one optional line of comment."""
    st.feedback("thumbs", key=f"thumbs-{turn_id}", on_change=rate_answer, args=(turn_id,))
    if st.session_state.get(f"commented-{turn_id}"):
        st.caption("Thanks for the feedback.")
    elif st.session_state.get(f"thumbs-{turn_id}") is not None:
        st.text_input(
            "Anything to add? (optional)",
            key=f"comment-{turn_id}",
            on_change=comment_answer,
            args=(turn_id,),
            placeholder="What was good or missing? Press Enter to send.",
        )


def render_message(entry: Entry) -> None:
    """One message in its bubble: the customer's, Eva's, or a person's from Acme (named), or
    the app's own line (who joined, handed back or closed) as a quiet caption."""
    if entry["role"] == "notice":
        line = " ".join(s["text"] for s in entry["segments"] if s["kind"] == "text")
        st.caption(as_text(line))
        return
    name = entry.get("author") or entry["role"]
    with st.chat_message(name, avatar=AVATARS[entry["role"]]):
        if entry["role"] == "agent":
            st.caption(f"{as_text(name)} · Acme Insurance")
        render_entry(entry)


# Markdown's and Streamlit's own markup ([links](…), **, :red[…], $…$, <tags>): backslashed, each
# character shows as itself (CommonMark escapes).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=])")


def as_text(text: str) -> str:
    """Text for a markdown element (a caption, a table) that shows exactly as written: no link,
    image, heading, HTML or Streamlit directive can come of it. Line breaks stay. (Whole
    messages a person typed are drawn with st.text instead.)"""
    return _MARKDOWN.sub(r"\\\1", text).replace("\n", "  \n")


def person_entry(message: dict[str, Any]) -> Entry:
    """A line the store kept while a person has the conversation, as the page shows it."""
    role: Literal["agent", "notice"] = "agent" if message["kind"] == "agent" else "notice"
    entry: Entry = {"role": role, "segments": [{"kind": "text", "text": str(message["text"])}]}
    if message.get("author_name"):
        entry["author"] = str(message["author_name"])
    return entry


def render_entry(entry: Entry) -> None:
    """One committed message: its text and tool cards in the order they happened."""
    if entry.get("folded"):
        st.caption(entry["folded"], help=FOLD_HELP)
    # What a person typed is plain text (no markdown at all: not even a bare address becomes a
    # link); Eva's replies keep their formatting.
    typed = entry["role"] in ("user", "agent")
    for segment in entry.get("segments", []):
        if segment["kind"] == "text" and typed:
            st.text(segment["text"])
        elif segment["kind"] == "text":
            st.markdown(segment["text"])
        else:
            tool_card(segment)
    if entry.get("privacy"):
        st.info(entry["privacy"], icon="🔒")
    if entry.get("notice"):
        st.caption(entry["notice"])
    if entry.get("sources"):
        sources_list(entry["sources"])
    if handoff := entry.get("handoff"):
        handoff_banner(handoff)
    if (turn_id := entry.get("turn_id")) is not None:
        feedback_row(turn_id)
