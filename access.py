"""Who may use the page and what they may see: sign-in (OIDC via st.login), passcodes, or
local mode, and the roles each one grants.

Roles: customer (the chat), agent (the desk), lead (the desk and insights), author (the Prompt
lab). With passcodes, PILOT_PASSCODE admits customers and STAFF_PASSCODES (role:passcode pairs)
admits staff; with sign-in, a [roles] table in secrets maps emails or whole domains to roles;
local mode (nothing configured) grants every role. The rules live here, apart from the page, so
they can be tested without a browser: constant-time compares, a short lock-out after repeated
failures from one place, and which role may open which page (may_open), which every staff page
checks itself.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import settings

log = logging.getLogger(__name__)

LOCAL = "local"
PASSCODE = "passcode"
OIDC = "oidc"

CUSTOMER = "customer"
AGENT = "agent"
LEAD = "lead"
AUTHOR = "author"
ROLES = (CUSTOMER, AGENT, LEAD, AUTHOR)
STAFF = (AGENT, LEAD, AUTHOR)
# The staff pages and who may open them (everyone may open the chat). A lead works the queue
# too; nobody else sees another customer's conversation.
PAGES: dict[str, frozenset[str]] = {
    "desk": frozenset({AGENT, LEAD}),
    "insights": frozenset({LEAD}),
    "lab": frozenset({AUTHOR}),
}


def may_open(roles: frozenset[str], page: str) -> bool:
    """Whether someone holding `roles` may see `page` ("chat" is everyone's)."""
    return page == "chat" or bool(roles & PAGES.get(page, frozenset()))


def staff_passcodes(configured: str) -> dict[str, str]:
    """STAFF_PASSCODES ("agent:…,lead:…") as {passcode: role}; pairs naming no known staff
    role, or no passcode, are ignored (and named in the server log, never the passcode)."""
    found: dict[str, str] = {}
    for pair in configured.split(","):
        role, _, passcode = pair.strip().partition(":")
        role, passcode = role.strip().lower(), passcode.strip()
        if role in STAFF and passcode:
            found[passcode] = role
        elif pair.strip():
            log.warning("STAFF_PASSCODES: ignored an entry for role %r", role[:20])
    return found


def roles_for(email: str | None, table: Mapping[str, object]) -> frozenset[str]:
    """The roles of a signed-in email from secrets' [roles] table: each role lists emails or
    domains ("acme.example" matches anyone@acme.example). Everyone is a customer too."""
    if not email or "@" not in email:
        return frozenset({CUSTOMER})
    address = email.strip().casefold()
    domain = address.rsplit("@", 1)[1]
    granted = {CUSTOMER}
    for role, members in table.items():
        names = [members] if isinstance(members, str) else members
        if role in STAFF and isinstance(names, list | tuple):
            listed = {str(name).strip().casefold().lstrip("@") for name in names}
            if address in listed or domain in listed:
                granted.add(role)
    return frozenset(granted)


def client_from(forwarded: object, ip: object) -> str | None:
    """Where a browser is, for lock-outs: the address the pilot's proxy saw (the last
    X-Forwarded-For hop; a client can write any hops before it), else the socket's address,
    else None (localhost, a test harness)."""
    if isinstance(forwarded, str) and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return ip if isinstance(ip, str) and ip else None


def mode(has_auth_section: bool) -> str:
    """Sign-in when secrets configure it, else passcodes when one is set, else local."""
    if has_auth_section:
        return OIDC
    return PASSCODE if settings.PILOT_PASSCODE or settings.STAFF_PASSCODES else LOCAL


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

    def check(self, client: str, attempt: str) -> str | None:
        """The role `attempt` admits (a staff passcode's role, or customer for the pilot
        passcode), or None; a failure counts towards the lock-out."""
        if self.locked_for(client):
            return None
        role = _role_of(attempt)
        if role is not None:
            with self._lock:
                self._failures.pop(client, None)
            return role
        with self._lock:
            self._failures.setdefault(client, []).append(self.clock())
            self._failures[client] = self._recent(client)
        return None

    def _recent(self, client: str) -> list[float]:
        window = settings.PASSCODE_LOCKOUT_SECONDS
        now = self.clock()
        return [t for t in self._failures.get(client, []) if now - t < window]


def _role_of(attempt: str) -> str | None:
    """Which configured passcode `attempt` is, compared in constant time against every one."""
    given = attempt.encode()
    role = None
    choices = [*staff_passcodes(settings.STAFF_PASSCODES).items()]
    if settings.PILOT_PASSCODE:
        choices.append((settings.PILOT_PASSCODE, CUSTOMER))
    for passcode, granted in choices:
        if hmac.compare_digest(given, passcode.encode()) and role is None:
            role = granted
    return role if attempt else None
