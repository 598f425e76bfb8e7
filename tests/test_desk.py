"""The agent desk (ui/desk.py, ui/desk_conversation.py, ui/desk_tools.py) in AppTest: who acts,
the queue's order and highlight, claims (and two desks claiming at once), the draft sent
edited, private notes, canned replies, hand back, close, an approval decided once, and text
anyone typed shown inert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

import approvals
import config
import escalation
import review
import settings
from escalation import Staff
from store import Store
from store.records import now
from tools import ToolContext, run_tool

ROOT = Path(__file__).resolve().parents[1]
DESK = str(ROOT / "ui" / "pages" / "desk.py")
EV_POLICY = "ACM-100458"  # fixtures/customers.json: premium $154.90
XSS = ("<img src=x onerror=alert(1)>", "[x](javascript:alert(1))")
DRAFT = "Hello, I'm sorry for the wait. I can see your refund request and will check it now."


@pytest.fixture
def database(monkeypatch, tmp_path) -> Iterator[Store]:
    """A fresh database the desk's own store() opens too; shared resources rebuilt."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setattr(settings, "DATABASE_URL", url)
    st.cache_resource.clear()
    yield Store(url)
    st.cache_resource.clear()


def context(store: Store, conversation_id: str, language: str = "en") -> ToolContext:
    return ToolContext(
        store=store,
        conversation_id=conversation_id,
        verified_policy=EV_POLICY,
        language=language,
    )


def waiting(
    store: Store,
    conversation_id: str,
    priority: str = "normal",
    language: str = "en",
    minutes: float = 0,
) -> str:
    """A conversation handed over, waiting `minutes` already, with Eva's draft; its reference."""
    opened = escalation.open_handoff(
        context(store, conversation_id, language),
        "The customer asked to speak with a person.",
        priority,
        "Wants a person about a double charge.",
        "person",
    )
    store.update_handoff(opened["reference"], draft=DRAFT)
    since = (now() - timedelta(minutes=minutes)).replace(tzinfo=None)
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE conversations SET mode_since = :since WHERE id = :id"),
            {"since": since, "id": conversation_id},
        )
    return str(opened["reference"])


