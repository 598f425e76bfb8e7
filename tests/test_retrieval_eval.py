"""The retrieval gate: the offline hybrid search must find what answers English questions."""

from __future__ import annotations

from evals.retrieval import evaluate, load_cases, score

GATE_RECALL_AT_5 = 0.90


def test_offline_hybrid_recall_at_5_on_english_questions_meets_the_gate(kb):
    # The gate is on English questions; `make eval-retrieval` reports every language.
    table = evaluate(kb, [c for c in load_cases() if c.language == "en"], "hybrid")
    english = table["en"]
    assert english["n"] >= 90
    assert english["r@5"] >= GATE_RECALL_AT_5, table


def test_the_retrieval_set_is_big_and_multilingual_enough():
    cases = load_cases()
    on_topic = [c for c in cases if not c.off_topic]
    assert len(on_topic) >= 120
    assert sum(c.language != "en" for c in on_topic) >= 0.2 * len(on_topic)
    assert {c.language for c in on_topic} >= {"en", "es", "de", "fr"}


def test_scores_count_each_part_of_a_question_and_accept_alternatives():
    parts = [{"a#x"}, {"b#y", "b#z"}]
    result = score(["q#1", "b#z", "c#2", "d#3", "a#x"], parts)
    assert result.recall == {1: 0.0, 3: 0.5, 5: 1.0}
    assert result.reciprocal_rank == 0.5
    assert 0 < result.ndcg < 1
    assert score(["a#x", "b#y"], parts).ndcg == 1.0
