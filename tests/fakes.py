"""A fake embedder for unit tests: deterministic, instant, nothing loaded.

Unit tests of indexing, syncing and search mechanics need vectors that behave like a sentence
model's (texts sharing words point the same way), not the real models' quality: that is what
the retrieval and eval gates measure, on the real models. simonw/llm's suite does the same.
"""

from __future__ import annotations

import re
import zlib

import numpy as np


class FakeEmbedder:
    """Each word's character trigrams hashed into a fixed number of dimensions."""

    name = "fake-trigrams"
    dimensions = 256

    def documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.query(text) for text in texts]).astype(np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.documents(texts)

    def query(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for word in re.findall(r"\w+", text.casefold()):
            marked = f"<{word}>"
            for start in range(len(marked) - 2):
                vector[zlib.crc32(marked[start : start + 3].encode()) % self.dimensions] += 1
        return vector / max(float(np.linalg.norm(vector)), 1e-12)
