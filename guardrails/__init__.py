"""Guardrails in code: personal data masked before it travels or is kept; the language spoken.

The prompt asks Eva never to repeat a card number; this module makes sure she never receives
one. What is masked where is config's policy: MASK_FOR_MODEL before a message reaches the model
(and the hosted embedder), MASK_FOR_STORAGE before anything is written to the database.

The detectors the turn runs in code, whatever the model does, live here too: escalation triggers
in a customer's message, instruction overrides in anything untrusted, promises in Eva's draft,
competitor names and a coarse mood. Most are plain patterns, so the same text always gets the
same answer; each reads text folded one way (case, Latin accents, apostrophes), so its patterns
are written once per language: English, Spanish, German, French and Russian. Escalation
triggers are also read by meaning (semantic: the message's e5 vector against exemplars in
config), which catches the phrasings no pattern lists.

One module per check: pii, language, triggers (patterns), semantic (meaning, and `detect`,
which runs both), injection, promises, competitors, mood; inbound runs them once over each
customer message (one typed verdict) and reply is the streamed check on Eva's side; text holds
the folding they share.
"""

from __future__ import annotations

from guardrails.competitors import competitors
from guardrails.inbound import Inbound, check, masking_notice
from guardrails.injection import REMOVED, injection, neutralise
from guardrails.language import language_of
from guardrails.mood import sentiment
from guardrails.pii import (
    BANK,
    CARD,
    EMAIL,
    LABELS,
    PHONE,
    SECRET,
    SSN,
    Masked,
    acme_values,
    for_storage,
    found,
    known_values,
    luhn,
    mask,
    mask_values,
)
from guardrails.promises import commitment
from guardrails.reply import REPLY_KINDS, ReplyGuard
from guardrails.semantic import Detection, asks_for_person, detect
from guardrails.triggers import amounts, triggers, wants_person

__all__ = [
    "BANK",
    "CARD",
    "EMAIL",
    "LABELS",
    "PHONE",
    "REMOVED",
    "REPLY_KINDS",
    "SECRET",
    "SSN",
    "Detection",
    "Inbound",
    "Masked",
    "ReplyGuard",
    "acme_values",
    "amounts",
    "asks_for_person",
    "check",
    "commitment",
    "competitors",
    "detect",
    "for_storage",
    "found",
    "injection",
    "known_values",
    "language_of",
    "luhn",
    "mask",
    "mask_values",
    "masking_notice",
    "neutralise",
    "sentiment",
    "triggers",
    "wants_person",
]
