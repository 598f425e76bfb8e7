"""Why and how a person gets a conversation: the triggers checked in code after each reply,
the team's hours and the queue's real wait, the one way into the queue (open, or join the open
handoff, with any action waiting on approval), its priority and what the customer is told; then
the person's side: claim, reply, note, hand back (with the note Eva reads), close.

Tools (escalate_to_human, the money tools above their limit), the checks after each reply in
chatbot and the agent desk all go through here; the store only keeps the rows, and each move of
a conversation between Eva and a person is the store's compare-and-set (store.modes).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import config
import guardrails
import review
import settings
from store import Store, most_urgent

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


def business_seconds(start: datetime, end: datetime) -> float:
    """How much of start..end fell in the team's hours: a conversation queued at 7:55 p.m. and
    claimed at 8:05 a.m. the next day waited ten minutes of the team's time, not twelve hours."""
    zone = ZoneInfo(TEAM_TIMEZONE)
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    total = 0.0
    while day <= last:
        hours = TEAM_HOURS_ET.get(day.weekday())
        if hours is not None:
            midnight = datetime.combine(day, dt_time(0), tzinfo=zone)
            opens, closes = (midnight + timedelta(hours=h) for h in hours)
            total += max(0.0, (min(end, closes) - max(start, opens)).total_seconds())
        day += timedelta(days=1)
    return total


def expected_wait(store: Store, now: datetime) -> float | None:
    """The queue's real wait, in seconds: the median time from queue to claim, in the team's
    hours, over the most recent claims (settings.QUEUE_WAIT_*); None with too few to tell."""
    since = now - timedelta(days=settings.QUEUE_WAIT_WINDOW_DAYS)
    waits = []
    for claim_row in store.actions(action="claim", since=since, limit=settings.QUEUE_WAIT_SAMPLE):
        waited = claim_row["detail"].get("waited_s")
        if isinstance(waited, int | float):
            claimed = datetime.fromisoformat(claim_row["at"])
            waits.append(business_seconds(claimed - timedelta(seconds=waited), claimed))
    if len(waits) < settings.QUEUE_WAIT_MIN_CLAIMS:
        return None
    return float(statistics.median(waits))


