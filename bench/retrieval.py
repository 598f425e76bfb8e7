"""Retrieval benchmark: index build, no-op re-index, query latency at kb/ size and at 10k chunks.

The 10k-chunk corpus is synthetic: kb/'s sections repeated with their sentences shuffled, each
copy given its source section's real vector plus a little noise (embedding 10k chunks for real
would take ~20 minutes and measure the embedder, not the search). Queries are embedded for
real, so the latency is the whole search path a customer's message takes.
"""

from __future__ import annotations

import random
import re
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import knowledge
from evals.retrieval import load_cases
from knowledge import Embedder, KnowledgeBase, embedders_from_env, models

SCALE_CHUNKS = 10_000
TARGETS = {"no-op re-index (s)": 0.5, "query p95 at 10k chunks (ms)": 30.0}
NOISE = 0.02


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def latencies(kb: KnowledgeBase, questions: list[str]) -> tuple[float, float]:
    """p50 and p95 of search() in milliseconds, after one warm-up query."""
    kb.search(questions[0])
    samples = sorted(timed(lambda q=q: kb.search(q)) * 1000 for q in questions)
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


class Reused:
    """Document vectors taken from the real index (plus noise); queries embedded for real."""

    def __init__(self, local: Embedder, vectors: dict[str, np.ndarray]) -> None:
        self.local = local
        self.name = local.name
        self.vectors = vectors
        self.random = np.random.default_rng(7)

    def documents(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            source = re.sub(r"^Copy \d+ — | · copy \d+$", "", text.split("\n", 1)[0])
            noisy = self.vectors[source] + self.random.normal(0, NOISE, self.vectors[source].shape)
            rows.append(noisy / np.linalg.norm(noisy))
        return np.asarray(rows, dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        return self.local.query(text)


def synthetic_kb(folder: Path, chunks: list[knowledge.Chunk], total: int) -> None:
    """Articles of copied sections until there are `total` chunks; tickets kept as they are."""
    articles = folder / "articles"
    articles.mkdir(parents=True)
    (folder / "tickets").mkdir()
    shuffle = random.Random(7)
    sections = [c for c in chunks if c.kind == knowledge.ARTICLE]
    copy = 0
    while copy * len(sections) < total:
        body = []
        for chunk in sections:
            sentences = chunk.text.split(". ")
            shuffle.shuffle(sentences)
            body.append(f"## {chunk.title} — {chunk.section} · copy {copy}\n{'. '.join(sentences)}")
        (articles / f"copy-{copy:03d}.md").write_text(
            f"---\ntitle: Copy {copy}\ncategory: Synthetic\n---\n" + "\n\n".join(body)
        )
        copy += 1


def main() -> int:
    figures: dict[str, float] = {}
    questions = [c.question for c in load_cases() if not c.off_topic]
    with tempfile.TemporaryDirectory(prefix="acme-bench-") as scratch:
        root = Path(scratch)
        kb = KnowledgeBase(embedders_from_env(), index_dir=root / "index")
        report = kb.sync()
        figures["kb/ chunks"] = report.chunks
        figures["index build (s)"] = report.seconds
        figures["no-op re-index (s)"] = timed(kb.sync)
        figures["open + no-op re-index (s)"] = timed(
            lambda: KnowledgeBase(embedders_from_env(), index_dir=root / "index").sync()
        )
        figures["query p50 at kb/ size (ms)"], figures["query p95 at kb/ size (ms)"] = latencies(
            kb, questions
        )
        figures["peak memory at kb/ size (MB)"] = peak_rss_mb()

        reused = []
        for embedder, collection in zip(kb.embedders, kb.collections, strict=True):
            stored = collection.get(include=["embeddings", "documents"])
            vectors = {
                doc.split("\n", 1)[0]: np.asarray(vec, dtype=np.float32)
                for doc, vec in zip(stored["documents"], stored["embeddings"], strict=True)
            }
            reused.append(Reused(embedder, vectors))
        big_dir = root / "big-kb"
        synthetic_kb(big_dir, list(kb.chunks.values()), SCALE_CHUNKS)
        big = KnowledgeBase(reused, kb_dir=big_dir, index_dir=root / "big-index")
        figures["10k: chunks"] = big.sync().chunks
        figures["10k: no-op re-index (s)"] = timed(big.sync)
        p50, p95 = latencies(big, questions)
        figures["query p50 at 10k chunks (ms)"], figures["query p95 at 10k chunks (ms)"] = p50, p95
        figures["peak memory at 10k chunks (MB)"] = peak_rss_mb()

    print(f"Retrieval benchmark · embedders {models(kb)} · {len(questions)} queries")
    missed = []
    for name, value in figures.items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = value <= target
            verdict = f"  target <= {target:g}: {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(name)
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}"
        print(f"  {name:<34}{shown:>12}{verdict}")
    return 1 if missed else 0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    raise SystemExit(main())
