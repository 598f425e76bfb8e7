"""The page in a real browser: Debian's chromium, driven by Playwright, against `streamlit run`.

The server runs the way `make run` starts it, offline, on its own data and a copy of the
session's prebuilt index; every step leaves a screenshot in test-artifacts/browser/.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright import sync_api

import config
import settings
from bench.page import CHROMIUM_ARGS, free_port, healthy, stop
from offline import QUOTE_ASK_MARK
from store import Store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# Slow enough that a reply visibly streams, fast enough that a whole answer takes seconds.
OFFLINE_PACE = "0.01"
SERVER_START_SECONDS = 60
# The first page view loads both embedders; with the index copied in, nothing is embedded.
FIRST_VIEW_SECONDS = 90
TURN_SECONDS = 60
POLL_SECONDS = 0.05

CHAT_BOX = '[data-testid="stChatInput"] textarea'
ANSWERS = '[data-testid="stChatMessageContent"][aria-label="Chat message from assistant"]'
# Streamlit's "running" indicator, and elements of the last run not yet redrawn by this one.
RUNNING = '[data-testid="stStatusWidget"]'
STALE = '[data-stale="true"]'
CURSOR = "▌"


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    log: Path


@pytest.fixture(scope="module")
def server(kb, tmp_path_factory) -> Iterator[Server]:
    """`make run`'s command on a free port, offline, on a temporary home; stopped at the end."""
    with running_app(tmp_path_factory.mktemp("browser-home"), {}) as started:
        yield started


