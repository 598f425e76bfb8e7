"""Retrieval benchmark: index build, no-op re-index, query latency at kb/ size and at 10k chunks.

The 10k-chunk corpus is synthetic: kb/'s sections repeated with their sentences shuffled, each
copy given its source section's real vector plus a little noise (embedding 10k chunks for real
would take ~20 minutes and measure the embedder, not the search). Queries are embedded for
real, so the latency is the whole search path a customer's message takes.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import knowledge
from bench.context import first_reading, rss_mb
from evals.retrieval import load_cases
from knowledge import Embedder, KnowledgeBase, embedders_from_env

if TYPE_CHECKING:
    from bench.context import Context

SIZES = (1_000, 10_000)
TARGETS = {"no-op re-index (s)": 0.5, "query p95 at 10k chunks (ms)": 30.0}
NOISE = 0.02


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def latencies(kb: KnowledgeBase, questions: list[str]) -> tuple[float, float]:
    """p50 and p95 of search() in milliseconds, after one warm-up query; each question is
    embedded afresh (the models keep the last ones, and every size asks the same)."""
    kb.search(questions[0])
    samples = []
    for question in questions:
        first_reading()
        samples.append(timed(lambda q=question: kb.search(q)) * 1000)
    samples.sort()
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


def scaled(kb: KnowledgeBase, root: Path, total: int) -> KnowledgeBase:
    """A knowledge base of about `total` chunks built from kb's own (see the module's note),
    synced and ready to search."""
    reused: list[Embedder] = []
    for embedder, collection in zip(kb.embedders, kb.collections, strict=True):
        stored = collection.get(include=["embeddings", "documents"])
        documents, embeddings = stored["documents"] or [], stored["embeddings"]
        vectors = {
            doc.split("\n", 1)[0]: np.asarray(vec, dtype=np.float32)
            for doc, vec in zip(documents, [] if embeddings is None else embeddings, strict=True)
        }
        reused.append(Reused(embedder, vectors))
    folder = root / f"kb-{total}"
    synthetic_kb(folder, list(kb.chunks.values()), total)
    big = KnowledgeBase(reused, kb_dir=folder, index_dir=root / f"index-{total}")
    big.sync()
    return big


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


def run(ctx: Context) -> dict[str, float]:
    """Index build, no-op re-index and query latency at kb/ size, 1k and 10k chunks."""
    questions = [c.question for c in load_cases() if not c.off_topic]
    kb = ctx.kb()
    figures: dict[str, float] = {
        "kb/ chunks": len(kb.chunks),
        "index build (s)": ctx.build_seconds,
        "no-op re-index (s)": timed(kb.sync),
        "open + no-op re-index (s)": timed(
            lambda: KnowledgeBase(embedders_from_env(), index_dir=ctx.root / "index").sync()
        ),
    }
    figures["query p50 at kb/ size (ms)"], figures["query p95 at kb/ size (ms)"] = latencies(
        kb, questions
    )
    for size in SIZES:
        big = ctx.at(size)
        label = f"{size // 1000}k"
        figures[f"{label}: chunks"] = len(big.chunks)
        figures[f"{label}: no-op re-index (s)"] = timed(big.sync)
        p50, p95 = latencies(big, questions)
        figures[f"query p50 at {label} chunks (ms)"] = p50
        figures[f"query p95 at {label} chunks (ms)"] = p95
    figures["memory with kb/, 1k and 10k loaded (MB)"] = rss_mb()
    return figures
