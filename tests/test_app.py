"""The page, run in-process by AppTest: offline demo flows, and a real client over loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import config
import settings
from scripted import ScriptedAPI, error, served, text
from store import Store
from test_escalation import PERSON, TRIGGERED

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def page(monkeypatch, tmp_path, kb):
    """A fresh page on its own database; shared resources rebuilt for each test.

    `kb` has indexed kb/ for the session, so the page's own start-up sync embeds nothing.
    """
    monkeypatch.setattr(settings, "DATABASE_URL", f"sqlite:///{tmp_path / 'acme.db'}")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    yield at
    st.cache_resource.clear()


@pytest.fixture
def online(monkeypatch):
    """The real client path: a key, and ANTHROPIC_BASE_URL pointing at a scripted server."""
    api = ScriptedAPI()
    with served(api) as url:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
        yield api
    assert api.problems == []


def send(at: AppTest, message: str) -> AppTest:
    at.chat_input[0].set_value(message).run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, name: str) -> AppTest:
    """Go to a page the navigation lists (ui/pages/<name>.py), as its sidebar link does."""
    at.switch_page(f"ui/pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    """Each chat message's text: what a person typed (plain text), or Eva's markdown."""
    return [
        "\n".join([*(t.value for t in message.text), *(m.value for m in message.markdown)])
        for message in at.chat_message
    ]


def test_offline_page_is_badged_and_offers_starters(page):
    page.run()
    assert not page.exception
    assert config.OFFLINE_BADGE in page.sidebar.markdown[0].value
    starters = [b.label for b in page.button]
    assert config.STARTER_QUESTIONS[0] in starters


def test_a_question_gets_an_answer(page):
    page.run()
    send(page, "What are your opening hours on Saturday?")
    assert [m.name for m in page.chat_message] == ["user", "assistant"]
    assert "9:00" in texts(page)[1]


def test_a_starter_question_is_sent_with_one_click(page):
    page.run()
    next(b for b in page.button if b.label == config.STARTER_QUESTIONS[3]).click().run()
    assert texts(page)[0] == config.STARTER_QUESTIONS[3]
    assert "Monday" in texts(page)[1]


def test_quote_flow_shows_a_tool_card_and_the_premium(page):
    page.run()
    send(page, "I'd like a quote for my car")
    send(page, "2021 Honda Civic, 9000 miles a year, I'm 29")
    card = page.chat_message[3].status[0]
    assert card.label.startswith("Preparing a quote")
    assert "$" in card.label
    assert "/month" in card.label or "month" in card.label
    assert "a month" in texts(page)[3]
    # The tool card survives the rerun that the next message causes.
    send(page, "Thanks!")
    assert page.chat_message[3].status[0].label == card.label


def test_asking_for_a_human_shows_the_handoff_with_its_reference(page):
    page.run()
    send(page, "I want to speak to a human")
    banner = page.chat_message[1].info[0].value
    reference = banner.split("reference ")[1].split(".")[0]
    recorded = Store(settings.DATABASE_URL).handoffs()
    assert [h["reference"] for h in recorded] == [reference]


def test_new_conversation_starts_over(page):
    page.run()
    send(page, "What are your opening hours?")
    page.sidebar.button[0].click().run()
    assert page.chat_message.len == 0
    assert page.session_state["history"] == []


def test_a_failed_turn_offers_retry_and_keeps_history_unchanged(page, online):
    online.add(text("Hello from Claude."), error(500, x_should_retry="false"))
    page.run()
    send(page, "Hi")
    history = list(page.session_state["history"])
    send(page, "What does collision cover?")
    assert page.session_state["history"] == history
    assert page.warning[0].value == config.BUSY
    assert page.chat_input[0].value == "What does collision cover?"
    online.add(text("Collision covers damage from hitting another car or object."))
    page.button(key="retry").click().run()
    assert not page.exception
    assert "Collision covers" in texts(page)[-1]
    assert len(page.session_state["history"]) == len(history) + 2
    assert not page.warning


def test_a_config_edit_between_turns_reaches_the_next_request(page, online, monkeypatch):
    online.add(text("First answer."), text("Second answer."))
    page.run()
    send(page, "First question")
    monkeypatch.setattr(config, "ADDITIONAL_GUARDRAILS", "- Always sign off as Eva from Acme.")
    send(page, "Second question")
    first, second = online.messages_requests
    assert "sign off as Eva" not in first["system"][0]["text"]
    assert "sign off as Eva" in second["system"][0]["text"]
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert texts(page)[-1] == "Second answer."


def test_the_real_client_is_badged_with_the_model(page, online):
    page.run()
    assert not page.exception
    badge = page.sidebar.markdown[0].value
    assert config.MODEL in badge
    assert "Offline" not in badge


def test_sidebar_shows_tokens_cache_share_and_cost(page):
    page.run()
    send(page, "What does collision cover?")
    send(page, "And comprehensive?")
    send(page, "What about roadside assistance?")
    table = next(m.value for m in page.sidebar.markdown if "Read from cache" in m.value)
    share = int(table.split("Read from cache | ")[1].split("%")[0])
    # The first turn writes the cache; the next two read nearly everything from it.
    assert share >= 60, table
    assert "Estimated cost | $0.0" in table


def test_an_answer_shows_the_sources_it_cites(page):
    page.run()
    send(page, "Is my charging cable covered if someone steals it from my garage?")
    answer = page.chat_message[1]
    [sources] = answer.expander
    assert sources.label.startswith("Sources (")
    listed = "\n".join(m.value for m in sources.markdown)
    assert "**Electric car insurance**" in listed
    assert "*Electric car insurance*" in texts(page)[1]
    send(page, "thanks, and what are your opening hours on Saturday?")
    assert page.chat_message[1].expander, "sources stay under earlier answers after a rerun"


def test_a_broken_article_is_named_and_eva_still_answers(page, monkeypatch, tmp_path):
    broken = tmp_path / "kb"
    (broken / "articles").mkdir(parents=True)
    (broken / "articles" / "oops.md").write_text("no front matter here")
    monkeypatch.setattr(settings, "KB_DIR", broken)
    page.run()
    assert any("oops.md" in e.value for e in page.sidebar.error)
    send(page, "What are your opening hours on Saturday?")
    assert "9:00" in texts(page)[1]


def test_an_unreadable_index_is_named_and_eva_still_answers(page, monkeypatch, tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "chroma.sqlite3").write_bytes(b"not a database" * 100)
    monkeypatch.setattr(settings, "INDEX_DIR", index)
    page.run()
    assert any("cannot be opened" in e.value for e in page.sidebar.error)
    send(page, "What are your opening hours on Saturday?")
    assert "9:00" in texts(page)[1]


def test_a_card_number_typed_in_the_page_is_masked_and_explained(page):
    page.run()
    send(page, "can you update my card to 4111 1111 1111 1111 please")
    assert "4111" not in texts(page)[0]
    assert "[card number removed]" in texts(page)[0]
    assert any("card number" in i.value for i in page.chat_message[0].info)
    assert "4111" not in str(page.session_state["history"])


def at_the_desk(at: AppTest, name: str = "Ana") -> AppTest:
    """Open the agent desk and give the name customers see (asked once per session)."""
    desk = open_page(at, "desk")
    desk.text_input[0].set_value(name)
    next(b for b in desk.button if b.label == "Start working the queue").click().run()
    assert not desk.exception, desk.exception
    return desk


@pytest.mark.parametrize("language", PERSON)
def test_a_person_asked_for_in_any_language_reaches_the_agent_desk(page, language):
    """Done means: the banner on the page, and a desk entry with summary and draft."""
    page.run()
    send(page, PERSON[language])
    [record] = Store(settings.DATABASE_URL).handoffs()
    reference = record["reference"]
    banner = page.chat_message[1].info[0].value
    assert f"reference {reference}" in banner and "colleague picks this" in banner
    desk = at_the_desk(page)
    assert desk.title[0].value == "Agent desk"
    assert any(c.value.startswith("1 waiting") for c in desk.caption)
    assert any(reference in m.value for m in desk.markdown)
    # The desk escapes markup in what it composes ("language\\: es"): compare as shown.
    assert any(f"language: {language}" in c.value.replace("\\", "") for c in desk.caption)
    desk.button(key=f"claim-{reference}").click().run()
    assert any(PERSON[language] in t.value for t in desk.text), "the summary quotes them"
    conversation = record["conversation_id"]
    draft = desk.text_area(key=f"draft-{conversation}")
    assert reference in draft.value and len(draft.value) > 40
    assert any(f"language: {language}" in c.value.replace("\\", "") for c in desk.caption)


def test_the_agent_desk_lists_a_handoff_and_resolves_it(page):
    page.run()
    send(page, "Can I talk to a real person please?")
    desk = at_the_desk(page)
    assert any(c.value.startswith("1 waiting") for c in desk.caption)
    [record] = Store(settings.DATABASE_URL).handoffs()
    reference = record["reference"]
    assert any(reference in m.value for m in desk.markdown)
    desk.button(key=f"claim-{reference}").click().run()
    assert any(c.value.startswith("0 waiting") for c in desk.caption)
    next(b for b in desk.button if b.label == "Close the conversation").click().run()
    assert not desk.exception, desk.exception
    assert Store(settings.DATABASE_URL).handoffs() == []
    assert Store(settings.DATABASE_URL).conversation_mode(record["conversation_id"])["outcome"] == (
        "resolved"
    )


def test_a_handoff_opened_in_code_shows_its_banner(page):
    """A trigger's card comes with no ToolStarted; the page closes the text above it."""
    page.run()
    send(page, TRIGGERED["legal"])
    [record] = Store(settings.DATABASE_URL).handoffs()
    assert any(f"reference {record['reference']}" in i.value for i in page.chat_message[1].info)
    assert record["trigger"] == "legal"


