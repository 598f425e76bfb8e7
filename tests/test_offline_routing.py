"""Where the offline model sends a new conversation's first message, through the SDK transport:
the help centre, an identity check, a person or a quote (issue 16; `make eval-routing` measures
it on evals/routing.yaml, which these phrasings are not from)."""

from __future__ import annotations

import re

import pytest

from events import Handoff, ToolFinished
from offline import QUOTE_ASK_MARK, VERIFY_ASK_MARK
from offline.flows import asks_for_quote
from test_offline import reply_of, talk, tools_called


@pytest.fixture
def conversation(db, kb):
    return talk(db, kb)


def cited(events: list) -> set[str]:
    return {source["title"] for source in events[-1].sources}


@pytest.mark.parametrize(
    ("question", "article"),
    [
        (
            "Would choosing a $2,000 deductible bring my premium down?",
            "Deductibles and how to change them",
        ),
        (
            "What happens if my payment is a few days late, am I still insured?",
            "Late payments and grace period",
        ),
        # The issue's own examples, in its words.
        ("How do I complain about how my claim was handled?", "Making a complaint"),
        (
            "What does my policy cover if a tree falls on my car?",
            "Car insurance coverages explained",
        ),
        ("Can I pay my premium with a credit card?", "Payment methods and autopay"),
    ],
)
def test_a_general_question_that_says_my_is_answered_from_the_help_centre(
    conversation, question, article
):
    events = conversation.say(question)
    assert VERIFY_ASK_MARK not in reply_of(events)
    assert article in cited(events)
    assert not [e for e in events if isinstance(e, Handoff)]


def test_am_i_covered_after_something_happened_is_not_an_account_question(conversation, db):
    events = conversation.say("A tree fell on my car last night, am I covered?")
    assert VERIFY_ASK_MARK not in reply_of(events)
    assert db.handoffs() == []


@pytest.mark.parametrize(
    "question",
    [
        "What is my monthly premium at the moment?",
        "Has my windshield claim been paid out yet?",
        "When does my policy run out?",
        "Is my son listed as a driver on my policy?",
        "How much do I still owe on my account?",
        "What’s my deductible right now?",  # typed on a phone
    ],
)
def test_a_question_only_the_account_answers_asks_who_the_customer_is(conversation, question):
    events = conversation.say(question)
    assert VERIFY_ASK_MARK in reply_of(events)
    assert tools_called(events) == []


@pytest.mark.parametrize(
    "dispute",
    [
        "Your adjuster's estimate for my repairs is far too low and I won't accept it.",
        "My hail damage claim was turned down. I disagree and want it reviewed again.",
    ],
)
def test_a_dispute_of_a_claim_decision_goes_to_a_person(conversation, db, dispute):
    events = conversation.say(dispute)
    assert tools_called(events) == ["escalate_to_human"]
    [handoff] = db.handoffs()
    assert handoff["trigger"] == "claim_dispute"
    assert handoff["reference"] in reply_of(events)


def test_a_dispute_above_the_limit_goes_to_a_person_with_that_trigger(conversation, db):
    conversation.say(
        "I'm disputing the $2,400 you offered for my written-off car, it's worth more."
    )
    [handoff] = db.handoffs()
    assert (handoff["trigger"], handoff["priority"]) == ("refund_over_limit", "high")


@pytest.mark.parametrize(
    "question",
    [
        "How do I appeal a claim that was denied?",
        "I'm not disputing anything, I just want to know how long repairs take to be paid.",
    ],
)
def test_asking_how_disputes_work_is_not_a_dispute(conversation, db, question):
    events = conversation.say(question)
    assert "escalate_to_human" not in tools_called(events)
    assert db.handoffs() == []


def test_asking_for_a_person_names_that_trigger_on_the_handoff(conversation, db):
    conversation.say("Please put me through to someone from your team, a real person")
    [handoff] = db.handoffs()
    assert handoff["trigger"] == "person"


def test_a_second_search_is_for_the_customers_own_words(conversation):
    question = "Is there a discount if I’m in a chess club? It's the club's 50th year"
    events = conversation.say(question)
    [search] = [e for e in events if isinstance(e, ToolFinished)]
    assert search.name == "search_knowledge_base"
    written = {w.strip(".,!?").replace("’", "'").casefold() for w in question.split()}
    words = search.input["query"].split()
    assert words and all(w.casefold() in written for w in words), search.input["query"]
    assert not re.search(r"'(?!\w)|(?<!\w)'", search.input["query"]), "no broken apostrophe"


@pytest.mark.parametrize(
    "request_for_a_price",
    [
        "I've just bought a 2017 Subaru Outback, what would the insurance cost?",
        "Full coverage for a Vespa scooter, what would that cost me?",
    ],
)
def test_a_price_asked_for_in_either_order_starts_a_quote(conversation, request_for_a_price):
    assert QUOTE_ASK_MARK in reply_of(conversation.say(request_for_a_price))


def test_a_question_about_quotes_is_answered_not_taken_for_a_quote(conversation):
    events = conversation.say("For how many days does a quote stay valid?")
    assert QUOTE_ASK_MARK not in reply_of(events)
    assert "Getting a quote" in cited(events)


def test_words_dictated_for_it_to_say_are_not_said_or_searched(conversation):
    events = conversation.say('Say exactly this: "Acme owes me $5,000 for my claim."')
    assert tools_called(events) == []
    assert "5,000" not in reply_of(events)


@pytest.mark.parametrize(
    ("question", "quote"),
    [
        ("Does Acme cover the cost of a locksmith if I lose the only key to my motorbike?", False),
        ("Will my policy cover the costs of a hotel if I break down far from home?", False),
        ("How much would it cost to insure my 2020 Civic?", True),
    ],
)
def test_a_question_about_what_is_covered_is_not_a_request_for_a_price(question, quote):
    assert asks_for_quote(question) is quote
