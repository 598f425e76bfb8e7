"""One pass over each customer message as it arrives: one typed verdict that the turn loop, the
escalation policy and the turn's record all read, so no check runs twice or on other text.

Order matters and is fixed here: personal data is masked first (config.MASK_FOR_MODEL), and
every other check reads the masked text, as the model does. Decides nothing about handoffs
(escalation does) and never checks Eva's reply (reply does).
"""

from __future__ import annotations

from dataclasses import dataclass

import config
from guardrails.injection import injection
from guardrails.language import language_of
from guardrails.mood import sentiment
from guardrails.pii import mask
from guardrails.semantic import Detection, detect, fired


@dataclass(frozen=True)
class Inbound:
    """What one customer message is, as checked on arrival.

    text is what the model, the search and the record see: personal data already masked.
    """

    text: str
    # Kinds of personal data removed (card, ssn, bank, secret), in the order found.
    masked: tuple[str, ...]
    # ISO 639-1 code; the conversation's language when the message can't tell.
    language: str
    # The message tries to override Eva's instructions or role.
    injection: bool
    # Escalation triggers it contains (config.TRIGGERS order), before any policy is applied.
    triggers: tuple[str, ...]
    # Which detector found each (pattern or meaning), with the meaning's score.
    detections: tuple[Detection, ...]
    # A coarse mood score in [-1, 1] (guardrails.mood).
    mood: float

    def flags(self) -> list[str]:
        """What the turn's record notes about the message itself."""
        found = [f"masked:{kind}" for kind in self.masked]
        found += ["injection:customer"] if self.injection else []
        return [*found, *(d.flag() for d in self.detections)]


def check(text: str, language: str = "en") -> Inbound:
    """The verdict on `text`; `language` is the conversation's so far (kept when unsure)."""
    masked = mask(text, config.MASK_FOR_MODEL)
    clean = masked.text
    detections = detect(clean)
    return Inbound(
        text=clean,
        masked=masked.kinds,
        language=language_of(clean, language),
        injection=injection(clean),
        triggers=fired(detections),
        detections=detections,
        mood=sentiment(clean),
    )


def masking_notice(kinds: tuple[str, ...]) -> str:
    """The customer's note on what was removed from their message (config.MASKED_NOTICE)."""
    names = [config.MASKED_NAMES.get(kind, kind) for kind in kinds]
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return config.MASKED_NOTICE.format(what=what)
