"""Prompt caching, simulated by the API's rules: marks, minimum length, lookback, TTL.

The request as the cache sees it (tools, then system, then message blocks), its token counts
(through budget.estimate_tokens, the one estimate) and the entries written at cache marks and
read back by exact prefix match. It only accounts for tokens; it never looks at what a request
means.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from budget import estimate_tokens
from offline.messages import content_blocks

CACHE_LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


def _prefix_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request as the cache sees it: tools, then system, then message blocks, in order."""
    system = body.get("system") or []
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    blocks = list(body.get("tools") or []) + list(system)
    for message in body.get("messages") or []:
        blocks += [{**block, "_role": message["role"]} for block in content_blocks(message)]
    if body.get("cache_control") and blocks:
        blocks[-1] = {**blocks[-1], "cache_control": body["cache_control"]}
    return blocks


def cache_marks(body: dict[str, Any]) -> list[int]:
    """Positions (in prefix order) of the blocks that carry a cache mark."""
    return [i for i, block in enumerate(_prefix_blocks(body)) if block.get("cache_control")]


def prefix_tokens(body: dict[str, Any]) -> list[tuple[str, int]]:
    """The request as the cache sees it, block by block: (the block's text, its tokens)."""
    return [(_block_text(block), block_tokens(block)) for block in _prefix_blocks(body)]


def count_tokens(body: dict[str, Any]) -> int:
    """The input tokens of a request, as this model counts and bills them."""
    return sum(block_tokens(block) for block in _prefix_blocks(body))


def _block_text(block: dict[str, Any]) -> str:
    """A block as the cache keys it: everything but its mark."""
    clean = {k: v for k, v in block.items() if k != "cache_control"}
    return json.dumps(clean, sort_keys=True, ensure_ascii=False)


def block_tokens(block: dict[str, Any]) -> int:
    """Tokens the block's content counts for: its text, or its JSON where it has no text."""
    kind = block.get("type")
    if kind == "text":
        return estimate_tokens(block.get("text", ""))
    if kind == "thinking":
        return estimate_tokens(block.get("thinking", ""))
    if kind == "tool_result" and isinstance(block.get("content"), str):
        return estimate_tokens(block["content"]) + 4
    return estimate_tokens(_block_text(block))


@dataclass
class CacheUsage:
    """A request's input tokens as the API reports them: uncached, written to cache, read."""

    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int


class PromptCache:
    """Prefix entries written at cache marks, read back by exact prefix match within a TTL."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[str, float] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def account(self, body: dict[str, Any], min_tokens: int) -> CacheUsage:
        """Split the request's input tokens into read, written and uncached, updating entries."""
        blocks = _prefix_blocks(body)
        digests, totals = [], []
        running, total = hashlib.sha256(), 0
        for block in blocks:
            text = _block_text(block)
            running.update(text.encode())
            total += block_tokens(block)
            digests.append(running.hexdigest())
            totals.append(total)
        marks = [i for i, block in enumerate(blocks) if block.get("cache_control")]
        now = self._clock()
        with self._lock:
            read_end = self._longest_hit(marks, digests, now)
            read = totals[read_end] if read_end is not None else 0
            written_to = read
            for mark in marks:
                if totals[mark] < min_tokens or totals[mark] <= written_to:
                    continue
                ttl = TTL_SECONDS.get(blocks[mark]["cache_control"].get("ttl", "5m"), 300.0)
                self._entries[digests[mark]] = now + ttl
                written_to = totals[mark]
            if read_end is not None:
                ttl = TTL_SECONDS.get(blocks[marks[-1]]["cache_control"].get("ttl", "5m"), 300.0)
                self._entries[digests[read_end]] = max(self._entries[digests[read_end]], now + ttl)
        return CacheUsage(
            input_tokens=total - written_to,
            cache_creation_input_tokens=written_to - read,
            cache_read_input_tokens=read,
        )

    def _longest_hit(self, marks: list[int], digests: list[str], now: float) -> int | None:
        """The furthest block, at a mark or up to 20 blocks before one, with a live entry."""
        best: int | None = None
        for mark in marks:
            for position in range(mark, max(-1, mark - CACHE_LOOKBACK_BLOCKS - 1), -1):
                expiry = self._entries.get(digests[position])
                if expiry is not None and expiry > now:
                    best = position if best is None else max(best, position)
                    break
        return best
