"""The customer's page: Eva's greeting, the conversation so far, the message box, a turn as it
streams, a failed turn's retry, the starter questions; and its sidebar: the model badge, who
is signed in, a fresh start, the conversation's rating and transcript, its tokens and cost.
No staff tool: the desk, insights and the Prompt lab are pages of their own, by role.

Composes the page from the modules beside it; turn logic stays in chatbot.py and storage in
the store, and nothing here is kept outside st.session_state.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import streamlit as st

import chatbot
import config
import escalation
import llm
import settings
import tools
from review import reviewer_for
from ui.messages import person_entry, render_message
from ui.session import (
    answering_connection,
    fresh_conversation,
    knowledge,
    resume_or_start,
    save_conversation,
    store,
    triggers_ready,
    who_line,
    within_rate_limit,
)
from ui.turn import RATE_LIMITED, failed_turn, queue, stream_turn

if TYPE_CHECKING:
    from events import Entry


def render() -> None:
    """The whole chat page, once per rerun; a message sent now is answered below the history."""
    if "history" not in st.session_state:
        resume_or_start()
    if "prefill" in st.session_state:
        # A failed message goes back into the input box, ready to send again.
        st.session_state.chat_input = st.session_state.pop("prefill")
    # Past the day's budget, Claude rests and the offline model answers (badged as such).
    conn, capped = answering_connection()
    # The whole page shows before the knowledge base has loaded its models (a second or two on
    # a cold start); it is needed only to answer, and a message sent meanwhile waits for it.
    st.title("Hi, I'm Eva 👋")
    st.caption("Acme Insurance's assistant for car, electric car and two-wheeler insurance.")
    if capped:
        st.info(
            "Today's budget for Claude has been used, so the offline demo model is answering "
            "until midnight UTC.",
            icon="💤",
        )
    sidebar(conn)
    prompt = message_sent()
    for entry in st.session_state.display:
        render_message(entry)
    if prompt:
        st.session_state.failed = None
        reviewer = reviewer_for(conn.client, conn.offline)
        stream_turn(chatbot.ChatBot(conn.client, store(), knowledge(), reviewer), prompt)
    elif st.session_state.failed:
        failed_turn()
    elif not st.session_state.display:
        starters()
    if any(entry.get("handoff") for entry in st.session_state.display):
        people_lines()
    # Every rerun also catches the index up with kb/ edits (and names a broken article).
    kb = knowledge()
    if kb is not None:
        st.sidebar.caption(f"📚 Help centre ready: {len(kb.chunks):,} sections indexed.")
    triggers_ready()


@st.fragment(run_every=settings.LIVE_POLL_SECONDS)
def people_lines() -> None:
    """What Acme's people say (and who joined, handed back or closed), within a couple of
    seconds: polled from the store, since Streamlit has no push from one session to another.
    Runs only once a handoff is open on this conversation."""
    state = st.session_state
    seen = state.facts.get("human_seen", 0)
    new = store().messages_since(state.facts["conversation_id"], seen)
    if not new:
        return
    # The customer's own messages are on the page already (ui/turn.py put them there).
    shown = [person_entry(m) for m in new if m["kind"] != "customer"]
    state.facts = {**state.facts, "human_seen": int(new[-1]["id"])}
    state.display = [*state.display, *shown]
    save_conversation()
    if shown:
        st.rerun(scope="app")


def message_sent() -> str:
    """The customer's message of this rerun (typed, or a button's), if the rate limit allows.

    A refused message is shown where the customer is looking (under the conversation), with the
    text and a button to send it again: the box keeps it too, but a browser may clear it on a
    second refusal.
    """
    prompt = st.chat_input(
        "Ask about coverage, a quote, your policy or a claim…",
        key="chat_input",
        submit_mode="disable",
        max_chars=settings.MAX_MESSAGE_CHARS,
    )
    prompt = (prompt or st.session_state.pop("pending", None) or "").strip()
    # The limit protects the model budget: a message to a person makes no model call.
    with_person = prompt and escalation.person_on(
        store(), st.session_state.facts.get("conversation_id")
    )
    if prompt and not with_person and not within_rate_limit():
        st.session_state.prefill = prompt
        st.session_state.failed = {"text": prompt, "shown": prompt, "message": RATE_LIMITED}
        st.rerun()
    return prompt


def starters() -> None:
    """A new conversation's suggestions, each sent with one click."""
    st.markdown("**Try one of these:**")
    columns = st.columns(2)
    for index, question in enumerate(config.STARTER_QUESTIONS):
        columns[index % 2].button(question, on_click=queue, args=(question,), width="stretch")


