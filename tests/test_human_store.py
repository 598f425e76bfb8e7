"""The store's human side: the audit trail, who speaks for Acme (modes and their compare-and-set
moves), human-mode messages, the queue and pending actions.

Every test runs on SQLite and on PostgreSQL (conftest's database_url); the races use threads
released together by a Barrier, each with a Store of its own, as two app replicas would be.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import delete, text

from store import Store, migrations, records
from store.migrations import APPLIED

Result = TypeVar("Result")
CUSTOMER_TEXT = "My card is 4111 1111 1111 1111 and my email is jo@example.com"


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(database_url)


def waiting(store: Store, conversation_id: str = "c-1", priority: str = "normal") -> None:
    store.add_handoff(conversation_id, "Asked for a person.", priority, "Wants a person.")
    assert store.move(conversation_id, "wait", "eva", "Eva", "bot") is not None


def together(database_url: str, count: int, act: Callable[[Store, int], Result]) -> list[Result]:
    """act(store, i) in `count` threads at once, each with its own Store (a replica's)."""
    stores = [Store(database_url) for _ in range(count)]
    start = threading.Barrier(count)

    def run(i: int) -> Result:
        start.wait()
        return act(stores[i], i)

    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(run, range(count)))
    finally:
        for each in stores:
            each.engine.dispose()


# The audit trail ------------------------------------------------------------------------------


def test_an_action_is_kept_and_logged_without_free_text(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="acme.staff"):
        row = store.record_action(
            "sam@acme.example", "Sam", "agent", "note", "c-1", {"message_id": 7}
        )

    assert (row["actor"], row["actor_name"], row["role"], row["action"]) == (
        "sam@acme.example",
        "Sam",
        "agent",
        "note",
    )
    assert store.actions("c-1") == [row]
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "acme.staff"]
    assert line["event"] == "staff_action"
    assert (line["action"], line["conversation_id"], line["detail"]) == (
        "note",
        "c-1",
        {"message_id": 7},
    )


