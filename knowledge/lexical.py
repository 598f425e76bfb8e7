"""The lexical side: BM25 over stemmed English."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from knowledge.chunks import Chunk
from knowledge.embedders import ranked

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
