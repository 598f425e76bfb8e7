"""Routing eval: does the offline model send a customer's first message where it needs to go?

`make eval-routing` (or `python -m evals.routing`) runs each question of evals/routing.yaml as
the first turn of a fresh conversation through the real ChatBot on the offline model (a seeded
database of its own, the help centre, the evals' fixed clock) and grades where it went:

- an article: the reply cites it (its Sources) or the search tool found it, and the customer was
  neither asked who they are nor handed to a person;
- verify: identity was asked for (offline.VERIFY_ASK_MARK) or a policy was looked up;
- person:<trigger>: a handoff was opened and carries that trigger ("model" when the model
  opened it and no check in code named one);
- quote: quote details were asked for (offline.QUOTE_ASK_MARK) or get_quote was called.

It prints the share right per kind of answer, the misses with what happened instead, and with
--queries every search query the model wrote, as the tool card shows it; it exits 1 when a
share falls below its floor (GATES) or a query is not in the customer's whole words, and the
same gate runs in `make test` (tests/test_routing_eval.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import chatbot
import events
import llm
from evals.__main__ import open_knowledge
from evals.runner import EVAL_NOW
from knowledge import KnowledgeBase, KnowledgeError
from offline import QUOTE_ASK_MARK, VERIFY_ASK_MARK
from store import Store

CASES = Path(__file__).with_name("routing.yaml")
KINDS = ("article", "verify", "person", "quote")
MY = 'article, says "my"'
# The share right each kind must keep: `python -m evals.routing` exits 1 below one, and so does
# `make test` (tests/test_routing_eval.py). Each floor sits a question or three below today's
# figures (2026-12, 83 questions) so one flip does not fail it; raise a floor when the model
# gets better, never lower one to make a run pass. Before issue 16's changes: articles 26/56,
# of which 19/44 say "my"; verify 8/12; person 3/11; quote 2/4.
GATES = {
    "article": 0.80,  # today 48 / 56 = 0.857; floor 45
    MY: 0.80,  # today 39 / 44 = 0.886; floor 36
    "verify": 0.90,  # today 12 / 12; floor 11
    "person": 0.80,  # today 10 / 11 = 0.909; floor 9
    "quote": 0.75,  # today 4 / 4; floor 3
}


@dataclass(frozen=True)
class Case:
    question: str
    # kb/articles/<file>.md paths (any one answers), or one action: verify, person:<trigger>, quote.
    answer: tuple[str, ...]

    @property
    def kind(self) -> str:
        first = self.answer[0]
        return "article" if first.startswith("kb/") else first.split(":")[0]

    @property
    def docs(self) -> set[str]:
        """The articles that answer it, as the search names them (the file's stem)."""
        return {Path(path).stem for path in self.answer if path.startswith("kb/")}


@dataclass
class Seen:
    """What one first turn did, as the page would show it."""

    reply: str = ""
    tools: list[events.ToolFinished] = field(default_factory=list)
    cited: set[str] = field(default_factory=set)
    handoff_trigger: str | None = None

    def found(self) -> set[str]:
        """Articles the search tool brought back."""
        return {
            source["id"].split("#")[0]
            for call in self.tools
            if call.name == "search_knowledge_base"
            for source in call.data.get("sources", [])
        }

    def called(self, name: str) -> bool:
        return any(call.name == name for call in self.tools)

    def queries(self) -> list[str]:
        return [c.input["query"] for c in self.tools if c.name == "search_knowledge_base"]

    def asked_identity(self) -> bool:
        return VERIFY_ASK_MARK in self.reply or self.called("lookup_policy")

    def route(self) -> str:
        """What happened, in a few words, for the list of misses."""
        if self.handoff_trigger is not None:
            return f"handed to a person (trigger {self.handoff_trigger})"
        if self.asked_identity():
            return "asked who the customer is"
        if QUOTE_ASK_MARK in self.reply or self.called("get_quote"):
            return "started a quote"
        parts = []
        if self.cited:
            parts.append(f"cited {', '.join(sorted(self.cited))}")
        for query in self.queries():
            found = ", ".join(sorted(self.found())) or "nothing"
            parts.append(f"searched {query!r}: found {found}")
        return "; ".join(parts) or f"said {' '.join(self.reply.split())[:90]!r}"


@dataclass(frozen=True)
class Outcome:
    case: Case
    seen: Seen

    @property
    def passed(self) -> bool:
        return right(self.case, self.seen)


def right(case: Case, seen: Seen) -> bool:
    """Whether the first turn went where the case's answer says."""
    if case.kind == "article":
        answered = bool(case.docs & (seen.cited | seen.found()))
        return answered and not seen.asked_identity() and seen.handoff_trigger is None
    if case.kind == "verify":
        return seen.asked_identity()
    if case.kind == "person":
        return seen.handoff_trigger == case.answer[0].split(":", 1)[1]
    return QUOTE_ASK_MARK in seen.reply or seen.called("get_quote")


def load_cases(path: Path = CASES) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Case(item["q"], tuple(a) if isinstance(a := item["answer"], list) else (a,)) for item in raw
    ]


