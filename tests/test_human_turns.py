"""Eva never posts into a conversation a person owns: not when it is already theirs as the turn
starts, and not when the claim lands while she is streaming or about to run a tool. Through the
real SDK over a scripted transport (tests/scripted.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

import chatbot
import escalation
import events
import llm
import request
from escalation import Staff
from scripted import ScriptedAPI, message_frames, text, tool_calls
from store import Store
from test_chatbot import QUOTE

SAM = Staff("sam@acme.example", "Sam", "agent")
CID = "c-race"


@pytest.fixture
def db(database_url: str) -> Store:
    """Each test on SQLite and on PostgreSQL: the store is the only bus between the claim and
    the turn, so the race is checked on both backends."""
    return Store(database_url)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedAPI]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    scripted = ScriptedAPI()
    yield scripted
    assert scripted.problems == []


def bot_for(api: ScriptedAPI, store: Store) -> chatbot.ChatBot:
    connection = llm.connect(transport=httpx2.MockTransport(api.handle))
    return chatbot.ChatBot(connection.client, store)


def waiting(store: Store) -> None:
    store.add_handoff(CID, "The customer asked to speak with a person.", "normal", "A person.")
    store.move(CID, "wait", "eva", "Eva", "bot")


def claimed_midway(store: Store, reply: str) -> httpx2.Response:
    """A streamed reply during which Sam claims the conversation, after its first text delta."""
    frames = message_frames([{"type": "text", "text": reply}])
    first_delta = next(i for i, f in enumerate(frames) if b"content_block_delta" in f)

    def body() -> Iterator[bytes]:
        yield from frames[: first_delta + 1]
        assert escalation.claim(store, CID, SAM) is not None
        yield from frames[first_delta + 1 :]

    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body())


def test_a_claim_landing_while_eva_streams_ends_the_turn_without_her_reply(
    api: ScriptedAPI, db: Store
) -> None:
    waiting(db)
    api.add(
        lambda _request: claimed_midway(
            db, "Our phone line opens at 8 a.m. Eastern. You can also write to us any time."
        )
    )

    got = list(bot_for(api, db).respond([], "When do you open?", {"conversation_id": CID}))

    last = got[-1]
    assert isinstance(last, events.WithPerson)
    assert (last.agent_name, last.joined) == ("Sam", True)
    assert not any(isinstance(e, events.TurnDone) for e in got)
    shown = "".join(e.text for e in got if isinstance(e, events.TextDelta))
    assert "write to us any time" not in shown  # nothing after the claim reached the page
    assert db.conversation(CID) is None or db.conversation(CID)["turns"] == []
    kept = [m for m in db.messages_since(CID) if m["kind"] == "customer"]
    assert [(m["id"], m["text"]) for m in kept] == [(last.message_id, "When do you open?")]
    assert last.facts["conversation_id"] == CID


def test_the_owner_is_read_as_each_sentence_starts_not_at_every_word(
    api: ScriptedAPI, db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = "Our phone line opens at eight in the morning, Eastern time. Write to us any time."
    api.add(text(reply, pieces=[word + " " for word in reply.split()]))
    reads: list[str | None] = []
    read = escalation.person_on

    def counted(store: Store, conversation_id: str | None) -> str | None:
        reads.append(conversation_id)
        return read(store, conversation_id)

    monkeypatch.setattr(escalation, "person_on", counted)
    got = list(bot_for(api, db).respond([], "When do you open?", {"conversation_id": CID}))
    assert isinstance(got[-1], events.TurnDone)
    shown = [e.text for e in got if isinstance(e, events.TextDelta)]
    assert len(shown) > 8  # the words came one by one
    # As the reply starts, as its second sentence starts and as it ends, then the turn's own
    # checks after the reply (before the escalation policy, before it is recorded).
    assert len(reads) <= 6 < len(shown)


def test_a_claim_before_a_tool_runs_stops_the_tool(api: ScriptedAPI, db: Store) -> None:
    waiting(db)

    def claim_then_ask_for_a_quote(_request: httpx2.Request) -> httpx2.Response:
        escalation.claim(db, CID, SAM)
        return tool_calls(("toolu_1", "get_quote", QUOTE))

    api.add(claim_then_ask_for_a_quote)

    got = list(bot_for(api, db).respond([], "Price my Corolla", {"conversation_id": CID}))

    assert isinstance(got[-1], events.WithPerson)
    assert not any(isinstance(e, events.ToolStarted | events.ToolFinished) for e in got)
    assert len(api.messages_requests) == 1


def test_while_a_person_owns_it_eva_does_not_answer_and_the_message_goes_to_them(
    api: ScriptedAPI, db: Store
) -> None:
    waiting(db)
    escalation.claim(db, CID, SAM)
    facts: dict[str, Any] = {"conversation_id": CID, "language": "en"}

    got = list(
        bot_for(api, db).respond([], "My card is 4111 1111 1111 1111, charge it again", facts)
    )

    assert api.requests == []  # not a single call to the model
    last = got[-1]
    assert isinstance(last, events.WithPerson)
    assert (last.agent_name, last.joined) == ("Sam", False)
    (kept,) = [m for m in db.messages_since(CID) if m["kind"] == "customer"]
    assert "4111" not in kept["text"] and "[card number removed]" in kept["text"]


def test_a_waiting_conversation_still_gets_evas_answer(api: ScriptedAPI, db: Store) -> None:
    waiting(db)
    api.add(text("Our phone line opens at 8 a.m. Eastern."))

    got = list(bot_for(api, db).respond([], "When do you open?", {"conversation_id": CID}))

    assert isinstance(got[-1], events.TurnDone)
    assert db.messages_since(CID) == []


def test_after_a_hand_back_eva_reads_once_what_the_person_said(api: ScriptedAPI, db: Store) -> None:
    """The colleague's words ride in the next message (a cache-friendly addition: the history
    before it is untouched), once; the customer's earlier words stay theirs."""
    waiting(db)
    assert escalation.claim(db, CID, SAM) is not None
    escalation.to_person(db, CID, "Is my windscreen covered?")
    escalation.reply(db, CID, SAM, "Yes: glass is covered with no excess on your policy.")
    assert escalation.hand_back(db, CID, SAM, "They may ask about booking") is not None
    bot = bot_for(api, db)
    api.add(text("You can book the repair in the app."), text("We're open until 6 pm."))
    history: list[dict[str, Any]] = []
    facts: events.Facts = {"conversation_id": CID}
    for question in ("How do I book it?", "When are you open?"):
        done = [e for e in bot.respond(history, question, facts) if isinstance(e, events.TurnDone)]
        history, facts = done[0].history(history), done[0].facts
    first, second = (r["messages"][-1]["content"] for r in api.messages_requests)
    note = "\n".join(block["text"] for block in first)
    assert "<colleague_note>" in note and "glass is covered with no excess" in note
    assert "booking" in note and "Is my windscreen covered?" in note
    assert not any("<colleague_note>" in block["text"] for block in second), "read once"
    assert request.customer_text(history[0]) == "How do I book it?"
