"""A scripted Messages API for tests: exact SSE replies in order, every request checked.

Replies are written frame by frame here, independently of the offline model's encoder, so the
tests pin the wire format the SDK accepts rather than whatever our encoder happens to emit.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2

import config
from offline import request_problems

CONFIDENT = "<score>0.95</score><reason>Supported by the evidence.</reason>"

Reply = httpx2.Response | Callable[[httpx2.Request], httpx2.Response]


def frame(event: str, **data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps({'type': event, **data})}\n\n".encode()


def message_frames(
    blocks: list[dict[str, Any]],
    stop_reason: str = "end_turn",
    usage: dict[str, int] | None = None,
) -> list[bytes]:
    """Frames of one streamed message; text arrives in two deltas (or a block's "pieces"),
    tool input in two pieces."""
    usage = {"input_tokens": 10, "output_tokens": 5, **(usage or {})}
    start_usage = {**usage, "output_tokens": 1}
    message = {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    frames = [frame("message_start", message=message), frame("ping")]
    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "text":
            half = len(block["text"]) // 2
            pieces = block.get("pieces") or [block["text"][:half], block["text"][half:]]
            opening = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": piece} for piece in pieces]
        elif kind == "tool_use":
            raw = block.get("raw_input", json.dumps(block["input"]))
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": raw[:5]},
                {"type": "input_json_delta", "partial_json": raw[5:]},
            ]
        elif kind == "thinking":
            opening = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": block["thinking"]},
                {"type": "signature_delta", "signature": block["signature"]},
            ]
        else:
            opening, deltas = block, []
        frames.append(frame("content_block_start", index=index, content_block=opening))
        frames += [frame("content_block_delta", index=index, delta=d) for d in deltas]
        frames.append(frame("content_block_stop", index=index))
    frames.append(
        frame(
            "message_delta",
            delta={"stop_reason": stop_reason, "stop_sequence": None},
            usage={"output_tokens": usage["output_tokens"]},
        )
    )
    frames.append(frame("message_stop"))
    return frames


def sse(frames: list[bytes]) -> httpx2.Response:
    return httpx2.Response(
        200, headers={"content-type": "text/event-stream"}, content=b"".join(frames)
    )


def text(reply: str, pieces: list[str] | None = None, **kwargs: Any) -> httpx2.Response:
    """A plain text answer, streamed in two halves or in the given pieces."""
    return sse(message_frames([{"type": "text", "text": reply, "pieces": pieces}], **kwargs))


def message_json(reply: str, model: str = "claude-haiku-4-5") -> httpx2.Response:
    """A non-streamed answer (the side model's calls are not streamed)."""
    body = {
        "id": "msg_side",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": reply}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 50, "output_tokens": 20},
    }
    return httpx2.Response(200, json=body)


def tool_calls(*calls: tuple[str, str, dict[str, Any]], preface: str = "") -> httpx2.Response:
    """An answer that asks for tools: (id, name, input) each."""
    blocks: list[dict[str, Any]] = [{"type": "text", "text": preface}] if preface else []
    blocks += [{"type": "tool_use", "id": i, "name": n, "input": inp} for i, n, inp in calls]
    return sse(message_frames(blocks, stop_reason="tool_use"))


def error(status: int, kind: str = "api_error", **headers: str) -> httpx2.Response:
    body = {"type": "error", "error": {"type": kind, "message": f"scripted {status}"}}
    return httpx2.Response(
        status, json=body, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


def dropped_after(frames: list[bytes]) -> httpx2.Response:
    """Starts streaming, then the peer goes away mid-body."""

    def body() -> Iterator[bytes]:
        yield from frames
        raise httpx2.RemoteProtocolError("peer closed connection without sending complete body")

    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body())


class ScriptedAPI:
    """Serves replies in order and records every request body, with the API's rule breaches.

    The side model's calls (config.SIDE_MODEL: scoring drafts, briefing a colleague) come from
    their own queue, `side`; once it is empty they get a confident score, so a test scripts
    them only when it is about them. They are recorded in `requests` like any other.
    """

    def __init__(self, *replies: Reply, side: list[Reply] | None = None) -> None:
        self.replies = list(replies)
        self.side = list(side or [])
        self.requests: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.paths: list[str] = []
        # What count_tokens answers: a fixed figure, a function of the request body, or a reply.
        self.token_count: int | Callable[[dict[str, Any]], int] | httpx2.Response = 4321

    def add(self, *replies: Reply) -> None:
        self.replies += replies

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.paths.append(request.url.path)
        body = json.loads(request.content)
        self.requests.append(body)
        if request.url.path.endswith("/count_tokens"):
            count = self.token_count
            if isinstance(count, httpx2.Response):
                return count
            tokens = count(body) if callable(count) else count
            return httpx2.Response(200, json={"input_tokens": tokens})
        problems = request_problems(body)
        if problems:
            self.problems += problems
            return error(400, "invalid_request_error")
        if _side_call(body):
            reply = self.side.pop(0) if self.side else message_json(CONFIDENT)
            return reply(request) if callable(reply) else reply
        if not self.replies:
            self.problems.append("unexpected extra request")
            return error(500)
        reply = self.replies.pop(0)
        return reply(request) if callable(reply) else reply

    @property
    def messages_requests(self) -> list[dict[str, Any]]:
        """The conversation's own calls (the side model's are in side_requests)."""
        return [
            r
            for r, p in zip(self.requests, self.paths, strict=True)
            if p.endswith("/v1/messages") and not _side_call(r)
        ]

    @property
    def side_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if _side_call(r)]

    def static_prefixes(self) -> list[str]:
        """Each request's tools + system, serialised: caching needs them byte-identical."""
        return [json.dumps([r.get("tools"), r.get("system")]) for r in self.messages_requests]


def _side_call(body: dict[str, Any]) -> bool:
    return body.get("model") == config.SIDE_MODEL and not body.get("stream")


@contextmanager
def served(api: ScriptedAPI) -> Iterator[str]:
    """Serve `api` on a loopback port for code that must reach it over real HTTP."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            request = httpx2.Request(
                "POST",
                f"http://127.0.0.1{self.path}",
                headers=dict(self.headers),
                content=self.rfile.read(length),
            )
            response = api.handle(request)
            body = response.read()
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