@pytest.mark.parametrize(
    "detail",
    [{"said": "please refund me now"}, {"said": "x" * 81}, {"nested": {"a": 1}}, {"list": [1]}],
)
def test_an_audit_detail_refuses_anything_that_could_be_a_customers_words(
    store: Store, detail: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        store.record_action("sam", "Sam", "agent", "note", "c-1", detail)
    assert store.actions() == []


def test_actions_read_newest_first_by_kind_and_conversation(store: Store) -> None:
    store.record_action("a", "A", "agent", "note", "c-1")
    store.record_action("b", "B", "lead", "close", "c-2")
    store.record_action("a", "A", "agent", "note", "c-2")

    assert [r["actor"] for r in store.actions(action="note")] == ["a", "a"]
    assert [r["action"] for r in store.actions("c-2")] == ["note", "close"]
    assert len(store.actions(limit=1)) == 1


# Who speaks for Acme --------------------------------------------------------------------------


def test_a_conversation_never_recorded_is_evas(store: Store) -> None:
    mode = store.conversation_mode("new")
    assert (mode["mode"], mode["agent_name"]) == ("bot", None)


def test_each_move_changes_the_mode_once_and_is_audited(store: Store) -> None:
    waiting(store)
    claimed = store.move("c-1", "claim", "sam", "Sam", "agent")
    assert claimed is not None
    assert (claimed["mode"], claimed["agent_id"], claimed["agent_name"]) == ("human", "sam", "Sam")
    assert store.move("c-1", "claim", "kim", "Kim", "agent") is None  # already claimed
    assert store.move("c-1", "hand_back", "sam", "Sam", "agent")["mode"] == "bot"
    assert store.move("c-1", "close", "sam", "Sam", "agent", outcome="resolved") is None
    waiting(store)
    closed = store.move("c-1", "close", "kim", "Kim", "lead", outcome="resolved")
    assert closed is not None and (closed["mode"], closed["outcome"]) == ("closed", "resolved")
    assert store.move("c-1", "reopen", "eva", "Eva", "bot")["mode"] == "bot"

    trail = [(r["action"], r["detail"]["from"], r["detail"]["to"]) for r in store.actions("c-1")]
    assert trail[::-1] == [
        ("wait", "bot", "waiting"),
        ("claim", "waiting", "human"),
        ("hand_back", "human", "bot"),
        ("wait", "bot", "waiting"),
        ("close", "waiting", "closed"),
        ("reopen", "closed", "bot"),
    ]
    (claim,) = store.actions("c-1", action="claim")
    assert isinstance(claim["detail"]["waited_s"], int)


def test_closing_needs_a_known_outcome(store: Store) -> None:
    waiting(store)
    with pytest.raises(ValueError):
        store.move("c-1", "close", "sam", "Sam", "agent", outcome="bored")


def test_two_agents_claiming_at_once_exactly_one_wins(database_url: str) -> None:
    setup = Store(database_url)
    for round_number in range(3):
        waiting(setup, f"c-{round_number}")
    setup.engine.dispose()

    for round_number in range(3):
        conversation_id = f"c-{round_number}"
        results = together(
            database_url,
            4,
            lambda store, i, c=conversation_id: store.move(
                c, "claim", f"agent-{i}", f"Agent {i}", "agent"
            ),
        )

        winners = [result for result in results if result is not None]
        assert len(winners) == 1, results
        probe = Store(database_url)
        assert probe.conversation_mode(conversation_id)["agent_id"] == winners[0]["agent_id"]
        assert len(probe.actions(conversation_id, action="claim")) == 1
        probe.engine.dispose()


def test_a_database_at_the_first_migration_gets_the_human_side(database_url: str) -> None:
    store = Store(database_url)
    store.record_turn(
        "c-old", customer_text="hi", reply="hello", language="en", flags=[], route="sent"
    )
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE conversations SET mode = NULL"))
        connection.execute(delete(APPLIED).where(APPLIED.c.number == 2))
    store.engine.dispose()

    again = Store(database_url)

    assert migrations.applied(again.engine) == [1, 2]
    assert again.conversation_mode("c-old")["mode"] == "bot"
    again.engine.dispose()


# Human-mode messages and the queue ------------------------------------------------------------


def test_human_mode_messages_are_masked_for_storage_and_polled_by_id(store: Store) -> None:
    first = store.add_human_message("c-1", "customer", CUSTOMER_TEXT)
    reply = store.add_human_message(
        "c-1", "agent", "Call us on 1-800-555-0199.", author_id="sam", author_name="Sam"
    )
    store.add_human_message("c-1", "note", "Looks like a duplicate charge.", author_id="sam")
    store.add_human_message("c-2", "customer", "another conversation")

    assert "4111" not in first["text"] and "jo@example.com" not in first["text"]
    assert "[card number removed]" in first["text"]
    assert reply["author_name"] == "Sam"
    assert "1-800-555-0199" in reply["text"]  # Acme's own number stays
    shown = store.messages_since("c-1")
    assert [m["kind"] for m in shown] == ["customer", "agent"]  # the note is never the customer's
    assert [m["kind"] for m in store.messages_since("c-1", private=True)] == [
        "customer",
        "agent",
        "note",
    ]
    assert [m["id"] for m in store.messages_since("c-1", first["id"])] == [reply["id"]]
    assert store.messages_since("c-1", reply["id"] + 10) == []


def test_a_message_of_an_unknown_kind_is_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.add_human_message("c-1", "shout", "hello")


def test_the_queue_is_waiting_conversations_by_priority_then_time_waiting(store: Store) -> None:
    waiting(store, "c-normal", "normal")
    waiting(store, "c-high", "high")
    waiting(store, "c-normal-later", "normal")
    store.add_handoff("c-eva", "Asked for a person.", "urgent", "Open but not waiting.")
    store.move("c-high", "claim", "sam", "Sam", "agent")
    waiting(store, "c-urgent", "urgent")

    later = records.now() + timedelta(minutes=5)
    queue = store.queue(later)

    assert [entry["conversation_id"] for entry in queue] == [
        "c-urgent",
        "c-normal",
        "c-normal-later",
    ]
    assert all(299 <= entry["waited_seconds"] <= 302 for entry in queue)
    assert "transcript" not in queue[0]
    assert [c["conversation_id"] for c in store.conversations_in("human", "sam")] == ["c-high"]


# Pending actions ------------------------------------------------------------------------------


def pending(store: Store, amount: float = 800.0) -> dict[str, Any]:
    return store.add_approval(
        "c-1",
        "H-ABCDEF",
        "request_refund",
        {"policy_number": "ACM-100231", "amount_usd": amount, "reason": "Charged twice"},
        policy_number="ACM-100231",
        language="es",
    )


def test_a_pending_action_is_kept_once_with_its_exact_input(store: Store) -> None:
    first = pending(store)
    assert pending(store) == first  # the same request again is the same pending action
    other = pending(store, 900.0)

    assert first["status"] == "pending"
    assert first["params"]["amount_usd"] == 800.0
    listed = [a["reference"] for a in store.approvals("c-1", status="pending")]
    assert listed == [first["reference"], other["reference"]]


def test_a_decision_is_taken_once_and_audited(store: Store) -> None:
    reference = pending(store)["reference"]

    decided = store.decide_approval(reference, True, "sam", "Sam", "agent")
    assert decided is not None and decided["status"] == "approving"
    assert store.decide_approval(reference, False, "kim", "Kim", "agent") is None
    finished = store.finish_approval(reference, True, {"reference": "R-XYZ234"})
    assert finished is not None
    assert (finished["status"], finished["decided_by"]) == ("approved", "sam")
    assert store.finish_approval(reference, True, {}) is None
    assert [r["action"] for r in store.actions("c-1")] == ["approve"]


def test_two_agents_approving_at_once_start_it_exactly_once(database_url: str) -> None:
    setup = Store(database_url)
    reference = pending(setup)["reference"]
    setup.engine.dispose()

    results = together(
        database_url,
        4,
        lambda store, i: store.decide_approval(reference, True, f"a{i}", f"A{i}", "agent"),
    )

    assert len([r for r in results if r is not None]) == 1


def test_insights_count_the_people_side_from_the_audit_trail(store: Store) -> None:
    """Time to a person's first reply, modes, who resolved what, hand-backs, reopenings and
    approvals, as the lead's Insights page shows them."""
    since = records.now() - timedelta(minutes=1)
    for conversation in ("c-1", "c-2", "c-3"):
        waiting(store, conversation)
    store.move("c-1", "claim", "sam", "Sam", "agent")
    store.record_action("sam", "Sam", "agent", "reply", "c-1", {"draft": "none"})
    store.move("c-1", "close", "sam", "Sam", "agent", outcome="resolved")
    store.move("c-2", "claim", "ana", "Ana", "agent")
    store.move("c-2", "hand_back", "ana", "Ana", "agent")
    store.move("c-3", "close", "lee", "Lee", "lead", outcome="no_reply")
    store.move("c-3", "reopen", "eva", "Eva", "bot")
    store.record_turn(
        "c-4", customer_text="Hi", reply="Hello", language="en", flags=[], route="send"
    )
    for approve in (True, False):
        made = store.add_approval("c-2", "H-1", "request_refund", {"amount_usd": 800 + approve})
        store.decide_approval(made["reference"], approve, "lee", "Lee", "lead")

    people = store.people(since)

    assert people["first_replies"] == 1 and people["first_reply_p50_s"] is not None
    assert people["by_mode"] == {"bot": 3, "waiting": 0, "human": 0, "closed": 1}
    assert (people["resolved_by_eva"], people["resolved_by_person"]) == (1, 1)
    assert (people["handed_back"], people["reopened"]) == (1, 1)
    assert people["approvals_declined"] == 1
    assert people["approvals_granted"] + people["approvals_pending"] == 0, "approving, not done"
