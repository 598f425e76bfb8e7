"""One claimed conversation as the agent reads it on the desk: the handoff (reason, Eva's
summary), the verified policy, the tool calls Eva made, what was said with Eva before (masked,
as the store keeps it), and the human-mode lines as they grow (re-read every second), private
notes marked apart from what the customer sees.

Draws only, and every text anyone typed as plain text (st.text), never as markdown or HTML;
the actions on the conversation are ui.desk_tools'. Writes nothing.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import settings
from escalation import Staff, customer_language
from ui.messages import as_text
from ui.session import store

AVATARS = {"customer": "🙂", "agent": "🧑‍💼", "eva": "🛡️", "note": "📝", "handback": "↩️"}
# What each kind of human-mode line is called on the desk (store.tables.MESSAGE_KINDS).
PRIVATE_LABEL = "Private note, never shown to the customer"
HANDBACK_LABEL = "Note for Eva (hand-back), never shown to the customer"


def latest_handoff(conversation_id: str) -> dict[str, Any] | None:
    """The conversation's most recent handoff, open or resolved."""
    found = store().handoffs(status=None, conversation_id=conversation_id)
    return max(found, key=lambda h: h["created_at"]) if found else None


def show(conversation_id: str, staff: Staff, handoff: dict[str, Any] | None) -> None:
    """The open conversation: the brief, what happened with Eva, then the live lines."""
    language = customer_language(store(), conversation_id)
    reference = handoff["reference"] if handoff else conversation_id[:8]
    st.subheader(f"Conversation {reference}")
    st.caption(
        as_text(
            f"Claimed by {staff.name} · customer's language: {language}"
            + (f" · {handoff['priority']} priority" if handoff else "")
        )
    )
    if handoff:
        st.markdown("**Why they need a person**")
        st.text(handoff["reason"])
        st.markdown("**Eva's summary**")
        st.text(handoff["summary"] or "(no summary)")
        verified_policy(handoff.get("policy_number"))
    turns = (store().conversation(conversation_id) or {}).get("turns", [])
    tool_calls(turns)
    with st.expander("With Eva before the handoff (masked)", expanded=False):
        before_you(turns, handoff)
    st.markdown("**Since the handoff**")
    live_lines(conversation_id)


def verified_policy(number: str | None) -> None:
    """The policy Eva verified the customer against, if she did: enough to act on, no more."""
    if not number:
        st.caption("Policy: not verified with Eva. Verify the customer before acting on one.")
        return
    policy = store().policy(number)
    if policy is None:
        st.caption(as_text(f"Verified policy {number} (not found in the records)."))
        return
    holder = policy["holder"]
    st.caption(
        as_text(
            f"Verified policy {number}: {policy['product']}, {policy['status']}, "
            f"holder {holder['first_name']} {holder['last_name']}, "
            f"renews {policy['renewal_date']}, {policy['coverage']['level']} coverage."
        )
    )


def tool_calls(turns: list[dict[str, Any]]) -> None:
    """What Eva's tools did in this conversation, oldest first (the turns' records keep name,
    outcome and a masked summary, never the input)."""
    calls = [call for turn in turns for call in turn.get("tool_calls") or []]
    st.markdown(f"**Eva's tool calls** ({len(calls)})")
    if not calls:
        st.caption("None.")
    for call in calls:
        mark = "✗" if call.get("is_error") else "✓"
        st.text(f"{mark} {call.get('name')}: {call.get('summary') or ''}")


def before_you(turns: list[dict[str, Any]], handoff: dict[str, Any] | None) -> None:
    """The exchanges with Eva as recorded turn by turn (masked for storage); the handoff's own
    transcript when no turn was recorded."""
    if turns:
        for turn in turns:
            line("user", AVATARS["customer"], turn["customer_text"])
            if turn["reply"]:
                line("assistant", AVATARS["eva"], turn["reply"])
        return
    for said in (handoff or {}).get("transcript") or []:
        customer = said.get("role") == "user"
        line(
            "user" if customer else "assistant",
            AVATARS["customer" if customer else "eva"],
            said.get("text", ""),
        )
    if not handoff or not handoff.get("transcript"):
        st.caption("Nothing recorded.")


def line(name: str, avatar: str, text: str, label: str | None = None) -> None:
    """One message as plain text (never markdown or HTML), with a label above it."""
    with st.chat_message(name, avatar=avatar):
        if label:
            st.caption(as_text(label))
        st.text(text)


@st.fragment(run_every=settings.LIVE_POLL_SECONDS)
def live_lines(conversation_id: str) -> None:
    """The human-mode lines, notes included, re-read every settings.LIVE_POLL_SECONDS: only those
    newer than the last one this session holds are fetched."""
    held: list[dict[str, Any]] = st.session_state.setdefault(f"desk_lines_{conversation_id}", [])
    after = held[-1]["id"] if held else 0
    held.extend(store().messages_since(conversation_id, after, private=True))
    if not held:
        st.caption("Nothing yet. The customer reads your reply as soon as you send it.")
    for said in held:
        kind, author = said["kind"], said["author_name"] or ""
        if kind == "customer":
            line("user", AVATARS["customer"], said["text"], "Customer")
        elif kind == "agent":
            line("agent", AVATARS["agent"], said["text"], f"{author} (to the customer)")
        elif kind == "note":
            line("note", AVATARS["note"], said["text"], f"{PRIVATE_LABEL} · {author}")
        elif kind == "handback":
            line("note", AVATARS["handback"], said["text"], HANDBACK_LABEL)
        else:
            st.caption(as_text(f"ℹ️ {said['text']}"))