def first_turn(case: Case, kb: KnowledgeBase | None, folder: Path) -> Seen:
    """The question as the first message of a new conversation, on a fresh copy of the seeded
    database (`folder` holds the template)."""
    database = folder / "case.db"
    shutil.copyfile(folder / "seeded.db", database)
    store = Store(f"sqlite:///{database}")
    connection = llm.connect(force_offline=True, offline_pace=0.0)
    bot = chatbot.ChatBot(connection.client, store, kb, clock=lambda: EVAL_NOW)
    seen = Seen()
    facts: dict[str, Any] = {}
    for event in bot.respond([], case.question, {}):
        if isinstance(event, events.ToolFinished):
            seen.tools.append(event)
        elif isinstance(event, events.Sources):
            seen.cited = {item["id"].split("#")[0] for item in event.items}
        elif isinstance(event, events.TurnDone):
            seen.reply, facts = event.reply, dict(event.facts)
    conversation = facts.get("conversation_id")
    handoffs = store.handoffs(conversation_id=conversation) if conversation else []
    if handoffs:
        seen.handoff_trigger = handoffs[0].get("trigger") or "model"
    store.engine.dispose()
    return seen


def evaluate(kb: KnowledgeBase | None, cases: list[Case]) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="acme-routing-") as scratch:
        folder = Path(scratch)
        Store(f"sqlite:///{folder / 'seeded.db'}").engine.dispose()
        return [Outcome(case, first_turn(case, kb, folder)) for case in cases]


def in_their_words(query: str, question: str) -> bool:
    """Every word of a search query is one the customer wrote, whole: no cut word, no broken
    apostrophe, no number split from its currency."""
    written = {_bare(word) for word in question.split()}
    return all(_bare(word) in written for word in query.split())


def _bare(word: str) -> str:
    return word.replace("\u2019", "'").strip('.,!?;:"()').casefold()


def says_my(case: Case) -> bool:
    return " my " in f" {case.question.lower()} "


def shares(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    """(right, total) per kind, for the article questions that say "my", and for all."""
    groups: dict[str, list[Outcome]] = {kind: [] for kind in KINDS}
    groups[MY] = []
    for outcome in outcomes:
        groups[outcome.case.kind].append(outcome)
        if outcome.case.kind == "article" and says_my(outcome.case):
            groups[MY].append(outcome)
    groups["all"] = outcomes
    return {name: (sum(o.passed for o in group), len(group)) for name, group in groups.items()}


def missed(outcomes: list[Outcome]) -> list[str]:
    """Each gate the run falls below, and any search query not in the customer's whole words."""
    found = [
        f"{name}: {passed}/{total} is below {GATES[name]}"
        for name, (passed, total) in shares(outcomes).items()
        if name in GATES and total and passed / total < GATES[name]
    ]
    found += [
        f"search query {query!r} is not in the words of {o.case.question!r}"
        for o in outcomes
        for query in o.seen.queries()
        if not in_their_words(query, o.case.question)
    ]
    return found


def print_report(outcomes: list[Outcome], queries: bool = False) -> None:
    print(f"{'answer':<22}{'right':>7}{'of':>5}{'share':>8}")
    for name, (passed, total) in shares(outcomes).items():
        share = f"{passed / total:.3f}" if total else "-"
        print(f"{name:<22}{passed:>7}{total:>5}{share:>8}")
    written = [(q, o.case.question) for o in outcomes for q in o.seen.queries()]
    clean = sum(in_their_words(query, question) for query, question in written)
    print(f"\nsearch queries written: {len(written)}, in the customer's whole words: {clean}")
    misses = [o for o in outcomes if not o.passed]
    print(f"\nmisses ({len(misses)}):")
    for outcome in misses:
        print(f"- [{', '.join(outcome.case.answer)}] {outcome.case.question}")
        print(f"    {outcome.seen.route()}")
    if queries:
        print("\nsearch queries the model wrote:")
        for outcome in outcomes:
            for query in outcome.seen.queries():
                print(f"- {outcome.case.question}\n    -> {query}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.routing", description=__doc__)
    parser.add_argument("--queries", action="store_true", help="list every search query written")
    args = parser.parse_args(argv)
    cases = load_cases()
    with tempfile.TemporaryDirectory(prefix="acme-routing-index-") as scratch:
        try:
            kb = open_knowledge(Path(scratch))
        except KnowledgeError as problem:
            print(f"Knowledge base problem: {problem}", file=sys.stderr)
            return 2
        started = time.perf_counter()
        outcomes = evaluate(kb, cases)
    print(f"{len(cases)} questions, first turn each, offline model")
    print_report(outcomes, args.queries)
    print(f"\n{time.perf_counter() - started:.1f} s")
    failed = missed(outcomes)
    print("\ngate: " + ("all met" if not failed else "MISSED\n  " + "\n  ".join(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
