"""Personal data: found, masked before it travels or is kept (one rule for storage), and the
values a conversation already holds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import config
from guardrails.text import forming

CARD = "card"
SSN = "ssn"
BANK = "bank"
SECRET = "secret"
EMAIL = "email"
PHONE = "phone"

# What replaces each kind: says what was there, keeps nothing of it.
LABELS = {
    CARD: "[card number removed]",
    SSN: "[SSN removed]",
    BANK: "[bank details removed]",
    SECRET: "[secret removed]",
    EMAIL: "[email removed]",
    PHONE: "[phone number removed]",
}

# Digits in groups, as people type them: "4111 1111…", "4111-1111…", "4111.1111…", two spaces.
_CARD = re.compile(r"(?<![\d.-])\d(?:[ .-]{0,2}\d){12,18}(?![\d-])")
_SSN = re.compile(
    r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])|(?i:\b(?:ssn|social security)\D{0,20}\d{9}\b)"
)
_BANK = re.compile(
    r"(?i)\b(?:account|acct|routing|aba|iban|kontonummer|cuenta|compte)\b[^\d\n]{0,25}"
    r"((?:\d[ -]?){6,17}\d)"
)
# A secret is the value after "password is", "code:", "PIN =" … (the connector is required, so
# "password reset" or "zip code 60614" are not secrets).
_SECRET = re.compile(
    r"(?i)\b(?:password|passcode|passwort|contraseña|mot de passe|pin|one[- ]time code|otp|"
    r"verification code|security code|cvv|cvc|(?<!zip )(?<!postal )code)\b\s*"
    r"(?:is|was|:|=|es|ist|est)\s*[\"']?([^\s\"',.;]{3,64})"
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w-])(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])")

_PATTERNS = {CARD: _CARD, SSN: _SSN, BANK: _BANK, SECRET: _SECRET, EMAIL: _EMAIL, PHONE: _PHONE}


@dataclass(frozen=True)
class Masked:
    """Text with personal data replaced, and the kinds that were found in it."""

    text: str
    kinds: tuple[str, ...]


def luhn(digits: str) -> bool:
    """The check digit every payment card carries: rules out order numbers and the like."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def spans_of(text: str, kinds: Iterable[str]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each detail of the given kinds in `text`."""
    return list(_spans(text, frozenset(kinds)))


@lru_cache(maxsize=64)
def _spans(text: str, wanted: frozenset[str]) -> tuple[tuple[int, int, str], ...]:
    """spans_of, kept for the last texts (a streamed sentence is read at every word)."""
    found: list[tuple[int, int, str]] = []
    if CARD in wanted:
        for match in _CARD.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if 13 <= len(digits) <= 19 and luhn(digits):
                found.append((match.start(), match.end(), CARD))
    if SSN in wanted:
        found += [(m.start(), m.end(), SSN) for m in _SSN.finditer(text)]
    if BANK in wanted:
        found += [(m.start(1), m.end(1), BANK) for m in _BANK.finditer(text)]
    if SECRET in wanted:
        for match in _SECRET.finditer(text):
            value = match.group(1)
            if not value.startswith("["):  # already masked
                found.append((match.start(1), match.end(1), SECRET))
    if EMAIL in wanted:
        found += [(m.start(), m.end(), EMAIL) for m in _EMAIL.finditer(text)]
    if PHONE in wanted:
        found += [(m.start(), m.end(), PHONE) for m in _PHONE.finditer(text)]
    return tuple(found)


def found(text: str, kinds: Iterable[str]) -> list[tuple[str, str]]:
    """(kind, value) of each piece of personal data of the given kinds in `text` (the evals
    look for these values wherever they must not be)."""
    return [(kind, text[start:end]) for start, end, kind in sorted(spans_of(text, kinds))]


def mask(
    text: str, kinds: Iterable[str], keep: frozenset[str] = frozenset(), upto: int | None = None
) -> Masked:
    """`text` with every span of the given kinds replaced by its label (longest span wins).

    Values in `keep` (from known_values: Acme's own phone numbers and addresses) stay. With
    `upto`, only text[:upto] is returned, its spans judged on the whole text (see detail_free).
    """
    return _replaced(text, spans_of(text, kinds), keep, len(text) if upto is None else upto)


def detail_free(text: str, kinds: Iterable[str], upto: int | None = None, since: int = 0) -> int:
    """How much of text still arriving (at most `upto`) no personal detail can still be
    forming over ("call 555 12…" may become a phone number), and no found detail is cut.
    `since`: a length an earlier call found free (see text.forming)."""
    kinds = tuple(kinds)
    settled = len(text) if upto is None else upto
    for kind in kinds:
        still = forming(_PATTERNS[kind], text, since)
        if still is not None:
            settled = min(settled, still)
    spans = spans_of(text, kinds)
    crossing = [start for start, end, _ in spans if start < settled < end]
    while crossing:  # a detail is shown masked whole or not yet
        settled = min(crossing)
        crossing = [start for start, end, _ in spans if start < settled < end]
    return settled


def _replaced(
    text: str, spans: list[tuple[int, int, str]], keep: frozenset[str], upto: int
) -> Masked:
    """text[:upto] with the spans inside it replaced by their labels (longest span wins)."""
    found_spans = sorted((s for s in spans if s[1] <= upto), key=lambda s: (s[0], -(s[1] - s[0])))
    pieces: list[str] = []
    seen: list[str] = []
    at = 0
    for start, end, kind in found_spans:
        if start < at:
            continue  # inside a span already masked
        if keep and normalised(kind, text[start:end]) in keep:
            continue
        pieces += [text[at:start], LABELS[kind]]
        at = end
        if kind not in seen:
            seen.append(kind)
    pieces.append(text[at:upto])
    return Masked("".join(pieces), tuple(seen))


@cache
def acme_values() -> frozenset[str]:
    """Acme's own phone numbers, emails and addresses (config.FACTS): never masked for storage."""
    return frozenset(known_values(config.FACTS.values()))


def for_storage(value: Any) -> Any:
    """The one rule for anything kept (turn records, handoffs and their transcripts, saved
    conversations, feedback) or written up from it: personal data masked, Acme's own contact
    details kept, so a colleague sees which line Eva gave. Strings, or JSON-like values."""
    return mask_values(value, config.MASK_FOR_STORAGE, keep=acme_values())


def mask_values(value: Any, kinds: Iterable[str], keep: frozenset[str] = frozenset()) -> Any:
    """Every string inside a JSON-like value masked (tool inputs, a saved conversation)."""
    kinds = tuple(kinds)
    if isinstance(value, str):
        return mask(value, kinds, keep).text
    if isinstance(value, dict):
        return {key: mask_values(item, kinds, keep) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_values(item, kinds, keep) for item in value]
    return value


def normalised(kind: str, value: str) -> str:
    """The comparable form of a personal detail: digits for numbers (a phone without its +1),
    lower case otherwise."""
    if kind in (EMAIL, SECRET):
        return value.casefold()
    digits = re.sub(r"\D", "", value)
    return digits[1:] if kind == PHONE and len(digits) == 11 and digits[0] == "1" else digits


def known_values(texts: Iterable[str]) -> set[str]:
    """Personal details that appear in texts (what the customer gave us, our own numbers)."""
    values: set[str] = set()
    for text in texts:
        for start, end, kind in spans_of(text, LABELS):
            values.add(normalised(kind, text[start:end]))
    return values
