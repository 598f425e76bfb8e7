"""The knowledge base: the Chroma index kept in step with kb/, and hybrid search (vectors +
BM25, fused by reciprocal rank) with citations."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import config
import settings
from knowledge.chunks import ARTICLE, TICKET, Chunk, Hit, KnowledgeError, load_chunks, slug
from knowledge.embedders import (
    SCORE_DECIMALS,
    Embedder,
    as_query,
    embedders_from_env,
    ranked,
    unit,
)
from knowledge.lexical import Lexical
from knowledge.sharing import Lease, claim, server_address

log = logging.getLogger(__name__)


# Reciprocal-rank fusion constant. 30 (not the usual 60) weighs the top ranks more; it was best
# on both halves of the retrieval set (README).
RRF_K = 30
# Candidates each retriever contributes before fusion (30 measured better than 20 on the
# retrieval set; more changed nothing).
CANDIDATES = 30
# The lead model's nearest chunks that the other models re-rank (all of kb/ at its size today).
SHORTLIST = 300
EMBED_BATCH = 16
# ---------------------------------------------------------------------------------------------
# The knowledge base.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncReport:
    chunks: int
    embedded: int
    removed: int
    seconds: float


@dataclass(frozen=True)
class Results:
    """Articles (policy) and past tickets (precedent) for one query."""

    articles: list[Hit] = field(default_factory=list)
    precedents: list[Hit] = field(default_factory=list)

    def hits(self) -> list[Hit]:
        return [*self.articles, *self.precedents]


Progress = Callable[[int, int], None]
# After a failed sync, searches use the last good index this long before trying again.
RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class Vectors:
    """One model's vectors of every chunk, in memory: an exact cosine scan of 10,000 chunks
    takes well under a millisecond, faster than a round trip to Chroma's HNSW index (~3 ms),
    which stays the durable store the vectors are loaded from."""

    ids: list[str]
    matrix: np.ndarray
    rows: dict[str, int]
    # Each row's place in the ids' sorted order: the tie-break, as numbers.
    id_order: np.ndarray

    @classmethod
    def load(cls, collection: Any) -> Vectors:
        stored = collection.get(include=["embeddings"])
        ids = list(stored["ids"])
        if not ids:
            return cls([], np.zeros((0, 1)), {}, np.zeros(0, dtype=np.int64))
        matrix = unit(np.asarray(stored["embeddings"], dtype=np.float32))
        id_order = np.empty(len(ids), dtype=np.int64)
        id_order[np.argsort(np.array(ids))] = np.arange(len(ids))
        return cls(ids, matrix, {id_: row for row, id_ in enumerate(ids)}, id_order)

    def scores(self, matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Cosines of the rows against `vector`, rounded to SCORE_DECIMALS."""
        # einsum, not `@`: a BLAS call wakes OpenBLAS threads that then spin against e5's
        # OpenMP threads, and the next query embedding takes 5-10x longer.
        return np.round(np.einsum("ij,j->i", matrix, vector), SCORE_DECIMALS)

    def nearest(self, vector: np.ndarray, count: int) -> dict[str, float]:
        """Chunk id → cosine similarity of the `count` nearest chunks, best first."""
        if not self.ids:
            return {}
        scores = self.scores(self.matrix, vector)
        count = min(count, len(self.ids))
        # Every row scoring at least the count-th best, then the exact order: a tie at the
        # cut is settled by id, not by where a SIMD partition happened to leave it.
        cut = np.partition(scores, len(scores) - count)[len(scores) - count]
        rows = np.flatnonzero(scores >= cut)
        rows = rows[np.lexsort((self.id_order[rows], -scores[rows]))][:count]
        return {self.ids[row]: float(scores[row]) for row in rows}

    def similarity(self, vector: np.ndarray, ids: list[str]) -> dict[str, float]:
        known = [id_ for id_ in ids if id_ in self.rows]
        if not known:
            return {}
        rows = self.matrix[[self.rows[id_] for id_ in known]]
        return dict(zip(known, self.scores(rows, vector).tolist(), strict=True))


