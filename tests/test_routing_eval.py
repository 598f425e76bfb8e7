"""The routing gate: where the offline model sends a new conversation's first message, on
evals/routing.yaml (`make eval-routing` prints the same figures and the misses)."""

from __future__ import annotations

import re

import pytest

import config
import settings
from evals import suite
from evals.retrieval import load_cases as retrieval_cases
from evals.routing import GATES, KINDS, Case, Seen, evaluate, load_cases, missed, right, shares
from events import ToolFinished
from offline import VERIFY_ASK_MARK

DEDUCTIBLES = "kb/articles/deductibles.md"
# Two questions sharing this share of their words are one question written twice.
SAME_QUESTION = 0.6


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.casefold()))


def test_the_set_is_big_enough_labelled_with_what_exists_and_new():
    cases = load_cases()
    assert len(cases) >= 60
    assert {case.kind for case in cases} == set(KINDS) <= set(GATES)
    for case in cases:
        if case.kind == "article":
            assert all((settings.PROJECT_DIR / path).is_file() for path in case.answer), case
        if case.kind == "person":
            assert case.answer[0].split(":", 1)[1] in {*config.TRIGGERS, "model"}, case
    elsewhere = [c.question for c in retrieval_cases()]
    elsewhere += [turn.say for scenario in suite.load() for turn in scenario.turns]
    for case in cases:
        mine = words(case.question)
        for other in elsewhere:
            theirs = words(other)
            assert len(mine & theirs) / len(mine | theirs) < SAME_QUESTION, (case, other)


def test_the_offline_model_meets_the_routing_gate(kb):
    outcomes = evaluate(kb, load_cases())
    assert missed(outcomes) == [], shares(outcomes)


def search(query: str, found: str) -> ToolFinished:
    data = {"sources": [{"id": f"{found}#a-section"}]}
    return ToolFinished("t", "search_knowledge_base", {"query": query}, False, "", data)


@pytest.mark.parametrize(
    ("case", "seen", "expected"),
    [
        (Case("q", (DEDUCTIBLES,)), Seen(cited={"deductibles"}), True),
        (
            Case("q", (DEDUCTIBLES,)),
            Seen(tools=[search("q", "deductibles")]),
            True,
        ),
        # Cited, but the customer was asked who they are first: sent the wrong way.
        (
            Case("q", (DEDUCTIBLES,)),
            Seen(reply=f"I {VERIFY_ASK_MARK}.", cited={"deductibles"}),
            False,
        ),
        (Case("q", (DEDUCTIBLES,)), Seen(cited={"discounts"}), False),
        (Case("q", ("verify",)), Seen(reply=f"I {VERIFY_ASK_MARK}."), True),
        (Case("q", ("person:model",)), Seen(handoff_trigger="model"), True),
        (Case("q", ("person:refund_over_limit",)), Seen(handoff_trigger="model"), False),
        (Case("q", ("quote",)), Seen(reply="Here's what our help centre says"), False),
    ],
)
def test_each_kind_of_answer_is_graded_by_what_the_turn_did(case, seen, expected):
    assert right(case, seen) is expected
