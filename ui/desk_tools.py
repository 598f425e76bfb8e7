"""What an agent does on the desk, and what they are told it did: claim, send Eva's draft (as it
is or edited), write a reply or start from a canned one (config.CANNED_REPLIES, in the
customer's language), add a private note, decide a pending action (its exact parameters shown),
hand back to Eva, close with an outcome.

Acts only through escalation and approvals, which audit every move in the store; it adds no
audit of its own and never writes to the store directly. The outcome of an action is said once
at the top of the desk's next run (flash), in plain words.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import approvals
import config
import escalation
import review
import tools
from escalation import NotYours, Staff
from store.tables import OUTCOMES
from ui.messages import as_text
from ui.session import store

FLASH = "desk_flash"  # session_state: (kind, text) said once at the top of the next run
OUTCOME_LABELS = {
    "resolved": "Resolved",
    "unresolved": "Not resolved",
    "no_reply": "The customer stopped replying",
}


def flash(kind: str, text: str) -> None:
    """Keep an action's outcome for the top of the desk's next run."""
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    """The last action's outcome, once."""
    said = st.session_state.pop(FLASH, None)
    if said:
        kind, text = said
        {"success": st.success, "warning": st.warning, "error": st.error}[kind](as_text(text))


def claim(conversation_id: str, reference: str, staff: Staff) -> bool:
    """Claims a waiting conversation; when a colleague got there first, says who."""
    if escalation.claim(store(), conversation_id, staff) is not None:
        flash("success", f"You have {reference}. The customer reads that {staff.name} joined.")
        return True
    now = store().conversation_mode(conversation_id)
    who = now["agent_name"] if now["mode"] == "human" else None
    flash(
        "warning",
        f"{reference} was claimed by {who} first." if who else f"{reference} is no longer waiting.",
    )
    return False


def show(conversation_id: str, staff: Staff, handoff: dict[str, Any] | None) -> None:
    """Every tool for the open conversation (its latest handoff holds Eva's draft)."""
    language = escalation.customer_language(store(), conversation_id)
    pending_actions(conversation_id, staff)
    if handoff and handoff.get("draft") and not _draft_used(conversation_id):
        draft = str(handoff["draft"]).replace(review.AGENT_PLACEHOLDER, staff.name)
        eva_draft(conversation_id, staff, draft)
    free_reply(conversation_id, staff, language)
    private_note(conversation_id, staff)
    finish(conversation_id, staff)


def _draft_used(conversation_id: str) -> bool:
    """Whether a reply already went out from Eva's draft (the audit says as_is or edited)."""
    replies = store().actions(conversation_id, action="reply")
    return any(row["detail"].get("draft") in ("as_is", "edited") for row in replies)


def _said(conversation_id: str, staff: Staff, text: str, draft: str | None = None) -> None:
    """One reply to the customer, under this person's name; refused plainly if it is no longer
    theirs (handed back, closed by a lead)."""
    if not text.strip():
        flash("warning", "Nothing to send: the reply is empty.")
        return
    try:
        escalation.reply(store(), conversation_id, staff, text.strip(), draft=draft)
    except NotYours:
        flash("error", "This conversation is no longer yours, so nothing was sent.")
        return
    flash("success", "Sent. The customer sees it under your name.")


def eva_draft(conversation_id: str, staff: Staff, draft: str) -> None:
    """Eva's draft, to send as it is or edited (the audit records which)."""
    with st.form(f"draft-form-{conversation_id}"):
        edited = st.text_area(
            "Eva's draft: send as it is, or edit it first",
            draft,
            key=f"draft-{conversation_id}",
            height=150,
        )
        if st.form_submit_button("Send the draft", type="primary"):
            _said(conversation_id, staff, edited, draft=draft)
            st.rerun()


def _canned(conversation_id: str, language: str) -> None:
    """A canned reply picked: its text, in the customer's language, into the reply box."""
    picked = st.session_state.get(f"canned-{conversation_id}")
    if picked in config.CANNED_REPLIES:
        texts = config.CANNED_REPLIES[picked]
        st.session_state[f"reply-{conversation_id}"] = config.localised(texts, language)


def free_reply(conversation_id: str, staff: Staff, language: str) -> None:
    """A reply of the agent's own, optionally started from a canned one."""
    st.selectbox(
        "Canned reply (fills the box below, in the customer's language)",
        list(config.CANNED_REPLIES),
        index=None,
        placeholder="Pick one to start from",
        key=f"canned-{conversation_id}",
        on_change=_canned,
        args=(conversation_id, language),
    )
    with st.form(f"reply-form-{conversation_id}", clear_on_submit=True):
        text = st.text_area("Reply to the customer", key=f"reply-{conversation_id}", height=100)
        if st.form_submit_button("Send reply", type="primary"):
            _said(conversation_id, staff, text)
            st.rerun()


