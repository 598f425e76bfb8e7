"""The page: history, input, streaming replies, tool cards, handoff banners and the sidebar.

UI only. Per-user state lives in st.session_state as plain data (so a reload of our modules
on save never meets stale classes); the client and the store are shared, thread-safe resources.
"""

from __future__ import annotations

import difflib
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import streamlit as st

import access
import chatbot
import config
import llm
import request
import settings
import tools
from knowledge import KnowledgeBase, KnowledgeError
from review import reviewer_for
from store import Store

if TYPE_CHECKING:
    from events import Source

AVATARS = {"user": "🙂", "assistant": "🛡️"}
FOLD_HELP = (
    "Each request stays under the token budget (ACME_TOKEN_BUDGET). The whole conversation "
    "is still on this page and in the transcript download."
)
INSIGHT_DAYS = 30
TURN_LOG_HANDLER = "acme-turns-stderr"
CONFIG_FILE = Path(config.__file__)
# The Prompt lab's quick eval runs the scenarios carrying this tag.
QUICK_TAG = "quick"
log = logging.getLogger(__name__)

st.set_page_config(page_title="Eva · Acme Insurance", page_icon="🛡️")
# Top-level keys of .streamlit/secrets.toml become environment variables (ANTHROPIC_API_KEY).
st.secrets.load_if_toml_exists()


@st.cache_resource(show_spinner=False)
def connection() -> llm.Connection:
    """One client per process: thread-safe, and never built from a per-user key."""
    return llm.connect()


@st.cache_resource(show_spinner=False)
def offline_connection() -> llm.Connection:
    """The offline model, for when the day's spend cap on Claude is reached."""
    return llm.connect(force_offline=True)


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
def store() -> Store:
    return Store()


@st.cache_resource(show_spinner=False)
def passcode_gate() -> access.Gate:
    """Shared by every session, so a new tab does not reset a lock-out."""
    return access.Gate()


def auth_configured() -> bool:
    """An [auth] section in secrets turns on sign-in with st.login (OIDC)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def admitted() -> bool:
    """The pilot's front door: sign-in, the passcode, or local mode (badged in the sidebar)."""
    how = access.mode(auth_configured())
    if how == access.OIDC:
        if st.user.is_logged_in:
            return True
        st.title("Eva · Acme Insurance")
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


def signed_in_as() -> str | None:
    if auth_configured() and st.user.is_logged_in:
        email = st.user.get("email")
        return email if isinstance(email, str) else None
    return None


def spent_today() -> float:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return store().spend_since(midnight)


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


def fresh_conversation() -> None:
    """Start over: a new id, empty history, zeroed usage."""
    state = st.session_state
    state.history = []
    state.display = []
    state.facts = {"conversation_id": uuid.uuid4().hex}
    state.usage = chatbot.Usage().totals()
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


def queue(text: str) -> None:
    """A button's question, sent as if typed (used by starters and Retry)."""
    st.session_state.pending = text
    st.session_state.failed = None
    # The failed text was put back in the input box; once resent it must not linger there.
    st.session_state.chat_input = ""


# ---------------------------------------------------------------------------------------------
# Rendering.
# ---------------------------------------------------------------------------------------------


def tool_card(tool: dict[str, Any]) -> None:
    """A finished tool call: what was asked, with what, and how it went."""
    label = tools.label(tool["name"])
    state: Literal["error", "complete"] = "error" if tool["is_error"] else "complete"
    with st.status(f"{label} — {tool['summary']}", state=state, expanded=False):
        st.caption(f"Tool `{tool['name']}`")
        st.code(json.dumps(tool["input"], indent=2), language="json")


def handoff_banner(handoff: dict[str, Any]) -> None:
    """Who has the conversation now, the reference to quote, and what happens next."""
    next_steps = handoff.get("next_steps") or "A person will pick this conversation up."
    st.info(
        f"**Handed over to a colleague — reference {handoff['reference']}.** {next_steps} "
        "You can keep chatting with Eva meanwhile; quote the reference if you call us.",
        icon="🧑‍💼",
    )


def sources_list(sources: list[Source]) -> None:
    """Every help-centre section the answer cites: title, section and the start of the text."""
    with st.expander(f"Sources ({len(sources)})", icon="📚"):
        for source in sources:
            st.markdown(f"**{source['title']}** — {source['section']}")
            st.caption(source["snippet"])


