"""The Prompt lab page (/lab, prompt authors): the composed
system prompt, its size and cache eligibility, what changed in config.py since this session
began, and a quick eval of the change without a terminal.

Reads config.py and the composed prompt, never writes them. The eval tooling (evals/) is
development tooling: it is imported only when the quick eval's button is pressed, so the
customer's page loads none of it.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

import access
import config
import llm
import request
import settings
from knowledge import KnowledgeBase
from ui.session import auth_configured, connection, require, who_line

CONFIG_FILE = Path(config.__file__)
# The quick eval runs the scenarios and simulated-customer tasks carrying this tag.
QUICK_TAG = "quick"


@st.cache_data(show_spinner=False, ttl=600)
def prompt_tokens(prompt: str, model: str) -> int | None:
    """The system prompt's size as the API counts it (the offline model estimates)."""
    try:
        counted = connection().client.messages.count_tokens(
            model=model,
            system=prompt,
            messages=[{"role": "user", "content": "Hello"}],
        )
    except Exception:
        return None
    return counted.input_tokens


def render(conn: llm.Connection, kb: KnowledgeBase | None) -> None:
    """For prompt authors: the composed prompt, its size and cache eligibility, what changed in
    config.py since this session began, and a quick eval of the change without a terminal."""
    require("lab")
    st.sidebar.caption(who_line())
    st.title("Prompt lab")
    prompt = request.system_prompt()
    tokens = prompt_tokens(prompt, config.MODEL)
    minimum = settings.MIN_CACHEABLE_TOKENS.get(config.MODEL, settings.DEFAULT_MIN_CACHEABLE_TOKENS)
    source = CONFIG_FILE.read_text(encoding="utf-8")
    started = st.session_state.setdefault("config_at_start", source)
    with st.container():
        quick_eval(conn, kb)
        changes = "".join(
            difflib.unified_diff(
                started.splitlines(keepends=True),
                source.splitlines(keepends=True),
                "config.py (session start)",
                "config.py (now)",
                n=1,
            )
        )
        st.markdown("**Changes to config.py since this session started**")
        if changes:
            st.code(changes, language="diff")
        else:
            st.caption("None yet: edit and save config.py, and the next message uses it.")
        if tokens is None:
            st.caption("Token count unavailable right now.")
        else:
            verdict = "cacheable" if tokens >= minimum else "too short to cache"
            st.markdown(
                f"**{tokens:,} tokens** (with tools excluded) — {verdict}: "
                f"{config.MODEL} caches prefixes of {minimum:,}+ tokens."
            )
        st.caption(
            f"Model `{config.MODEL}`, effort `{config.EFFORT}`, thinking `{config.THINKING_MODE}`"
        )
        st.code(prompt, language="markdown", wrap_lines=True)


def quick_eval(conn: llm.Connection, kb: KnowledgeBase | None) -> None:
    """The scenarios and tasks tagged `quick`, on the model this page uses; pass or fail, whose
    fault, and why.

    The suite is read only when the button is pressed: never on an ordinary rerun."""
    # On the shared pilot a click would spend the pilot's budget outside the spend cap: there
    # the quick eval runs on the offline model; with a key, live runs are for local use.
    live = not conn.offline and access.mode(auth_configured()) == access.LOCAL
    mode = f"Claude ({config.MODEL})" if live else "offline model"
    if not conn.offline and not live:
        st.caption("On the pilot the quick eval uses the offline model, outside the budget.")
    if st.button(f"Run quick eval ({mode})", width="stretch"):
        # Development tooling: loaded when a prompt author asks for it, never on the chat page.
        from evals import runner, suite

        try:
            cases = runner.selected(suite.load_all(), [QUICK_TAG])
        except suite.ScenarioError as problem:
            st.error(f"Scenario file problem: {problem}")
            return
        tasks = sum(case.kind == "task" for case in cases)
        with st.spinner(
            f"Running {len(cases) - tasks} quick scenarios and {tasks} simulated customers…"
        ):
            options = runner.Settings(live=live, concurrency=4 if live else 1)
            results = runner.run(cases, kb, options)
        st.session_state.lab_results = {
            "when": datetime.now(UTC).strftime("%H:%M:%S UTC"),
            "rows": [
                {
                    "case": r.id,
                    "kind": r.kind,
                    "result": "✅ pass" if r.passed else f"❌ fail ({r.fault})",
                    "reason": "; ".join(r.failures),
                }
                for r in results
            ],
        }
    last = st.session_state.get("lab_results")
    if last:
        failed = sum(row["result"].startswith("❌") for row in last["rows"])
        passed = len(last["rows"]) - failed
        st.markdown(f"**Quick eval at {last['when']}:** {passed} passed, {failed} failed")
        st.dataframe(last["rows"], hide_index=True, width="stretch")
