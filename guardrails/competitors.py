"""Other insurers' names in Eva's draft (config.COMPETITORS)."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import config
from guardrails.text import either, fold, forming, unfolded


@cache
def _competitor_patterns(names: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each name as a whole-phrase pattern on folded text (compiled once per edit of config)."""
    patterns = []
    for name in names:
        words = r"\s+".join(map(re.escape, fold(name).split()))
        patterns.append((name, re.compile(rf"(?<!\w){words}(?!\w)")))
    return tuple(patterns)


@cache
def _any_name(names: tuple[str, ...]) -> re.Pattern[str]:
    """Every name in one pattern: where any of them could still be forming, in one search."""
    return either(*(pattern.pattern for _, pattern in _competitor_patterns(names)))


def competitor_hits(folded: str) -> list[tuple[int, str]]:
    """Where each insurer config names first appears in folded text, in order."""
    return list(_hits(folded, tuple(config.COMPETITORS)))


@lru_cache(maxsize=64)
def _hits(folded: str, names: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """competitor_hits, kept for the last texts (a streamed sentence is read at every word)."""
    hits = []
    for name, pattern in _competitor_patterns(names):
        match = pattern.search(folded)
        if match:
            hits.append((match.start(), name))
    return tuple(sorted(hits))


def competitors(text: str) -> tuple[str, ...]:
    """The other insurers named in `text`, as config spells them, in order of appearance.

    Reads config.COMPETITORS on every call: prompt authors edit it while the app runs. A
    one-word name that is also an ordinary word ("Nationwide", "Progressive") counts only
    when capitalised as a name: "roadside assistance nationwide" is not an insurer.
    """
    return tuple(name for _, name in competitor_hits(fold(text)) if _written_as_a_name(name, text))


def name_free(sentence: str, upto: int | None = None, since: int = 0) -> int:
    """How much of an unfinished sentence (at most `upto` characters) holds no insurer's name,
    however it goes on: its length before the first name already written or that the last
    word could still become ("Geic…"). A sentence with a name is replaced whole, so nothing
    after the name is free. `since`: a length an earlier call found free (see text.forming)."""
    folded = fold(sentence)
    settled = len(folded) if upto is None else len(fold(sentence[:upto]))
    names = tuple(config.COMPETITORS)
    still = forming(_any_name(names), folded, len(fold(sentence[:since])))
    if still is not None:
        settled = min(settled, still)
    for start, name in competitor_hits(folded):
        if _written_as_a_name(name, sentence):
            settled = min(settled, start)
            break
    return unfolded(sentence, settled)


def _written_as_a_name(name: str, text: str) -> bool:
    if " " in name or name.isupper():
        return True
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None
