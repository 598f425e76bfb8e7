"""The entry: page config, secrets into the environment, the pilot's front door, then the
pages this person's roles may open (st.navigation, rebuilt on every run).

UI only, and short: what a page shows lives in ui/, and each staff page checks the role itself
(a page left out of the list is not served, but that is not the authorisation).
"""

from __future__ import annotations

import logging

import streamlit as st

import access
from ui.session import auth_configured, roles, signed_in_as, store

TURN_LOG_HANDLER = "acme-turns-stderr"
TITLE = "Eva · Acme Insurance"
# The staff pages (access.PAGES says who may open each): title and icon, at /<name>.
STAFF_PAGES = {
    "desk": ("Agent desk", "🧑‍💼"),
    "insights": ("Insights", "📊"),
    "lab": ("Prompt lab", "🧪"),
}

st.set_page_config(page_title=TITLE, page_icon="🛡️")
# Top-level keys of .streamlit/secrets.toml become environment variables (ANTHROPIC_API_KEY).
st.secrets.load_if_toml_exists()


def turn_log_to_stderr() -> None:
    """The JSON lines per turn (`acme.turns`) and per staff action (`acme.staff`) on the
    server's stderr: Streamlit configures only its own loggers, so without this handler the
    lines would go nowhere."""
    for name in ("acme.turns", "acme.staff"):
        logger = logging.getLogger(name)
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
    if how == access.LOCAL or st.session_state.get("role"):
        return True
    st.title("Eva · Acme Insurance pilot")
    # Lock-outs count per address. Clients without one (localhost, a test harness) share one
    # count: a reload or a new tab must not buy five more tries.
    client = client_address() or "unknown-address"
    with st.form("passcode"):
        attempt = st.text_input("Pilot passcode", type="password")
        entered = st.form_submit_button("Enter", type="primary")
    if entered:
        role = passcode_gate().check(client, attempt)
        if role:
            st.session_state.role = role
            st.rerun()
        wait = passcode_gate().locked_for(client)
        if wait:
            st.error(f"Too many wrong passcodes. Try again in {wait:.0f} seconds.")
        else:
            st.error("That passcode isn't right.")
    return False


def record_staff_sign_in(how: str) -> None:
    """A staff member's arrival, once per browser session, in the audit trail: who, as which
    role, how and from where (never a passcode). Local mode has no one to name."""
    staff = sorted(roles() & set(access.STAFF))
    if not staff or how == access.LOCAL or st.session_state.get("sign_in_recorded"):
        return
    st.session_state.sign_in_recorded = True
    who = signed_in_as() or f"passcode:{staff[0]}"
    where = {"via": how, "from": client_address() or "unknown-address"}
    store().record_action(who, who, "+".join(staff), "sign_in", None, where)


def client_address() -> str | None:
    """Where the browser is (access.client_from): Streamlit listens on 127.0.0.1 behind the
    pilot's proxy, which sets X-Forwarded-For to the address it saw."""
    return access.client_from(st.context.headers.get("X-Forwarded-For"), st.context.ip_address)


def pages(granted: frozenset[str]) -> list[st.Page]:
    """The chat for everyone, and each staff page whose role this person holds."""
    listed = [st.Page("ui/pages/chat.py", title="Chat", icon="💬", default=True)]
    for name, (title, icon) in STAFF_PAGES.items():
        if access.may_open(granted, name):
            listed.append(st.Page(f"ui/pages/{name}.py", title=title, icon=icon, url_path=name))
    return listed


turn_log_to_stderr()
listed = pages(roles())
page = st.navigation(listed, position="sidebar" if len(listed) > 1 else "hidden")
if not admitted():
    st.stop()
record_staff_sign_in(access.mode(auth_configured()))
page.run()
