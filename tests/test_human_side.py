"""The human side's lifecycle (escalation.py) and approvals (approvals.py): into the queue, the
queue's real wait, claim, reply, note, hand back, close; an action above Eva's limit approved
or declined, run once by the tool's own handler, and the customer told in their language."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

import approvals
import config
import escalation
from escalation import Staff
from store import Store
from tools import ToolContext, ToolResult, run_tool

ET = ZoneInfo("America/New_York")
# A Monday at noon in the team's hours; the EV customer's policy (premium $154.90, renews
# 2027-06-15) from fixtures/customers.json.
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=ET)
EV_POLICY = "ACM-100458"
SAM = Staff("sam@acme.example", "Sam", "agent")
KIM = Staff("kim@acme.example", "Kim", "agent")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'human.db'}")


def context(store: Store, conversation_id: str = "c-1", language: str = "en") -> ToolContext:
    return ToolContext(
        store=store,
        conversation_id=conversation_id,
        verified_policy=EV_POLICY,
        language=language,
        clock=lambda: NOW,
    )


def refund(ctx: ToolContext, amount: float = 800) -> ToolResult:
    request = {"policy_number": EV_POLICY, "amount_usd": amount, "reason": "Charged twice"}
    return run_tool("request_refund", request, ctx)


def queued(store: Store, conversation_id: str = "c-1", language: str = "en") -> dict[str, Any]:
    return escalation.open_handoff(
        context(store, conversation_id, language),
        "The customer asked to speak with a person.",
        "normal",
        "Wants a person.",
        "person",
    )


# Into the queue, and how long it takes -----------------------------------------------------


def test_a_handoff_puts_the_conversation_in_the_queue_audited(store: Store) -> None:
    opened = queued(store)

    assert store.conversation_mode("c-1")["mode"] == "waiting"
    assert [e["reference"] for e in store.queue()] == [opened["reference"]]
    (wait,) = store.actions("c-1")
    assert (wait["actor"], wait["action"]) == ("eva", "wait")
    queued(store)  # a second reason joins the open handoff; the conversation is already waiting
    assert len(store.actions("c-1")) == 1


def claims_waiting(store: Store, *minutes: int) -> None:
    """Claims recorded on Monday morning in the team's hours, after waits of `minutes`."""
    for number, waited in enumerate(minutes):
        store.record_action("a", "A", "agent", "claim", f"c-{number}", {"waited_s": waited * 60})
    claimed = datetime(2026, 11, 23, 10, 0, tzinfo=ET).astimezone(UTC).replace(tzinfo=None)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE staff_actions SET at = :at"), {"at": claimed})


def test_waiting_says_the_queues_real_median_wait(store: Store) -> None:
    claims_waiting(store, 4, 6, 30)

    assert escalation.expected_wait(store, NOW) == 6 * 60
    steps = escalation.next_steps(store, NOW, "normal")
    assert "about 6 minutes" in steps
    assert "15 minutes" not in steps


def test_with_too_few_claims_the_usual_line_stays(store: Store) -> None:
    claims_waiting(store, 4, 6)

    assert escalation.expected_wait(store, NOW) is None
    assert "typically within 15 minutes" in escalation.next_steps(store, NOW, "normal")


def test_time_outside_the_teams_hours_does_not_count_as_waiting() -> None:
    queued_at = datetime(2026, 11, 23, 19, 55, tzinfo=ET)  # Monday, five minutes before closing
    claimed = datetime(2026, 11, 24, 8, 5, tzinfo=ET)  # Tuesday, five minutes after opening

    assert escalation.business_seconds(queued_at, claimed) == 10 * 60


def test_outside_the_teams_hours_the_customer_hears_when_it_opens_and_is_offered_a_ticket(
    store: Store,
) -> None:
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=ET)

    steps = escalation.next_steps(store, sunday, "normal")

    assert "Monday 8:00 a.m. Eastern Time" in steps
    assert "ticket" in steps


# Claim, talk, hand back, close --------------------------------------------------------------


def test_a_claim_tells_the_customer_who_joined_in_their_language(store: Store) -> None:
    queued(store, language="de")

    claimed = escalation.claim(store, "c-1", SAM)

    assert claimed is not None and claimed["agent_name"] == "Sam"
    assert escalation.claim(store, "c-1", KIM) is None
    (joined,) = store.messages_since("c-1")
    assert joined["kind"] == "notice"
    assert joined["text"] == config.JOINED_LINE["de"].format(name="Sam")


