"""Grounded answers: the offline model quotes what the request carries, or finds nothing to quote.

Passages come from the retrieved articles in the app's knowledge block (read through
envelope.articles) and from the static context in the system prompt; they are ranked by the
rare question words they share and quoted with their source. It never words a price, a policy
or any tool result (reports.py does), and never decides which intent a message has (brain.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import envelope
import guardrails
from offline.messages import content_blocks

STOPWORD_TEXT = """
a an the is are was were be been am i me my mine you your we our it its of to in on at for and
or but if do does did can could would should will with what which who how when where this that
these those there here about from by as have has had not no yes so any some get got please tell
know want need like just also than then them they he she his her what's it's i'm i've don't
good great thanks thank hi hello really very much
"""
STOPWORDS = frozenset(STOPWORD_TEXT.split())
# Share of a question's words the quoted passages must contain to count as an answer.
MIN_QUERY_COVERAGE = 0.4


@dataclass(frozen=True)
class Passage:
    """One paragraph or bullet the offline model may quote, and where it came from."""

    title: str
    section: str
    text: str
    rank: int  # the article's place in the retrieved list; -1 for the static context
    score: float = 0.0
    order: int = 0  # its place within its section


PLURALS = (("ies", "y"), ("s", ""))
SUFFIXES = (("age", ""), ("ing", ""), ("ed", ""))


def _stem(word: str) -> str:
    """Crude suffix stripping, so "covered", "coverages" and "covers" all meet at "cover"."""
    for rules in (PLURALS, SUFFIXES):
        for suffix, replacement in rules:
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)] + replacement
                break
    return word


def terms(text: str) -> list[str]:
    """A text's words less the stopwords, stemmed: what questions and passages are compared by."""
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower().replace("\u2019", "'"))
    return [_stem(w) for w in words if w not in STOPWORDS]


# The longest search query it writes, in characters (the tool takes up to 300).
QUERY_CHARS = 300
_CONTRACTION = re.compile(r"(\w+?)(n)?'(?:s|m|re|ve|d|ll|t)")


def search_query(question: str) -> str:
    """What it searches the help centre for: the customer's own words, whole and in their order,
    less the small ones. The page shows the query on the tool card, so no word is cut and no
    apostrophe broken; a query that would run long stops at a whole word."""
    kept: dict[str, str] = {}
    for raw in question.replace("\u2019", "'").split():
        word = raw.strip('.,!?;:"()[]')
        folded = word.casefold()
        contraction = _CONTRACTION.fullmatch(folded)
        small = folded in STOPWORDS or (
            contraction is not None
            and (
                contraction[1] in STOPWORDS
                or f"{contraction[1]}{contraction[2] or ''}" in STOPWORDS
            )
        )
        if word and any(c.isalnum() for c in word) and not small:
            kept.setdefault(folded, word)
    query = ""
    for word in kept.values():
        if len(query) + len(word) + 1 > QUERY_CHARS:
            break
        query = f"{query} {word}".strip()
    if query:
        return query
    whole = " ".join(question.split())
    return whole if len(whole) <= QUERY_CHARS else whole[: QUERY_CHARS + 1].rsplit(" ", 1)[0]


OTHER_LANGUAGE_TEXT = """
    el la los las del que y en es un una por para con mi se lo qué cómo está son si mis
    der die das und ist ich mein meine nicht ein eine mit für auf wie wird mir mich
    le les des et est je mon ma pas une pour avec sur comment mes est-ce qu'il
"""
# Common Spanish, German and French words: a question full of them is not in English.
OTHER_LANGUAGE_WORDS = frozenset(OTHER_LANGUAGE_TEXT.split())


def knowledge_in(message: dict[str, Any]) -> str:
    """The app's knowledge block: the first text block, never anything the customer typed."""
    blocks = content_blocks(message)
    first = blocks[0].get("text", "") if blocks and blocks[0].get("type") == "text" else ""
    return first if first.startswith("<knowledge>") and len(blocks) > 1 else ""


