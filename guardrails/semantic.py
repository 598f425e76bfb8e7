"""Escalation triggers read from what a message means, not only from its words: "Соедините
меня, пожалуйста, с оператором" asks for a person though no pattern lists that word order.

One small logistic layer per trigger over the message's multilingual-e5 vector, fitted when
the process first needs it from config.TRIGGER_EXEMPLARS (that trigger's phrasings, against
every other exemplar and config.TRIGGER_LOOKALIKES). Nothing is downloaded or stored but the
exemplars' vectors (settings.EXEMPLARS_DIR, by text), so an edit to the exemplars takes effect on
the next start. The message's vector is the one retrieval embeds (the e5 embedder keeps the
last messages' vectors), so a turn adds a few dot products.

Patterns stay in triggers.py: `detect` reports both, and which detector fired.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

import config
import settings
from guardrails.triggers import only_asks_what_eva_is, triggers
from knowledge.embedders import QUERY_CHARS, as_query, unit

log = logging.getLogger(__name__)

PATTERN = "pattern"
SEMANTIC = "semantic"
# The triggers learned from exemplars; refund_over_limit needs an amount, so patterns only.
LEARNED = tuple(config.TRIGGER_EXEMPLARS)
# Fitting each layer: Newton steps at most (it converges in about five), the change in every
# weight that counts as converged, and the L2 penalty.
_STEPS = 40
_CONVERGED = 1e-4
_PENALTY = 1e-4
# Messages embedded per call when many are read at once.
_BATCH = 64


class Encoder(Protocol):
    """What the classifier needs of an embedding model (knowledge.LocalEmbedder is one)."""

    name: str

    def queries(self, texts: list[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Detection:
    """One trigger found in a message, by which detector, and how sure (1.0 for a pattern)."""

    trigger: str
    detector: str
    score: float

    def flag(self) -> str:
        """The turn record's note: `detected:person:semantic:0.973`."""
        if self.detector == PATTERN:
            return f"detected:{self.trigger}:{PATTERN}"
        return f"detected:{self.trigger}:{SEMANTIC}:{self.score:.3f}"