def test_only_the_person_who_claimed_it_replies(store: Store) -> None:
    queued(store)
    with pytest.raises(escalation.NotYours):
        escalation.reply(store, "c-1", SAM, "Hello")
    escalation.claim(store, "c-1", SAM)
    with pytest.raises(escalation.NotYours):
        escalation.reply(store, "c-1", KIM, "Hello")

    sent = escalation.reply(store, "c-1", SAM, "Hello, I'm Sam. ", draft="Hello, I'm Sam.")
    escalation.reply(store, "c-1", SAM, "Let me check.", draft="Let me look.")

    assert (sent["kind"], sent["author_name"]) == ("agent", "Sam")
    drafts = [r["detail"]["draft"] for r in store.actions("c-1", action="reply")]
    assert drafts == ["edited", "as_is"]


def test_hand_back_gives_eva_what_was_said_but_never_a_private_note(store: Store) -> None:
    opened = queued(store, language="fr")
    escalation.claim(store, "c-1", SAM)
    escalation.to_person(store, "c-1", "Is my refund done? My email is jo@example.com")
    escalation.reply(store, "c-1", SAM, "Yes, it was approved today.")
    escalation.note(store, "c-1", SAM, "Customer seemed worried about fraud")

    back = escalation.hand_back(store, "c-1", SAM, "She may ask about timing.")

    assert back is not None and back["mode"] == "bot"
    note = back["note"]
    assert "Customer: Is my refund done?" in note
    assert "Sam: Yes, it was approved today." in note
    assert "She may ask about timing." in note
    assert "fraud" not in note and "jo@example.com" not in note
    assert [m["text"] for m in escalation.notes_for_eva(store, "c-1")] == [note]
    assert store.messages_since("c-1")[-1]["text"] == config.HANDED_BACK_LINE["fr"].format(
        name="Sam"
    )
    assert all(m["kind"] != "note" for m in store.messages_since("c-1"))
    assert store.handoffs(status="resolved")[0]["reference"] == opened["reference"]
    with pytest.raises(escalation.NotYours):  # not Sam's any more
        escalation.hand_back(store, "c-1", SAM)


def test_a_second_hand_back_note_covers_only_its_own_stretch(store: Store) -> None:
    queued(store)
    escalation.claim(store, "c-1", SAM)
    escalation.reply(store, "c-1", SAM, "First answer.")
    escalation.hand_back(store, "c-1", SAM)
    queued(store)
    escalation.claim(store, "c-1", KIM)
    escalation.reply(store, "c-1", KIM, "Second answer.")

    back = escalation.hand_back(store, "c-1", KIM)

    assert back is not None
    assert "Second answer." in back["note"] and "First answer." not in back["note"]


def test_close_records_the_outcome_and_a_new_message_reopens_with_eva(store: Store) -> None:
    queued(store)
    escalation.claim(store, "c-1", SAM)
    with pytest.raises(escalation.NotYours):
        escalation.close(store, "c-1", KIM, "resolved")

    closed = escalation.close(store, "c-1", SAM, "resolved")

    assert closed is not None and (closed["mode"], closed["outcome"]) == ("closed", "resolved")
    assert store.handoffs() == []
    assert escalation.turn_starts(store, "c-1") is None
    assert store.conversation_mode("c-1")["mode"] == "bot"
    assert [r["action"] for r in store.actions("c-1")][:2] == ["reopen", "close"]


# Approvals ------------------------------------------------------------------------------------


def test_a_refund_over_the_limit_waits_with_its_exact_input(store: Store) -> None:
    result = refund(context(store))

    assert result.data["handed_off"] is True
    assert store.refunds(EV_POLICY) == []
    (pending,) = store.approvals("c-1")
    assert pending["tool"] == "request_refund"
    assert pending["params"] == {
        "policy_number": EV_POLICY,
        "amount_usd": 800.0,
        "reason": "Charged twice",
    }
    assert pending["handoff_reference"] == result.data["reference"]


