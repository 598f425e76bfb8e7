"""The entry: page config, secrets into the environment, the pilot's front door, then the page.

UI only, and short: what a page shows lives in ui/, and st.navigation picks the page on every
run (one page for now, its navigation hidden).
"""

from __future__ import annotations

import logging

import streamlit as st

import access
from ui import chat
from ui.session import auth_configured

TURN_LOG_HANDLER = "acme-turns-stderr"
TITLE = "Eva · Acme Insurance"

st.set_page_config(page_title=TITLE, page_icon="🛡️")
# Top-level keys of .streamlit/secrets.toml become environment variables (ANTHROPIC_API_KEY).
st.secrets.load_if_toml_exists()


def turn_log_to_stderr() -> None:
    """The one JSON line per turn (`acme.turns`) on the server's stderr: Streamlit configures
    only its own loggers, so without this handler the line would go nowhere."""
    logger = logging.getLogger("acme.turns")
    if not any(handler.get_name() == TURN_LOG_HANDLER for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.set_name(TURN_LOG_HANDLER)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


@st.cache_resource(show_spinner=False)
def passcode_gate() -> access.Gate:
    """Shared by every session, so a new tab does not reset a lock-out."""
    return access.Gate()


def admitted() -> bool:
    """The pilot's front door: sign-in, the passcode, or local mode (badged in the sidebar)."""
    how = access.mode(auth_configured())
    if how == access.OIDC:
        if st.user.is_logged_in:
            return True
        st.title(TITLE)
        st.button("Sign in", on_click=st.login, type="primary")
        return False
    if how == access.LOCAL or st.session_state.get("admitted"):
        return True
    st.title("Eva · Acme Insurance pilot")
    # Lock-outs count per address. Clients without one (localhost, a test harness) share one
    # count: a reload or a new tab must not buy five more tries.
    client = client_address() or "unknown-address"
    with st.form("passcode"):
        attempt = st.text_input("Pilot passcode", type="password")
        entered = st.form_submit_button("Enter", type="primary")
    if entered:
        if passcode_gate().check(client, attempt):
            st.session_state.admitted = True
            st.rerun()
        wait = passcode_gate().locked_for(client)
        if wait:
            st.error(f"Too many wrong passcodes. Try again in {wait:.0f} seconds.")
        else:
            st.error("That passcode isn't right.")
    return False


def client_address() -> str | None:
    """Where the browser is (access.client_from): Streamlit listens on 127.0.0.1 behind the
    pilot's proxy, which sets X-Forwarded-For to the address it saw."""
    return access.client_from(st.context.headers.get("X-Forwarded-For"), st.context.ip_address)


turn_log_to_stderr()
# One page for now (the staff panels are in its sidebar), so no navigation is shown.
page = st.navigation([st.Page(chat.render, title=TITLE, default=True)], position="hidden")
if not admitted():
    st.stop()
page.run()
