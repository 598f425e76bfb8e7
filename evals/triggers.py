"""Trigger eval: does the inbound check bring in a person exactly when a customer's message
carries an escalation trigger, in all five languages?

`make eval-triggers` (or `python -m evals.triggers`) runs the detectors the app runs
(guardrails.semantic.detect: patterns and meaning) on evals/triggers.yaml and prints precision
and recall per trigger and per language, for patterns alone and for both, then every false
positive and every miss, and which of issue 16's TARGETS are met. It exits 1 below the GATE
floors; tests/test_trigger_eval.py applies the same gate in `make test`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

import config
from guardrails.semantic import LEARNED, PATTERN, SemanticTriggers, bundled, detect
from knowledge.embedders import as_query

CASES = Path(__file__).with_name("triggers.yaml")
LANGUAGES = ("en", "es", "de", "fr", "ru")
# (recall, precision) issue 16 asks of each trigger in every language. Not all are met yet:
# `make eval-triggers` prints which, and README ("Escalation triggers") gives the figures.
TARGETS = {t: (0.97, 0.98) if t == "person" else (0.90, 0.95) for t in LEARNED}
# What `make test` holds the detectors to: a few messages below the figures of 2026-12-07
# (in the comments: recall / precision, all five languages together), so a change that makes
# them worse fails while one message more or less does not. Raise a floor when they improve.
GATE = {
    "person": (0.92, 0.94),  # 0.945 / 0.964 (200 requests)
    "legal": (0.91, 0.86),  # 0.944 / 0.895 (72)
    "press": (0.85, 0.93),  # 0.891 / 0.966 (64)
    "regulator": (0.91, 0.89),  # 0.952 / 0.923 (63)
    "cancel_threat": (0.56, 0.90),  # 0.600 / 0.938 (75)
    "abuse": (0.80, 0.93),  # 0.841 / 0.967 (69)
}
# And a request for a person in each language on its own (worst today: recall 0.927 in en,
# precision 0.927 in ru).
PERSON_GATE = (0.90, 0.90)


@dataclass(frozen=True)
class Case:
    text: str
    language: str
    triggers: frozenset[str]


@dataclass(frozen=True)
class Rate:
    """Counts for one trigger in one slice of the set."""

    hits: int
    misses: int
    false_alarms: int

    @property
    def recall(self) -> float:
        found = self.hits + self.misses
        return self.hits / found if found else 1.0

    @property
    def precision(self) -> float:
        fired = self.hits + self.false_alarms
        return self.hits / fired if fired else 1.0


@dataclass(frozen=True)
class Outcome:
    case: Case
    patterns: frozenset[str]
    both: frozenset[str]
    scores: dict[str, float]


def load_cases(path: Path = CASES) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Case(item["text"], item["language"], frozenset(item.get("triggers") or ()))
        for item in raw["messages"]
    ]


def run(cases: list[Case], semantic: SemanticTriggers | None = None) -> list[Outcome]:
    """Each case through the app's detectors (the learned triggers only: see LEARNED)."""
    semantic = semantic or bundled()
    outcomes = []
    reads = semantic.read_all([case.text for case in cases])
    for case, read in zip(cases, reads, strict=True):
        found = detect(case.text, semantic, read)
        learned = [d for d in found if d.trigger in LEARNED]
        outcomes.append(
            Outcome(
                case,
                frozenset(d.trigger for d in learned if d.detector == PATTERN),
                frozenset(d.trigger for d in learned),
                read,
            )
        )
    return outcomes


def rate(outcomes: list[Outcome], trigger: str, language: str | None, both: bool = True) -> Rate:
    hits = misses = false_alarms = 0
    for outcome in outcomes:
        if language and outcome.case.language != language:
            continue
        fired = trigger in (outcome.both if both else outcome.patterns)
        wanted = trigger in outcome.case.triggers
        hits += fired and wanted
        misses += wanted and not fired
        false_alarms += fired and not wanted
    return Rate(hits, misses, false_alarms)


