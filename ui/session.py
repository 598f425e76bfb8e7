"""What every page of one browser session stands on: the shared resources (the client, the
store, the knowledge base), who is signed in, this session's conversation (start, resume from
the URL, save), its message rate and the day's spend.

Per-user data lives only in st.session_state, as plain data; module-level objects here are
shared by every user, so they are cached resources built from no one's input. Nothing is drawn
here beyond the knowledge base's own progress and problems.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import streamlit as st

import access
import events
import llm
import settings
from guardrails import semantic
from knowledge import KnowledgeBase, KnowledgeError
from store import Store

log = logging.getLogger(__name__)
# A staff page opened by someone whose role may not: said plainly, nothing of the page shown.
REFUSED = "This page is for Acme staff. Sign in with a staff account or passcode to open it."


@st.cache_resource(show_spinner=False)
def connection() -> llm.Connection:
    """One client per process: thread-safe, and never built from a per-user key."""
    return llm.connect()


@st.cache_resource(show_spinner=False)
def offline_connection() -> llm.Connection:
    """The offline model, for when the day's spend cap on Claude is reached."""
    return llm.connect(force_offline=True)


@st.cache_resource(show_spinner=False)
def store() -> Store:
    return Store()


@st.cache_resource(show_spinner=False)
def knowledge_base() -> KnowledgeBase:
    """One index per process, shared: searches only read, syncs take a lock."""
    return KnowledgeBase()


def knowledge() -> KnowledgeBase | None:
    """The knowledge base, caught up with kb/; a progress bar while anything is embedded.

    Runs on every rerun, so an article saved while the app runs is re-embedded (only its
    changed sections) before the next answer. Any problem (a broken article, an unreadable
    index) is named in the sidebar and Eva answers without passages until it is fixed.
    """
    try:
        kb = knowledge_base()
        if kb.stale():
            bar = None

            def progress(done: int, total: int) -> None:
                nonlocal bar
                bar = bar or st.progress(0.0)
                bar.progress(done / total, text=f"Indexing the help centre: {done} of {total}")

            # Another session may be indexing already: this one waits with a spinner.
            with st.spinner("Getting the help centre ready…"):
                kb.refresh(progress=progress)
            if bar is not None:
                bar.empty()
        return kb
    except KnowledgeError as problem:
        st.sidebar.error(f"Knowledge base problem: {problem}", icon="📚")
    except Exception:
        log.exception("knowledge base unavailable")
        st.sidebar.error(
            "The help centre index is unavailable; Eva answers without it. Details are in the "
            "server log.",
            icon="📚",
        )
    return None


def triggers_ready() -> None:
    """The meaning-based trigger check fitted once per process, after the page has drawn, so
    the first message does not wait for it: about a second, or ~15 s on a fresh machine where
    `make` could not embed its exemplars (guardrails.semantic keeps them in data/)."""
    if semantic.bundled.cache_info().currsize:
        return
    with st.spinner("Getting ready to read messages in five languages…"):
        semantic.bundled()


def auth_configured() -> bool:
    """An [auth] section in secrets turns on sign-in with st.login (OIDC)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def signed_in_as() -> str | None:
    if auth_configured() and st.user.is_logged_in:
        email = st.user.get("email")
        return email if isinstance(email, str) else None
    return None


def roles() -> frozenset[str]:
    """The roles of this browser session, worked out on the server on every run: from the
    sign-in (secrets' [roles] table), the passcode entered, or local mode (every role). Never
    from the URL or the query string."""
    how = access.mode(auth_configured())
    if how == access.LOCAL:
        return frozenset(access.ROLES)
    if how == access.OIDC:
        if not st.user.is_logged_in:
            return frozenset()
        table = st.secrets.get("roles", {})
        return access.roles_for(signed_in_as(), table if isinstance(table, Mapping) else {})
    role = st.session_state.get("role")
    return frozenset({role}) if role in access.ROLES else frozenset()


def who_line() -> str:
    """Who is here, for the sidebar of every page; local mode says every page is open."""
    how = access.mode(auth_configured())
    if how == access.LOCAL:
        return (
            "🏠 Local mode: no sign-in, so every page is open (set PILOT_PASSCODE, "
            "STAFF_PASSCODES or [auth] for a pilot)."
        )
    staff = sorted(roles() & set(access.STAFF))
    as_staff = f" ({', '.join(staff)})" if staff else ""
    who = signed_in_as()
    if who:
        return f"Signed in as {who}{as_staff}"
    return f"🔑 Pilot: {staff[0] if staff else 'customer'} passcode accepted."


def require(page: str) -> None:
    """Stop here unless this session may open `page`: every staff page calls it first, so a
    page reached by URL, a stale tab or a crafted link is refused on the server."""
    if not access.may_open(roles(), page):
        st.error(REFUSED)
        st.stop()


def spent_today() -> float:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return store().spend_since(midnight)


def answering_connection() -> tuple[llm.Connection, bool]:
    """The client that answers now, and whether the day's spend cap has put the offline model
    in Claude's place until midnight UTC (the page badges it)."""
    conn = connection()
    if not conn.offline and spent_today() >= settings.DAILY_SPEND_CAP_USD:
        return offline_connection(), True
    return conn, False


def within_rate_limit() -> bool:
    """Whether this session may send another message now (a sliding window)."""
    now = time.monotonic()
    recent = [
        t
        for t in st.session_state.get("sent_at", [])
        if now - t < settings.RATE_LIMIT_WINDOW_SECONDS
    ]
    if len(recent) >= settings.RATE_LIMIT_MESSAGES:
        st.session_state.sent_at = recent
        return False
    st.session_state.sent_at = [*recent, now]
    return True


def fresh_conversation() -> None:
    """Start over: a new id, empty history, zeroed usage."""
    state = st.session_state
    state.history = []
    state.display = []
    state.facts = {"conversation_id": uuid.uuid4().hex}
    state.usage = events.Usage().totals()
    state.failed = None
    # The id rides in the URL, so a reload or a dropped connection comes back to it.
    st.query_params["c"] = state.facts["conversation_id"]


def resume_or_start() -> None:
    """The conversation named in the URL, if it is this person's; otherwise a fresh one.

    The id is random (128 bits). With sign-in, only the signed-in owner gets it back; anyone
    else, or an unknown id, starts afresh and never sees someone else's conversation.
    """
    wanted = st.query_params.get("c")
    saved = store().load_state(wanted, signed_in_as()) if wanted else None
    if not saved:
        fresh_conversation()
        return
    state = st.session_state
    state.history, state.display = saved["history"], saved["display"]
    state.facts, state.usage = saved["facts"], saved["usage"]
    state.failed = None


def save_conversation() -> None:
    """What a reload needs, after each finished turn (masked; a failure costs only resuming)."""
    state = st.session_state
    try:
        store().save_state(
            state.facts["conversation_id"],
            signed_in_as(),
            {
                "history": state.history,
                "display": state.display,
                "facts": state.facts,
                "usage": state.usage,
            },
        )
    except Exception:
        log.exception("could not save the conversation for resuming")