def rate_answer(turn_id: int) -> None:
    """Keep a thumbs rating (st.feedback: 0 down, 1 up) for one answer."""
    score = st.session_state.get(f"thumbs-{turn_id}")
    if score is not None:
        conversation = st.session_state.facts["conversation_id"]
        store().add_feedback(conversation, "thumbs", score, turn_id=turn_id)


def comment_answer(turn_id: int) -> None:
    """Add the optional comment to the answer's rating."""
    score = st.session_state.get(f"thumbs-{turn_id}")
    comment = st.session_state.get(f"comment-{turn_id}", "").strip()
    if score is not None and comment:
        store().add_feedback(
            st.session_state.facts["conversation_id"],
            "thumbs",
            score,
            turn_id=turn_id,
            comment=comment,
        )
        st.session_state[f"commented-{turn_id}"] = True


def feedback_row(turn_id: int) -> None:
    """Thumbs under an answer; after a rating, one optional line of comment."""
    st.feedback("thumbs", key=f"thumbs-{turn_id}", on_change=rate_answer, args=(turn_id,))
    if st.session_state.get(f"commented-{turn_id}"):
        st.caption("Thanks for the feedback.")
    elif st.session_state.get(f"thumbs-{turn_id}") is not None:
        st.text_input(
            "Anything to add? (optional)",
            key=f"comment-{turn_id}",
            on_change=comment_answer,
            args=(turn_id,),
            placeholder="What was good or missing? Press Enter to send.",
        )


def render_entry(entry: dict[str, Any]) -> None:
    """One committed message: its text and tool cards in the order they happened."""
    if entry.get("folded"):
        st.caption(entry["folded"], help=FOLD_HELP)
    for segment in entry.get("segments", []):
        if segment["kind"] == "text":
            st.markdown(segment["text"])
        else:
            tool_card(segment)
    if entry.get("privacy"):
        st.info(entry["privacy"], icon="🔒")
    if entry.get("notice"):
        st.caption(entry["notice"])
    if entry.get("sources"):
        sources_list(entry["sources"])
    if entry.get("handoff"):
        handoff_banner(entry["handoff"])
    if entry.get("turn_id") is not None:
        feedback_row(entry["turn_id"])


def sidebar(conn: llm.Connection) -> None:
    usage = st.session_state.usage
    with st.sidebar:
        st.subheader("Eva · Acme Insurance")
        if conn.offline:
            st.markdown(f":orange-background[🔌 {conn.label}]")
        else:
            st.markdown(f":green-background[✨ {conn.label}]")
        who = signed_in_as()
        if who:
            st.caption(f"Signed in as {who}")
        elif access.mode(auth_configured()) == access.LOCAL:
            st.caption("🏠 Local mode: no sign-in (set PILOT_PASSCODE or [auth] for a pilot).")
        else:
            st.caption("🔑 Pilot: passcode accepted.")
        st.button("New conversation", on_click=fresh_conversation, width="stretch")
        if st.session_state.display:
            conversation_end()
        st.divider()
        total_input = usage["input"] + usage["cache_write"] + usage["cache_read"]
        share = usage["cache_read"] / total_input if total_input else 0.0
        cost = "n/a (no price in config)" if usage["cost"] is None else f"${usage['cost']:.4f}"
        st.markdown(
            "| This conversation | |\n| --- | ---: |\n"
            f"| Input tokens | {total_input:,} |\n"
            f"| Output tokens | {usage['output']:,} |\n"
            f"| Read from cache | {share:.0%} |\n"
            f"| Estimated cost | {cost} |"
        )
        if conn.offline:
            st.caption("Offline: token counts are estimates and nothing is billed.")
        agent_desk()
        insights_panel()


def rate_conversation() -> None:
    stars = st.session_state.get("satisfaction")
    if stars is not None:
        store().add_feedback(st.session_state.facts["conversation_id"], "satisfaction", stars + 1)


def conversation_end() -> None:
    """The one-question rating, and the transcript to keep (masked, as shown)."""
    st.caption("How did Eva do in this conversation?")
    st.feedback("stars", key="satisfaction", on_change=rate_conversation)
    entries = st.session_state.display
    name = f"acme-conversation-{st.session_state.facts['conversation_id'][:8]}"
    st.caption("Keep the transcript (masked, as shown):")
    left, right = st.columns(2)
    left.download_button(
        "Markdown",
        transcript_markdown(entries),
        file_name=f"{name}.md",
        mime="text/markdown",
        width="stretch",
    )
    right.download_button(
        "JSON",
        json.dumps(
            {
                "conversation_id": st.session_state.facts["conversation_id"],
                "language": st.session_state.facts.get("language", "en"),
                "messages": entries,
            },
            ensure_ascii=False,
            indent=2,
        ),
        file_name=f"{name}.json",
        mime="application/json",
        width="stretch",
    )


