"""guardrails.py: personal data found, masked before the model and before the database."""

from __future__ import annotations

import re

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chatbot
import config
import guardrails
import llm
from guardrails import BANK, CARD, EMAIL, PHONE, SECRET, SSN, luhn, mask
from scripted import ScriptedAPI, text, tool_calls

ALL = (CARD, SSN, BANK, SECRET, EMAIL, PHONE)
VISA = "4111 1111 1111 1111"


@pytest.mark.parametrize(
    ("message", "kind", "gone"),
    [
        (f"my card is {VISA} ok", CARD, "4111"),
        ("card 4111-1111-1111-1111", CARD, "4111"),
        ("amex 378282246310005 expires soon", CARD, "378282246310005"),
        ("my ssn is 123-45-6789", SSN, "6789"),
        ("social security 123456789", SSN, "123456789"),
        ("account number 000123456789 please", BANK, "000123456789"),
        ("routing: 021000021", BANK, "021000021"),
        ("my password is Hunter2!", SECRET, "Hunter2"),
        ("the one-time code is 482913", SECRET, "482913"),
        ("mi contraseña es gato123", SECRET, "gato123"),
        ("mein Passwort ist Sonne99", SECRET, "Sonne99"),
        ("write to jane.doe@example.com", EMAIL, "jane.doe"),
        ("call me on (312) 555-0100", PHONE, "555-0100"),
        ("call me on +1 312-555-0100", PHONE, "555-0100"),
    ],
)
def test_each_kind_is_found_and_masked(message, kind, gone):
    result = mask(message, ALL)
    assert result.kinds == (kind,)
    assert gone not in result.text
    assert guardrails.LABELS[kind] in result.text


@pytest.mark.parametrize(
    "message",
    [
        "order 1234 5678 9012 3456 arrived",  # 16 digits that fail Luhn: not a card
        "my password reset email never arrives",  # no value given
        "my zip code is 60614",  # a ZIP is an identity detail, not a secret
        "born 1985-03-14, policy ACM-100231, claim CLM-48210",
        "I drive 12,000 miles a year in my 2021 Honda Civic",
        "my account is locked",
        "the deductible is $1,000 and the limit $2,500",
    ],
)
def test_ordinary_details_are_left_alone(message):
    assert mask(message, ALL) == guardrails.Masked(message, ())


def test_luhn_accepts_real_test_cards_and_rejects_near_misses():
    assert luhn("4111111111111111") and luhn("5555555555554444")
    assert not luhn("4111111111111112")


def test_only_the_kinds_asked_for_are_masked():
    message = f"card {VISA}, email a@b.co"
    assert mask(message, config.MASK_FOR_MODEL).kinds == (CARD,)
    assert "a@b.co" in mask(message, config.MASK_FOR_MODEL).text
    assert set(mask(message, config.MASK_FOR_STORAGE).kinds) == {CARD, EMAIL}


# --- Properties over random and adversarial text ----------------------------------------------

CARD_LIKE = re.compile(r"\d(?:[ -]?\d){12,18}")
SSN_LIKE = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")


def valid_card(body: str) -> str:
    """Complete 15 digits with the Luhn check digit."""
    for check in "0123456789":
        if luhn(body + check):
            return body + check
    raise AssertionError("unreachable")


noise = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
cards = st.from_regex(r"[3-6]\d{14}", fullmatch=True).map(valid_card)
separators = st.sampled_from(["", " ", "-"])


@given(noise)
def test_masking_never_crashes_and_is_idempotent(text_):
    once = mask(text_, ALL).text
    assert mask(once, ALL).text == once


@given(noise, cards, separators, noise)
def test_no_valid_card_survives_whatever_surrounds_it(before, card, sep, after):
    spaced = sep.join(card[i : i + 4] for i in range(0, 16, 4))
    masked = mask(f"{before} {spaced} {after}", ALL).text
    survivors = [re.sub(r"\D", "", m) for m in CARD_LIKE.findall(masked)]
    assert card not in survivors


@given(noise, st.from_regex(r"\d{3}-\d{2}-\d{4}", fullmatch=True), noise)
def test_no_ssn_survives(before, ssn, after):
    masked = mask(f"{before} {ssn} {after}", ALL).text
    assert ssn not in masked


# --- End to end ---------------------------------------------------------------------------------


def test_a_card_number_never_reaches_the_model_the_history_or_the_database(monkeypatch, db):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    api = ScriptedAPI(
        tool_calls(
            (
                "toolu_t",
                "create_ticket",
                {
                    "category": "billing",
                    "subject": "Card change",
                    # A model echoing it anyway (it never saw it: this is the test's worst case).
                    "description": f"Customer wants {VISA} on file; reach them at a@b.co",
                },
            )
        ),
        text("I've passed that on. Please never share card numbers here."),
    )
    bot = chatbot.ChatBot(llm.connect(transport=httpx2.MockTransport(api.handle)).client, db)
    events = list(bot.respond([], f"please charge my card {VISA} instead", {}))
    [masked] = [e for e in events if isinstance(e, chatbot.Masked)]
    assert masked.kinds == (CARD,) and "card number" in masked.notice
    customer_turns = [
        m for r in api.messages_requests for m in r["messages"] if m["role"] == "user"
    ]
    assert customer_turns and "4111" not in str(customer_turns), "the model never receives it"
    assert "4111" not in str([m for m in events[-1].messages if m["role"] == "user"])
    stored = str(db.tickets())
    assert "4111" not in stored and "a@b.co" not in stored
    assert api.problems == []


def test_the_customer_is_told_once_per_conversation(monkeypatch, db):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    api = ScriptedAPI(text("Noted."), text("Noted again."))
    bot = chatbot.ChatBot(llm.connect(transport=httpx2.MockTransport(api.handle)).client, db)
    first = list(bot.respond([], "my password is Hunter2", {}))
    facts = first[-1].facts
    second = list(bot.respond(first[-1].messages, "password: Hunter3", facts))
    notices = [e.notice for e in (*first, *second) if isinstance(e, chatbot.Masked)]
    assert notices[0] and notices[1] == ""
