"""The language a message is written in (lingua, our five languages only)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import config


@cache
def _detector() -> Any:
    """lingua with only our languages' models, bundled in its wheel (built once, ~0.5 s)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in config.LANGUAGES
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


# A reference or number ("H-7KQ2MX", "ACM-100231", "CLM-20417", "4242"): the same in every
# language, and a random reference read as a word moves the scores (a German reply was read as
# German or not depending on which reference it carried).
_CODES = re.compile(r"\b[A-Z]{1,4}-[A-Z0-9]{4,}\b|\b\w*\d\w*\b")


def language_of(text: str, previous: str = "en") -> str:
    """The customer's language (ISO 639-1 code), or `previous` when the text can't tell.

    "ok", "ACM-100231, 1985-03-14" or a one-word reply say nothing about language, so a
    conversation keeps its language until a message clearly changes it. References and numbers
    are left out: they are the same in every language.
    """
    text = _CODES.sub(" ", text)
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 3:
        return previous
    [best, *_] = _detector().compute_language_confidence_values(text)
    if best.value < config.LANGUAGE_MIN_CONFIDENCE:
        return previous
    return best.language.iso_code_639_1.name.lower()
