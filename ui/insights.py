"""The insights page (/insights, leads): the pilot's numbers: conversations and turns,
deflection, thumbs up, cost per conversation, cache share, reply times, conversations per day
and handoffs by reason, for the last 30 days.

Reads the store's aggregates only: no conversation text, and nothing written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from ui.session import require, store, who_line

INSIGHT_DAYS = 30


def render() -> None:
    """The pilot's numbers for the last 30 days, from the database (no conversation text)."""
    require("insights")
    st.sidebar.caption(who_line())
    st.title("Insights")
    st.caption(f"The last {INSIGHT_DAYS} days, from the database (no conversation text).")
    since = datetime.now(UTC) - timedelta(days=INSIGHT_DAYS)
    numbers = store().insights(since)
    with st.container():
        if not numbers["conversations"]:
            st.caption("No conversations recorded yet.")
            return

        def share(value: float | None) -> str:
            return "–" if value is None else f"{value:.0%}"

        cost = numbers["cost_per_conversation"]
        p50, p95 = numbers["latency_p50_ms"], numbers["latency_p95_ms"]
        st.markdown(
            "| | |\n| --- | ---: |\n"
            f"| Conversations | {numbers['conversations']:,} ({numbers['turns']:,} turns) |\n"
            f"| Resolved without a person | {share(numbers['deflection'])} |\n"
            f"| Thumbs up | {share(numbers['thumbs_up_rate'])} of {numbers['ratings']} |\n"
            f"| Cost per conversation | {'–' if cost is None else f'${cost:.4f}'} |\n"
            f"| Input read from cache | {share(numbers['cache_read_share'])} |\n"
            f"| Reply time p50 / p95 | {p50 or '–'} / {p95 or '–'} ms |"
        )
        st.caption("Conversations per day")
        st.bar_chart(
            {"day": list(numbers["per_day"]), "conversations": list(numbers["per_day"].values())},
            x="day",
            y="conversations",
            x_label="",
            y_label="",
            height=200,
        )
        if numbers["escalation_by_trigger"]:
            st.caption("Handed to a person, by reason (share of conversations)")
            st.bar_chart(
                {
                    "reason": list(numbers["escalation_by_trigger"]),
                    "share": list(numbers["escalation_by_trigger"].values()),
                },
                x="reason",
                y="share",
                x_label="",
                y_label="",
                height=180,
                horizontal=True,
            )
    people(since)


def people(since: datetime) -> None:
    """The human side: how long customers wait for a person, where conversations are, and what
    the team did (from the audit trail and the modes; no text)."""
    numbers = store().people(since)
    st.subheader("People")

    def seconds(value: int | None) -> str:
        return "–" if value is None else f"{value // 60} min {value % 60} s"

    by_mode = numbers["by_mode"]
    st.markdown(
        "| | |\n| --- | ---: |\n"
        f"| First reply from a person, p50 / p95 | {seconds(numbers['first_reply_p50_s'])} / "
        f"{seconds(numbers['first_reply_p95_s'])} ({numbers['first_replies']} replies) |\n"
        f"| Now with Eva / waiting / with a person / closed | {by_mode['bot']} / "
        f"{by_mode['waiting']} / {by_mode['human']} / {by_mode['closed']} |\n"
        f"| Resolved by Eva / by a person | {numbers['resolved_by_eva']} / "
        f"{numbers['resolved_by_person']} |\n"
        f"| Handed back to Eva / reopened | {numbers['handed_back']} / {numbers['reopened']} |\n"
        f"| Approvals granted / declined / pending | {numbers['approvals_granted']} / "
        f"{numbers['approvals_declined']} / {numbers['approvals_pending']} |"
    )