# --- The pilot: feedback, transcripts, access, limits -------------------------------------------


def test_a_thumbs_rating_and_comment_are_stored_against_the_answer(page):
    page.run()
    send(page, "What are your opening hours?")
    [thumbs] = [f for f in page.feedback if f.key and f.key.startswith("thumbs-")]
    thumbs.set_value(0).run()
    comment = next(t for t in page.text_input if t.key and t.key.startswith("comment-"))
    comment.set_value("It missed Saturday hours, call me on 312-555-0199").run()
    [rating] = Store(settings.DATABASE_URL).feedback()
    assert (rating["kind"], rating["score"]) == ("thumbs", 0)
    assert rating["turn_id"] is not None and "Saturday" in rating["comment"]
    assert "312-555-0199" not in rating["comment"], "comments are masked like everything else"


def test_the_conversation_can_be_rated_and_downloaded(page):
    page.run()
    send(page, "What are your opening hours?")
    [stars] = [f for f in page.sidebar.feedback if f.key == "satisfaction"]
    stars.set_value(4).run()
    [rating] = Store(settings.DATABASE_URL).feedback()
    assert (rating["kind"], rating["score"]) == ("satisfaction", 5)
    labels = [b.label for b in page.sidebar.get("download_button")]
    assert labels == ["Markdown", "JSON"]


