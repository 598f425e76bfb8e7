"""The pilot's roles in a real browser: passcodes for customers and staff on one server, pages
listed by role, and a staff page opened by URL refused to a customer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import sync_api

from test_browser import FIRST_VIEW_SECONDS, Server, running_app, shot
from test_browser import browser as browser  # the module-scoped chromium, a fixture

CUSTOMER = "tide-pool-42"
AGENT = "agent-tern-7"
AUTHOR = "author-auk-5"


@pytest.fixture(scope="module")
def pilot(kb, tmp_path_factory) -> Iterator[Server]:
    staff = f"agent:{AGENT},author:{AUTHOR}"
    extra = {"PILOT_PASSCODE": CUSTOMER, "STAFF_PASSCODES": staff}
    with running_app(tmp_path_factory.mktemp("pilot-home"), extra, name="pilot") as started:
        yield started


@pytest.fixture
def context(browser) -> Iterator[sync_api.BrowserContext]:
    made = browser.new_context(viewport={"width": 1280, "height": 900})
    made.set_default_timeout(15_000)
    yield made
    made.close()


def signed_in(
    context: sync_api.BrowserContext, url: str, passcode: str, unlisted: bool = False
) -> sync_api.Page:
    """A new tab on `url`, through the passcode form, on the chat. An `unlisted` page (none is
    listed before sign-in) gets Streamlit's own "Page not found", closed here."""
    tab = context.new_page()
    tab.goto(url)
    if unlisted:
        notice = tab.get_by_role("dialog")
        # The first view of a fresh server waits for the app's imports.
        sync_api.expect(notice).to_contain_text("Page not found", timeout=FIRST_VIEW_SECONDS * 1000)
        tab.keyboard.press("Escape")
        sync_api.expect(notice).to_have_count(0)
    tab.get_by_label("Pilot passcode").fill(passcode, timeout=FIRST_VIEW_SECONDS * 1000)
    tab.get_by_role("button", name="Enter").click()
    tab.get_by_role("heading", name="Hi, I'm Eva").wait_for(timeout=FIRST_VIEW_SECONDS * 1000)
    return tab


@pytest.mark.parametrize("path", ["/desk", "/desk?role=agent", "/lab", "/insights"])
def test_a_customer_opening_a_staff_page_by_url_gets_only_the_chat(context, pilot, path):
    tab = signed_in(context, pilot.url + path, CUSTOMER, unlisted=True)
    for staff_page in ("Agent desk", "Insights", "Prompt lab"):
        sync_api.expect(tab.get_by_role("heading", name=staff_page)).to_have_count(0)
        sync_api.expect(tab.get_by_role("link", name=staff_page)).to_have_count(0)
    shot(tab, f"roles-customer{path.replace('/', '-').replace('?', '-').replace('=', '-')}")


def test_an_agent_finds_the_desk_and_nothing_else_in_the_navigation(context, pilot):
    tab = signed_in(context, pilot.url, AGENT)
    tab.get_by_role("link", name="Agent desk").click()
    tab.get_by_role("heading", name="Agent desk").wait_for()
    # The desk itself, past the role check: it asks the name customers will see.
    tab.get_by_label("Your name, as customers will see it", exact=True).wait_for()
    assert tab.url.rstrip("/").endswith("/desk")
    sync_api.expect(tab.get_by_role("link", name="Prompt lab")).to_have_count(0)
    sync_api.expect(tab.get_by_role("link", name="Insights")).to_have_count(0)
    shot(tab, "roles-agent-desk")


def test_an_author_opens_the_prompt_lab_but_not_the_desk(context, pilot):
    tab = signed_in(context, pilot.url, AUTHOR)
    tab.get_by_role("link", name="Prompt lab").click()
    tab.get_by_role("heading", name="Prompt lab").wait_for()
    sync_api.expect(tab.get_by_role("link", name="Agent desk")).to_have_count(0)