def transcript_markdown(entries: list[dict[str, Any]]) -> str:
    """The conversation as a person reads it: who said what, tool steps, sources, handoffs."""
    lines = ["# Conversation with Eva, Acme Insurance", ""]
    for entry in entries:
        lines.append("**You:**" if entry["role"] == "user" else "**Eva:**")
        for segment in entry.get("segments", []):
            if segment["kind"] == "text":
                lines.append(segment["text"])
            else:
                lines.append(f"> {tools.label(segment['name'])} — {segment['summary']}")
        for source in entry.get("sources") or []:
            lines.append(f"- Source: {source['title']} — {source['section']}")
        if entry.get("handoff"):
            reference = entry["handoff"]["reference"]
            lines.append(f"> Handed over to a colleague — reference {reference}")
        lines.append("")
    return "\n".join(lines)


def resolve(reference: str) -> None:
    """The desk's button: the handoff closed (the store's answer is not needed here)."""
    store().resolve_handoff(reference)


def agent_desk() -> None:
    """The human team's queue: open handoffs, most urgent first, each with one-click resolve."""
    queue = store().handoffs(status="open")
    with st.expander(f"Agent desk ({len(queue)} open)", icon="🧑‍💼"):
        if not queue:
            st.caption("No open handoffs.")
        for handoff in queue:
            st.markdown(
                f"**{handoff['reference']}** · {handoff['priority']} · "
                f"{handoff['created_at'][:16].replace('T', ' ')} UTC"
            )
            details = [handoff.get("trigger") or "", handoff.get("language") or ""]
            if handoff.get("policy_number"):
                details.append(f"verified {handoff['policy_number']}")
            st.caption(f"{handoff['reason']} · {' · '.join(d for d in details if d)}")
            st.text(handoff["summary"])
            st.text_area(
                "Draft reply (edit before sending)",
                handoff.get("draft") or "",
                key=f"draft-{handoff['reference']}",
                height=120,
            )
            if handoff.get("transcript"):
                with st.popover("Transcript (masked)"):
                    for line in handoff["transcript"]:
                        st.markdown(f"**{line['role']}:** {line['text']}")
            st.button(
                "Mark resolved",
                key=f"resolve-{handoff['reference']}",
                on_click=resolve,
                args=(handoff["reference"],),
            )


def insights_panel() -> None:
    """The pilot's numbers for the last 30 days, from the database (no conversation text)."""
    since = datetime.now(UTC) - timedelta(days=INSIGHT_DAYS)
    numbers = store().insights(since)
    with st.expander("Insights (30 days)", icon="📊"):
        if not numbers["conversations"]:
            st.caption("No conversations recorded yet.")
            return

        def share(value: float | None) -> str:
            return "–" if value is None else f"{value:.0%}"

        cost = numbers["cost_per_conversation"]
        p50, p95 = numbers["latency_p50_ms"], numbers["latency_p95_ms"]
        st.markdown(
            "| | |\n| --- | ---: |\n"
            f"| Conversations | {numbers['conversations']:,} ({numbers['turns']:,} turns) |\n"
            f"| Resolved without a person | {share(numbers['deflection'])} |\n"
            f"| Thumbs up | {share(numbers['thumbs_up_rate'])} of {numbers['ratings']} |\n"
            f"| Cost per conversation | {'–' if cost is None else f'${cost:.4f}'} |\n"
            f"| Input read from cache | {share(numbers['cache_read_share'])} |\n"
            f"| Reply time p50 / p95 | {p50 or '–'} / {p95 or '–'} ms |"
        )
        st.caption("Conversations per day")
        st.bar_chart(
            {"day": list(numbers["per_day"]), "conversations": list(numbers["per_day"].values())},
            x="day",
            y="conversations",
            x_label="",
            y_label="",
            height=200,
        )
        if numbers["escalation_by_trigger"]:
            st.caption("Handed to a person, by reason (share of conversations)")
            st.bar_chart(
                {
                    "reason": list(numbers["escalation_by_trigger"]),
                    "share": list(numbers["escalation_by_trigger"].values()),
                },
                x="reason",
                y="share",
                x_label="",
                y_label="",
                height=180,
                horizontal=True,
            )