def _fit(vectors: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Weights (bias last) of an L2-penalised logistic regression, classes weighted equally."""
    rows = np.hstack([vectors, np.ones((len(vectors), 1))])
    positives = max(float(wanted.sum()), 1.0)
    weight = np.where(wanted, (len(wanted) - positives) / positives, 1.0)
    penalty = np.full(rows.shape[1], _PENALTY)
    penalty[-1] = 0.0
    w = np.zeros(rows.shape[1])
    for _ in range(_STEPS):
        p = 1.0 / (1.0 + np.exp(-(rows @ w)))
        gradient = rows.T @ (weight * (p - wanted)) / len(rows) + penalty * w
        hessian = (rows.T * (weight * p * (1 - p))) @ rows / len(rows) + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < _CONVERGED:
            break
    return w


class SemanticTriggers:
    """The fitted layers for one encoder; thread-safe after construction (reads only)."""

    def __init__(
        self,
        encoder: Encoder,
        exemplars: dict[str, dict[str, tuple[str, ...]]] | None = None,
        lookalikes: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        exemplars = config.TRIGGER_EXEMPLARS if exemplars is None else exemplars
        lookalikes = config.TRIGGER_LOOKALIKES if lookalikes is None else lookalikes
        self.encoder = encoder
        # Each phrasing once, with every trigger it is listed under (none for a look-alike).
        carries: dict[str, set[str]] = {}
        for trigger, by_language in exemplars.items():
            for phrasings in by_language.values():
                for text in phrasings:
                    carries.setdefault(text, set()).add(trigger)
        for phrasings in lookalikes.values():
            for text in phrasings:
                carries.setdefault(text, set())
        texts = list(carries)
        vectors = unit(exemplar_vectors(encoder, texts))
        self.triggers = tuple(exemplars)
        self._weights = np.stack(
            [_fit(vectors, np.array([t in carries[text] for text in texts])) for t in self.triggers]
        )

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        """Each learned trigger's probability for one message vector."""
        logits = self._weights[:, :-1] @ unit(vector) + self._weights[:, -1]
        chances = 1.0 / (1.0 + np.exp(-logits))
        return {t: round(float(p), 3) for t, p in zip(self.triggers, chances, strict=True)}

    def read(self, text: str) -> dict[str, float]:
        """Each learned trigger's probability for a message, from the vector retrieval uses.

        The whole message, not each sentence: read alone, a sentence in the middle of a long
        story ("I'm so done with my landlord") looks like a threat that the story is not.
        """
        query = as_query(text)
        if not query:
            return dict.fromkeys(self.triggers, 0.0)
        found = self.scores(self.encoder.query(query))
        tail = " ".join(text.split())[-QUERY_CHARS:]
        if tail != query:  # longer than one query: its end is read too, where requests come
            last = self.scores(self.encoder.query(tail))
            found = {t: max(p, last[t]) for t, p in found.items()}
        return found

    def read_all(self, texts: list[str]) -> list[dict[str, float]]:
        """`read` for many messages, embedded in batches (what the evals use: one e5 call per
        message is slow when other processes share the cores). Gives the same figures."""
        queries = [as_query(text) for text in texts]
        asked = [q for q in queries if q]
        vectors = iter(
            [
                v
                for i in range(0, len(asked), _BATCH)
                for v in self.encoder.queries(asked[i : i + _BATCH])
            ]
        )
        found = [
            self.scores(next(vectors)) if q else dict.fromkeys(self.triggers, 0.0) for q in queries
        ]
        # A message longer than one query is read as `read` reads it (its end too).
        return [
            self.read(text) if " ".join(text.split())[-QUERY_CHARS:] != q else one
            for text, q, one in zip(texts, queries, found, strict=True)
        ]

    def detect(self, text: str, read: dict[str, float] | None = None) -> dict[str, float]:
        """The triggers the message carries with confidence (config.TRIGGER_CONFIDENCE);
        `read` is the message's `read`, when already computed."""
        found = self.read(text) if read is None else read
        return {t: p for t, p in found.items() if p >= config.TRIGGER_CONFIDENCE.get(t, 1.0)}


# Exemplar vectors already computed, by encoder and text: a restart embeds only new phrasings.
_CACHE_LOCK = threading.Lock()


def exemplar_vectors(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """The encoder's query vectors for `texts`, from settings.EXEMPLARS_DIR when already there.

    One process embeds at a time (a lock file), so workers or replicas starting together embed
    the exemplars once between them; a read-only or unwritable folder costs a re-embed, no more.
    """
    keys = [hashlib.sha256(text.encode()).hexdigest()[:32] for text in texts]
    folder = settings.EXEMPLARS_DIR
    path = folder / f"{encoder.name}.npz"
    with _CACHE_LOCK, _folder_lock(folder):
        known: dict[str, np.ndarray] = {}
        try:
            with np.load(path) as stored:
                known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            pass
        missing = [i for i, key in enumerate(keys) if key not in known]
        if missing:
            fresh = encoder.queries([texts[i] for i in missing])
            for i, vector in zip(missing, fresh, strict=True):
                known[keys[i]] = np.asarray(vector, dtype=np.float32)
            partial = path.with_suffix(f".{os.getpid()}.npz")
            try:
                np.savez(partial, keys=np.array(keys), vectors=np.stack([known[k] for k in keys]))
                partial.replace(path)
            except OSError as problem:
                log.warning("could not keep the exemplar vectors (%s)", problem)
            finally:
                partial.unlink(missing_ok=True)
        return np.stack([known[key] for key in keys])


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on `folder`'s lock file, or none when the folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / "exemplars.lock").open("a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@cache
def bundled() -> SemanticTriggers:
    """The classifier on the bundled e5 model, built once per process: the same encoder
    instance as the offline search, so a message is embedded once for both."""
    from knowledge.embedders import bundled_e5

    return SemanticTriggers(bundled_e5())


@cache
def _loaded() -> SemanticTriggers | None:
    """bundled(), or None when it cannot be built: the patterns still run, and the log says
    why (once per process)."""
    try:
        return bundled()
    except Exception:
        log.exception("triggers by meaning unavailable; the patterns alone are checked")
        return None


def detect(
    text: str, semantic: SemanticTriggers | None = None, read: dict[str, float] | None = None
) -> tuple[Detection, ...]:
    """Every trigger in the message, by pattern or by meaning, in config.TRIGGERS order.

    A trigger both detectors find is reported twice (once each), so the record shows both.
    `read` is the message's SemanticTriggers.read, when already computed (the evals).
    """
    found = [Detection(t, PATTERN, 1.0) for t in triggers(text)]
    semantic = semantic or _loaded()
    meant = semantic.detect(text, read) if semantic else {}
    if only_asks_what_eva_is(text):
        # "Are you a bot?" is close to asking for a person, and to taunting one.
        meant.pop("person", None)
        meant.pop("abuse", None)
    found += [Detection(t, SEMANTIC, p) for t, p in meant.items()]
    order = list(config.TRIGGERS)
    return tuple(sorted(found, key=lambda d: (order.index(d.trigger), d.detector)))


def fired(detections: tuple[Detection, ...]) -> tuple[str, ...]:
    """The distinct triggers found, in config.TRIGGERS order."""
    return tuple(dict.fromkeys(d.trigger for d in detections))


def asks_for_person(text: str) -> bool:
    """The customer asks for a human, by pattern or by meaning."""
    return "person" in fired(detect(text))
