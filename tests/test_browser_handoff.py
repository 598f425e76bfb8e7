"""A person takes over a customer's chat, in a real browser: the customer asks for a person,
a colleague claims the conversation and writes, the customer sees each line within seconds
under the colleague's name, Eva stays silent meanwhile, and after the hand-back she answers
again with the context. The colleague acts through escalation.py, the desk's one way in."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator

import pytest
from playwright import sync_api

import escalation
from offline.brain import AFTER_COLLEAGUE
from store import Store
from test_browser import (
    ANSWERS,
    ARTIFACTS,
    FIRST_VIEW_SECONDS,
    Server,
    ask,
    opened,
    running_app,
    shot,
    wait_for_answer,
)
from test_browser import browser as browser  # the module-scoped chromium, a fixture

SAM = escalation.Staff("sam@acme.example", "Sam", "agent")
LINES = 20
# Generous for a loaded CI machine; the delays themselves are written to the artifacts.
VISIBLE_SECONDS = 10


@pytest.fixture(scope="module")
def server(kb, tmp_path_factory) -> Iterator[Server]:
    with running_app(tmp_path_factory.mktemp("handoff-home"), {}, name="handoff") as started:
        yield started


@pytest.fixture
def customer(browser, server) -> Iterator[sync_api.Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    yield opened(context, server.url)
    context.close()


def conversation_of(tab: sync_api.Page) -> str:
    """The conversation id the page put in its URL (?c=…)."""
    return tab.url.split("c=", 1)[1].split("&", 1)[0]


def test_a_person_takes_over_then_hands_back(customer, server):
    db = Store(server.database_url)
    before = ask(customer, "I want to talk to a real person")
    wait_for_answer(customer, before, "handoff-asked")
    sync_api.expect(customer.get_by_text("Handed over to a colleague")).to_be_visible()
    conversation = conversation_of(customer)
    eva_answers = customer.locator(ANSWERS).count()

    assert escalation.claim(db, conversation, SAM) is not None
    customer.get_by_text("Sam from Acme has joined the conversation.").wait_for(
        timeout=VISIBLE_SECONDS * 1000
    )
    shot(customer, "handoff-01-joined")

    delays = []
    for number in range(1, LINES + 1):
        line = f"Line {number} from Sam: <img src=x onerror=alert(1)> [x](javascript:alert(1))"
        sent = time.perf_counter()
        escalation.reply(db, conversation, SAM, line)
        customer.get_by_text(f"Line {number} from Sam:", exact=False).wait_for(
            timeout=VISIBLE_SECONDS * 1000
        )
        delays.append(time.perf_counter() - sent)
    shot(customer, "handoff-02-replies")
    assert customer.locator("img[src=x]").count() == 0, "typed HTML stays text"
    assert customer.locator('[data-testid="stChatMessage"] a').count() == 0, "no link either"
    sync_api.expect(customer.get_by_text("[x](javascript:alert(1))").last).to_be_visible()
    figures = {
        "lines": LINES,
        "p50_s": round(statistics.median(delays), 3),
        "p95_s": round(statistics.quantiles(delays, n=20)[18], 3),
        "max_s": round(max(delays), 3),
    }
    (ARTIFACTS / "handoff-delays.json").write_text(json.dumps(figures, indent=2))

    ask(customer, "Is my windscreen covered?")
    deadline = time.monotonic() + VISIBLE_SECONDS
    said = []
    while not said and time.monotonic() < deadline:
        said = [m for m in db.messages_since(conversation) if m["kind"] == "customer"]
        time.sleep(0.1)
    assert [m["text"] for m in said] == ["Is my windscreen covered?"], "it went to Sam"
    wait_for_answer(customer, eva_answers - 1, "handoff-with-sam")  # the page has settled
    assert customer.locator(ANSWERS).count() == eva_answers, "Eva posted nothing meanwhile"

    escalation.reply(db, conversation, SAM, "Yes, glass is covered with no excess.")
    assert escalation.hand_back(db, conversation, SAM) is not None
    customer.get_by_text("has handed the conversation back to Eva").wait_for(
        timeout=VISIBLE_SECONDS * 1000
    )
    before = ask(customer, "How do I book the repair?")
    answer = wait_for_answer(customer, before, "handoff-after")
    sync_api.expect(answer).to_contain_text(AFTER_COLLEAGUE, timeout=FIRST_VIEW_SECONDS * 1000)
    shot(customer, "handoff-03-eva-again")