def test_approving_runs_the_tool_once_records_the_approver_and_tells_the_customer(
    store: Store,
) -> None:
    refund(context(store, language="es"))
    reference = store.approvals("c-1")[0]["reference"]

    approved = approvals.decide(store, reference, SAM, True, clock=lambda: NOW)
    again = approvals.decide(store, reference, KIM, True, clock=lambda: NOW)

    assert approved["status"] == "approved"
    assert (again["status"], again["decided_by"]) == ("approved", SAM.id)
    (paid,) = store.refunds(EV_POLICY)
    assert (paid["amount"], paid["approved_by"]) == (800.0, SAM.id)
    assert approved["result"]["reference"] == paid["reference"]
    (told,) = store.messages_since("c-1")
    assert told["text"] == config.APPROVED_LINE["request_refund"]["es"].format(
        amount="$800.00", reference=paid["reference"]
    )
    assert told["author_name"] == "Sam"
    assert [r["action"] for r in store.actions("c-1", action="approve")] == ["approve"]


def test_declining_does_nothing_but_tell_the_customer(store: Store) -> None:
    refund(context(store, language="de"))
    reference = store.approvals("c-1")[0]["reference"]

    declined = approvals.decide(store, reference, SAM, False)

    assert (declined["status"], declined["decided_by_name"]) == ("declined", "Sam")
    assert store.refunds(EV_POLICY) == []
    (told,) = store.messages_since("c-1")
    assert told["text"] == config.DECLINED_LINE["de"].format(name="Sam")


def test_an_approved_cancellation_cancels_with_its_refund(store: Store) -> None:
    request = {"policy_number": EV_POLICY, "effective_date": "2026-12-01", "reason": "Sold it"}
    assert run_tool("cancel_policy", request, context(store)).data["handed_off"] is True
    reference = store.approvals("c-1")[0]["reference"]

    approved = approvals.decide(store, reference, SAM, True, clock=lambda: NOW)

    assert approved["status"] == "approved"
    assert store.policy(EV_POLICY)["status"] == "cancelled"  # type: ignore[index]
    (paid,) = store.refunds(EV_POLICY)
    assert (paid["kind"], paid["approved_by"]) == ("cancellation", SAM.id)
    assert "2026-12-01" in store.messages_since("c-1")[0]["text"]


def test_an_approved_policy_change_is_filed_for_the_back_office(store: Store) -> None:
    request = {"policy_number": EV_POLICY, "change": "Add my partner as a named driver"}
    run_tool("request_policy_change", request, context(store))
    reference = store.approvals("c-1")[0]["reference"]

    approved = approvals.decide(store, reference, SAM, True, clock=lambda: NOW)

    (ticket,) = store.tickets()
    assert approved["result"]["reference"] == ticket["reference"]
    assert (ticket["category"], ticket["policy_number"]) == ("policy_change", EV_POLICY)
    assert SAM.id in ticket["description"]


def test_an_action_the_tool_now_refuses_is_marked_failed_and_the_customer_is_not_told(
    store: Store,
) -> None:
    request = {"policy_number": EV_POLICY, "effective_date": "2026-12-01", "reason": "Sold it"}
    run_tool("cancel_policy", request, context(store))
    reference = store.approvals("c-1")[0]["reference"]
    later = NOW + timedelta(days=30)  # the effective date has passed by the time it is approved

    failed = approvals.decide(store, reference, SAM, True, clock=lambda: later)

    assert failed["status"] == "failed"
    assert failed["result"]["problem"]
    assert store.policy(EV_POLICY)["status"] == "active"  # type: ignore[index]
    assert store.messages_since("c-1") == []


def test_two_agents_approving_at_once_make_exactly_one_refund(database_url: str) -> None:
    setup = Store(database_url)
    refund(context(setup))
    reference = setup.approvals("c-1")[0]["reference"]
    agents = [Staff(f"agent-{i}@acme.example", f"Agent {i}", "agent") for i in range(4)]
    stores = [Store(database_url) for _ in agents]
    start = threading.Barrier(len(agents))

    def approve(i: int) -> dict[str, Any]:
        start.wait()
        return approvals.decide(stores[i], reference, agents[i], True, clock=lambda: NOW)

    with ThreadPoolExecutor(max_workers=len(agents)) as pool:
        results = list(pool.map(approve, range(len(agents))))

    (paid,) = setup.refunds(EV_POLICY)
    assert paid["approved_by"] in {agent.id for agent in agents}
    assert len({result["decided_by"] for result in results}) == 1
    assert len(setup.actions("c-1", action="approve")) == 1
    assert len([m for m in setup.messages_since("c-1") if m["kind"] == "agent"]) == 1
    for each in (setup, *stores):
        each.engine.dispose()