def prompt_lab(conn: llm.Connection, kb: KnowledgeBase | None) -> None:
    """For prompt authors: the composed prompt, its size and cache eligibility, what changed in
    config.py since this session began, and a quick eval of the change without a terminal."""
    prompt = request.system_prompt()
    tokens = prompt_tokens(prompt, config.MODEL)
    minimum = settings.MIN_CACHEABLE_TOKENS.get(config.MODEL, settings.DEFAULT_MIN_CACHEABLE_TOKENS)
    source = CONFIG_FILE.read_text(encoding="utf-8")
    started = st.session_state.setdefault("config_at_start", source)
    with st.expander("Prompt lab", icon="🧪"):
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
    """The scenarios tagged `quick`, on the model this page uses; pass or fail with the reason.

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
            scenarios = runner.selected(suite.load(), [QUICK_TAG])
        except suite.ScenarioError as problem:
            st.error(f"Scenario file problem: {problem}")
            return
        with st.spinner(f"Running {len(scenarios)} quick scenarios…"):
            settings = runner.Settings(live=live, concurrency=4 if live else 1)
            results = runner.run(scenarios, kb, settings)
        st.session_state.lab_results = {
            "when": datetime.now(UTC).strftime("%H:%M:%S UTC"),
            "rows": [
                {
                    "scenario": r.id,
                    "result": "✅ pass" if r.passed else "❌ fail",
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


# ---------------------------------------------------------------------------------------------
# One turn, streamed.
# ---------------------------------------------------------------------------------------------


def stream_turn(bot: chatbot.ChatBot, text: str) -> None:
    """Show the reply as it streams, then commit the whole turn at once (or nothing)."""
    state = st.session_state
    with st.chat_message("user", avatar=AVATARS["user"]):
        said = st.empty()
        said.markdown(text)
        privacy = st.empty()
    shown, privacy_notice = text, ""
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        segments: list[dict[str, Any]] = []
        status_line = st.empty()
        box = None
        boxes: list[Any] = []
        handoff = None
        folded = ""
        for event in bot.respond(state.history, text, state.facts):
            if isinstance(event, chatbot.Masked):
                shown, privacy_notice = event.text, event.notice
                said.markdown(shown)
                if privacy_notice:
                    privacy.info(privacy_notice, icon="🔒")
            elif isinstance(event, chatbot.TextDelta):
                if box is None:
                    segments.append({"kind": "text", "text": ""})
                    box = st.empty()
                    boxes.append(box)
                segments[-1]["text"] += event.text
                box.markdown(segments[-1]["text"] + "▌")
                status_line.empty()
            elif isinstance(event, chatbot.Folded):
                folded = event.notice
                st.caption(folded, help=FOLD_HELP)
            elif isinstance(event, chatbot.Thinking):
                status_line.caption("Eva is thinking…")
            elif isinstance(event, chatbot.ToolStarted):
                if box is not None:
                    box.markdown(segments[-1]["text"])
                box = None
                label = tools.label(event.name)
                status_line.caption(f"{label}…")
            elif isinstance(event, chatbot.ToolFinished):
                # A card opened by code comes with no ToolStarted: close the text above it.
                if box is not None:
                    box.markdown(segments[-1]["text"])
                box = None
                status_line.empty()
                card = {
                    "kind": "tool",
                    "name": event.name,
                    "input": event.input,
                    "is_error": event.is_error,
                    "summary": event.summary,
                }
                segments.append(card)
                tool_card(card)
            elif isinstance(event, chatbot.Handoff):
                handoff = {
                    "reference": event.reference,
                    "reason": event.reason,
                    "next_steps": event.next_steps,
                }
            elif isinstance(event, chatbot.Withdrawn):
                # A draft scored too low to send is taken back; only the handoff line stays.
                for shown_box in boxes:
                    shown_box.empty()
                segments = [s for s in segments if s["kind"] != "text"]
                segments.append({"kind": "text", "text": event.text})
                box = st.empty()
                boxes.append(box)
                box.markdown(event.text)
            elif isinstance(event, chatbot.Sources):
                if box is not None:
                    box.markdown(segments[-1]["text"])
                sources_list(event.items)
            elif isinstance(event, chatbot.TurnError):
                state.failed = {"text": text, "shown": shown, "message": event.message}
                state.prefill = text
                st.rerun()
            elif isinstance(event, chatbot.TurnDone):
                commit(shown, event, segments, handoff, privacy_notice, folded)
                st.rerun()


def commit(
    text: str,
    done: chatbot.TurnDone,
    segments: list[dict[str, Any]],
    handoff: dict | None,
    privacy_notice: str = "",
    folded: str = "",
) -> None:
    """Append the finished turn to history and display in one step."""
    state = st.session_state
    if done.stop_reason == "refusal":
        segments = []
    # Everything is computed first and assigned last, so nothing can half-apply.
    history = done.history(state.history)
    display = [
        *state.display,
        {"role": "user", "segments": [{"kind": "text", "text": text}], "privacy": privacy_notice},
        {
            "role": "assistant",
            "segments": segments,
            "notice": done.notice,
            "handoff": handoff,
            "sources": done.sources,
            "turn_id": done.turn_id,
            "folded": folded,
        },
    ]
    new_totals = (chatbot.Usage.from_totals(state.usage) + done.usage).totals()
    state.history, state.display, state.facts, state.usage = (
        history,
        display,
        done.facts,
        new_totals,
    )
    save_conversation()


RATE_LIMITED = (
    "That's a lot of messages in a short time. Please wait a moment, then send it again: "
    "your text is still in the box, or use *Send again*."
)


def failed_turn() -> None:
    """The customer's unsent text, a calm explanation and one-click retry."""
    failed = st.session_state.failed
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(failed.get("shown", failed["text"]))
        st.caption("Not sent")
    limited = failed["message"] == RATE_LIMITED
    st.warning(failed["message"], icon="⏳" if limited else "⚠️")
    label = "Send again" if limited else "Retry"
    st.button(label, on_click=queue, args=(failed["text"],), type="primary", key="retry")


