"""The trigger gate: on evals/triggers.yaml the app's detectors (patterns and meaning, the
real bundled model) stay at or above the GATE floors in evals/triggers.py (`make
eval-triggers` prints the table, every mistake and issue 16's targets)."""

from __future__ import annotations

from collections import Counter

import config
from evals.triggers import LANGUAGES, TARGETS, gate_failures, load_cases, run


def _plain(text: str) -> str:
    return " ".join(text.casefold().split())


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


def test_the_set_and_the_exemplars_share_no_message():
    taught = {
        _plain(text)
        for by_language in config.TRIGGER_EXEMPLARS.values()
        for texts in by_language.values()
        for text in texts
    }
    taught |= {_plain(t) for texts in config.TRIGGER_LOOKALIKES.values() for t in texts}
    shared = [c.text for c in load_cases() if _plain(c.text) in taught]
    assert shared == []
