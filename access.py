"""Who may use the page: sign-in (OIDC via st.login), a shared pilot passcode, or local mode.

The passcode check lives here, apart from the page, so its rules can be tested without a
browser: a constant-time compare, and a short lock-out after repeated failures from one place.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import settings

LOCAL = "local"
PASSCODE = "passcode"
OIDC = "oidc"


def client_from(forwarded: object, ip: object) -> str | None:
    """Where a browser is, for lock-outs: the address the pilot's proxy saw (the last
    X-Forwarded-For hop; a client can write any hops before it), else the socket's address,
    else None (localhost, a test harness)."""
    if isinstance(forwarded, str) and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return ip if isinstance(ip, str) and ip else None


def mode(has_auth_section: bool) -> str:
    """Sign-in when secrets configure it, else the passcode when one is set, else local."""
    if has_auth_section:
        return OIDC
    return PASSCODE if settings.PILOT_PASSCODE else LOCAL


@dataclass
class Gate:
    """Passcode attempts per client (an IP address, or a session when the IP is unknown).

    Shared by every session of the process, so opening a new tab does not reset a lock-out.
    """

    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked_for(self, client: str) -> float:
        """Seconds until `client` may try again (0 when it may try now)."""
        with self._lock:
            recent = self._recent(client)
            if len(recent) < settings.PASSCODE_MAX_FAILURES:
                return 0.0
            return max(0.0, recent[-1] + settings.PASSCODE_LOCKOUT_SECONDS - self.clock())

    def check(self, client: str, attempt: str) -> bool:
        """Whether `attempt` is the passcode; a failure counts towards the lock-out."""
        if self.locked_for(client):
            return False
        expected = settings.PILOT_PASSCODE.encode()
        if expected and hmac.compare_digest(attempt.encode(), expected):
            with self._lock:
                self._failures.pop(client, None)
            return True
        with self._lock:
            self._failures.setdefault(client, []).append(self.clock())
            self._failures[client] = self._recent(client)
        return False

    def _recent(self, client: str) -> list[float]:
        window = settings.PASSCODE_LOCKOUT_SECONDS
        now = self.clock()
        return [t for t in self._failures.get(client, []) if now - t < window]
