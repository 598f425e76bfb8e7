"""Builds the Anthropic client: the real API with a key, the offline model without one; and
says what a failed call means to the customer (customer_message), in config's words.

Both are the same `anthropic.Anthropic` client; only the HTTP transport under it differs, so
streaming, tool use, retries and usage parsing run one code path in the demo and in production.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2

import config
import settings
from offline import OfflineModel

OFFLINE_BASE_URL = "http://offline.acme.invalid"


@dataclass(frozen=True)
class Connection:
    """A ready client and how the page should describe it."""

    client: anthropic.Anthropic
    offline: bool
    label: str


def cap_retry_after(response: httpx2.Response) -> None:
    """Turn a retry-after longer than the cap into "do not retry" (a response hook).

    The SDK sleeps for whatever retry-after asks, uncapped; a customer watching a spinner would
    rather hear "busy, try again shortly" than wait two minutes. Shorter waits pass untouched.
    A hook rather than a wrapping transport keeps httpx2's own transport, and with it the
    HTTPS_PROXY / NO_PROXY settings of the environment.
    """
    wait = retry_after_seconds(response.headers)
    if wait is not None and wait > settings.RETRY_AFTER_CAP_SECONDS:
        response.headers["x-should-retry"] = "false"


def retry_after_seconds(headers: httpx2.Headers) -> float | None:
    """The wait a response asks for, from retry-after-ms or retry-after (in seconds)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, ValueError):
            continue
    return None


def api_key() -> str:
    """The key from the environment (.env and secrets.toml feed it); blank counts as none."""
    return os.environ.get("ANTHROPIC_API_KEY", "").strip()


def connect(
    transport: httpx2.BaseTransport | None = None,
    force_offline: bool = False,
    observe: Callable[[httpx2.Request], None] | None = None,
    offline_pace: float | None = None,
) -> Connection:
    """The client for this process: offline without a key, with SUPPORT_MODE=offline, or when
    asked (the page does once the day's spend cap is reached). `observe` sees every request
    as it is sent (the evals check none carries a customer's card number); `offline_pace`
    overrides how fast the offline model streams (the evals do not wait for it)."""
    key = api_key()
    offline = force_offline or not key or settings.SUPPORT_MODE == "offline"
    if offline:
        transport = httpx2.MockTransport(OfflineModel(pace_seconds=offline_pace).handle)
        key, base_url, label = "offline", OFFLINE_BASE_URL, config.OFFLINE_BADGE
    else:
        base_url = os.environ.get("ANTHROPIC_BASE_URL", "").strip() or settings.DEFAULT_API_URL
        label = f"Claude · {config.MODEL}"
    http_options: dict[str, Any] = {"event_hooks": {"response": [cap_retry_after]}}
    if observe is not None:
        http_options["event_hooks"]["request"] = [observe]
    if transport is not None:
        http_options["transport"] = transport
    client = anthropic.Anthropic(
        api_key=key,
        base_url=base_url,
        max_retries=settings.MAX_RETRIES,
        timeout=settings.REQUEST_TIMEOUT_SECONDS,
        http_client=anthropic.DefaultHttpxClient(**http_options),
    )
    return Connection(client=client, offline=offline, label=label)


def customer_message(error: BaseException) -> str:
    """What to tell the customer about a failed call, by kind of failure."""
    if isinstance(error, anthropic.RateLimitError | anthropic.InternalServerError):
        return config.BUSY
    if isinstance(error, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return config.MISCONFIGURED
    if isinstance(error, anthropic.BadRequestError | anthropic.UnprocessableEntityError):
        return config.NOT_ACCEPTED
    if isinstance(error, anthropic.APIStatusError):
        return (
            config.BUSY
            if error.status_code in (408, 409, 429) or error.status_code >= 500
            else config.UNEXPECTED
        )
    # SDK versions differ in how they wrap a body cut off mid-stream (bare in 2.16, inside an
    # APIConnectionError from 2.17), so look through the whole cause chain for it.
    if any(isinstance(e, httpx2.RemoteProtocolError | httpx2.ReadError) for e in _causes(error)):
        return config.DROPPED
    if isinstance(error, anthropic.APIConnectionError | httpx2.TransportError):
        return config.UNAVAILABLE
    return config.UNEXPECTED


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, then what raised it (__cause__, else __context__), down the chain; each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
