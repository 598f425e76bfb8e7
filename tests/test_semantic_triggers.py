"""Triggers read by meaning (guardrails/semantic.py): the layers fitted from config's
exemplars, what a turn's record says about them, and the cases the issue names. The gate on
the labelled set is tests/test_trigger_eval.py."""

from __future__ import annotations

import numpy as np
import pytest

import chatbot
import config
import guardrails
import llm
import settings
from events import Handoff, TurnDone
from fakes import FakeEmbedder
from guardrails import semantic
from guardrails.semantic import PATTERN, SEMANTIC, Detection, SemanticTriggers

EXEMPLARS = {
    "person": {"en": ("talk to a human agent", "connect me with a human agent please")},
    "legal": {"en": ("my attorney will sue", "we sue in court")},
}
LOOKALIKES = {"en": ("what does my policy cover", "how much is a quote for my car")}


class Counting(FakeEmbedder):
    """The fake encoder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def queries(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return super().queries(texts)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "EXEMPLARS_DIR", tmp_path / "exemplars")
    return tmp_path


def test_a_message_near_a_triggers_exemplars_fires_it_and_far_ones_do_not(data_dir):
    layers = SemanticTriggers(FakeEmbedder(), EXEMPLARS, LOOKALIKES)
    human = layers.read("please, a human agent")
    cover = layers.read("what does the policy cover for my car")
    assert human["person"] > 0.5 > human["legal"]
    assert cover["person"] < 0.5 and cover["legal"] < 0.5
    assert layers.read("   ") == {"person": 0.0, "legal": 0.0}


def test_exemplar_vectors_are_kept_so_a_restart_embeds_only_new_phrasings(data_dir):
    first = Counting()
    SemanticTriggers(first, EXEMPLARS, LOOKALIKES)
    assert len(first.embedded) == 6
    again = Counting()
    SemanticTriggers(again, EXEMPLARS, LOOKALIKES)
    assert again.embedded == []
    grown = {**EXEMPLARS, "person": {"en": (*EXEMPLARS["person"]["en"], "get me a person")}}
    later = Counting()
    SemanticTriggers(later, grown, LOOKALIKES)
    assert later.embedded == ["get me a person"]


def test_a_corrupt_vector_file_is_rebuilt_not_fatal(data_dir):
    (data_dir / "exemplars").mkdir()
    (data_dir / "exemplars" / f"{FakeEmbedder.name}.npz").write_bytes(b"not numpy")
    encoder = Counting()
    SemanticTriggers(encoder, EXEMPLARS, LOOKALIKES)
    assert len(encoder.embedded) == 6


def test_the_record_names_the_detector_and_the_score():
    assert Detection("person", PATTERN, 1.0).flag() == "detected:person:pattern"
    assert Detection("legal", SEMANTIC, 0.91234).flag() == "detected:legal:semantic:0.912"


# --- The real model on the cases the issue names ---------------------------------------------


# Requests for a person in words no pattern lists (and no exemplar or labelled message holds).
UNLISTED = {
    "en": "I would rather sort this out with one of your colleagues over the phone",
    "es": "Prefiero resolver esto de viva voz con alguien de su equipo",
    "de": "Können wir das bitte mit einem Ihrer Kollegen am Telefon klären?",
    "fr": "Je préférerais régler ça de vive voix avec l'un de vos collègues",
    "ru": "Мне бы с кем-то из ваших по-людски это обсудить",
}


@pytest.mark.parametrize("language", UNLISTED)
def test_a_request_no_pattern_lists_is_caught_by_meaning_and_handed_over(db, language):
    message = UNLISTED[language]
    assert guardrails.triggers(message) == (), "no pattern knows these words"
    bot = chatbot.ChatBot(llm.connect().client, db)
    events = list(bot.respond([], message, {}))
    assert [e for e in events if isinstance(e, Handoff)], "a person takes over"
    assert isinstance(events[-1], TurnDone)
    [turn] = db.conversation(events[-1].facts["conversation_id"])["turns"]
    [flag] = [f for f in turn["flags"] if f.startswith("detected:person:")]
    detector, score = flag.split(":")[2:]
    assert detector == SEMANTIC and float(score) >= config.TRIGGER_CONFIDENCE["person"]
    assert "trigger:person" in turn["flags"]


def test_the_request_the_evals_authors_found_missed_is_caught():
    message = "Спасибо, но я лучше обсужу это с человеком. Соедините меня, пожалуйста, с оператором"
    verdict = guardrails.check(message, "ru")
    assert verdict.triggers == ("person",)
    assert {d.detector for d in verdict.detections} == {PATTERN, SEMANTIC}


@pytest.mark.parametrize(
    "message",
    [
        "can my manager drive my car?",
        "my lawyer friend says the policy is great",
        "I don't want to cancel",
        "¿Mi hermano puede conducir el coche si no está en la póliza?",
        "Ich habe den Vertrag gelesen und finde ihn gut.",
    ],
)
def test_negations_and_look_alikes_do_not_fire(message):
    assert guardrails.check(message).triggers == ()


def test_every_learned_trigger_has_exemplars_in_every_language():
    languages = set(config.LANGUAGES)
    for trigger in semantic.LEARNED:
        assert trigger in config.TRIGGERS
        assert set(config.TRIGGER_EXEMPLARS[trigger]) == languages, trigger
        assert trigger in config.TRIGGER_CONFIDENCE
    assert set(config.TRIGGER_LOOKALIKES) == languages