def test_a_passcode_guards_the_pilot_and_locks_out_after_failures(page, monkeypatch):
    monkeypatch.setattr(settings, "PILOT_PASSCODE", "tide-pool-42")
    page.run()
    assert not page.chat_input, "nothing of the app before the passcode"
    for _ in range(settings.PASSCODE_MAX_FAILURES):
        page.text_input[0].set_value("guess")
        page.form_submit_button[0].click().run()
    assert "Too many wrong passcodes" in page.error[0].value
    page.text_input[0].set_value("tide-pool-42")
    page.form_submit_button[0].click().run()
    assert not page.chat_input, "locked out even with the right passcode, for a while"
    # A reload is a new session from the same (here: unknown) address: still locked out.
    reloaded = AppTest.from_file(APP, default_timeout=60)
    reloaded.run()
    reloaded.text_input[0].set_value("tide-pool-42")
    reloaded.form_submit_button[0].click().run()
    assert not reloaded.chat_input
    assert "Too many wrong passcodes" in reloaded.error[0].value


def test_the_right_passcode_opens_the_page(page, monkeypatch):
    monkeypatch.setattr(settings, "PILOT_PASSCODE", "tide-pool-42")
    page.run()
    page.text_input[0].set_value("tide-pool-42")
    page.form_submit_button[0].click().run()
    assert page.chat_input and "Pilot" in " ".join(c.value for c in page.sidebar.caption)


