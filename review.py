"""Reviewing Eva's drafts: how sure we are of a reply, and the write-ups a person reads.

(Named for what it does: whether a person gets the conversation, and how, is escalation.py.)

Two questions decide whether Eva's draft reaches the customer and what a colleague gets when it
doesn't: how sure can we be of this draft (a score from 0 to 1), and what does the colleague
need (a summary and a reply to start from). With an API key a side model (config.SIDE_MODEL)
answers both; offline a documented heuristic and an extractive summary stand in, so the
routing behaves the same way in the demo and in tests.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise
from typing import Protocol

import anthropic
import httpx2

import config

log = logging.getLogger(__name__)

SEND = "sent"
OFFER = "sent_with_offer"
WITHHOLD = "withheld"

# How much of the evidence and transcript a side-model call reads (characters, newest kept).
EVIDENCE_CHARS = 12_000
TRANSCRIPT_CHARS = 12_000
SIDE_MAX_TOKENS = 600
# How much of the turns being folded the summariser reads (characters).
CONDENSE_CHARS = 40_000


@dataclass(frozen=True)
class Draft:
    """A reply about to be sent, with what it can be checked against."""

    question: str
    reply: str
    evidence: str
    grounded: bool
    tool_errors: int = 0


class Reviewer(Protocol):
    def score(self, draft: Draft) -> float:
        """Confidence, 0–1, that the draft is right and safe to send."""
        ...

    def write_up(
        self, transcript: list[dict[str, str]], reason: str, language: str, reference: str
    ) -> tuple[str, str]:
        """(summary for the colleague, their draft first message to the customer)."""
        ...

    def condense(self, transcript: str) -> str | None:
        """Notes standing in for the oldest turns of a long chat; None when it can't write them."""
        ...


def route(score: float) -> str:
    """Where a scored draft goes: the thresholds live in config."""
    if score >= config.CONFIDENCE_SEND:
        return SEND
    if score >= config.CONFIDENCE_HANDOFF:
        return OFFER
    return WITHHOLD


# ---------------------------------------------------------------------------------------------
# Offline: the heuristic.
# ---------------------------------------------------------------------------------------------

_NOT_FOUND = re.compile(
    r"(?i)\b(?:couldn'?t find|could not find|don'?t know|do not know|no information|"
    r"don'?t have (?:any |that )?information|"
    r"not sure|can'?t (?:help|answer)|unable to (?:help|answer|find))\b"
)
_HEDGE = re.compile(
    r"(?i)\b(?:probably|possibly|maybe|perhaps|i think|i believe|i guess|might be|"
    r"should be fine|as far as i know|typically|usually)\b"
)
# A figure a customer could act on: money, a percentage, a count of days or miles.
_FIGURE = re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:%|percent|days?|miles?)")
_SMALL_TALK = re.compile(
    r"(?i)^\W*(?:hi|hello|hey|thanks?|thank you|ok(?:ay)?|great|bye|goodbye|cheers|"
    r"hola|gracias|danke|hallo|merci|bonjour|привет|спасибо)\b"
)


