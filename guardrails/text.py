"""Text folded one way for the detectors (case, Latin accents, apostrophes), and the
negation and clause helpers their patterns share."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import regex

# --- Detectors: the same text always gets the same answer -------------------------------------

# Patterns below are written for folded text: case-folded, Latin accents dropped (kündige →
# kundige, ß → ss, résilier → resilier), ё read as е, typographic apostrophes made plain, and a
# JSON escape ("\\n" in a stored description) read as the space it stands for.
_LATIN_ACCENT = re.compile(r"(?<=[a-z])[\u0300-\u036f]+")
_PLAIN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "ё": "е"})
_JSON_ESCAPE = re.compile(r"\\[nrt]")


@lru_cache(maxsize=256)
def fold(text: str) -> str:
    """`text` as the patterns expect it; Cyrillic keeps its marks (й is not и). The last
    texts are kept: a streamed sentence is read by several detectors at each new word."""
    decomposed = unicodedata.normalize("NFKD", _JSON_ESCAPE.sub(" ", text.casefold()))
    return unicodedata.normalize("NFC", _LATIN_ACCENT.sub("", decomposed)).translate(_PLAIN)


def unfolded(text: str, folded_length: int) -> int:
    """The longest prefix of `text` (its length) whose folded form fits in `folded_length`
    characters: folding can change lengths ("…" is three dots, "ß" two letters)."""
    if text.isascii() and "\\" not in text:  # folding ASCII only lowers its case
        return min(folded_length, len(text))
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(fold(text[:middle])) <= folded_length:
            low = middle
        else:
            high = middle - 1
    return low


# --- Text that is still arriving: where a match could still be forming ------------------------


# Each pattern's twin for regex's partial matching, by the pattern's identity: hashing a
# pattern hashes its whole source (22 µs for the promises' 15,000 characters), at every word.
_TWINS: dict[int, tuple[re.Pattern[str], regex.Pattern[str]]] = {}
# Never in the text searched (see forming): the twin ends with it, so a match that is already
# whole cannot hide an earlier one still forming ("(?:abc|b)" on "ab" finds "ab…" at 0).
_NEVER = "\uffff"
# Characters `re` and `regex` class differently (\w, \s, case): combining marks, format
# characters (U+FE0F, U+200D), control characters, and letters with odd case folds.
_ENGINES_DIFFER = regex.compile(r"[\p{M}\p{Cf}\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9fıİſKÅ]")


def _twin(pattern: re.Pattern[str]) -> regex.Pattern[str]:
    known = _TWINS.get(id(pattern))
    if known is None or known[0] is not pattern:
        known = pattern, regex.compile(rf"(?:{pattern.pattern}){_NEVER}", pattern.flags)
        _TWINS[id(pattern)] = known
    return known[1]


def forming(pattern: re.Pattern[str], text: str, since: int = 0) -> int | None:
    """Where the earliest match of `pattern` that more text could still complete or change
    begins: one that reaches the end of `text`, wholly or in part ("i'll ref" may become
    "i'll refund"). Text before it is settled: no continuation gives a match starting there.
    None when nothing is forming.

    The twin is `regex`'s copy of the same pattern. Where the two engines could read a
    character differently (see _ENGINES_DIFFER) the answer is `since`: nothing more of the
    text is settled until it ends. A trailing backslash may be half of an escape that folds
    to a space, so it is read as one.

    `since`: where an earlier call, on the start of this text, found nothing forming before;
    sound only there (the reply check passes the end of what it released, a word boundary).
    The search, the costly part on a long sentence read at each word, starts there.
    """
    if _ENGINES_DIFFER.search(text):
        return since
    if text.endswith("\\"):
        text = text[:-1] + " "
    match = _twin(pattern).search(text.replace(_NEVER, " "), since, partial=True)
    return match.start() if match is not None and match.start() < len(text) else None


# Where one sentence of a customer's message ends and the next begins.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;…])\s+|\n+")


def sentences(text: str) -> list[str]:
    """The message's sentences of two words or more, in order."""
    return [part for part in _SENTENCE_BREAK.split(text) if len(part.split()) > 1]


def either(*patterns: str) -> re.Pattern[str]:
    """One regex for alternatives written one per language or phrasing."""
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


# A negation cancels what follows it in its clause: "I won't sue", "I'm not going to cancel",
# "je ne vais pas vous rembourser", "я не буду". Between the two only small words may stand, so
# "I won't hesitate to sue" still counts; a negation inside a condition ("if you don't, I'll
# sue") negates the condition, not the threat.
_CLAUSE_EDGE = re.compile(
    r"[,;:.!?()\[\]\"\n—–]|\s-\s|\b(?:but|however|pero|sin embargo|aber|doch|jedoch|mais|"
    r"cependant|но|однако|а|wenn|falls|sonst|weil|dass|ob)\b"
)
_NEGATOR = (
    r"(?:not|never|no|cannot|unable|\w+n't|nunca|jamas|tampoco|ne|pas|jamais|не|ни|нет|никогда|"
    r"nicht|nie|niemals|kein\w*)"
)
_NEGATION_BEFORE = re.compile(
    rf"\b{_NEGATOR}(?:\s+(?:i|i'm|i'll|i'd|we|we'll|you|you'll|you'd|you're|it|it's|that|that's|"
    r"be|to|a|an|going|gonna|able|ever|even|really|actually|want|plan|planning|intend|trying|"
    r"need|hace|falta|besoin|"
    r"intention|of|said|think|thought|mean|meant|"
    r"about|say|saying|tell|confirm|promise|guarantee|know|sure|whether|yet|allowed|authori[sz]ed|"
    r"in|position|currently|personally|le|la|les|lo|te|se|me|puedo|podemos|voy|vamos|estoy|es|"
    r"posible|je|nous|vous|lui|peux|pouvons|vais|allons|suis|en|mesure|de|ich|wir|sie|ihnen|kann|"
    r"konnen|werde|werden|leider|zu|я|мы|вам|вас|тебе|могу|можем|буду|будем|смогу|сможем|стану|"
    r"станем|собираюсь|собираемся|хочу|хотим|в|состоянии))*\s*$"
)
_CONDITION = re.compile(r"\b(?:if|unless|si|если)\b")
_NEGATOR_WORD = re.compile(rf"\b{_NEGATOR}\b")
# German puts its negation anywhere in the clause ("Ich werde Sie nicht verklagen").
_GERMAN_NEGATOR = re.compile(r"\b(?:nicht|nichts|kein\w*|nie|niemals|niemand\w*)\b")


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the clause holding text[start:end] begins and ends."""
    begin = max((edge.end() for edge in _CLAUSE_EDGE.finditer(text, 0, start)), default=0)
    after = _CLAUSE_EDGE.search(text, end)
    return begin, after.start() if after else len(text)


def negated(text: str, match: re.Match[str]) -> bool:
    """Whether a negation in the same clause cancels `match` (in folded text)."""
    begin, stop = _clause(text, *match.span())
    before = text[begin : match.start()]
    negation = _NEGATION_BEFORE.search(before)
    if negation and not _CONDITION.search(before, 0, negation.start()):
        return True
    return bool(_NEGATOR_WORD.search(match.group()) or _GERMAN_NEGATOR.search(text, begin, stop))


def said(pattern: re.Pattern[str], folded: str) -> bool:
    """A match of `pattern` that no negation cancels."""
    return any(not negated(folded, match) for match in pattern.finditer(folded))