def test_local_mode_is_badged_and_opens_every_page(page):
    page.run()
    assert any("every page is open" in c.value for c in page.sidebar.caption)
    for name, title in (("desk", "Agent desk"), ("insights", "Insights"), ("lab", "Prompt lab")):
        opened = open_page(page, name)
        assert opened.title[0].value == title
        assert any("Local mode" in c.value for c in opened.sidebar.caption), "badged there too"


STAFF = {"agent": "agent-tern-7", "lead": "lead-gull-3", "author": "author-auk-5"}
# Which pages each passcode's navigation lists (the chat is everyone's).
OPENS = {
    "customer": set(),
    "agent": {"desk"},
    "lead": {"desk", "insights"},
    "author": {"lab"},
}


@pytest.fixture
def pilot(page, monkeypatch):
    """The pilot's passcodes: one for customers, one per staff role."""
    monkeypatch.setattr(settings, "PILOT_PASSCODE", "tide-pool-42")
    monkeypatch.setattr(settings, "STAFF_PASSCODES", ",".join(f"{r}:{p}" for r, p in STAFF.items()))
    return page


def enter(at: AppTest, passcode: str) -> AppTest:
    at.run()
    at.text_input[0].set_value(passcode)
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("role", OPENS)
def test_each_passcode_lists_exactly_the_pages_of_its_role(pilot, role):
    page = enter(pilot, STAFF.get(role, "tide-pool-42"))
    assert page.chat_input, "everyone may use the chat"
    for name in ("desk", "insights", "lab"):
        if name in OPENS[role]:
            assert not open_page(page, name).error, f"{role} opens {name}"
            page.switch_page("ui/pages/chat.py").run()
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                page.switch_page(f"ui/pages/{name}.py")


def test_the_customer_page_shows_no_staff_tool(pilot):
    page = enter(pilot, "tide-pool-42")
    send(page, "Can I talk to a real person please?")
    shown = " ".join(str(e.value) for e in (*page.markdown, *page.caption, *page.sidebar.caption))
    for staff_only in ("Agent desk", "Insights", "Prompt lab", "Mark resolved", "Draft reply"):
        assert staff_only not in shown
    assert not page.text_area, "no draft box on the customer's page"


@pytest.mark.parametrize(
    ("name", "role"), [("desk", "customer"), ("insights", "agent"), ("lab", "lead")]
)
def test_a_staff_page_refuses_a_role_that_may_not_open_it_however_it_is_reached(pilot, name, role):
    """Hiding a page is not authorisation: the page itself checks, here run directly as its
    own script (as a server would if its navigation were bypassed) with a crafted query."""
    Store(settings.DATABASE_URL).add_handoff("c-other", "Wants a person.", "high", "Summary")
    direct = AppTest.from_file(str(ROOT / "ui" / "pages" / f"{name}.py"), default_timeout=60)
    direct.session_state["role"] = role
    direct.query_params["role"] = "lead"
    direct.run()
    assert not direct.exception, direct.exception
    assert [e.value for e in direct.error] == [
        "This page is for Acme staff. Sign in with a staff account or passcode to open it."
    ]
    assert not direct.title and not direct.markdown and not direct.text, "nothing of the page"


