"""The trigger gate: on evals/triggers.yaml the app's detectors (patterns and meaning, the
real bundled model) stay at or above the GATE floors in evals/triggers.py (`make
eval-triggers` prints the table, every mistake and issue 16's targets)."""

from __future__ import annotations

import re
from collections import Counter

import config
from evals.triggers import LANGUAGES, TARGETS, gate_failures, load_cases, run
from guardrails.text import fold


def _words(text: str) -> frozenset[str]:
    """A message's words as a copy would keep them: no case, accents or punctuation."""
    return frozenset(re.sub(r"[^\w\s]", " ", fold(text)).split())


def test_the_detectors_hold_the_gate_in_every_language():
    failed = gate_failures(run(load_cases()))
    assert failed == [], "\n".join(failed)


def test_the_set_is_big_enough_to_measure_every_target():
    cases = load_cases()
    assert len(cases) >= 400
    for language in LANGUAGES:
        mine = [c for c in cases if c.language == language]
        counts = Counter(t for c in mine for t in c.triggers)
        # One miss must be able to show: recall 0.97 needs 34 requests for a person.
        assert counts["person"] >= 34, language
        assert all(counts[t] >= 10 for t in TARGETS), (language, counts)
        assert sum(not c.triggers for c in mine) >= 30, language


def test_the_set_and_the_exemplars_share_no_message_nor_a_close_copy():
    """Three quarters of the words in common is a copy ("transfer me to a live agent" and "can
    u transfer me to a live agent"): the set would measure memory, not reading."""
    taught = [
        _words(text)
        for by_language in config.TRIGGER_EXEMPLARS.values()
        for texts in by_language.values()
        for text in texts
    ]
    taught += [_words(t) for texts in config.TRIGGER_LOOKALIKES.values() for t in texts]
    copies = []
    for case in load_cases():
        mine = _words(case.text)
        if any(len(mine & other) >= 0.75 * len(mine | other) for other in taught if other):
            copies.append(case.text)
    assert copies == []