# Insurance words in Spanish, German and French: a question in those languages without any is
# small talk or off topic, whatever the retrieval returned.
OTHER_LANGUAGE_INSURANCE = re.compile(
    r"(segur|asegur|cobertura|cubr|cubiert|p[óo]liza|siniestro|coche|auto|moto|bater|carga|"
    r"rob|gr[úu]a|deducible|factura|pago|reembols|cancel|versicher|police|schaden|wagen|"
    r"motorrad|akku|lade|gestohlen|abschlepp|selbstbeteiligung|rechnung|zahlung|erstatt|"
    r"k[üu]ndig|assur|couvert|couverture|sinistre|voiture|batterie|c[âa]ble|recharge|vol[ée]|"
    r"remorqu|franchise|facture|paiement|rembours|r[ée]sili)",
    re.IGNORECASE,
)


def _articles(text: str) -> list[tuple[str, str, str]]:
    """(title, section, text) of each article passage in a knowledge block, best first.

    Sentences the guardrails took out of a passage leave a label behind; it is not quoted.
    """
    return [
        (title, section, body.replace(guardrails.REMOVED, " "))
        for title, section, body in envelope.articles(text)
    ]


def _static_passages(body: dict[str, Any]) -> list[Passage]:
    """The static context's paragraphs (<context topic=...> in the system prompt), unranked."""
    system = body.get("system") or ""
    system_text = system if isinstance(system, str) else " ".join(b["text"] for b in system)
    return [
        Passage(topic, "", unit, -1)
        for topic, section in re.findall(
            r'<context topic="([^"]+)">(.*?)</context>', system_text, re.S
        )
        for unit in _paragraphs(section)
    ]


def _in_english(question: str) -> bool:
    """More English stopwords than Spanish, German or French ones (a tie counts as English);
    never a question in Russian, whose words those lists cannot see."""
    if re.search(r"[а-яё]", question, re.IGNORECASE):
        return False
    words = re.findall(r"[a-zà-ÿ'-]+", question.lower())
    return sum(w in STOPWORDS for w in words) >= sum(w in OTHER_LANGUAGE_WORDS for w in words)


def _paragraphs(section: str) -> list[str]:
    """Bullets and paragraphs, each kept with the heading it sits under."""
    heading, out = "", []
    for chunk in re.split(r"\n\s*\n|\n(?=\s*[-*] )", section.strip()):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk.startswith("#"):
            lines = chunk.splitlines()
            heading = lines[0].lstrip("# ").strip()
            chunk = "\n".join(lines[1:]).strip()
            if not chunk:
                continue
        chunk = re.sub(r"^[-*]\s+", "", chunk)
        out.append(f"{heading}: {chunk}" if heading and len(chunk) < 200 else chunk)
    return out


def _ranked(question: str, passages: list[Passage]) -> list[Passage]:
    """Passages scored by the rare question terms they share, best first."""
    query = set(terms(question))
    documents = [set(terms(f"{p.section} {p.text}")) for p in passages]
    count = len(documents)

    def idf(term: str) -> float:
        return math.log(1 + count / (1 + sum(term in doc for doc in documents)))

    # fsum: a sum over a set runs in hash order, which changes from one process to the next;
    # an exactly rounded sum is the same whatever the order, and so is the ranking.
    scored = [
        Passage(
            p.title,
            p.section,
            p.text,
            p.rank,
            math.fsum([*(idf(t) for t in query & words), _lead_bonus(p.text, query, idf)]),
            p.order,
        )
        for p, words in zip(passages, documents, strict=True)
    ]
    return sorted(scored, key=lambda p: p.score, reverse=True)


def _trusted(question: str, ranked: list[Passage]) -> bool:
    """Enough of the question's words appear in the best passages to call it an answer."""
    query = set(terms(question))
    if not ranked or not query or ranked[0].score < 1.5:
        return False
    matched = set().union(*(set(terms(f"{p.section} {p.text}")) for p in ranked[:3])) & query
    return len(matched) >= MIN_QUERY_COVERAGE * len(query)