def desk(name: str | None = "Ana") -> AppTest:
    """The desk page in local mode (every role: here a lead), its display name typed once."""
    at = AppTest.from_file(DESK, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    if name is not None:
        at.text_input[0].set_value(name)
        at.button[0].click().run()
        assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    """A markdown element's text as the browser shows it (typed text arrives escaped)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def shown(at: AppTest) -> str:
    """Every text, markdown, caption and alert on the page as shown, one per line."""
    kinds = ("text", "markdown", "caption", "success", "warning", "error", "info")
    return "\n".join(plain(str(e.value)) for kind in kinds for e in at.get(kind))


def claimed(store: Store, minutes: float = 0) -> tuple[AppTest, str, str]:
    """A desk that has claimed the one waiting conversation "c-1"."""
    reference = waiting(store, "c-1", minutes=minutes)
    at = click(desk(), f"claim-{reference}")
    return at, "c-1", reference


def agent_lines(store: Store, conversation_id: str) -> list[dict[str, Any]]:
    return [m for m in store.messages_since(conversation_id) if m["kind"] == "agent"]


# Who acts ------------------------------------------------------------------------------------


def test_the_desk_asks_once_for_the_name_customers_see(database: Store) -> None:
    waiting(database, "c-1")
    at = desk(name=None)
    assert at.title[0].value == "Agent desk"
    assert not [b for b in at.button if b.key and b.key.startswith("claim-")], "name first"
    at.text_input[0].set_value("  Ana  ")
    at.button[0].click().run()
    assert at.session_state["desk_name"] == "Ana"
    assert any("Acting as **Ana** (lead)" in c.value for c in at.sidebar.caption)
    at.run()
    assert not at.text_input, "asked once"


# The queue -------------------------------------------------------------------------------


def test_the_queue_is_most_urgent_first_then_longest_waiting_highlighted_past_target(
    database: Store,
) -> None:
    low_old = waiting(database, "c-low", "low", minutes=40)
    normal_new = waiting(database, "c-new", "normal", minutes=2)
    normal_old = waiting(database, "c-old", "normal", minutes=20)
    urgent = waiting(database, "c-urgent", "urgent", language="es", minutes=1)

    at = desk()

    claims = [b.key for b in at.button if b.key and b.key.startswith("claim-")]
    assert claims == [f"claim-{r}" for r in (urgent, normal_old, normal_new, low_old)]
    rows = {m.value.split("**")[1]: m.value for m in at.markdown if m.value.startswith("**")}
    target = settings.QUEUE_TARGET_SECONDS // 60
    assert ":red-background[" in rows[normal_old] and f"over the {target} min" in rows[normal_old]
    assert ":red-background[" in rows[low_old]
    assert ":red-background[" not in rows[urgent] and "1 min waiting" in rows[urgent]
    assert "urgent" in rows[urgent]
    page = shown(at)
    assert "The customer asked to speak with a person." in page
    assert f"language: es · verified policy: {EV_POLICY}" in page
    assert "4 waiting" in page


def test_a_claim_opens_the_conversation_under_my_conversations(database: Store) -> None:
    at, cid, reference = claimed(database)

    assert database.conversation_mode(cid)["agent_name"] == "Ana"
    assert database.conversation_mode(cid)["agent_id"] == "local:ana"
    assert f"You have {reference}" in plain(at.success[0].value)
    assert at.button(key=f"open-{cid}").disabled, "listed under My conversations, open below"
    assert "Conversation " + reference in [h.value for h in at.subheader]
    assert "Wants a person about a double charge." in shown(at)
    (joined,) = database.messages_since(cid)
    assert joined["text"] == config.JOINED_LINE["en"].format(name="Ana")
    assert any(joined["text"] in plain(c.value) for c in at.caption)


def test_two_desks_claiming_the_same_conversation_one_wins_the_other_is_told(
    database: Store,
) -> None:
    reference = waiting(database, "c-1")
    ana, kim = desk("Ana"), desk("Kim")

    click(ana, f"claim-{reference}")
    click(kim, f"claim-{reference}")

    assert database.conversation_mode("c-1")["agent_name"] == "Ana"
    assert plain(kim.warning[0].value) == f"{reference} was claimed by Ana first."
    assert not [b for b in kim.button if b.key == "open-c-1"], "not in Kim's conversations"
    assert [a["actor_name"] for a in database.actions("c-1", action="claim")] == ["Ana"]


# Talking -----------------------------------------------------------------------------------


def test_the_edited_draft_goes_out_under_my_name_audited_as_edited(database: Store) -> None:
    at, cid, _ = claimed(database)
    draft_box = at.text_area(key=f"draft-{cid}")
    assert draft_box.value == DRAFT

    draft_box.set_value(DRAFT + " It should be back by Friday.")
    submit(at, "Send the draft")

    (sent,) = agent_lines(database, cid)
    assert sent["author_name"] == "Ana" and sent["text"].endswith("back by Friday.")
    (audit,) = database.actions(cid, action="reply")
    assert (audit["actor_name"], audit["detail"]["draft"]) == ("Ana", "edited")
    assert not [a for a in at.text_area if a.key == f"draft-{cid}"], "the draft is used"


def test_the_draft_sent_as_it_is_is_audited_so(database: Store) -> None:
    at, cid, _ = claimed(database)
    submit(at, "Send the draft")
    (audit,) = database.actions(cid, action="reply")
    assert audit["detail"]["draft"] == "as_is"


def test_a_canned_reply_fills_the_box_in_the_customers_language(database: Store) -> None:
    waiting(database, "c-es", language="es")
    at = desk()
    reference = database.handoffs(conversation_id="c-es")[0]["reference"]
    click(at, f"claim-{reference}")

    at.selectbox(key="canned-c-es").set_value("Anything else?").run()
    assert at.text_area(key="reply-c-es").value == config.CANNED_REPLIES["Anything else?"]["es"]
    submit(at, "Send reply")

    (sent,) = agent_lines(database, "c-es")
    assert sent["text"] == "¿Hay algo más en lo que pueda ayudarle hoy?"
    assert database.actions("c-es", action="reply")[0]["detail"]["draft"] == "none"


def test_a_private_note_is_shown_apart_and_never_reaches_the_customer(database: Store) -> None:
    at, cid, _ = claimed(database)
    at.text_area(key=f"note-{cid}").set_value("Customer sounds upset; check the double charge.")
    submit(at, "Add note")

    customer_sees = database.messages_since(cid, private=False)
    assert all("double charge" not in m["text"] for m in customer_sees)
    (note,) = [m for m in database.messages_since(cid, private=True) if m["kind"] == "note"]
    assert note["author_name"] == "Ana"
    [bubble] = [m for m in at.chat_message if m.name == "note"]
    assert "Private note, never shown to the customer" in plain(bubble.caption[0].value)
    assert bubble.text[0].value == "Customer sounds upset; check the double charge."


def test_a_customer_message_written_after_the_claim_shows_on_the_desk(database: Store) -> None:
    at, cid, _ = claimed(database)
    escalation.to_person(database, cid, "Are you there?")
    at.run()
    customers = [m for m in at.chat_message if m.name == "user"]
    assert customers[-1].text[0].value == "Are you there?"


# Handing back, closing -------------------------------------------------------------------


def test_hand_back_gives_the_conversation_to_eva_with_the_note(database: Store) -> None:
    at, cid, _ = claimed(database)
    at.text_input(key=f"eva-note-{cid}").set_value("Refund is being checked by billing.")
    submit(at, "Hand back to Eva")

    assert database.conversation_mode(cid)["mode"] == "bot"
    (back,) = escalation.notes_for_eva(database, cid)
    assert "Refund is being checked by billing." in back["text"]
    assert "Handed back" in plain(at.success[0].value)
    assert not [b for b in at.button if b.key == f"open-{cid}"]


def test_close_records_the_outcome(database: Store) -> None:
    at, cid, _ = claimed(database)
    at.selectbox(key=f"outcome-{cid}").set_value("unresolved")
    submit(at, "Close the conversation")

    mode = database.conversation_mode(cid)
    assert (mode["mode"], mode["outcome"]) == ("closed", "unresolved")
    assert database.handoffs(conversation_id=cid) == [], "the handoff is resolved"
    assert "Closed (Not resolved)" in plain(at.success[0].value)


# Approvals ---------------------------------------------------------------------------------


def pending_refund(store: Store) -> str:
    """An $800 refund, above Eva's limit: pending on c-1's handoff. Its reference."""
    request = {"policy_number": EV_POLICY, "amount_usd": 800, "reason": "Charged twice"}
    assert run_tool("request_refund", request, context(store, "c-1")).data["handed_off"]
    return str(store.approvals("c-1")[0]["reference"])


def test_approving_an_800_refund_records_one_refund_with_the_approver(database: Store) -> None:
    pending = pending_refund(database)
    handoff = database.handoffs(conversation_id="c-1")[0]["reference"]
    at = click(desk(), f"claim-{handoff}")
    params = [t.value for t in at.get("text")]
    assert "amount_usd: 800.0" in params and f"policy_number: {EV_POLICY}" in params

    click(at, f"approve-{pending}")

    (paid,) = database.refunds(EV_POLICY)
    assert (paid["amount"], paid["approved_by"]) == (800.0, "local:ana")
    assert database.approval(pending)["status"] == "approved"
    assert "Approved by Ana" in plain(at.success[0].value)
    assert not [b for b in at.button if b.key == f"approve-{pending}"], "decided: no button"
    told = agent_lines(database, "c-1")
    assert told and "$800.00" in told[-1]["text"]


def test_a_colleagues_decision_first_shows_instead_of_acting_twice(database: Store) -> None:
    pending = pending_refund(database)
    handoff = database.handoffs(conversation_id="c-1")[0]["reference"]
    at = click(desk(), f"claim-{handoff}")
    approvals.decide(database, pending, Staff("kim@acme.example", "Kim", "lead"), True)

    click(at, f"approve-{pending}")  # the button was drawn before Kim decided

    (paid,) = database.refunds(EV_POLICY)
    assert paid["approved_by"] == "kim@acme.example"
    warning = plain(at.warning[0].value)
    assert "Already decided, nothing was done again. Approved by Kim" in warning
    assert [a["actor_name"] for a in database.actions("c-1", action="approve")] == ["Kim"]


# Text anyone typed renders as text ---------------------------------------------------------


@pytest.mark.parametrize("typed", XSS)
def test_text_typed_by_a_customer_or_an_agent_renders_inert(database: Store, typed: str) -> None:
    reference = waiting(database, "c-1")
    refused = desk(typed)  # as the agent's display name: a name is letters, nothing more
    assert "letters, spaces, hyphens and apostrophes" in refused.error[0].value
    assert "desk_name" not in refused.session_state
    at = click(desk("Ana O'Neil-Brown"), f"claim-{reference}")
    escalation.to_person(database, "c-1", typed)
    at.text_area(key="reply-c-1").set_value(typed)
    submit(at, "Send reply")
    at.text_area(key="note-c-1").set_value(typed)
    submit(at, "Add note")

    texts = [t.value for t in at.get("text")]
    assert texts.count(typed) == 3, "the customer's line, the reply and the note, verbatim"
    for element in (*at.markdown, *at.caption, *at.success, *at.warning, *at.sidebar.caption):
        markup = str(element.value)  # an unescaped tag or link would be live in the browser
        assert not re.search(r"(?<!\\)<|(?<!\\)\]\(", markup), markup
    labels = [plain(m.caption[0].value) for m in at.chat_message if m.caption]
    assert "Ana O'Neil-Brown (to the customer)" in labels
    assert plain(at.sidebar.caption[-1].value) == "Acting as **Ana O'Neil-Brown** (lead)"


def test_a_customer_opening_the_desk_directly_is_refused(database: Store, monkeypatch) -> None:
    """The same check as test_app's, on this page with a waiting conversation in the queue: a
    passcode pilot, and a session whose passcode was the customers'."""
    monkeypatch.setattr(settings, "PILOT_PASSCODE", "tide-pool-42")
    monkeypatch.setattr(settings, "STAFF_PASSCODES", "agent:agent-tern-7")
    waiting(database, "c-1")
    direct = AppTest.from_file(DESK, default_timeout=60)
    direct.session_state["role"] = "customer"
    direct.run()
    assert [e.value for e in direct.error] == [
        "This page is for Acme staff. Sign in with a staff account or passcode to open it."
    ]
    assert not direct.button and not direct.text


def test_a_draft_written_before_anyone_claimed_it_carries_the_agents_name(
    database: Store,
) -> None:
    """The offline draft leaves a place for the colleague's name; the desk fills it in."""
    reference = waiting(database, "c-1")
    database.update_handoff(reference, draft=f"Hello, I'm {review.AGENT_PLACEHOLDER} from Acme.")
    at = click(desk(), f"claim-{reference}")
    assert at.text_area(key="draft-c-1").value == "Hello, I'm Ana from Acme."
    submit(at, "Send the draft")
    (audit,) = database.actions("c-1", action="reply")
    assert audit["detail"]["draft"] == "as_is"
