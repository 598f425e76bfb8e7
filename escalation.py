"""Why and how a person gets a conversation: the triggers checked in code after each reply,
the team's hours, the one way into the queue (open, or join the open handoff), its priority
and what the customer is told will happen.

Tools (escalate_to_human, the money tools above their limit), the checks after each reply in
chatbot and, later, the agent desk all go through here; the store only keeps the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dt_time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import config
import guardrails
import review
from store import most_urgent

if TYPE_CHECKING:
    from events import Facts
    from review import Reviewer
    from tools import ToolContext

TEAM_HOURS_ET = config.SUPPORT_HOURS
TEAM_TIMEZONE = config.SUPPORT_TIMEZONE
CLAIMS_PHONE = config.FACTS["claims_phone"]


# ---------------------------------------------------------------------------------------------
# When the team is in.
# ---------------------------------------------------------------------------------------------


def team_available(moment: datetime) -> bool:
    """Whether the human team is working at moment (an aware datetime)."""
    local = moment.astimezone(ZoneInfo(TEAM_TIMEZONE))
    hours = TEAM_HOURS_ET.get(local.weekday())
    return hours is not None and hours[0] <= local.hour < hours[1]


def next_opening(moment: datetime) -> datetime:
    """When the team next starts work after `moment` (in the team's time zone)."""
    zone = ZoneInfo(TEAM_TIMEZONE)
    local = moment.astimezone(zone)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        hours = TEAM_HOURS_ET.get(day.weekday())
        if hours is not None:
            opens = datetime.combine(day, dt_time(hours[0]), tzinfo=zone)
            if opens > local:
                return opens
    raise ValueError("config.SUPPORT_HOURS has no working day")


def spoken(moment: datetime) -> str:
    """'Monday 8:00 a.m. Eastern Time', as a customer reads it."""
    return f"{moment:%A} {config.spoken_hour(moment.hour)} Eastern Time"


# ---------------------------------------------------------------------------------------------
# Into the queue.
# ---------------------------------------------------------------------------------------------


def reason_for(triggers: list[str]) -> tuple[str, str]:
    """The handoff's reason and priority for triggers found in code (config.TRIGGERS): every
    reason, at the priority of the most urgent."""
    reasons = [config.TRIGGERS[name] for name in triggers]
    return " ".join(text for text, _ in reasons), most_urgent(*(p for _, p in reasons))


def open_handoff(
    ctx: ToolContext,
    reason: str,
    priority: str,
    summary: str,
    trigger: str,
    source: str = "code",
) -> dict[str, Any]:
    """Queues the conversation for a person and says when they will pick it up.

    The one way into the queue: the model's escalate_to_human, the tools that hit a limit, and
    chatbot's triggers in code. One open handoff per conversation: a retried turn or a second
    trigger reuses it. Returns reference, priority, status, team_available_now and next_steps.
    """
    already = ctx.store.handoffs(conversation_id=ctx.conversation_id)
    handoff = (
        _joined(ctx, already[0], reason, priority, trigger)
        if already
        else ctx.store.add_handoff(
            ctx.conversation_id,
            reason,
            priority,
            summary,
            trigger=trigger,
            language=ctx.language,
            policy_number=ctx.verified_policy,
            source=source,
        )
    )
    available = team_available(ctx.clock())
    if available:
        next_step = "A colleague picks this conversation up, typically within 15 minutes."
    else:
        next_step = (
            f"The team is offline now (open {config.FACTS['hours_weekdays']}; "
            f"{config.FACTS['hours_saturday']}); a colleague picks this up the next business "
            "morning."
        )
        if priority == "urgent":
            next_step += (
                f" For an accident or claim emergency, the claims line {CLAIMS_PHONE} is 24/7."
            )
    return {
        "reference": handoff["reference"],
        "priority": handoff["priority"],
        "status": handoff["status"],
        "team_available_now": available,
        "next_steps": next_step,
    }


def _joined(
    ctx: ToolContext, open_one: dict[str, Any], reason: str, priority: str, trigger: str
) -> dict[str, Any]:
    """An open handoff that a new reason joins: the reason added, the priority raised if the new
    one is more urgent (a $900 dispute after "a person, please" is now high), and a trigger
    found in code named where the model opened it first (the Insights chart reads it)."""
    fields: dict[str, Any] = {}
    if open_one.get("trigger") in (None, "model") and trigger != "model":
        fields["trigger"] = trigger
    if reason not in open_one["reason"]:
        fields["reason"] = f"{open_one['reason']} {reason}"
        fields["priority"] = most_urgent(open_one["priority"], priority)
    if not fields:
        return open_one
    return ctx.store.update_handoff(open_one["reference"], **fields) or open_one


# ---------------------------------------------------------------------------------------------
# Why: the triggers checked in code after every reply, whatever the model did.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """What the checks after a reply found: the triggers that bring in a person, and the abuse
    warning (1, 2, …) given instead of a handoff, if any."""

    found: list[str]
    warning: int | None = None


def after_reply(
    inbound: guardrails.Inbound,
    facts: Facts,
    *,
    reply: str,
    said_before: list[str],
    grounded: bool,
    promise_withheld: bool,
) -> Checked:
    """The customer's message (its verdict on arrival) and Eva's reply against every trigger
    (config.TRIGGERS).

    Updates the conversation's counters in `facts`: abuse warnings given, turns in a row
    without progress, and the customer's recent moods.
    """
    found = list(inbound.triggers)
    warning = None
    if "abuse" in found:
        warned = facts.get("abuse_warnings", 0)
        if warned < config.ABUSE_WARNINGS:
            found.remove("abuse")
            facts["abuse_warnings"] = warning = warned + 1
    if promise_withheld:
        found.append("commitment")
    previous = next((s for s in reversed(said_before) if s), None)
    text = inbound.text
    if review.small_talk(text):
        facts["stalled"] = 0
    elif review.stalled(grounded, reply, text, previous):
        facts["stalled"] = facts.get("stalled", 0) + 1
    else:
        facts["stalled"] = 0
    if facts["stalled"] >= config.STALLED_TURNS:
        found.append("stalled")
    moods = [*facts.get("moods", []), inbound.mood]
    facts["moods"] = moods[-config.SENTIMENT_TURNS :]
    if review.falling(facts["moods"]):
        found.append("sentiment")
    return Checked(found, warning)


# ---------------------------------------------------------------------------------------------
# The colleague's brief.
# ---------------------------------------------------------------------------------------------


def brief(
    ctx: ToolContext,
    reviewer: Reviewer,
    reference: str,
    reason: str,
    transcript: list[dict[str, str]],
    withheld: str = "",
) -> None:
    """Complete a handoff's record: summary, a draft for the colleague, the transcript. Masked
    as the store keeps it first, so the side model writes up what the colleague reads; a reply
    withheld from the customer becomes the draft."""
    masked = guardrails.for_storage(transcript)
    summary, draft = reviewer.write_up(masked, reason, ctx.language, reference)
    ctx.store.update_handoff(
        reference,
        summary=summary,
        draft=withheld or draft,
        transcript=masked,
        language=ctx.language,
        policy_number=ctx.verified_policy,
    )