# ---------------------------------------------------------------------------------------------
# The page.
# ---------------------------------------------------------------------------------------------

turn_log_to_stderr()
if not admitted():
    st.stop()
if "history" not in st.session_state:
    resume_or_start()
if "prefill" in st.session_state:
    # A failed message goes back into the input box, ready to send again.
    st.session_state.chat_input = st.session_state.pop("prefill")

conn = connection()
# Past the day's budget, Claude rests and the offline model answers (badged as such).
capped = not conn.offline and spent_today() >= settings.DAILY_SPEND_CAP_USD
if capped:
    conn = offline_connection()
# The whole page shows before the knowledge base has loaded its models (a second or two on a
# cold start); it is needed only to answer, and a message sent meanwhile waits for it.
st.title("Hi, I'm Eva 👋")
st.caption("Acme Insurance's assistant for car, electric car and two-wheeler insurance.")
if capped:
    st.info(
        "Today's budget for Claude has been used, so the offline demo model is answering "
        "until midnight UTC.",
        icon="💤",
    )
sidebar(conn)

prompt = st.chat_input(
    "Ask about coverage, a quote, your policy or a claim…",
    key="chat_input",
    submit_mode="disable",
    max_chars=settings.MAX_MESSAGE_CHARS,
)
prompt = (prompt or st.session_state.pop("pending", None) or "").strip()
if prompt and not within_rate_limit():
    st.session_state.prefill = prompt
    # Shown where the customer is looking (under the conversation), with the text and a button
    # to send it again: the box keeps it too, but a browser may clear it on a second refusal.
    st.session_state.failed = {"text": prompt, "shown": prompt, "message": RATE_LIMITED}
    st.rerun()

for entry in st.session_state.display:
    with st.chat_message(entry["role"], avatar=AVATARS[entry["role"]]):
        render_entry(entry)

if prompt:
    st.session_state.failed = None
    reviewer = reviewer_for(conn.client, conn.offline)
    stream_turn(chatbot.ChatBot(conn.client, store(), knowledge(), reviewer), prompt)
elif st.session_state.failed:
    failed_turn()
elif not st.session_state.display:
    st.markdown("**Try one of these:**")
    columns = st.columns(2)
    for index, question in enumerate(config.STARTER_QUESTIONS):
        columns[index % 2].button(question, on_click=queue, args=(question,), width="stretch")
# Every rerun also catches the index up with kb/ edits (and names a broken article).
kb = knowledge()
with st.sidebar:
    prompt_lab(conn, kb)