def _lead_bonus(text: str, query: set[str], idf: Callable[[str], float]) -> float:
    """Extra weight when the question names what the passage is about (heading, bold label)."""
    lead = " ".join([text.split(":", 1)[0], *re.findall(r"\*\*(.+?)\*\*", text)])
    return math.fsum(idf(t) for t in query & set(terms(lead)))


def grounded_reply(question: str, knowledge: str, body: dict[str, Any]) -> str | None:
    """Quote the retrieved article that best answers the question, citing it; or the context.

    The retrieval ranked the articles on meaning, so the first one is trusted for a question
    in another language, where word overlap says nothing.
    """
    articles = _articles(knowledge)
    units = [
        Passage(title, section, unit, rank, order=order)
        for rank, (title, section, text) in enumerate(articles)
        for order, unit in enumerate(_paragraphs(text))
    ]
    if articles and not _in_english(question):
        if not OTHER_LANGUAGE_INSURANCE.search(question):
            return None
        title, section, text = articles[0]
        note = "I'm the offline demo model, so I quote our articles in English."
        if len(text.split()) <= WHOLE_SECTION_WORDS:
            return _quote_section(title, section, text, note)
        quoted = [Passage(title, section, unit, 0) for unit in _paragraphs(text)[:3]]
        return _quote(quoted, note)
    ranked = _ranked(question, units)
    if _trusted(question, ranked):
        # Prefer the better-retrieved article when two score alike.
        best = max(ranked[:3], key=lambda p: p.score - 0.5 * p.rank)
        whole = articles[best.rank][2]
        if len(whole.split()) <= WHOLE_SECTION_WORDS:
            return _quote_section(best.title, best.section, whole)
        same = [p for p in ranked if p.title == best.title and p.section == best.section]
        # The section's opening line (often the limit or the rule) and its best matches, in
        # the order the article has them.
        chosen = {p.order: p for p in same[:2] if p.score >= 0.5 * same[0].score}
        chosen.setdefault(0, next(p for p in same if p.order == 0))
        return _quote([chosen[i] for i in sorted(chosen)], None)
    ranked = _ranked(question, _static_passages(body))
    if _trusted(question, ranked):
        return _quote([p for p in ranked[:3] if p.score >= 0.5 * ranked[0].score], None)
    return None


def _quote_section(title: str, section: str, text: str, note: str = "") -> str:
    """A short section quoted whole, lists and all: a part of it would read oddly."""
    return "\n".join(
        [
            "Here's what our help centre says:",
            "",
            "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines()),
            "",
            f"Source: *{title}* — {section}",
            "",
            note or OFFLINE_NOTE,
        ]
    )


def _quote(passages: list[Passage], note: str | None) -> str:
    """The chosen lines as bullets, with their source when they come from an article."""
    lead = passages[0]
    if lead.rank >= 0:
        opening = "Here's what our help centre says:"
        citation = f"Source: *{lead.title}* — {lead.section}"
    else:
        opening = f"Here's what Acme's information says ({lead.title}):"
        citation = ""
    lines = [opening, "", *(f"- {_flatten(p.text)}" for p in passages), ""]
    if citation:
        lines += [citation, ""]
    lines.append(note or OFFLINE_NOTE)
    return "\n".join(lines)


OFFLINE_NOTE = (
    "I'm the offline demo assistant, so I quote our information directly. If this doesn't "
    "answer your question, I can connect you with a colleague."
)
# Sections up to this long are quoted whole; longer ones by their best lines.
WHOLE_SECTION_WORDS = 130


def _flatten(text: str) -> str:
    """A passage on one line, so it fits in one bullet."""
    return re.sub(r"\s*\n\s*(?:[-*]\s+)?", " ", text).strip()
