"""The agent desk page (/desk, agents and leads): the human team's queue of open handoffs, most
urgent first, each with its summary, an editable draft reply, the masked transcript and
one-click resolve. It checks the role itself before showing anything.

Reads and resolves handoffs through the store only; it never opens a handoff (escalation.py
does) and never touches the customer's session state.
"""

from __future__ import annotations

import streamlit as st

from ui.session import require, store, who_line


def resolve(reference: str) -> None:
    """The desk's button: the handoff closed (the store's answer is not needed here)."""
    store().resolve_handoff(reference)


def render() -> None:
    """The human team's queue: open handoffs, most urgent first, each with one-click resolve."""
    require("desk")
    st.sidebar.caption(who_line())
    st.title("Agent desk")
    queue = store().handoffs(status="open")
    st.caption(f"{len(queue)} open, most urgent first, then oldest.")
    with st.container():
        if not queue:
            st.caption("No open handoffs.")
        for handoff in queue:
            st.markdown(
                f"**{handoff['reference']}** · {handoff['priority']} · "
                f"{handoff['created_at'][:16].replace('T', ' ')} UTC"
            )
            details = [handoff.get("trigger") or "", handoff.get("language") or ""]
            if handoff.get("policy_number"):
                details.append(f"verified {handoff['policy_number']}")
            st.caption(f"{handoff['reason']} · {' · '.join(d for d in details if d)}")
            st.text(handoff["summary"])
            st.text_area(
                "Draft reply (edit before sending)",
                handoff.get("draft") or "",
                key=f"draft-{handoff['reference']}",
                height=120,
            )
            if handoff.get("transcript"):
                with st.popover("Transcript (masked)"):
                    for line in handoff["transcript"]:
                        st.markdown(f"**{line['role']}:** {line['text']}")
            st.button(
                "Mark resolved",
                key=f"resolve-{handoff['reference']}",
                on_click=resolve,
                args=(handoff["reference"],),
            )
