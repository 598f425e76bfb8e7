"""The benchmark's own arithmetic: the cache layout's limit and the layouts it compares."""

from __future__ import annotations

import json

import config
from bench import cache

MARK = {"type": "ephemeral", "ttl": "5m"}
LONG = "Acme covers cars, electric cars and two-wheelers. " * 200  # past the cacheable minimum


def body(*turns: str, marks: bool = True) -> dict:
    messages = []
    for index, text in enumerate(turns):
        if index:
            messages.append({"role": "assistant", "content": [{"type": "text", "text": "ok"}]})
        block = {"type": "text", "text": text}
        if marks and index >= len(turns) - 2:
            block["cache_control"] = MARK
        messages.append({"role": "user", "content": [block]})
    system = [{"type": "text", "text": LONG, **({"cache_control": MARK} if marks else {})}]
    return {"model": config.MODEL, "max_tokens": 10, "system": system, "messages": messages}


def test_a_second_turn_reads_everything_but_what_is_new_in_it():
    first = cache.Request(body("What is towing?"), turn=1)
    second = cache.Request(body("What is towing?", "And rental cars?"), turn=2)
    one, two = cache.per_turn([first, second])
    assert one["read"] == 0 and one["limit"] == 0
    assert two["read"] == two["limit"] > 0, "the layout reads exactly what it shares"
    assert two["total"] > two["limit"], "the new reply and question are not in the limit"


def test_without_marks_nothing_is_read_and_the_guide_layout_moves_the_context():
    plain = cache.unmarked(body("What is towing?", "And rental cars?"))
    assert "cache_control" not in json.dumps(plain)
    (row,) = cache.per_turn([cache.Request(plain, turn=1)])
    assert row["read"] == 0 and row["written"] == 0
    guide = cache.guide_layout(body("What is towing?"))
    assert guide["messages"][0]["content"][0]["text"] == LONG
    assert LONG not in json.dumps(guide["system"])
    assert "cache_control" not in json.dumps(guide)