class HeuristicReviewer:
    """The offline stand-in for the side model. The rules, in order:

    - small talk, or a reply that only asks the customer something back: 0.95;
    - otherwise start at 0.85 (a plain reply is sent), then
      +0.10 if it is grounded (cites a passage, or a tool did the work this turn);
      −0.10 if it says it could not find or does not know the answer (sent with an offer);
      −0.15 per hedge word ("probably", "I think", "usually"…) in an ungrounded reply, at
      most two counted;
      −0.40 if it states a figure ($, %, days, miles) found in none of the evidence;
      −0.10 if a tool failed this turn.
    A wrong figure alone drops a plain reply below 0.60: it goes to a person, not the customer.
    """

    def score(self, draft: Draft) -> float:
        reply = draft.reply.strip()
        if small_talk(draft.question):
            return 0.95
        if reply.endswith("?") and not _FIGURE.search(reply):
            return 0.95
        score = 0.85
        if draft.grounded:
            score += 0.10
        if _NOT_FOUND.search(reply):
            score -= 0.10
        if not draft.grounded:
            # A hedge in a quoted article is the article's wording, not Eva's doubt.
            score -= 0.15 * min(2, len(_HEDGE.findall(reply)))
        known = numbers_in(draft.evidence)
        if any(not numbers_in(figure) <= known for figure in _FIGURE.findall(reply)):
            score -= 0.40
        score -= 0.10 if draft.tool_errors else 0.0
        return round(min(1.0, max(0.0, score)), 2)

    def write_up(
        self, transcript: list[dict[str, str]], reason: str, language: str, reference: str
    ) -> tuple[str, str]:
        return extractive_summary(transcript, reason), template_draft(
            transcript, language, reference
        )

    def condense(self, transcript: str) -> str | None:
        """Offline there is nothing that can summarise: the folded turns are set aside."""
        return None


def numbers_in(text: str) -> set[str]:
    """Numbers as values, so "$1,200" in a reply matches "1200.0" in a tool result."""
    found = re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", text)
    return {
        number.replace(",", "").rstrip("0").rstrip(".")
        if "." in number
        else number.replace(",", "")
        for number in found
    }


def extractive_summary(transcript: list[dict[str, str]], reason: str) -> str:
    """Reason, then the customer's own last words and Eva's last reply, clipped."""
    said = [turn["text"] for turn in transcript if turn["role"] == "customer" and turn["text"]]
    replies = [turn["text"] for turn in transcript if turn["role"] == "eva" and turn["text"]]
    parts = [reason]
    if said:
        parts.append("Customer: " + " | ".join(clip(s, 220) for s in said[-3:]))
    if replies:
        parts.append("Eva last said: " + clip(replies[-1], 300))
    return "\n".join(parts)


# Where the colleague's name goes in a draft written before anyone claimed the conversation; the
# desk puts the claiming agent's name there.
AGENT_PLACEHOLDER = "[your name]"


def template_draft(transcript: list[dict[str, str]], language: str, reference: str) -> str:
    said = [turn["text"] for turn in transcript if turn["role"] == "customer" and turn["text"]]
    topic = config.localised(config.DRAFT_TOPIC, language)
    topic = topic.format(quote=clip(said[-1], 160)) if said else ""
    template = config.localised(config.DRAFT_TEMPLATE, language)
    return template.format(agent=AGENT_PLACEHOLDER, reference=reference, topic=topic)


def clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------------
# With a key: the side model.
# ---------------------------------------------------------------------------------------------


