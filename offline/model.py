"""The offline model as an HTTP handler: plug `OfflineModel.handle` into an httpx2.MockTransport.

It routes what the SDK sends (messages, count_tokens), refuses what the API would refuse, asks
the brain for a reply, accounts the prompt cache and frames the answer as JSON or SSE. It holds
no rule, wording or token arithmetic of its own: those live in the modules it calls.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx2

import settings
from offline.brain import decide
from offline.cache import PromptCache, block_tokens, count_tokens
from offline.rules import request_problems
from offline.wire import error_response, message_json, sse_events


class OfflineModel:
    """Answers Messages API requests deterministically; plug `handle` into a MockTransport."""

    def __init__(
        self, pace_seconds: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.cache = PromptCache(clock)
        self.pace_seconds = settings.OFFLINE_PACE_SECONDS if pace_seconds is None else pace_seconds

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        """Route one HTTP request the SDK sends."""
        path = request.url.path
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            return error_response(400, "invalid_request_error", "The body is not valid JSON.")
        if path.endswith("/v1/messages/count_tokens"):
            return httpx2.Response(200, json={"input_tokens": count_tokens(body)})
        if not path.endswith("/v1/messages"):
            return error_response(404, "not_found_error", f"No route for {path}.")
        problems = request_problems(body)
        if problems:
            return error_response(400, "invalid_request_error", "; ".join(problems))
        reply = decide(body)
        minimum = settings.MIN_CACHEABLE_TOKENS.get(
            body["model"], settings.DEFAULT_MIN_CACHEABLE_TOKENS
        )
        usage = self.cache.account(body, minimum)
        output = sum(block_tokens(b) for b in reply.blocks)
        message = message_json(reply, usage, output)
        if not body.get("stream"):
            return httpx2.Response(200, json=message)
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=sse_events(message, self.pace_seconds),
        )