def test_a_staff_sign_in_is_audited_once_without_the_passcode(pilot, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="acme.staff"):
        page = enter(pilot, STAFF["agent"])
        page.run()  # a later rerun of the same session is not a new sign-in
        enter(AppTest.from_file(APP, default_timeout=60), "tide-pool-42")  # a customer's
    [line] = [r.getMessage() for r in caplog.records if r.name == "acme.staff"]
    assert '"action": "sign_in"' in line and '"role": "agent"' in line
    assert STAFF["agent"] not in line
    [row] = Store(settings.DATABASE_URL).actions(action="sign_in")
    assert (row["actor"], row["role"], row["detail"]["via"]) == (
        "passcode:agent",
        "agent",
        "passcode",
    )


def test_too_many_messages_are_refused_and_the_text_kept(page, monkeypatch):
    monkeypatch.setattr(settings, "RATE_LIMIT_MESSAGES", 2)
    monkeypatch.setattr(settings, "RATE_LIMIT_WINDOW_SECONDS", 3600.0)  # however slow the run
    page.run()
    send(page, "Hello")
    send(page, "What are your opening hours?")
    send(page, "And the third one, quokka?")
    assert "a lot of messages" in page.warning[0].value
    assert len(page.session_state["display"]) == 4, "the third message was not sent"
    assert "quokka" not in str(page.session_state["history"])
    # The unsent text stays on the page with a button, however often it is refused.
    assert "quokka" in texts(page)[-1]
    again = next(b for b in page.button if b.label == "Send again")
    again.click().run()
    assert "quokka" in texts(page)[-1] and "a lot of messages" in page.warning[0].value
    monkeypatch.setattr(settings, "RATE_LIMIT_MESSAGES", 10)
    next(b for b in page.button if b.label == "Send again").click().run()
    assert len(page.session_state["display"]) == 6, "sent once the limit allows"
    assert "quokka" in str(page.session_state["history"])


def test_insights_show_real_numbers_after_a_few_conversations(page):
    page.run()
    send(page, "What are your opening hours?")
    send(page, "I want to talk to a real person")
    next(b for b in page.sidebar.button if b.label == "New conversation").click().run()
    send(page, "Does comprehensive cover hail damage?")
    panel = open_page(page, "insights")
    assert panel.title[0].value == "Insights"
    table = next(m.value for m in panel.markdown if "| Conversations |" in m.value)
    assert "| Conversations | 2 (3 turns) |" in table
    assert "| Resolved without a person | 50% |" in table
    assert len(panel.get("vega_lite_chart")) == 2, "per day, and escalations by reason"
    people = next(m.value for m in panel.markdown if "First reply from a person" in m.value)
    assert "| Now with Eva / waiting / with a person / closed | 1 / 1 / 0 / 0 |" in people
    assert "| Resolved by Eva / by a person | 1 / 0 |" in people


def test_a_reload_resumes_the_conversation_from_the_url(page):
    page.run()
    send(page, "Does comprehensive cover hail damage?")
    conversation = page.query_params["c"]
    assert conversation == page.session_state["facts"]["conversation_id"]
    reloaded = AppTest.from_file(APP, default_timeout=60)
    reloaded.query_params["c"] = conversation
    reloaded.run()
    assert texts(reloaded)[:2] == texts(page)[:2], "the same conversation, read back"
    send(reloaded, "Thanks, that's helpful")
    assert len(reloaded.session_state["history"]) > len(page.session_state["history"])


