"""Long conversations: each request stays within the token budget, old turns folded into a
summary (side model) or set aside (offline), the cache layout intact, nothing lost on failure."""

from __future__ import annotations

import copy
import json
from typing import Any

import anthropic
import httpx2
import pytest

import budget
import chatbot
import config
import llm
import offline
import request
import review
import settings
from events import Folded, TurnDone, TurnError
from scripted import ScriptedAPI, error, message_json, text, tool_calls

BUDGET = 9_000
SUMMARY = "Customer Dana asked about towing for a 2021 Corolla; quote Q-77 given at $96/month."


@pytest.fixture(autouse=True)
def small_budget(monkeypatch):
    # The static prefix (tools + system) is ~6.7k tokens, so a few long turns cross 9k.
    monkeypatch.setattr(settings, "TOKEN_BUDGET", BUDGET)


@pytest.fixture
def api(monkeypatch) -> ScriptedAPI:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    scripted = ScriptedAPI()
    # count_tokens answers as the API would, near enough: the request's size.
    scripted.token_count = lambda body: budget.estimate(
        {k: body.get(k) for k in ("system", "tools", "messages")}
    )
    yield scripted
    assert scripted.problems == []


def summariser(reply: httpx2.Response | None = None):
    """Side-model replies: `reply` (a summary by default) to the summary call, a confident
    score to the rest."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if body["system"] == config.SUMMARY_PROMPT.strip():
            return reply or message_json(f"<summary>{SUMMARY}</summary>")
        return message_json("<score>0.95</score><reason>Fine.</reason>")

    return answer


def bot_for(api: ScriptedAPI, db, side: bool = True) -> chatbot.ChatBot:
    client = llm.connect(transport=httpx2.MockTransport(api.handle)).client
    reviewer = review.SideModelReviewer(client) if side else None
    return chatbot.ChatBot(client, db, reviewer=reviewer)


TOPICS = [
    "my 2021 Corolla broke down on the highway, does my cover pay the tow",
    "what happens to my premium if I add my teenage son as a driver",
    "can I get a courtesy car while mine is in the body shop after hail",
    "is my electric scooter battery covered if it is stolen from the garage",
    "how long do I have to report a windscreen crack",
    "do you insure a classic 1972 Beetle that I only drive in summer",
]


def question(n: int) -> str:
    """A different question each turn: a repeated one would count as a stall and hand off."""
    return f"Question {n}: {TOPICS[n % len(TOPICS)]}?"


def reply(n: int) -> httpx2.Response:
    return text(f"Answer {n}. " + "Towing is covered up to the limit in your policy. " * 30)


def converse(
    bot: chatbot.ChatBot,
    api: ScriptedAPI,
    turns: range,
    history: list | None = None,
    until_fold: bool = False,
) -> tuple[list, dict, list[list]]:
    """Run turns; stop after the first fold when asked. Returns history, facts, each turn's
    events."""
    history, facts, every = list(history or []), {}, []
    for n in turns:
        api.add(reply(n))
        events = list(bot.respond(history, question(n), facts))
        assert isinstance(events[-1], TurnDone), events[-1]
        history, facts = events[-1].history(history), events[-1].facts
        every.append(events)
        if until_fold and any(isinstance(e, Folded) for e in events):
            break
    return history, facts, every


def folds(events: list) -> list[Folded]:
    return [e for e in events if isinstance(e, Folded)]


def size(request: dict[str, Any]) -> int:
    return budget.estimate({k: request[k] for k in ("system", "tools", "messages")})


def unmarked(messages: list[dict]) -> str:
    return json.dumps(messages).replace(', "cache_control": {"type": "ephemeral", "ttl": "5m"}', "")


def test_a_long_conversation_is_summarised_and_every_request_stays_within_budget(api, db):
    api.side = [summariser()] * 200
    history, _, turns = converse(bot_for(api, db), api, range(30), until_fold=True)
    folded = folds(turns[-1])
    assert folded, "no fold within 30 long turns"
    assert folded[0].summarised
    assert folded[0].notice == config.FOLD_NOTE["summarised"]["en"]
    assert all(size(r) <= BUDGET for r in api.messages_requests)
    request = api.messages_requests[-1]
    head = request["messages"][0]["content"][0]["text"]
    assert head.startswith(f'<earlier_conversation turns="{folded[0].turns}">')
    assert SUMMARY in head
    # The summariser read the oldest turns, and the request still has the newest verbatim.
    asked = [r for r in api.side_requests if r["system"] == config.SUMMARY_PROMPT.strip()]
    assert len(asked) == 1
    assert question(0) in asked[0]["messages"][0]["content"]
    sent = json.dumps(request["messages"])
    last = len(turns) - 1
    for n in range(last - settings.KEEP_RECENT_TURNS, last + 1):
        assert question(n) in sent
    assert question(0) not in sent
    # The history the page keeps is the folded one: it starts with the summary.
    assert history[0]["content"][0]["text"] == head


def test_after_a_fold_the_next_request_extends_the_same_prefix(api, db):
    """The fold is written once into the history, so the next request starts byte-identical
    (cache marks aside) and reads it from cache instead of folding again."""
    api.side = [summariser()] * 200
    bot = bot_for(api, db)
    history, _, _ = converse(bot, api, range(30), until_fold=True)
    folded_request = api.messages_requests[-1]["messages"]
    _, _, later = converse(bot, api, range(100, 101), history)
    assert not folds(later[0])
    following = api.messages_requests[-1]["messages"]
    assert unmarked(following[: len(folded_request)]) == unmarked(folded_request)
    assert "cache_control" in following[len(folded_request) - 1]["content"][-1], (
        "the mark that reads the folded prefix back sits where the last request's ended"
    )


def test_counting_is_asked_only_near_the_budget(api, db, monkeypatch):
    monkeypatch.setattr(settings, "TOKEN_BUDGET", 20_000)
    api.side = [summariser()] * 400
    _, _, turns = converse(bot_for(api, db), api, range(80), until_fold=True)
    assert folds(turns[-1])
    counted = [r for r, p in zip(api.requests, api.paths, strict=True) if "count" in p]
    assert counted, "a request near the budget is counted exactly"
    near = 20_000 * settings.COUNT_FROM_SHARE
    assert min(size(r) for r in counted) >= near, "requests well under it are only estimated"
    assert len(counted) < len(turns) / 2


def test_an_exact_count_under_the_budget_folds_nothing(api, db):
    api.token_count = BUDGET - 1
    _, _, turns = converse(bot_for(api, db, side=False), api, range(12))
    assert not any(folds(events) for events in turns)
    assert max(size(r) for r in api.messages_requests) > BUDGET, "the estimate alone would fold"


def test_a_failed_count_falls_back_to_the_estimate(api, db):
    # Not retried (the SDK's retries would only add their back-off sleeps to the test).
    api.token_count = error(529, "overloaded_error", x_should_retry="false")
    api.side = [summariser()] * 200
    _, _, turns = converse(bot_for(api, db), api, range(30), until_fold=True)
    assert folds(turns[-1])
    assert all(size(r) <= BUDGET for r in api.messages_requests)


def test_without_a_summary_the_old_turns_are_set_aside_with_a_notice(api, db):
    # A 400 is not retried: the summary call fails at once and the turn goes on without it.
    api.side = [summariser(error(400, "invalid_request_error"))] * 200
    _, _, turns = converse(bot_for(api, db), api, range(30), until_fold=True)
    folded = folds(turns[-1])[0]
    assert not folded.summarised
    assert folded.notice == config.FOLD_NOTE["set_aside"]["en"].format(turns=folded.turns)
    assert f"({folded.turns} of your messages and my replies)" in folded.notice
    head = api.messages_requests[-1]["messages"][0]["content"][0]["text"]
    assert "set aside" in head and SUMMARY not in head
    assert turns[-1][-1].reply.startswith(f"Answer {len(turns) - 1}.")


def test_a_second_fold_takes_the_first_summary_in(api, db):
    api.side = [summariser()] * 400
    bot = bot_for(api, db)
    history, _, _ = converse(bot, api, range(30), until_fold=True)
    first = budget.earlier(history)
    history, _, _ = converse(bot, api, range(30, 60), history, until_fold=True)
    second = budget.earlier(history)
    assert second[0] > first[0], "the count of folded turns accumulates"
    asked = [r for r in api.side_requests if r["system"] == config.SUMMARY_PROMPT.strip()]
    assert len(asked) == 2
    assert SUMMARY in asked[1]["messages"][0]["content"], "the second summary reads the first"


def test_a_failed_turn_after_a_fold_leaves_the_history_as_it_was(api, db):
    api.side = [summariser()] * 200
    bot = bot_for(api, db)
    history, facts, _ = converse(bot, api, range(30), until_fold=True)
    # Grow it to the next fold, then fail that turn.
    history, facts, _ = converse(bot, api, range(30, 60), history, until_fold=False)
    kept = copy.deepcopy(history)
    api.add(error(400, "invalid_request_error"))
    events = list(bot.respond(history, question(99), facts))
    assert isinstance(events[-1], TurnError)
    assert history == kept
    api.add(reply(99))
    retried = list(bot.respond(history, question(99), facts))
    assert isinstance(retried[-1], TurnDone)


def test_a_cut_never_separates_a_tool_call_from_its_result(api, db):
    """Turns with tool calls in the middle are folded whole: every request stays valid (the
    scripted API checks each one) and the kept history starts with a customer message."""
    api.side = [summariser()] * 400
    bot = bot_for(api, db)
    history, facts = [], {}
    for n in range(30):
        api.add(
            tool_calls((f"t{n}", "search_knowledge_base", {"query": "towing"})),
            reply(n),
        )
        events = list(bot.respond(history, question(n), facts))
        assert isinstance(events[-1], TurnDone), events[-1]
        history, facts = events[-1].history(history), events[-1].facts
        if folds(events):
            break
    assert folds(events)
    first = history[0]
    assert first["role"] == "user"
    assert not any(b.get("type") == "tool_result" for b in first["content"])
    assert request.customer_text(first).startswith("Question "), "not the summary"
    summary_request = next(
        r for r in api.side_requests if r["system"] == config.SUMMARY_PROMPT.strip()
    )
    assert "tool call: search_knowledge_base" in summary_request["messages"][0]["content"]


def test_offline_the_old_turns_are_set_aside_and_the_cache_picks_up_again(monkeypatch, db, kb):
    """The offline model counts tokens itself and simulates the cache: after the fold the
    next turn reads the folded prefix back instead of writing it again."""
    monkeypatch.setattr(settings, "TOKEN_BUDGET", 16_000)
    model, sent = offline.OfflineModel(pace_seconds=0), []

    def recorded(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/v1/messages"):
            sent.append(json.loads(request.content))
        return model.handle(request)

    client = anthropic.Anthropic(
        api_key="offline",
        base_url=llm.OFFLINE_BASE_URL,
        http_client=anthropic.DefaultHttpxClient(transport=httpx2.MockTransport(recorded)),
    )
    bot = chatbot.ChatBot(client, db, kb)
    asks = [
        "What does comprehensive cover?",
        "How do I file a claim?",
        "Is towing included?",
        "What are your opening hours?",
        "Do you cover electric car batteries?",
        "What is a deductible?",
    ] * 3
    history, facts, reads, fold_at = [], {}, [], None
    for index, ask in enumerate(asks):
        events = list(bot.respond(history, ask, facts))
        done = events[-1]
        assert isinstance(done, TurnDone), done
        assert done.reply.strip()
        if folds(events) and fold_at is None:
            fold_at = index
            assert not folds(events)[0].summarised
        history, facts = done.history(history), done.facts
        reads.append(done.usage.cache_read_tokens)
    assert max(offline.count_tokens(body) for body in sent) <= 16_000
    assert fold_at is not None, "eighteen answered questions cross 16k tokens"
    assert reads[fold_at + 1] > reads[fold_at], "the folded prefix is read back from cache"
    assert facts["folded_turns"] >= fold_at - settings.KEEP_RECENT_TURNS
    flags = [turn["flags"] for turn in db.conversation(facts["conversation_id"])["turns"]]
    assert ["folded:set_aside" in f for f in flags].count(True) >= 1