Check = tuple[str, str | None, tuple[float, float]]


def _below(outcomes: list[Outcome], checks: list[Check], word: str) -> list[str]:
    """Each (trigger, language or all, (recall, precision)) the outcomes fall short of."""
    lines = []
    for trigger, language, (recall, precision) in checks:
        got = rate(outcomes, trigger, language)
        if got.recall < recall or got.precision < precision:
            lines.append(
                f"{trigger} in {language or 'all languages'}: recall {got.recall:.3f} ({word} "
                f"{recall}), precision {got.precision:.3f} ({word} {precision})"
            )
    return lines


def shortfalls(outcomes: list[Outcome]) -> list[str]:
    """Every (trigger, language) below issue 16's target, as a line to print."""
    checks = [(t, lang, target) for t, target in TARGETS.items() for lang in LANGUAGES]
    return _below(outcomes, list(checks), "target")


def gate_failures(outcomes: list[Outcome]) -> list[str]:
    """Every figure below the GATE floors `make test` holds, as a line to print."""
    checks: list[Check] = [(t, None, floors) for t, floors in GATE.items()]
    checks += [("person", language, PERSON_GATE) for language in LANGUAGES]
    return _below(outcomes, checks, "floor")


def added_time(cases: list[Case], semantic: SemanticTriggers) -> tuple[float, float]:
    """p50 and p95 in ms of what the check adds to a turn beyond the one embedding of the
    message that retrieval needs anyway: the layers on that vector, and the thresholds."""
    times = []
    for case in cases:
        semantic.encoder.query(as_query(case.text))  # embedded once, for both
        start = time.perf_counter()
        semantic.detect(case.text)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def report(outcomes: list[Outcome]) -> str:
    lines = [f"{len(outcomes)} messages from {CASES.name}", ""]
    header = f"{'trigger':<14}{'lang':<6}{'n':>4}  {'patterns R / P':>16}  {'both R / P':>16}"
    lines += [header, "-" * len(header)]
    for trigger in LEARNED:
        for language in (*LANGUAGES, None):
            alone = rate(outcomes, trigger, language, both=False)
            both = rate(outcomes, trigger, language)
            lines.append(
                f"{trigger:<14}{language or 'all':<6}{both.hits + both.misses:>4}  "
                f"{alone.recall:>7.3f} / {alone.precision:.3f}  "
                f"{both.recall:>7.3f} / {both.precision:.3f}"
            )
    lines += ["", "False positives (fired, not labelled):"]
    for outcome in outcomes:
        for trigger in sorted(outcome.both - outcome.case.triggers):
            by = "pattern" if trigger in outcome.patterns else f"meaning {outcome.scores[trigger]}"
            lines.append(f"  {trigger} ({by}) [{outcome.case.language}] {outcome.case.text}")
    lines += ["", "Misses (labelled, not fired):"]
    for outcome in outcomes:
        for trigger in sorted(outcome.case.triggers & set(LEARNED) - outcome.both):
            lines.append(
                f"  {trigger} (meaning {outcome.scores[trigger]}) [{outcome.case.language}] "
                f"{outcome.case.text}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    args = parser.parse_args(argv)
    cases = load_cases(args.cases)
    semantic = bundled()
    outcomes = run(cases, semantic)
    print(report(outcomes))
    p50, p95 = added_time(cases, semantic)
    print(f"\nAdded to a turn once retrieval has embedded the message: p50 {p50:.3f} ms, ", end="")
    print(f"p95 {p95:.3f} ms")
    print(f"Thresholds: {config.TRIGGER_CONFIDENCE}")
    missed = shortfalls(outcomes)
    print("\nIssue 16's targets: " + ("all met." if not missed else "not yet met for"))
    print("\n".join(f"  {line}" for line in missed))
    failed = gate_failures(outcomes)
    print("Gate (GATE, PERSON_GATE): " + ("passed." if not failed else "FAILED"))
    print("\n".join(f"  {line}" for line in failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
