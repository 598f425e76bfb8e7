"""The whole human side in two browsers against two app processes that share one PostgreSQL
database, as the pilot's replicas do: the database is the only bus between the customer and
the agent. Passcodes on both: a customer on one process, an agent on the other."""

from __future__ import annotations

import json
import secrets
import statistics
import time
from collections.abc import Iterator

import pytest
from playwright import sync_api
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from offline.brain import AFTER_COLLEAGUE
from store import Store
from test_browser import (
    ANSWERS,
    ARTIFACTS,
    FIRST_VIEW_SECONDS,
    ask,
    running_app,
    shot,
    wait_for_answer,
)
from test_browser import browser as browser  # the module-scoped chromium, a fixture

CUSTOMER = "tide-pool-42"
AGENT = "agent-tern-7"
# Generous for a loaded CI machine; the measured delays are written to the artifacts.
VISIBLE_MS = 10_000
LINES = 20


@pytest.fixture(scope="module")
def shared_database(postgres_admin: Engine, postgres_url: str) -> Iterator[str]:
    """A schema of its own on the session's PostgreSQL, for both app processes."""
    schema = f"two_{secrets.token_hex(6)}"
    with postgres_admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with postgres_admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def apps(kb, tmp_path_factory, shared_database: str) -> Iterator[tuple[str, str]]:
    """Two app processes (the customer's and the agent's) on the one database."""
    extra = {
        "PILOT_PASSCODE": CUSTOMER,
        "STAFF_PASSCODES": f"agent:{AGENT}",
        "DATABASE_URL": shared_database,
        # Forty-odd messages in a minute or two: above the pilot's per-session rate limit.
        "ACME_RATE_LIMIT_MESSAGES": "100",
    }
    with (
        running_app(tmp_path_factory.mktemp("one"), extra, name="process-one") as one,
        running_app(tmp_path_factory.mktemp("two"), extra, name="process-two") as two,
    ):
        yield one.url, two.url


def signed_in(browser: sync_api.Browser, url: str, passcode: str) -> sync_api.Page:
    context = browser.new_context(viewport={"width": 1100, "height": 950})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.goto(url)
    tab.get_by_label("Pilot passcode").fill(passcode, timeout=FIRST_VIEW_SECONDS * 1000)
    tab.get_by_role("button", name="Enter").click()
    tab.get_by_role("heading", name="Hi, I'm Eva").wait_for(timeout=FIRST_VIEW_SECONDS * 1000)
    return tab


def seen_within(tab: sync_api.Page, text: str, since: float) -> float:
    tab.get_by_text(text, exact=False).last.wait_for(timeout=VISIBLE_MS)
    return round(time.perf_counter() - since, 3)


def test_a_customer_and_an_agent_hold_one_conversation_across_two_processes(
    browser, apps, shared_database
):
    customer_url, agent_url = apps
    delays: dict[str, float] = {}
    agent = signed_in(browser, agent_url, AGENT)
    agent.get_by_role("link", name="Agent desk").click()
    agent.get_by_label("Your name, as customers will see it", exact=True).fill("Ana")
    agent.get_by_role("button", name="Start working the queue").click()
    agent.get_by_text("No one is waiting.").wait_for()

    customer = signed_in(browser, customer_url, CUSTOMER)
    for said in ("What's my policy?", "ACM-100231, born 1985-03-14"):
        wait_for_answer(customer, ask(customer, said), "two-verify")
    # Above the chat's limit: Eva passes it to a colleague as a pending action.
    before = ask(customer, "I'd like a refund of $800 on my policy")
    asked = time.perf_counter()
    wait_for_answer(customer, before, "two-asked")
    sync_api.expect(customer.locator(ANSWERS).last).to_contain_text("Nothing has changed yet")
    agent.get_by_role("button", name="Claim").wait_for(timeout=VISIBLE_MS)
    delays["in the queue after the customer asked (s)"] = round(time.perf_counter() - asked, 3)
    shot(customer, "two-01-customer-asked")
    shot(agent, "two-02-agent-queue")
    eva_answers = customer.locator(ANSWERS).count()

    agent.get_by_role("button", name="Claim").click()
    claimed = time.perf_counter()
    delays["customer sees the join line (s)"] = seen_within(
        customer, "Ana from Acme has joined the conversation.", claimed
    )

    ask(customer, "Is my windscreen covered?")
    said = time.perf_counter()
    delays["agent sees the customer's message (s)"] = seen_within(
        agent, "Is my windscreen covered?", said
    )

    # Twenty lines each way, each timed from send to visible on the other side.
    to_agent, to_customer = [], []
    for number in range(1, LINES + 1):
        ask(customer, f"Customer line {number}")
        said = time.perf_counter()
        to_agent.append(seen_within(agent, f"Customer line {number}", said))
        reply = agent.get_by_label("Reply to the customer")
        reply.fill(f"Agent line {number}")
        agent.get_by_role("button", name="Send reply").click()
        sent = time.perf_counter()
        to_customer.append(seen_within(customer, f"Agent line {number}", sent))
    for name, delays_s in (("customer to agent", to_agent), ("agent to customer", to_customer)):
        delays[f"{name}, p50 (s)"] = round(statistics.median(delays_s), 3)
        delays[f"{name}, p95 (s)"] = round(statistics.quantiles(delays_s, n=20)[18], 3)

    draft = agent.get_by_label("Eva's draft: send as it is, or edit it first")
    draft.fill("Hello, Ana here. Yes: glass is covered with no excess on your policy.")
    agent.get_by_role("button", name="Send the draft").click()
    sent = time.perf_counter()
    delays["customer sees the agent's reply (s)"] = seen_within(
        customer, "glass is covered with no excess", sent
    )
    wait_for_answer(customer, eva_answers - 1, "two-with-ana")
    assert customer.locator(ANSWERS).count() == eva_answers, "Eva posted nothing meanwhile"
    shot(customer, "two-03-customer-with-ana")
    shot(agent, "two-04-agent-conversation")

    agent.get_by_text("Actions waiting for approval").wait_for()
    agent.get_by_role("button", name="Approve").click()
    approved = time.perf_counter()
    delays["customer told of the approval (s)"] = seen_within(
        customer, "Your refund of $800.00 has been approved", approved
    )
    store = Store(shared_database)
    [refund] = store.refunds("ACM-100231")
    assert refund["approved_by"] == "passcode:ana" and refund["amount"] == 800
    shot(customer, "two-04b-customer-approved")

    agent.get_by_role("button", name="Hand back to Eva").click()
    customer.get_by_text("has handed the conversation back to Eva").wait_for(timeout=VISIBLE_MS)
    before = ask(customer, "How do I book the repair?")
    answer = wait_for_answer(customer, before, "two-eva-again")
    sync_api.expect(answer).to_contain_text(AFTER_COLLEAGUE)
    shot(customer, "two-05-eva-again")

    modes = {row["action"] for row in store.actions()}
    assert {"sign_in", "wait", "claim", "reply", "approve", "hand_back"} <= modes, "all audited"
    (ARTIFACTS / "two-sides-delays.json").write_text(json.dumps(delays, indent=2))
    for context in {agent.context, customer.context}:
        context.close()