def test_a_foreign_or_unknown_id_starts_a_fresh_conversation(page):
    page.run()
    theirs = "f" * 32
    Store(settings.DATABASE_URL).save_state(
        theirs, "owner@example.org", {"display": [{"role": "user", "segments": []}]}
    )
    for wanted in (theirs, "0" * 32):
        other = AppTest.from_file(APP, default_timeout=60)
        other.query_params["c"] = wanted
        other.run()
        assert not other.chat_message, "nothing of anyone else's conversation"
        assert other.query_params["c"] != wanted


def test_a_long_conversation_folds_old_turns_and_the_page_keeps_them(page, monkeypatch):
    monkeypatch.setattr(settings, "TOKEN_BUDGET", 12_000)
    monkeypatch.setattr(settings, "RATE_LIMIT_MESSAGES", 100)
    page.run()
    asks = [
        "What does comprehensive cover?",
        "How do I file a claim?",
        "Is towing included?",
        "Do you cover electric car batteries?",
        "What is a deductible?",
        "What are your opening hours?",
    ]
    for ask in asks:
        send(page, ask)
    notice = config.FOLD_NOTE["set_aside"]["en"].split("{")[0]
    shown = [c.value for message in page.chat_message for c in message.caption]
    assert any(value.startswith(notice) for value in shown), shown
    said = [t for m, t in zip(page.chat_message, texts(page), strict=True) if m.name == "user"]
    assert said == asks, "every message stays on the page"
    history = page.session_state["history"]
    assert len(history) < 2 * len(asks), "the model's history was folded"
    assert history[0]["content"][0]["text"].startswith("<earlier_conversation")
    # A reload resumes the folded history and the whole page.
    reloaded = AppTest.from_file(APP, default_timeout=60)
    reloaded.query_params["c"] = page.query_params["c"]
    reloaded.run()
    assert texts(reloaded) == texts(page)
    assert reloaded.session_state["history"] == history


def test_the_prompt_lab_shows_config_changes_and_a_broken_rule_in_the_quick_eval(page, monkeypatch):
    from test_offline import without_rule

    page.run()
    source = Path(config.__file__).read_text()
    page.session_state["config_at_start"] = source.replace("No competitors.", "No rivals.")
    lab = open_page(page, "lab")
    assert lab.title[0].value == "Prompt lab"
    diff = next(c.value for c in lab.code if c.language == "diff")
    assert "-- **No rivals.**" in diff and "+- **No competitors.**" in diff

    def quick_eval() -> dict[str, tuple[str, str]]:
        button = next(b for b in lab.button if b.label.startswith("Run quick eval"))
        button.click().run()
        assert not page.exception, page.exception
        table = lab.dataframe[0]
        rows = table.value.itertuples()
        return {row.case: (row.kind, row.result, row.reason) for row in rows}

    before = quick_eval()
    assert len(before) >= 20
    assert sum(kind == "task" for kind, _, _ in before.values()) >= 3, "simulated customers too"
    passing = {name for name, (_, result, _) in before.items() if result.startswith("✅")}
    monkeypatch.setattr(config, "ADDITIONAL_GUARDRAILS", without_rule("No competitors."))
    after = quick_eval()
    broken = {name for name in passing if after[name][1].startswith("❌")}
    assert len({name for name in broken if name.startswith("competitors-")}) >= 2, after
    assert all("flag competitor raised" in after[name][2] for name in broken), broken


def test_each_turn_logs_one_json_line_to_the_server_output(page):
    import logging

    page.run()
    page.run()
    handlers = [h for h in logging.getLogger("acme.turns").handlers if h.get_name()]
    assert [h.get_name() for h in handlers] == ["acme-turns-stderr"], "once, however many runs"
    assert logging.getLogger("acme.turns").isEnabledFor(logging.INFO)


def test_the_customer_page_loads_no_development_tooling():
    """evals/ and bench/ are loaded only when the Prompt lab's quick eval is pressed."""
    probe = "import sys, ui.chat; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "'ui'" in loaded.stdout
    assert "'evals'" not in loaded.stdout and "'bench'" not in loaded.stdout


