"""Guardrails in code: personal data masked before it travels or is kept; the language spoken.

The prompt asks Eva never to repeat a card number; this module makes sure she never receives
one. What is masked where is config's policy: MASK_FOR_MODEL before a message reaches the model
(and the hosted embedder), MASK_FOR_STORAGE before anything is written to the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import config

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

_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
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


def _spans(text: str, kinds: Iterable[str]) -> list[tuple[int, int, str]]:
    wanted = set(kinds)
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
    return found


def mask(text: str, kinds: Iterable[str]) -> Masked:
    """`text` with every span of the given kinds replaced by its label (longest span wins)."""
    spans = sorted(_spans(text, kinds), key=lambda s: (s[0], -(s[1] - s[0])))
    pieces: list[str] = []
    seen: list[str] = []
    at = 0
    for start, end, kind in spans:
        if start < at:
            continue  # inside a span already masked
        pieces += [text[at:start], LABELS[kind]]
        at = end
        if kind not in seen:
            seen.append(kind)
    pieces.append(text[at:])
    return Masked("".join(pieces), tuple(seen))


@cache
def _detector() -> Any:
    """lingua with only our languages' models, bundled in its wheel (built once, ~0.5 s)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in config.LANGUAGES
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def language_of(text: str, previous: str = "en") -> str:
    """The customer's language (ISO 639-1 code), or `previous` when the text can't tell.

    "ok", "ACM-100231, 1985-03-14" or a one-word reply say nothing about language, so a
    conversation keeps its language until a message clearly changes it.
    """
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 3:
        return previous
    [best, *_] = _detector().compute_language_confidence_values(text)
    if best.value < config.LANGUAGE_MIN_CONFIDENCE:
        return previous
    return best.language.iso_code_639_1.name.lower()


# A request for a person, not a mention of one ("can my manager drive my car?" is not).
_PERSON = re.compile(
    r"\b(?:(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|your\s+|the\s+)?"
    r"(?:real\s+|live\s+)?(?:human|person|someone|somebody|agent|representative|manager|"
    r"supervisor|colleague)|(?:connect|transfer|put)\s+me\s+(?:to|through|with)|"
    r"real\s+person|live\s+agent|human\s+agent|"
    r"hablar\s+con\s+(?:una\s+persona|un\s+agente|alguien)|"
    r"mit\s+einem?\s+(?:echten\s+|richtigen\s+)?(?:mitarbeiter|menschen)|"
    r"parler\s+(?:à|a)\s+(?:un\s+conseiller|quelqu'un|une\s+(?:vraie\s+)?personne|un\s+humain)|"
    r"(?:поговорить|связаться|говорить)\s+с\s+(?:живым\s+|настоящим\s+)?"
    r"(?:человеком|оператором|сотрудником|менеджером)|позовите\s+(?:человека|оператора))",
    re.IGNORECASE,
)


def wants_person(text: str) -> bool:
    """The customer asks for a human, in any of our languages (checked in code every turn)."""
    return bool(_PERSON.search(text))


def mask_values(value: Any, kinds: Iterable[str]) -> Any:
    """Every string inside a JSON-like value masked (tool inputs before they are stored)."""
    kinds = tuple(kinds)
    if isinstance(value, str):
        return mask(value, kinds).text
    if isinstance(value, dict):
        return {key: mask_values(item, kinds) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_values(item, kinds) for item in value]
    return value
