"""What the benchmarks share: one scratch folder, the kb/ index built once, and the synthetic
1k and 10k-chunk knowledge bases built from it on first use."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge import KnowledgeBase, embedders_from_env
from knowledge.embedders import bundled_embedders


@dataclass
class Context:
    root: Path
    build_seconds: float = 0.0
    _kb: KnowledgeBase | None = None
    _scaled: dict[int, KnowledgeBase] = field(default_factory=dict)
    # Per-benchmark detail beyond the table's figures, written to results.json.
    details: dict[str, Any] = field(default_factory=dict)

    def kb(self) -> KnowledgeBase:
        """kb/ indexed from scratch in the scratch folder (the first call times the build)."""
        if self._kb is None:
            started = time.perf_counter()
            self._kb = KnowledgeBase(embedders_from_env(), index_dir=self.root / "index")
            self._kb.sync()
            self.build_seconds = time.perf_counter() - started
        return self._kb

    def at(self, size: int | None) -> KnowledgeBase:
        """The knowledge base with about `size` chunks (None: kb/ itself)."""
        if size is None:
            return self.kb()
        if size not in self._scaled:
            from bench.retrieval import scaled

            self._scaled[size] = scaled(self.kb(), self.root, size)
        return self._scaled[size]


def rss_mb(pid: int | str = "self") -> float:
    """A process's resident memory now (MB): this one by default."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def first_reading() -> None:
    """Forget the bundled models' kept query vectors: the benches ask the same messages again
    (each size, each pass), and a customer's new message is never in the cache."""
    for embedder in bundled_embedders():
        embedder.forget()
