"""The agent desk page (/desk, agents and leads): who is acting, the queue of conversations
waiting for a person (most urgent first, then longest waiting, the wait highlighted past the
target), this person's claimed conversations, and the one open among them (ui.desk_conversation
shows it, ui.desk_tools acts on it). It checks the role itself before showing anything.

Reads the store and acts only through ui.desk_tools (escalation and approvals); it never opens
a handoff, never writes an audit row itself and never touches the customer's session state.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

import access
import settings
from escalation import Staff
from store import PRIORITIES
from ui import desk_conversation, desk_tools
from ui.messages import as_text
from ui.session import auth_configured, require, roles, signed_in_as, store, who_line

# Display names as the customer reads them ("Ana from Acme has joined"): short and plain.
NAME_MAX_CHARS = 40
# A display name is a name: no link, markup or directive can come of it on either page.
NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[ '.-])*")
PRIORITY_ICONS = dict(zip(PRIORITIES, ("🔴", "🟠", "🔵", "⚪"), strict=True))
OPEN = "desk_open"  # session_state: the conversation shown, one of this person's
WHOLE_PAGE = "desk_whole_page"  # session_state: a claim asks the whole page to run again


def render() -> None:
    """The desk: who acts, the queue, my conversations, and the one open."""
    require("desk")
    st.sidebar.caption(who_line())
    st.title("Agent desk")
    staff = acting()
    if staff is None:
        return
    st.sidebar.caption(f"Acting as **{as_text(staff.name)}** ({staff.role})")
    st.session_state.pop(WHOLE_PAGE, None)  # this is the whole page's run
    desk_tools.show_flash()
    queue(staff)
    mine = my_conversations(staff)
    opened = st.session_state.get(OPEN)
    if opened not in mine:
        opened = st.session_state[OPEN] = mine[0] if len(mine) == 1 else None
    if opened:
        st.divider()
        handoff = desk_conversation.latest_handoff(opened)
        desk_conversation.show(opened, staff, handoff)
        desk_tools.show(opened, staff, handoff)


def acting() -> Staff | None:
    """Who acts on this desk, as the audit and the customer know them: with sign-in, the email
    and the account's name; with a staff passcode or in local mode, a display name asked once
    (kept for the session), whose id is the name itself so a reload takes the same claims
    back. None while the name is still asked for."""
    granted = roles()
    role = access.LEAD if access.LEAD in granted else access.AGENT
    email = signed_in_as()
    if email:
        name = st.user.get("name")
        shown = name if isinstance(name, str) and name.strip() else email.split("@")[0]
        return Staff(email, shown.strip()[:NAME_MAX_CHARS], role)
    name = st.session_state.get("desk_name")
    if isinstance(name, str) and name:
        how = access.mode(auth_configured())
        return Staff(f"{how}:{name.casefold()}", name, role)
    with st.form("desk-name"):
        typed = st.text_input(
            "Your name, as customers will see it",
            max_chars=NAME_MAX_CHARS,
            placeholder="Ana",
            help='The customer reads "Ana from Acme has joined the conversation."',
        )
        entered = st.form_submit_button("Start working the queue", type="primary")
    if entered:
        cleaned = re.sub(r"\s+", " ", typed).strip()
        if cleaned and NAME.fullmatch(cleaned):
            st.session_state.desk_name = cleaned
            st.rerun()
        st.error("Type the name customers will see: letters, spaces, hyphens and apostrophes.")
    return None


def waited(seconds: int) -> str:
    """A wait as an agent reads it at a glance: 45 s, 12 min, 1 h 05 min."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def wait_label(seconds: int) -> str:
    """The wait, in red past settings.QUEUE_TARGET_SECONDS."""
    shown = f"⏱ {waited(seconds)} waiting"
    if seconds > settings.QUEUE_TARGET_SECONDS:
        return f":red-background[{shown}, over the {waited(settings.QUEUE_TARGET_SECONDS)} target]"
    return shown


@st.fragment(run_every=settings.LIVE_POLL_SECONDS)
def queue(staff: Staff) -> None:
    """The conversations waiting for a person, re-read every settings.LIVE_POLL_SECONDS."""
    if st.session_state.pop(WHOLE_PAGE, False):
        st.rerun(scope="app")
    waiting = store().queue()
    st.subheader("Queue")
    st.caption(
        f"{len(waiting)} waiting, most urgent first, then longest waiting"
        f" (target {waited(settings.QUEUE_TARGET_SECONDS)})."
    )
    if not waiting:
        st.caption("No one is waiting.")
    for entry in waiting:
        queue_row(entry, staff)


def queue_row(entry: dict[str, Any], staff: Staff) -> None:
    """One waiting conversation: reference, priority, wait, reason, language, verified policy,
    and the Claim button."""
    reference, priority = entry["reference"], entry["priority"]
    with st.container(border=True, key=f"queued-{reference}"):
        head, button = st.columns([4, 1], vertical_alignment="center")
        with head:
            st.markdown(
                f"**{reference}** · {PRIORITY_ICONS.get(priority, '')} {priority} · "
                f"{wait_label(entry['waited_seconds'])}"
            )
            st.text(entry["reason"])
            policy = entry.get("policy_number")
            details = [
                f"language: {entry.get('language') or 'unknown'}",
                f"verified policy: {policy}" if policy else "not verified",
            ]
            st.caption(as_text(" · ".join(details)))
        # A callback runs even when the row is gone by the next run (a colleague claimed it
        # meanwhile), so the loser is told rather than finding the row silently gone.
        button.button(
            "Claim",
            key=f"claim-{reference}",
            type="primary",
            on_click=claimed,
            args=(entry["conversation_id"], reference, staff),
        )


def claimed(conversation_id: str, reference: str, staff: Staff) -> None:
    """The Claim button: the conversation opens below when this person got it; the whole page
    runs again either way (the queue is a fragment) to open it or say who was first."""
    if desk_tools.claim(conversation_id, reference, staff):
        st.session_state[OPEN] = conversation_id
    st.session_state[WHOLE_PAGE] = True


def my_conversations(staff: Staff) -> list[str]:
    """The conversations this person has claimed, each with a button to open it; returns
    their ids."""
    mine = store().conversations_in("human", staff.id)
    st.subheader("My conversations")
    if not mine:
        st.caption("None claimed. Claim one from the queue.")
    opened = st.session_state.get(OPEN)
    for conversation in mine:
        cid = conversation["conversation_id"]
        handoff = desk_conversation.latest_handoff(cid)
        label = handoff["reference"] if handoff else cid[:8]
        since = (conversation["since"] or "")[11:16]
        current = " (open below)" if cid == opened else ""
        if st.button(
            f"{label} · claimed {since} UTC{current}",
            key=f"open-{cid}",
            disabled=cid == opened,
        ):
            st.session_state[OPEN] = cid
            st.rerun()
    return [c["conversation_id"] for c in mine]
