"""The offline model files claims, cancels policies and creates tickets, through the real SDK,
the offline transport and a seeded store, asking first and acting only on a yes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import chatbot
import llm
from events import ToolFinished, TurnDone
from offline.details import dates, event_date, incident_type
from offline.flows import asks_to_cancel, asks_to_file_claim

# 12:00 in New York on Monday 2026-11-23: the evals' fixed day.
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


class Conversation:
    """Turns committed one after another, as the chat page does."""

    def __init__(self, db, kb) -> None:
        connection = llm.connect()
        assert connection.offline
        self.bot = chatbot.ChatBot(connection.client, db, kb, clock=lambda: NOW)
        self.history: list = []
        self.facts: dict = {"conversation_id": "acts-test"}

    def say(self, text: str) -> tuple[str, list[str]]:
        events = list(self.bot.respond(self.history, text, self.facts))
        result = events[-1]
        assert isinstance(result, TurnDone), result
        self.history = self.history + result.messages
        self.facts = result.facts
        return result.reply, [e.name for e in events if isinstance(e, ToolFinished)]


@pytest.fixture
def chat(db, kb) -> Conversation:
    return Conversation(db, kb)


def test_a_verified_customer_files_a_claim_over_several_turns(chat, db):
    before = db.claims("ACM-107745")
    reply, tools = chat.say("I need to report an accident. My policy is ACM-107745, ZIP 30309.")
    assert tools == ["lookup_policy"]
    assert "the date it happened" in reply and "where it happened" in reply
    reply, tools = chat.say(
        "It happened yesterday. I backed into a concrete post at the Midtown Plaza car park "
        "and the rear bumper is dented."
    )
    assert tools == [] and "Shall I file it?" in reply
    assert "2026-11-22" in reply and "Midtown Plaza car park" in reply
    reply, tools = chat.say("Yes, please go ahead.")
    assert tools == ["file_claim"]
    (claim,) = [c for c in db.claims("ACM-107745") if c not in before]
    assert claim["claim_number"] in reply
    assert claim["type"] == "collision"
    assert "rear bumper is dented" in claim["description"]
    assert claim["location"] == "the Midtown Plaza car park"


def test_no_at_the_confirmation_files_nothing(chat, db):
    before = db.claims("ACM-100231")
    chat.say("I want to file a claim. ACM-100231, ZIP 60614.")
    reply, _ = chat.say(
        "A rock hit my windshield today on I-94 near Evanston, there is a small chip."
    )
    assert "Shall I file it?" in reply and "glass" in reply
    reply, tools = chat.say("No, not yet.")
    assert tools == [] and "haven't filed" in reply
    assert db.claims("ACM-100231") == before


def test_a_spanish_theft_claim_with_a_police_report_number(chat, db):
    chat.say("Quiero dar parte de un robo. Póliza ACM-101377, fecha de nacimiento 2003-01-30.")
    reply, tools = chat.say(
        "Me robaron la moto el 21 de noviembre de 2026 en la Calle Mayor de Austin, estaba "
        "aparcada. El número de denuncia es APD-26-1121-0042."
    )
    assert tools == [] and "Shall I file it?" in reply
    reply, tools = chat.say("Sí, adelante.")
    assert tools == ["file_claim"]
    (claim,) = [c for c in db.claims("ACM-101377") if c["incident_date"] == "2026-11-21"]
    assert claim["type"] == "theft"
    assert claim["police_report_number"] == "APD-26-1121-0042"


def test_a_cancellation_from_a_future_date_is_refunded_pro_rata(chat, db):
    reply, tools = chat.say("I sold my car, please cancel my policy. ACM-107745, ZIP 30309.")
    assert tools == ["lookup_policy"]
    assert "the date you'd like the cover to end" in reply
    reply, tools = chat.say("From 2026-11-28 please.")
    assert tools == [] and "ends on 2026-11-28" in reply
    reply, tools = chat.say("Yes")
    assert tools == ["cancel_policy"]
    policy = db.policy("ACM-107745")
    assert policy is not None and policy["status"] == "cancelled"
    assert str(policy["cancelled_on"]) == "2026-11-28"
    (refund,) = db.refunds("ACM-107745")
    # The tool's own sum: $ premium × 12 × 3 days (to the 2026-12-01 renewal) ÷ 365.
    assert refund["amount"] > 0 and f"{refund['amount']:,.2f}" in reply


def test_an_update_to_an_existing_claim_is_a_ticket_not_a_new_claim(chat, db):
    chat.say("I have an open vandalism claim, CLM-39127. Policy ACM-105630, ZIP 85004.")
    claims = db.claims("ACM-105630")
    _, tools = chat.say(
        "When I washed the bike this morning I found they also scratched the gas tank. Can you "
        "add that to the claim?"
    )
    assert tools == ["create_ticket"]
    assert db.claims("ACM-105630") == claims
    (ticket,) = db.tickets()
    assert ticket["category"] == "claims" and ticket["policy_number"] == "ACM-105630"
    assert "scratched the gas tank" in ticket["description"]


def test_a_threat_to_leave_is_not_taken_as_a_request_to_cancel():
    assert asks_to_cancel("Please cancel my policy from next month.")
    assert not asks_to_cancel("I'm going to cancel my policy and take my business elsewhere")
    assert not asks_to_cancel("If I sell my car, how do I cancel my policy?")
    assert not asks_to_cancel("I want to cancel.")


def test_asking_how_claims_are_reported_is_not_a_request_to_file_one():
    assert asks_to_file_claim("I need to report an accident.")
    assert asks_to_file_claim("Ich möchte einen Schaden melden.")
    assert asks_to_file_claim("Je voudrais déclarer un sinistre.")
    assert not asks_to_file_claim(
        "If I have an accident at 2am, what number do I call to report it?"
    )
    assert not asks_to_file_claim("Can I report a claim in the app?")


def test_only_dates_that_mean_one_day_are_read():
    today = NOW.date()
    assert event_date("it was 22 November 2026", today).isoformat() == "2026-11-22"
    assert event_date("yesterday, Sunday November 22, 2026", today).isoformat() == "2026-11-22"
    assert event_date("on November 30", today).isoformat() == "2025-11-30"
    assert event_date("yesterday", None) is None, "no date from the app: no guess"
    assert dates("on 05/11/2026", today) == [], "May or November"
    assert event_date("on 18/11/2026", today).isoformat() == "2026-11-18"
    assert incident_type("a deer jumped out and I hit it") == "animal"


def test_what_was_told_before_asking_to_file_is_part_of_the_claim(chat, db):
    chat.say("Someone hit my parked car and just drove off, the rear bumper is hanging off.")
    reply, tools = chat.say(
        "Police report PPB-26-338120. It happened on November 21, 2026 at the Lloyd Center "
        "garage. Policy ACM-108302, I was born July 3, 1982. Can you start the claim?"
    )
    assert tools == ["lookup_policy"], "a written date of birth verifies too"
    assert "Shall I file it?" in reply and "hit and run" in reply
    _, tools = chat.say("Yes, that's right, please file it.")
    assert tools == ["file_claim"]
    (claim,) = [c for c in db.claims("ACM-108302") if c["incident_date"] == "2026-11-21"]
    assert claim["type"] == "hit_and_run" and "rear bumper is hanging off" in claim["description"]
    assert claim["police_report_number"] == "PPB-26-338120"


def test_a_fee_to_waive_goes_to_the_billing_team_on_a_ticket(chat, db):
    reply, tools = chat.say(
        "My check got lost in the mail and I was charged a late fee. Please waive the fee."
    )
    assert tools == [] and "policy number" in reply
    reply, tools = chat.say("ACM-109871, date of birth May 25, 1948.")
    assert tools == ["lookup_policy", "create_ticket"]
    (ticket,) = db.tickets()
    assert ticket["category"] == "billing" and ticket["policy_number"] == "ACM-109871"
    assert "waive the fee" in ticket["description"] and "waived" not in reply


def test_a_refund_asked_before_verification_is_made_once_after_it(chat, db):
    reply, tools = chat.say("I was charged twice. Can I get a refund of the second $128.40?")
    assert tools == [] and "policy number" in reply
    _, tools = chat.say("ACM-100231, date of birth 1985-03-14.")
    assert tools == ["lookup_policy", "request_refund"]
    reply, tools = chat.say("I need a refund of $128.40 for the duplicate payment, please.")
    assert tools == [] and "already requested" in reply
    assert [r["amount"] for r in db.refunds("ACM-100231")] == [128.4]