def next_steps(store: Store, now: datetime, priority: str) -> str:
    """What the customer is told will happen: in the team's hours the queue's real wait (the
    usual 15 minutes until there are claims to measure), else when the team opens next, with a
    ticket offered instead."""
    if team_available(now):
        wait = expected_wait(store, now)
        if wait is None:
            return "A colleague picks this conversation up, typically within 15 minutes."
        minutes = max(1, math.ceil(wait / 60))
        return (
            f"A colleague picks this conversation up in about {minutes} minute"
            f"{'s' if minutes > 1 else ''} (the team's recent waiting time)."
        )
    step = (
        f"The team is offline now (open {config.FACTS['hours_weekdays']}; "
        f"{config.FACTS['hours_saturday']}); a colleague picks this up the next business "
        f"morning, from {spoken(next_opening(now))}. If you prefer, I can create a ticket "
        "instead and a colleague replies by email."
    )
    if priority == "urgent":
        step += f" For an accident or claim emergency, the claims line {CLAIMS_PHONE} is 24/7."
    return step


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
    pending: tuple[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Queues the conversation for a person and says when they will pick it up.

    The one way into the queue: the model's escalate_to_human, the tools that hit a limit, and
    chatbot's triggers in code. One open handoff per conversation: a retried turn or a second
    trigger reuses it. The conversation moves from Eva to waiting (audited). `pending` is an
    action only a person may approve, (tool, its exact input): it waits on the handoff.
    Returns reference, priority, status, team_available_now and next_steps.
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
    ctx.store.move(ctx.conversation_id, "wait", EVA.id, EVA.name, EVA.role)
    if pending is not None:
        tool, params = pending
        ctx.store.add_approval(
            ctx.conversation_id,
            handoff["reference"],
            tool,
            {k: float(v) if isinstance(v, Decimal) else v for k, v in params.items()},
            policy_number=ctx.verified_policy,
            language=ctx.language,
        )
    now = ctx.clock()
    return {
        "reference": handoff["reference"],
        "priority": handoff["priority"],
        "status": handoff["status"],
        "team_available_now": team_available(now),
        "next_steps": next_steps(ctx.store, now, priority),
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


# ---------------------------------------------------------------------------------------------
# The person's side: claim, talk, hand back, close. Each move is audited by the store.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    """Who acts, as the audit and the customer know them: the sign-in id, the display name the
    customer reads, and the role (customer pages never build one)."""

    id: str
    name: str
    role: str


# Eva, as the audit names her when her turn moves a conversation into the queue.
EVA = Staff("eva", "Eva", "bot")


class NotYours(PermissionError):
    """Only the person who claimed a conversation speaks in it or hands it back."""


def person_on(store: Store, conversation_id: str | None) -> str | None:
    """The display name of the person who owns the conversation now; None while it is Eva's
    (or waiting). Read just before anything of Eva's is shown or stored."""
    if not conversation_id:
        return None
    mode = store.conversation_mode(conversation_id)
    return str(mode["agent_name"] or "") if mode["mode"] == "human" else None


class Claimed(Exception):
    """A person claimed the conversation while Eva was working on her reply."""

    def __init__(self, person: str) -> None:
        super().__init__(person)
        self.person = person


def still_ours(store: Store, conversation_id: str | None) -> None:
    """Raises Claimed if a person owns the conversation now: called before anything of Eva's
    is shown, a tool runs, or her turn is recorded."""
    person = person_on(store, conversation_id)
    if person is not None:
        raise Claimed(person)


def turn_starts(store: Store, conversation_id: str) -> str | None:
    """A customer's message arrives: a closed conversation is Eva's again (audited as
    reopened); returns the person who owns it, if one does (then Eva does not answer)."""
    mode = store.conversation_mode(conversation_id)
    if mode["mode"] == "closed":
        store.move(conversation_id, "reopen", EVA.id, EVA.name, EVA.role)
    return str(mode["agent_name"] or "") if mode["mode"] == "human" else None


def to_person(store: Store, conversation_id: str, text: str) -> dict[str, Any]:
    """The customer's message, kept for the person who owns the conversation (masked)."""
    return store.add_human_message(conversation_id, "customer", text)


def claim(store: Store, conversation_id: str, staff: Staff) -> dict[str, Any] | None:
    """Takes a waiting conversation: the new mode, or None when another colleague claimed it
    first (exactly one of two clicking at once wins). The customer reads who joined."""
    moved = store.move(conversation_id, "claim", staff.id, staff.name, staff.role)
    if moved is not None:
        _tell(store, conversation_id, "notice", config.JOINED_LINE, staff)
    return moved


def reply(
    store: Store, conversation_id: str, staff: Staff, text: str, *, draft: str | None = None
) -> dict[str, Any]:
    """The agent's reply to the customer, under their name; `draft` is Eva's draft when the
    reply started from it (the audit says whether it was sent as it was or edited)."""
    _owned(store, conversation_id, staff)
    message = store.add_human_message(
        conversation_id, "agent", text, author_id=staff.id, author_name=staff.name
    )
    used = "none" if draft is None else "as_is" if text.strip() == draft.strip() else "edited"
    detail = {"message_id": message["id"], "draft": used}
    store.record_action(staff.id, staff.name, staff.role, "reply", conversation_id, detail)
    return message


def note(store: Store, conversation_id: str, staff: Staff, text: str) -> dict[str, Any]:
    """A private note between colleagues: never shown to the customer, never sent to Eva."""
    message = store.add_human_message(
        conversation_id, "note", text, author_id=staff.id, author_name=staff.name
    )
    detail = {"message_id": message["id"]}
    store.record_action(staff.id, staff.name, staff.role, "note", conversation_id, detail)
    return message


def hand_back(
    store: Store, conversation_id: str, staff: Staff, note_for_eva: str = ""
) -> dict[str, Any] | None:
    """Gives the conversation back to Eva: the new mode with "note", what Eva reads of what was
    said and done meanwhile (kept as a "handback" message for the loop to add to her history);
    None if it was not this person's to give back. The handoff is resolved."""
    _owned(store, conversation_id, staff)
    earlier = store.messages_since(conversation_id, private=True)
    last_back = max((m["id"] for m in earlier if m["kind"] == "handback"), default=0)
    moved = store.move(conversation_id, "hand_back", staff.id, staff.name, staff.role)
    if moved is None:
        return None
    lines = [
        f"- {'Customer' if m['kind'] == 'customer' else m['author_name']}: {m['text']}"
        for m in earlier
        if m["id"] > last_back and m["kind"] in ("customer", "agent")
    ]
    if note_for_eva.strip():
        lines.append(f"- {staff.name}'s note for you: {note_for_eva.strip()}")
    text = config.HANDBACK_NOTE.format(
        name=staff.name, lines="\n".join(lines) or "- (nothing was said)"
    )
    kept = store.add_human_message(
        conversation_id, "handback", text, author_id=staff.id, author_name=staff.name
    )
    _tell(store, conversation_id, "notice", config.HANDED_BACK_LINE, staff)
    _resolve(store, conversation_id)
    return {**moved, "note": kept["text"]}


def close(store: Store, conversation_id: str, staff: Staff, outcome: str) -> dict[str, Any] | None:
    """Closes a waiting or claimed conversation with an outcome (store.tables.OUTCOMES); None
    if it was in neither mode. A customer who writes again reopens it with Eva."""
    mode = store.conversation_mode(conversation_id)
    if mode["mode"] == "human" and mode["agent_id"] != staff.id and staff.role != "lead":
        raise NotYours(f"{conversation_id} is {mode['agent_name']}'s")
    moved = store.move(conversation_id, "close", staff.id, staff.name, staff.role, outcome=outcome)
    if moved is not None:
        _tell(store, conversation_id, "notice", config.CLOSED_LINE, staff)
        _resolve(store, conversation_id)
    return moved


def handback_note(store: Store, conversation_id: str, facts: Facts) -> str:
    """The hand-back notes Eva has not read yet, as one text for this turn's message (empty
    when there are none); the facts remember the last one read."""
    notes = notes_for_eva(store, conversation_id, facts.get("handback_seen", 0))
    if notes:
        facts["handback_seen"] = max(int(n["id"]) for n in notes)
    return "\n\n".join(str(n["text"]) for n in notes)


def notes_for_eva(store: Store, conversation_id: str, after_id: int = 0) -> list[dict[str, Any]]:
    """The hand-back notes newer than after_id: what the loop adds to Eva's history."""
    found = store.messages_since(conversation_id, after_id, private=True)
    return [m for m in found if m["kind"] == "handback"]


def customer_language(store: Store, conversation_id: str) -> str:
    """The conversation's language as last recorded (or its handoff's), English if neither."""
    language = store.conversation_mode(conversation_id)["language"]
    if not language:
        handoffs = store.handoffs(status=None, conversation_id=conversation_id)
        language = handoffs[-1]["language"] if handoffs else None
    return str(language or "en")


def tell(
    store: Store, conversation_id: str, staff: Staff, texts: dict[str, str], **values: Any
) -> dict[str, Any]:
    """A line of config's (per language) to the customer in their language, under staff's name."""
    return _tell(store, conversation_id, "agent", texts, staff, **values)


def _tell(
    store: Store,
    conversation_id: str,
    kind: str,
    texts: dict[str, str],
    staff: Staff,
    **values: Any,
) -> dict[str, Any]:
    line = config.localised(texts, customer_language(store, conversation_id))
    return store.add_human_message(
        conversation_id,
        kind,
        line.format(name=staff.name, **values),
        author_id=staff.id,
        author_name=staff.name,
    )


def _owned(store: Store, conversation_id: str, staff: Staff) -> None:
    mode = store.conversation_mode(conversation_id)
    if mode["mode"] != "human" or mode["agent_id"] != staff.id:
        raise NotYours(f"{conversation_id} is not claimed by {staff.name}: claim it first")


def _resolve(store: Store, conversation_id: str) -> None:
    for handoff in store.handoffs(conversation_id=conversation_id):
        store.resolve_handoff(handoff["reference"])