def private_note(conversation_id: str, staff: Staff) -> None:
    """A note between colleagues: kept on the conversation, never sent to the customer or Eva."""
    with st.form(f"note-form-{conversation_id}", clear_on_submit=True):
        text = st.text_area(
            "Private note (colleagues only, never sent to the customer)",
            key=f"note-{conversation_id}",
            height=80,
        )
        if st.form_submit_button("Add note"):
            if text.strip():
                escalation.note(store(), conversation_id, staff, text.strip())
                flash("success", "Note added. Only colleagues see it.")
            st.rerun()


def pending_actions(conversation_id: str, staff: Staff) -> None:
    """The actions waiting on a person, with their exact parameters, and the decision on each:
    pending ones can be approved or declined; decided ones say by whom and how it went."""
    found = store().approvals(conversation_id)
    if not found:
        return
    st.markdown("**Actions waiting for approval**")
    for action in found:
        with st.container(border=True, key=f"approval-{action['reference']}"):
            st.markdown(f"**{tools.label(action['tool'])}** · {action['reference']}")
            for name, value in action["params"].items():
                st.text(f"{name}: {value}")
            if action["status"] != "pending":
                st.caption(as_text(_decision(action)))
                continue
            # Callbacks: they run even when the next run no longer draws the buttons (a
            # colleague decided meanwhile), so that decision is said instead of nothing.
            approve, decline = st.columns(2)
            approve.button(
                "Approve",
                key=f"approve-{action['reference']}",
                type="primary",
                on_click=_decide,
                args=(action["reference"], staff, True),
            )
            decline.button(
                "Decline",
                key=f"decline-{action['reference']}",
                on_click=_decide,
                args=(action["reference"], staff, False),
            )


def _decision(action: dict[str, Any]) -> str:
    """A decided action in a sentence: who decided, and what came of it."""
    who = action.get("decided_by_name") or action.get("decided_by") or "a colleague"
    result = action.get("result") or {}
    said = {
        "approved": f"Approved by {who}: {result.get('summary') or 'done'}.",
        "failed": f"Approved by {who}, but it could not be done: {result.get('problem') or ''}",
        "declined": f"Declined by {who}. The customer has been told.",
        "approving": f"Being carried out (approved by {who}).",
    }
    return said.get(action["status"], str(action["status"]))


def _decide(reference: str, staff: Staff, approve: bool) -> None:
    """The decision, run once: a second click or a colleague's decision shows the decision that
    stands instead of acting again (approvals.decide is the store's compare-and-set)."""
    before = store().approval(reference)
    if before is not None and before["status"] == "pending":
        decided = approvals.decide(store(), reference, staff, approve)
        if decided["decided_by"] == staff.id:
            flash("error" if decided["status"] == "failed" else "success", _decision(decided))
            return
    standing = store().approval(reference) or before or {"status": "unknown"}
    flash("warning", f"Already decided, nothing was done again. {_decision(standing)}")


def finish(conversation_id: str, staff: Staff) -> None:
    """Hand back to Eva (with an optional note she reads) or close with an outcome."""
    back, done = st.columns(2)
    with back.form(f"handback-form-{conversation_id}"):
        note_for_eva = st.text_input("Note for Eva (optional)", key=f"eva-note-{conversation_id}")
        if st.form_submit_button("Hand back to Eva"):
            try:
                moved = escalation.hand_back(store(), conversation_id, staff, note_for_eva)
            except NotYours:
                moved = None
            if moved:
                flash("success", "Handed back: Eva answers the customer's next message.")
            else:
                flash("error", "This conversation is no longer yours to hand back.")
            st.rerun()
    with done.form(f"close-form-{conversation_id}"):
        outcome = st.selectbox(
            "Outcome",
            OUTCOMES,
            format_func=lambda o: OUTCOME_LABELS.get(o, o),
            key=f"outcome-{conversation_id}",
        )
        if st.form_submit_button("Close the conversation"):
            try:
                closed = escalation.close(store(), conversation_id, staff, outcome)
            except NotYours:
                closed = None
            if closed:
                flash("success", f"Closed ({OUTCOME_LABELS.get(outcome, outcome)}).")
            else:
                flash("error", "This conversation could not be closed: it is no longer yours.")
            st.rerun()