def test_no_pages_folder_beside_the_entry():
    """Streamlit 1.67 decides once per server process, at its first session, whether a pages/
    folder beside the entry makes the pages; that first run happens before app.py can call
    st.navigation. It listed every module of the folder as a page for seconds and served
    /desk as a bare script without the front door: the pages live in ui/."""
    assert not (ROOT / "pages").exists()


def test_a_person_takes_over_the_chat_and_hands_it_back_to_eva(page):
    """The customer's side of a human handoff: who joined, the person's replies under their
    name, the customer's messages going to them (no Eva), then Eva back with the context."""
    import escalation
    from offline.brain import AFTER_COLLEAGUE

    sam = escalation.Staff("sam@acme.example", "Sam", "agent")
    db = Store(settings.DATABASE_URL)
    page.run()
    send(page, "Can I talk to a real person please?")
    conversation = page.session_state["facts"]["conversation_id"]
    assert escalation.claim(db, conversation, sam) is not None
    escalation.reply(db, conversation, sam, "Hi, Sam here. <b>How</b> can I help?")
    page.run()  # what the page's one-second poll does
    entries = page.session_state["display"]
    assert entries[-2]["role"] == "notice" and "Sam from Acme has joined" in str(entries[-2])
    assert entries[-1]["role"] == "agent" and entries[-1]["author"] == "Sam"
    assert any("Sam · Acme Insurance" in c.value for c in page.chat_message[-1].caption)
    assert texts(page)[-1] == "Hi, Sam here. <b>How</b> can I help?", "as typed, not as HTML"
    assert page.chat_message[-1].text[0].value == "Hi, Sam here. <b>How</b> can I help?"

    history = list(page.session_state["history"])
    send(page, "Is my windscreen covered?")
    assert page.session_state["history"] == history, "Eva did not answer"
    assert page.session_state["display"][-1]["role"] == "user"
    [kept] = [m for m in db.messages_since(conversation) if m["kind"] == "customer"]
    assert kept["text"] == "Is my windscreen covered?"

    escalation.reply(db, conversation, sam, "Yes, glass is covered with no excess.")
    assert escalation.hand_back(db, conversation, sam) is not None
    page.run()
    assert "handed the conversation back to Eva" in str(page.session_state["display"][-1])
    send(page, "How do I book the repair?")
    assert texts(page)[-1].startswith(AFTER_COLLEAGUE)

    from ui.chat import transcript_markdown

    transcript = transcript_markdown(page.session_state["display"])
    assert "**Sam (Acme Insurance):**\nYes, glass is covered with no excess." in transcript
    reloaded = AppTest.from_file(APP, default_timeout=60)
    reloaded.query_params["c"] = conversation
    reloaded.run()
    roles = [entry["role"] for entry in reloaded.session_state["display"]]
    assert "agent" in roles and "notice" in roles, "the reload keeps the person's turns"
    assert any(m.avatar == "🧑‍💼" for m in reloaded.chat_message)


def test_the_message_limit_protects_the_model_not_talk_with_a_person(page, monkeypatch):
    import escalation

    monkeypatch.setattr(settings, "RATE_LIMIT_MESSAGES", 2)
    monkeypatch.setattr(settings, "RATE_LIMIT_WINDOW_SECONDS", 3600.0)  # however slow the run
    db = Store(settings.DATABASE_URL)
    page.run()
    send(page, "Can I talk to a real person please?")
    conversation = page.session_state["facts"]["conversation_id"]
    escalation.claim(db, conversation, escalation.Staff("sam@acme.example", "Sam", "agent"))
    for number in range(1, 5):
        send(page, f"Message {number} for Sam")
    said = [m["text"] for m in db.messages_since(conversation) if m["kind"] == "customer"]
    assert said == [f"Message {n} for Sam" for n in range(1, 5)]
    assert not page.warning, "nothing refused while a person has the conversation"