@dataclass(frozen=True)
class _State:
    """What searches read, from one sync: chunks, their BM25 indexes and each model's vectors."""

    chunks: dict[str, Chunk]
    lexical: dict[str, Lexical]
    vectors: list[Vectors] = field(default_factory=list)

    def is_kind(self, id_: str, kind: str) -> bool:
        chunk = self.chunks.get(id_)
        return chunk is not None and chunk.kind == kind


class KnowledgeBase:
    """kb/ indexed in Chroma, kept in step with the files as they change.

    Shared by every session of the page: searches only read, and a sync (start-up, or an edit
    to kb/ noticed at the next search) runs under a lock. Each embedding model has its own
    collection; the first model leads (its similarity decides what is relevant at all).

    The index is a Chroma folder (`index_dir`, else settings.INDEX_DIR) that this process holds
    for as long as it runs, or, when settings.CHROMA_HOST is set and no `index_dir` is passed,
    a Chroma server that app replicas share: there a Lease, not the folder's flock, keeps two
    replicas from syncing at once, and a replica that finds the server already up to date
    with its kb/ embeds nothing. An explicit `index_dir` always means a local index, so
    benchmarks and tests never write into a shared server.
    """

    def __init__(
        self,
        embedders: Embedder | list[Embedder] | None = None,
        kb_dir: Path | None = None,
        index_dir: Path | None = None,
    ) -> None:
        import chromadb  # 0.8 s; pages without knowledge need not pay it

        if embedders is None:
            embedders = embedders_from_env()
        self.embedders = embedders if isinstance(embedders, list) else [embedders]
        self.embedder = self.embedders[0]
        self.kb_dir = kb_dir or settings.KB_DIR
        served = index_dir is None and bool(settings.CHROMA_HOST)
        index_dir = index_dir or settings.INDEX_DIR
        chroma_settings = chromadb.Settings(anonymized_telemetry=False)
        self._claim = None if served else claim(index_dir)
        self._lease: Lease | None = None
        try:
            if served:
                client = chromadb.HttpClient(
                    host=settings.CHROMA_HOST,
                    port=settings.CHROMA_PORT,
                    ssl=settings.CHROMA_SSL,
                    settings=chroma_settings,
                )
            else:
                client = chromadb.PersistentClient(path=str(index_dir), settings=chroma_settings)
            self.collections = [
                client.get_or_create_collection(
                    f"kb-{slug(e.name)}",
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                )
                for e in self.embedders
            ]
            if served:
                self._lease = Lease(client, [c.name for c in self.collections])
        except Exception as problem:
            if served:
                raise KnowledgeError(
                    f"the Chroma server at {server_address()} cannot be used "
                    f"({type(problem).__name__}: {problem})"
                ) from problem
            raise KnowledgeError(
                f"the index in {index_dir} cannot be opened ({type(problem).__name__}); "
                "delete that folder and it will be rebuilt"
            ) from problem
        self.collection = self.collections[0]
        # Chunks and BM25 are swapped in together, so a search never mixes two versions.
        self._state = _State({}, {})
        self._fingerprint: tuple[Any, ...] | None = None
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    @property
    def chunks(self) -> dict[str, Chunk]:
        return self._state.chunks

    def fingerprint(self) -> tuple[Any, ...]:
        """Names, sizes and modification times of kb/: a stat per file, no reading.

        Runs before every search, so it uses scandir (a third of a millisecond for kb/).
        """
        entries = []
        for folder in ("articles", "tickets"):
            try:
                with os.scandir(self.kb_dir / folder) as found:
                    for entry in found:
                        if entry.name.endswith(".md"):
                            stat = entry.stat()
                            entries.append((folder, entry.name, stat.st_size, stat.st_mtime_ns))
            except FileNotFoundError:
                continue
        return (tuple(sorted(entries)), tuple(sorted(config.FACTS.items())))

    def stale(self) -> bool:
        return self._fingerprint != self.fingerprint()

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Embed new and edited chunks only, drop deleted ones, rebuild BM25."""
        with self._lock:
            return self._sync(progress)

    def _sync(self, progress: Progress | None) -> SyncReport:
        started = time.perf_counter()
        fingerprint = self.fingerprint()
        chunks = load_chunks(self.kb_dir)
        plans = self._plans(chunks)
        if self._lease is None:
            self._write(plans, progress)
        elif any(removed or changed for _, removed, changed in plans):
            with self._lease.held():
                # Another replica may have done this very work while this one waited.
                plans = self._plans(chunks)
                self._write(plans, progress, self._lease.renew)
        total = sum(len(changed) for _, _, changed in plans)
        # Vectors in memory still match a collection this sync left alone, unless the
        # collection is on a server, where another replica may have rewritten it since.
        reuse = (
            self._lease is None
            and self._state.vectors
            and total == 0
            and not any(r for _, r, _ in plans)
        )
        self._state = _State(
            {c.id: c for c in chunks},
            {kind: Lexical([c for c in chunks if c.kind == kind]) for kind in (ARTICLE, TICKET)},
            self._state.vectors if reuse else [Vectors.load(c) for c in self.collections],
        )
        self._fingerprint = fingerprint
        report = SyncReport(
            chunks=len(chunks),
            embedded=len({c.id for _, _, changed in plans for c in changed}),
            removed=len({id_ for _, removed, _ in plans for id_ in removed}),
            seconds=time.perf_counter() - started,
        )
        if report.embedded or report.removed:
            log.info("knowledge synced: %s", report)
        return report

    def _plans(self, chunks: list[Chunk]) -> list[tuple[Any, list[str], list[Chunk]]]:
        """Per collection: the ids kb/ no longer has, and the chunks new or edited since."""
        current = {c.id for c in chunks}
        plans = []
        for collection in self.collections:
            stored = collection.get(include=["metadatas"])
            digests = {
                id_: (meta or {}).get("digest")
                for id_, meta in zip(stored["ids"], stored["metadatas"] or [], strict=False)
            }
            removed = [id_ for id_ in digests if id_ not in current]
            changed = [c for c in chunks if digests.get(c.id) != c.digest]
            plans.append((collection, removed, changed))
        return plans

    def _write(
        self,
        plans: list[tuple[Any, list[str], list[Chunk]]],
        progress: Progress | None,
        renew: Callable[[], None] | None = None,
    ) -> None:
        total = sum(len(changed) for _, _, changed in plans)
        done = 0
        for embedder, (collection, removed, changed) in zip(self.embedders, plans, strict=True):
            if removed:
                collection.delete(ids=removed)
            for start in range(0, len(changed), EMBED_BATCH):
                batch = changed[start : start + EMBED_BATCH]
                collection.upsert(
                    ids=[c.id for c in batch],
                    embeddings=embedder.documents([c.indexed_text for c in batch]),
                    documents=[c.indexed_text for c in batch],
                    metadatas=[{"digest": c.digest, "kind": c.kind, "doc": c.doc} for c in batch],
                )
                done += len(batch)
                if progress:
                    progress(done, total)
                if renew:
                    renew()

    def refresh(self, progress: Progress | None = None) -> SyncReport | None:
        """Catch up with kb/ edits made while the app runs (a stat per file when none).

        Many sessions may notice one edit at once: the first syncs, the rest find it done. A
        failed sync (a hosted embedder down) keeps the last good index and is retried after
        a pause instead of on every search; a broken article is raised for the page to name.
        """
        if not self.stale():
            return None
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_SECONDS:
            return None
        with self._lock:
            if not self.stale():
                return None
            try:
                report = self._sync(progress)
            except KnowledgeError:
                raise
            except Exception:
                self._failed_at = time.monotonic()
                if not self.chunks:
                    raise
                log.exception("knowledge sync failed; searching the last good index")
                return None
            self._failed_at = None
            return report

    def search(
        self,
        query: str,
        k: int | None = None,
        precedents: int | None = None,
        mode: str = "hybrid",
    ) -> Results:
        """The articles and past tickets most relevant to `query`, best first.

        Passages below the lead model's settings.MIN_SIMILARITY are left out: an empty result
        means the help centre does not cover the question, which Eva must say instead of
        guessing. `mode` "vector" or "lexical" runs one half of the hybrid alone (the eval
        compares them).
        """
        self.refresh()
        k = settings.KNOWLEDGE_TOP_K if k is None else k
        precedents = settings.PRECEDENTS_TOP_K if precedents is None else precedents
        query = as_query(query)
        if not query:
            return Results()
        state = self._state
        wanted = {ARTICLE: k, TICKET: precedents}
        lexical = {
            kind: state.lexical[kind].search(query, CANDIDATES)
            if mode != "vector" and count > 0
            else ([], 0.0)
            for kind, count in wanted.items()
        }
        rankings, similarity = (
            ([], None) if mode == "lexical" else self._vector_rankings(state, query, lexical)
        )
        found = {}
        for kind, count in wanted.items():
            ids, coverage = lexical[kind]
            kind_rankings = [(w, [i for i in r if state.is_kind(i, kind)]) for w, r in rankings]
            kind_rankings.append((coverage * settings.LEXICAL_WEIGHT, ids))
            found[kind] = self._fused(query, state, kind_rankings, similarity, count)
        return Results(articles=found[ARTICLE], precedents=found[TICKET])

    def _vector_rankings(
        self,
        state: _State,
        query: str,
        lexical: dict[str, tuple[list[str], float]],
    ) -> tuple[list[tuple[float, list[str]]], dict[str, float] | None]:
        """Each model's weighted ranking, and the lead model's similarities (for the cut)."""
        rankings: list[tuple[float, list[str]]] = []
        similarity: dict[str, float] | None = None
        shortlist: list[str] | None = None
        for index, embedder in enumerate(self.embedders):
            vector = self._query_vector(embedder, query)
            if vector is None or index >= len(state.vectors):
                continue
            vectors = state.vectors[index]
            if shortlist is None:
                # The lead model scans everything; the others only re-rank its shortlist
                # (and what BM25 found): a second full scan costs ~1.5 ms at 10k chunks.
                pool = vectors.nearest(vector, SHORTLIST)
                shortlist = list(pool)
                nearest = dict(list(pool.items())[: 2 * CANDIDATES])
                missing = [i for ids, _ in lexical.values() for i in ids if i not in nearest]
                nearest |= vectors.similarity(vector, missing)
                if index == 0:  # the cut is on the lead model's scale only
                    similarity = nearest
            else:
                lexical_ids = [i for ids, _ in lexical.values() for i in ids]
                scored = vectors.similarity(vector, list(dict.fromkeys(shortlist + lexical_ids)))
                nearest = {i: scored[i] for i in ranked(scored)[: 2 * CANDIDATES]}
            weight = settings.VECTOR_WEIGHTS.get(embedder.name, 1.0)
            rankings.append((weight, ranked(nearest)))
        return rankings, similarity

    def _query_vector(self, embedder: Embedder, query: str) -> np.ndarray | None:
        try:
            return unit(embedder.query(query))
        except Exception as problem:  # a hosted embedder can be down: search without it
            log.warning("query embedding failed (%s); searching without it", type(problem).__name__)
            return None

    def _fused(
        self,
        query: str,
        state: _State,
        rankings: list[tuple[float, list[str]]],
        similarity: dict[str, float] | None,
        k: int,
    ) -> list[Hit]:
        """Weighted reciprocal-rank fusion of the rankings of one corpus, best first."""
        if k <= 0:
            return []
        scores: dict[str, float] = {}
        for weight, ranking in rankings:
            for rank, id_ in enumerate(ranking, start=1):
                scores[id_] = scores.get(id_, 0.0) + weight / (RRF_K + rank)
        ordered = ranked(scores)
        known = similarity or {}
        hits = [
            Hit(state.chunks[i], scores[i], known.get(i, 0.0))
            for i in ordered
            if scores[i] and i in state.chunks
        ]
        if similarity is not None:
            cut = settings.MIN_SIMILARITY.get(self.embedder.name, -1.0)
            hits = [h for h in hits if h.similarity >= cut]
        hits = self._reranked(query, hits)
        return distinct_sections(hits)[:k]

    def _reranked(self, query: str, hits: list[Hit]) -> list[Hit]:
        rerank = getattr(self.embedder, "rerank", None)
        if rerank is None or len(hits) < 2:
            return hits
        try:
            order = rerank(query, [h.chunk.indexed_text for h in hits])
        except Exception as problem:
            log.warning("rerank failed (%s); keeping the fused order", type(problem).__name__)
            return hits
        return [hits[i] for i in order]


def distinct_sections(hits: Iterable[Hit]) -> list[Hit]:
    """One hit per section: two parts of one section would only repeat each other."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        if hit.chunk.section_id not in seen:
            seen.add(hit.chunk.section_id)
            kept.append(hit)
    return kept