@contextlib.contextmanager
def running_app(home: Path, extra: dict[str, str], name: str = "server") -> Iterator[Server]:
    """The app served from `home` with `extra` in its environment, until the block ends.

    The session's index (built by the `kb` fixture, which holds its folder's writer lock) is
    copied in, so the app's start-up sync finds every chunk embedded (seconds, not a minute).
    """
    shutil.copytree(settings.INDEX_DIR, home / "index", ignore=shutil.ignore_patterns("*.lock"))
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "",
        # A developer's .env may guard the page with passcodes; blank wins over .env.
        "PILOT_PASSCODE": "",
        "STAFF_PASSCODES": "",
        "ACME_DATA_DIR": str(home / "data"),
        "ACME_INDEX_DIR": str(home / "index"),
        "DATABASE_URL": f"sqlite:///{home / 'acme.db'}",
        "ACME_OFFLINE_PACE": OFFLINE_PACE,
        "HOME": str(home),
        **extra,
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # As in the Makefile's run target, with the pilot profile's watcher settings: runOnSave off
    # (a save elsewhere would rerun mid-step) and no file watcher, whose module scan after
    # every rerun cost twenty sessions 14 s of the server's time.
    command = [
        str(Path(sys.executable).with_name("streamlit")),
        *("run", "app.py", "--server.port", str(port), "--server.runOnSave", "false"),
        *("--server.fileWatcherType", "none"),
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / f"{name}.log").open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + SERVER_START_SECONDS
            while not healthy(url):
                if process.poll() is not None:
                    pytest.fail(f"streamlit exited with {process.returncode}; see {name}.log")
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit not healthy after {SERVER_START_SECONDS} s")
                time.sleep(0.2)
            yield Server(url, env["DATABASE_URL"], ARTIFACTS / f"{name}.log")
        finally:
            stop(process)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server) -> Iterator[sync_api.Page]:
    """A new browser session (a new Streamlit session) on the page, ready for a question."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield opened(context, server.url)
    context.close()


def opened(context: sync_api.BrowserContext, url: str) -> sync_api.Page:
    return opened_together([context], url)[0]


def opened_together(contexts: list[sync_api.BrowserContext], url: str) -> list[sync_api.Page]:
    """A tab per context on the page, all loading at once, each ready for a question."""
    tabs = []
    for context in contexts:
        context.set_default_timeout(15_000)
        tab = context.new_page()
        tab.goto(url, wait_until="commit")
        tabs.append(tab)
    for tab in tabs:
        # The title comes after the knowledge base is ready, so the page is usable once it shows.
        title = tab.get_by_role("heading", name="Hi, I'm Eva")
        title.wait_for(timeout=FIRST_VIEW_SECONDS * 1000)
        sync_api.expect(tab.locator(CHAT_BOX)).to_be_enabled(timeout=FIRST_VIEW_SECONDS * 1000)
    return tabs


def shot(page: sync_api.Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def settled(element: sync_api.Locator) -> None:
    """Until an element stops moving, as an expander opens with an animation."""
    deadline = time.monotonic() + 5
    last = None
    while (box := element.bounding_box()) != last or box is None:
        assert time.monotonic() < deadline, "the element kept moving for 5 s"
        last = box
        time.sleep(POLL_SECONDS * 2)


def letters(text: str) -> int:
    """How much of a reply has arrived; markdown markers (list numbers, **) do not count."""
    return sum(c.isalpha() for c in text)


def last_answer(page: sync_api.Page) -> sync_api.Locator:
    return page.locator(ANSWERS).last


def ask(page: sync_api.Page, text: str) -> int:
    """Send a message as a customer types it; the number of answers before it."""
    before = page.locator(ANSWERS).count()
    box = page.locator(CHAT_BOX)
    sync_api.expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")
    return before


# True once the page shows `answers` finished answers and nothing has run for CALM_POLLS polls
# in a row (a turn ends with a rerun that redraws the page). It runs inside the page, polled
# by the browser itself: twenty tabs polled over the wire cost more CPU than the turns.
CALM_POLLS = 4
IDLE = f"""(answers) => {{
  const shown = document.querySelectorAll('{ANSWERS}');
  const box = document.querySelector('{CHAT_BOX}');
  const idle = shown.length >= answers
    && !document.querySelector('{RUNNING}')
    && !document.querySelector('{STALE}')
    && box !== null && !box.disabled
    && !shown[shown.length - 1].innerText.includes('{CURSOR}');
  window.__calm = idle ? (window.__calm || 0) + 1 : 0;
  return window.__calm >= {CALM_POLLS};
}}"""


def wait_for_answer(
    page: sync_api.Page, before: int, name: str, seconds: float = TURN_SECONDS
) -> sync_api.Locator:
    """The new answer once the turn and its rerun are over."""
    try:
        page.wait_for_function(
            IDLE, arg=before + 1, polling=POLL_SECONDS * 1000, timeout=seconds * 1000
        )
    except sync_api.TimeoutError:
        shot(page, f"{name}-timed-out")
        pytest.fail(f"{name}: no finished answer within {seconds} s")
    return last_answer(page)


def test_a_demo_conversation_streams_quotes_and_hands_over(page):
    sync_api.expect(page.get_by_role("heading", name="Hi, I'm Eva")).to_be_visible()
    sync_api.expect(page.get_by_test_id("stSidebar")).to_contain_text(config.OFFLINE_BADGE)
    shot(page, "01-opened")

    before = ask(page, "Is my charging cable covered if it's stolen?")
    partials: list[str] = []
    deadline = time.monotonic() + TURN_SECONDS
    while time.monotonic() < deadline:
        answers = page.locator(ANSWERS)
        text = answers.last.inner_text() if answers.count() > before else ""
        if CURSOR in text and letters(text) > letters(partials[-1] if partials else ""):
            partials.append(text)
            if len(partials) == 2:
                shot(page, "02-streaming")
        elif partials and CURSOR not in text:
            break
        time.sleep(POLL_SECONDS)
    assert len(partials) >= 2, f"the reply did not visibly stream: {partials}"
    answer = wait_for_answer(page, before, "02-coverage")
    assert letters(answer.inner_text()) > letters(partials[-1])
    assert "charging cable" in answer.inner_text()
    sources = answer.get_by_test_id("stExpander").filter(has_text="Sources")
    sync_api.expect(sources).to_be_visible()
    sources.locator("summary").click()
    details = sources.get_by_test_id("stExpanderDetails")
    sync_api.expect(details).to_contain_text("Electric car insurance")
    details.scroll_into_view_if_needed()
    settled(details)
    shot(page, "02-answer-with-sources")

    before = ask(page, "I'd like a quote for my car")
    sync_api.expect(wait_for_answer(page, before, "03-quote-asked")).to_contain_text(QUOTE_ASK_MARK)
    before = ask(page, "2021 Honda Civic, 9000 miles a year, I'm 29")
    answer = wait_for_answer(page, before, "03-quote")
    card = answer.get_by_test_id("stExpander").filter(has_text="Quote Q-")
    sync_api.expect(card).to_be_visible()
    sync_api.expect(card.get_by_test_id("stExpanderIconCheck")).to_be_attached()
    quoted = re.search(r"Quote Q-\w+: (\$[\d,]+\.\d\d)/month", card.inner_text())
    assert quoted, card.inner_text()
    assert f"{quoted[1]} a month" in answer.inner_text()
    shot(page, "03-quote")

    before = ask(page, "I want to talk to a real person")
    answer = wait_for_answer(page, before, "05-handoff")
    banner = answer.get_by_test_id("stAlert").filter(has_text="Handed over to a colleague")
    sync_api.expect(banner).to_be_visible()
    assert re.search(r"reference H-[A-Z0-9]{6}\b", banner.inner_text()), banner.inner_text()
    shot(page, "05-handoff")


def test_thumbs_up_on_an_answer_is_kept(page):
    before = ask(page, "What are your opening hours?")
    wait_for_answer(page, before, "04-thumbs-up")
    rating = last_answer(page).get_by_test_id("stFeedback")
    thumbs_up = rating.get_by_role("radio", name="Thumbs up")
    sync_api.expect(thumbs_up).to_be_visible(timeout=3_000)
    sync_api.expect(thumbs_up).to_have_attribute("aria-checked", "false")
    thumbs_up.click()
    wait_for_answer(page, before, "04-thumbs-up")
    sync_api.expect(thumbs_up).to_have_attribute("aria-checked", "true")
    shot(page, "04-thumbs-up")


# The chat area, there before any message, and everything the newest answer showed while it
# changed, with the page's clock: watched inside the page, so no state is missed between polls.
CHAT_AREA = '[data-testid="stMainBlockContainer"]'
RECORD_ANSWER = f"""(before) => {{
  window.__answer = [];
  const record = () => {{
    const shown = document.querySelectorAll('{ANSWERS}');
    if (shown.length <= before) return;
    const text = shown[shown.length - 1].innerText;
    const seen = window.__answer;
    if (!seen.length || seen[seen.length - 1].text !== text) {{
      seen.push({{at: performance.now(), text}});
    }}
  }};
  new MutationObserver(record).observe(
    document.querySelector('{CHAT_AREA}'), {{childList: true, subtree: true, characterData: true}}
  );
}}"""
# An answer quoted from one help-centre article; its first sentence runs to some 30 words.
SEVERAL_SENTENCES = "Is glass damage covered?"
# The reply check holds back at most the words that could still become something unsafe (two
# here, as "covered by"), and one redraw may take in two of its releases.
MOST_WORDS_AT_ONCE = 5


def words_of(text: str) -> str:
    return " ".join(text.replace(CURSOR, " ").split())


def test_a_reply_streams_word_by_word_not_sentence_by_sentence(page):
    """The first sentence of an answer grows on the page a few words at a time: the reply check
    releases words once nothing unsafe can still form, instead of whole sentences."""
    before = page.locator(ANSWERS).count()
    page.evaluate(RECORD_ANSWER, before)
    ask(page, SEVERAL_SENTENCES)
    answer = wait_for_answer(page, before, "07-word-by-word")
    shot(page, "07-word-by-word")
    first = re.match(r".+?[.!?](?=\s|$)", words_of(answer.inner_text()))
    assert first and "Glass damage" in first[0] and len(first[0].split()) > 20, first
    sentence = first[0]
    seen = [(step["at"], words_of(step["text"])) for step in page.evaluate("window.__answer")]
    timeline = "\n".join(f"{at - seen[0][0]:6.0f} ms  {text[:120]}" for at, text in seen)
    growing = [text for _, text in seen if text and sentence.startswith(text) and text != sentence]
    assert len(growing) >= 4, f"the first sentence did not grow in steps:\n{timeline}"
    assert all(len(a) < len(b) for a, b in itertools.pairwise(growing)), timeline
    # How much of the first sentence each state showed, until all of it did.
    counts = [0]
    for _, text in seen:
        if sentence.startswith(text):
            counts.append(len(text.split()))
        elif text.startswith(sentence):
            counts.append(len(sentence.split()))
            break
    added = [b - a for a, b in itertools.pairwise(counts)]
    assert counts[-1] == len(sentence.split()), f"the sentence never showed whole:\n{timeline}"
    assert max(added) <= MOST_WORDS_AT_ONCE, f"{max(added)} words at once:\n{timeline}"


SESSIONS = 20
# Each tab is a Streamlit session of its own (its own websocket and session state), so twenty
# tabs in one browser profile are twenty customers to the server. A profile per tab cost
# chromium 40 s instead of 16 to load the page twenty times, and tested nothing more; one
# profile for all opens them in 8 s instead of 13 (four).
CONTEXTS = 1
# Twenty turns at once share two cores: each may wait for the others.
CONCURRENT_TURN_SECONDS = 180
USER_MESSAGES = '[data-testid="stChatMessageContent"][aria-label="Chat message from user"]'
QUESTIONS = [
    "What are your opening hours?",
    "Is my charging cable covered if it's stolen?",
    "Does comprehensive cover hail damage?",
    "How do I file a claim?",
    "Is towing included?",
]


def test_twenty_sessions_at_once_each_keep_their_own_conversation(browser, server):
    """Twenty browser sessions (tabs) send at the same moment; each gets its own answer and only
    its own messages, twenty conversations are stored, and the server logs no error."""
    made = [browser.new_context(viewport={"width": 1000, "height": 800}) for _ in range(CONTEXTS)]
    contexts = [made[n % CONTEXTS] for n in range(SESSIONS)]
    try:
        tabs = opened_together(contexts, server.url)
        said = [f"Case {n:02d}: {QUESTIONS[n % len(QUESTIONS)]}" for n in range(SESSIONS)]
        for tab, text in zip(tabs, said, strict=True):
            box = tab.locator(CHAT_BOX)
            box.fill(text)
        # Sent back to back, so all twenty turns run in the server together.
        started = time.monotonic()
        for tab in tabs:
            tab.locator(CHAT_BOX).press("Enter")
        # The turns run together; waiting for them one after another costs nothing extra.
        for n, tab in enumerate(tabs):
            left = CONCURRENT_TURN_SECONDS - (time.monotonic() - started)
            wait_for_answer(tab, 0, f"06-concurrent-{n:02d}", seconds=max(left, 1))
        shot(tabs[0], "06-concurrent-00")
        ids = set()
        for n, tab in enumerate(tabs):
            assert tab.locator(USER_MESSAGES).all_inner_texts() == [said[n]], f"session {n}"
            assert tab.locator(ANSWERS).count() == 1, f"session {n}"
            assert letters(last_answer(tab).inner_text()) > 20, f"session {n}: empty answer"
            assert tab.get_by_test_id("stException").count() == 0, f"session {n}"
            ids.add(re.search(r"[?&]c=(\w+)", tab.url)[1])
        assert len(ids) == SESSIONS, "every session has its own conversation id"
    finally:
        for context in made:
            context.close()
    store = Store(server.database_url)
    for conversation_id in ids:
        turns = store.conversation(conversation_id)["turns"]
        assert len(turns) == 1, conversation_id
        case = re.match(r"Case (\d\d)", turns[0]["customer_text"])
        assert case, turns[0]["customer_text"]
        assert said[int(case[1])] == turns[0]["customer_text"]
    log = server.log.read_text()
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]