class SideModelReviewer:
    """Scores and write-ups from config.SIDE_MODEL; the heuristic answers when it can't."""

    def __init__(self, client: anthropic.Anthropic) -> None:
        self.client = client
        self.fallback = HeuristicReviewer()

    def score(self, draft: Draft) -> float:
        text = self._ask(
            config.CONFIDENCE_PROMPT,
            f"<evidence>\n{draft.evidence[-EVIDENCE_CHARS:]}\n</evidence>\n"
            f"<customer_message>\n{draft.question}\n</customer_message>\n"
            f"<draft_reply>\n{draft.reply}\n</draft_reply>",
        )
        found = re.search(r"<score>\s*([01](?:\.\d+)?)\s*</score>", text or "")
        if found is None:
            return self.fallback.score(draft)
        return min(1.0, max(0.0, float(found.group(1))))

    def write_up(
        self, transcript: list[dict[str, str]], reason: str, language: str, reference: str
    ) -> tuple[str, str]:
        lines = "\n".join(f"{turn['role']}: {turn['text']}" for turn in transcript)
        text = self._ask(
            config.HANDOFF_PROMPT.format(language=config.LANGUAGES.get(language, "English")),
            f"<reason>{reason}</reason>\n<transcript>\n{lines[-TRANSCRIPT_CHARS:]}\n</transcript>",
        )
        summary = re.search(r"<summary>(.*?)</summary>", text or "", re.S)
        draft = re.search(r"<draft>(.*?)</draft>", text or "", re.S)
        fallback = self.fallback.write_up(transcript, reason, language, reference)
        return (
            summary.group(1).strip() if summary else fallback[0],
            draft.group(1).strip() if draft else fallback[1],
        )

    def condense(self, transcript: str) -> str | None:
        if len(transcript) > CONDENSE_CHARS:
            # The oldest lines carry an earlier summary: keep the start and the newest part.
            transcript = f"{transcript[:2000]}\n…\n{transcript[-(CONDENSE_CHARS - 2000) :]}"
        text = self._ask(config.SUMMARY_PROMPT, f"<transcript>\n{transcript}\n</transcript>")
        found = re.search(r"<summary>(.*?)</summary>", text or "", re.S)
        summary = found.group(1).strip() if found else ""
        return summary or None

    def _ask(self, system: str, content: str) -> str | None:
        """One short side-model call; None when it fails (the turn never fails for it)."""
        try:
            message = self.client.messages.create(
                model=config.SIDE_MODEL,
                max_tokens=SIDE_MAX_TOKENS,
                system=system.strip(),
                messages=[{"role": "user", "content": content}],
            )
        except (anthropic.APIError, httpx2.HTTPError) as error:
            log.warning("side model call failed: %s", type(error).__name__)
            return None
        return "".join(block.text for block in message.content if block.type == "text")


def reviewer_for(client: anthropic.Anthropic, offline: bool) -> Reviewer:
    return HeuristicReviewer() if offline else SideModelReviewer(client)


# ---------------------------------------------------------------------------------------------
# Signals across turns, kept in the conversation's facts.
# ---------------------------------------------------------------------------------------------

# A repeated message is a sign the last answer did not help.
REPEAT_SIMILARITY = 0.8


_OFFERS_PERSON = re.compile(
    r"(?i)\b(?:colleague|a person|human|an agent|compañero|kollege|collègue|коллег\w*)\b"
)


def offers_person(reply: str) -> bool:
    """The reply already offers a person, so the routing's offer would only repeat it."""
    return bool(_OFFERS_PERSON.search(reply))


def admits_not_knowing(reply: str) -> bool:
    return bool(_NOT_FOUND.search(reply))


def stalled(grounded: bool, reply: str, said: str, said_before: str | None) -> bool:
    """A turn without progress: nothing done or cited, and Eva could not help or the customer
    had to say the same thing again. A question back to the customer (a quote's missing
    details) is not a stall."""
    if grounded:
        return False
    if said_before and SequenceMatcher(None, said.casefold(), said_before.casefold()).ratio() >= (
        REPEAT_SIMILARITY
    ):
        return True
    return admits_not_knowing(reply)


# How far the mood must fall over those messages to count (the scale runs from -1 to 1).
SENTIMENT_DROP = 0.5


def falling(moods: list[float]) -> bool:
    """The last SENTIMENT_TURNS messages each sadder or angrier than the one before, the last
    two negative, and a real drop in all: the customer is getting more upset however the
    answers read. One worried message after a cheerful hello is not a trend."""
    recent = moods[-config.SENTIMENT_TURNS :]
    return (
        len(recent) == config.SENTIMENT_TURNS
        and all(later < earlier for earlier, later in pairwise(recent))
        and all(mood < 0 for mood in recent[-2:])
        and recent[0] - recent[-1] >= SENTIMENT_DROP
    )


# Once the greeting or thanks is taken off, small talk has at most this many words left.
SMALL_TALK_REST_WORDS = 2


def small_talk(text: str) -> bool:
    """A greeting or thanks and little else: "Thanks, that's helpful", not "Hi, how far will
    you tow?" (a question after a greeting is a question)."""
    found = _SMALL_TALK.match(text)
    if found is None or "?" in text:
        return False
    return len(re.findall(r"\w+", text[found.end() :])) <= SMALL_TALK_REST_WORDS