def sidebar(conn: llm.Connection) -> None:
    usage = st.session_state.usage
    with st.sidebar:
        st.subheader("Eva · Acme Insurance")
        if conn.offline:
            st.markdown(f":orange-background[🔌 {conn.label}]")
        else:
            st.markdown(f":green-background[✨ {conn.label}]")
        st.caption(who_line())
        st.button("New conversation", on_click=fresh_conversation, width="stretch")
        if st.session_state.display:
            conversation_end()
        st.divider()
        total_input = usage["input"] + usage["cache_write"] + usage["cache_read"]
        share = usage["cache_read"] / total_input if total_input else 0.0
        cost = "n/a (no price in config)" if usage["cost"] is None else f"${usage['cost']:.4f}"
        st.markdown(
            "| This conversation | |\n| --- | ---: |\n"
            f"| Input tokens | {total_input:,} |\n"
            f"| Output tokens | {usage['output']:,} |\n"
            f"| Read from cache | {share:.0%} |\n"
            f"| Estimated cost | {cost} |"
        )
        if conn.offline:
            st.caption("Offline: token counts are estimates and nothing is billed.")


def rate_conversation() -> None:
    stars = st.session_state.get("satisfaction")
    if stars is not None:
        store().add_feedback(st.session_state.facts["conversation_id"], "satisfaction", stars + 1)


def conversation_end() -> None:
    """The one-question rating, and the transcript to keep (masked, as shown)."""
    st.caption("How did Eva do in this conversation?")
    st.feedback("stars", key="satisfaction", on_change=rate_conversation)
    entries = st.session_state.display
    name = f"acme-conversation-{st.session_state.facts['conversation_id'][:8]}"
    st.caption("Keep the transcript (masked, as shown):")
    left, right = st.columns(2)
    left.download_button(
        "Markdown",
        transcript_markdown(entries),
        file_name=f"{name}.md",
        mime="text/markdown",
        width="stretch",
    )
    right.download_button(
        "JSON",
        json.dumps(
            {
                "conversation_id": st.session_state.facts["conversation_id"],
                "language": st.session_state.facts.get("language", "en"),
                "messages": entries,
            },
            ensure_ascii=False,
            indent=2,
        ),
        file_name=f"{name}.json",
        mime="application/json",
        width="stretch",
    )


def transcript_markdown(entries: list[Entry]) -> str:
    """The conversation as a person reads it: who said what, tool steps, sources, handoffs."""
    lines = ["# Conversation with Eva, Acme Insurance", ""]
    for entry in entries:
        speaker = {"user": "**You:**", "assistant": "**Eva:**", "notice": "_Acme:_"}
        author = entry.get("author", "A colleague")
        lines.append(speaker.get(entry["role"], f"**{author} (Acme Insurance):**"))
        for segment in entry.get("segments", []):
            if segment["kind"] == "text":
                lines.append(segment["text"])
            else:
                lines.append(f"> {tools.label(segment['name'])} — {segment['summary']}")
        for source in entry.get("sources") or []:
            lines.append(f"- Source: {source['title']} — {source['section']}")
        if handoff := entry.get("handoff"):
            reference = handoff["reference"]
            lines.append(f"> Handed over to a colleague — reference {reference}")
        lines.append("")
    return "\n".join(lines)
