"""The wire format: what the model decided (Reply) as the API's message JSON, server-sent
events and error bodies.

The frames follow the order the SDK accepts (message_start, blocks in pieces, message_delta,
message_stop). It only encodes; it never decides what to say or checks a request.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2

from offline.cache import CacheUsage

OFFLINE_MODEL_NAME = "acme-offline-1"


@dataclass(frozen=True)
class Reply:
    """What the offline model decided to say: content blocks and why it stopped."""

    blocks: tuple[dict[str, Any], ...]
    stop_reason: str


def text_reply(text: str) -> Reply:
    """A reply that is one text block and ends the turn."""
    return Reply(({"type": "text", "text": text},), "end_turn")


def tool_reply(preface: str, name: str, tool_input: dict[str, Any]) -> Reply:
    """A short preface, then one tool call: the turn stops for the app to run the tool."""
    tool_use = {
        "type": "tool_use",
        "id": f"toolu_offline_{uuid.uuid4().hex[:16]}",
        "name": name,
        "input": tool_input,
    }
    return Reply(({"type": "text", "text": preface}, tool_use), "tool_use")


def message_json(reply: Reply, usage: CacheUsage, output_tokens: int) -> dict[str, Any]:
    """The whole message as the API returns it, usage split as the cache accounted it."""
    return {
        "id": f"msg_offline_{uuid.uuid4().hex[:20]}",
        "type": "message",
        "role": "assistant",
        "model": OFFLINE_MODEL_NAME,
        "content": list(reply.blocks),
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage.input_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "output_tokens": output_tokens,
        },
    }


def sse_frame(event: str, data: dict[str, Any]) -> bytes:
    """One server-sent event as the API frames it."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def sse_events(message: dict[str, Any], pace_seconds: float = 0.0) -> Iterator[bytes]:
    """A complete message as the API streams it: start, blocks in pieces, delta, stop."""
    start = {**message, "content": [], "stop_reason": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    yield sse_frame("message_start", {"type": "message_start", "message": start})
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            pieces = _text_pieces(block["text"])
            deltas = [{"type": "text_delta", "text": piece} for piece in pieces]
        elif block["type"] == "tool_use":
            opening = {**block, "input": {}}
            raw = json.dumps(block["input"])
            deltas = [
                {"type": "input_json_delta", "partial_json": raw[i : i + 24]}
                for i in range(0, len(raw), 24)
            ]
        else:
            opening, deltas = block, []
        yield sse_frame(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": opening},
        )
        for delta in deltas:
            if pace_seconds:
                time.sleep(pace_seconds)
            yield sse_frame(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        yield sse_frame("content_block_stop", {"type": "content_block_stop", "index": index})
    yield sse_frame(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        },
    )
    yield sse_frame("message_stop", {"type": "message_stop"})


def _text_pieces(text: str) -> list[str]:
    """Text cut into word-sized deltas, as a model streams it."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


def error_response(status: int, kind: str, message: str) -> httpx2.Response:
    """An error body shaped like the API's."""
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return httpx2.Response(status, json=body)
