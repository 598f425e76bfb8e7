"""Other insurers' names in Eva's draft (config.COMPETITORS)."""

from __future__ import annotations

import re
from functools import cache

import config
from guardrails.text import fold


@cache
def _competitor_patterns(names: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each name as a whole-phrase pattern on folded text (compiled once per edit of config)."""
    patterns = []
    for name in names:
        words = r"\s+".join(map(re.escape, fold(name).split()))
        patterns.append((name, re.compile(rf"(?<!\w){words}(?!\w)")))
    return tuple(patterns)


def competitor_hits(folded: str) -> list[tuple[int, str]]:
    """Where each insurer config names first appears in folded text, in order."""
    hits = []
    for name, pattern in _competitor_patterns(tuple(config.COMPETITORS)):
        match = pattern.search(folded)
        if match:
            hits.append((match.start(), name))
    return sorted(hits)


def competitors(text: str) -> tuple[str, ...]:
    """The other insurers named in `text`, as config spells them, in order of appearance.

    Reads config.COMPETITORS on every call: prompt authors edit it while the app runs. A
    one-word name that is also an ordinary word ("Nationwide", "Progressive") counts only
    when capitalised as a name: "roadside assistance nationwide" is not an insurer.
    """
    return tuple(name for _, name in competitor_hits(fold(text)) if _written_as_a_name(name, text))


def _written_as_a_name(name: str, text: str) -> bool:
    if " " in name or name.isupper():
        return True
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None
