"""The page: cold start of the server to the first rendered page, and the server's memory with
1 and with 20 open sessions (and after all 20 have asked a question at once).

The server is started the way `make run` starts it (offline, on a copy of the index the
benchmark built, so nothing is embedded: "after the first install"), and driven by Debian's
chromium through Playwright. Skipped, with the reason, where chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import settings
from bench.context import Context, rss_mb

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download is blocked here, so everything that drives a browser (this
# benchmark, bench/frames.py, the browser tests) launches Debian's chromium with these.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_SECONDS = 120
SESSIONS = 20
HEADING = "Hi, I'm Eva"
CHAT_BOX = '[data-testid="stChatInput"] textarea'
RUNNING = '[data-testid="stStatusWidget"]'
TARGET_COLD_START_S = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as reply:
            return reply.status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    """Stop a server started in its own session, and everything it started."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def scratch_home(index: Path, home: Path) -> Path:
    """A home for one app server with a copy of `index`, so its start-up sync embeds nothing."""
    shutil.copytree(index, home / "data" / "index", ignore=shutil.ignore_patterns("*.lock"))
    return home


def start_app(home: Path, pace: str = "0.02") -> tuple[subprocess.Popen, str]:
    """`make run`'s app, offline, on `home`'s data, streaming a word every `pace` seconds: its
    process and URL once it answers health checks (end it with `stop`)."""
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "",
        "PILOT_PASSCODE": "",
        "ACME_DATA_DIR": str(home / "data"),
        "DATABASE_URL": f"sqlite:///{home / 'acme.db'}",
        "ACME_OFFLINE_PACE": pace,
        "HOME": str(home),
        # What `make` prepared once, as `make run` finds it: the compiled e5 engine and the
        # trigger exemplars' vectors. Without them the first turns would build both first.
        "ACME_ENGINE_DIR": str(settings.ENGINE_DIR),
        "ACME_EXEMPLARS_DIR": str(settings.EXEMPLARS_DIR),
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).with_name("streamlit")),
        *("run", "app.py", "--server.port", str(port), "--server.headless", "true"),
        *("--server.runOnSave", "false"),
    ]
    started = time.perf_counter()
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while not healthy(url):
        if server.poll() is not None or time.perf_counter() - started > START_SECONDS:
            stop(server)
            raise RuntimeError("the app did not start; run `make run` to see why")
        time.sleep(0.05)
    return server, url


def run(ctx: Context) -> dict[str, float]:
    if not CHROMIUM.exists():
        print(f"  page: skipped (no chromium at {CHROMIUM}; apt-get install chromium)")
        return {}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  page: skipped (playwright is not installed: pip install -e '.[test]')")
        return {}
    ctx.kb()  # the index the server starts with: built here when no other benchmark has
    home = scratch_home(ctx.root / "index", ctx.root / "page-home")
    figures: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        started = time.perf_counter()
        server, url = start_app(home)
        try:
            figures["server answering health checks (s)"] = time.perf_counter() - started
            first = browser.new_context().new_page()
            first.goto(url)
            first.get_by_role("heading", name=HEADING).wait_for(timeout=120_000)
            first.locator(CHAT_BOX).wait_for(timeout=120_000)
            first.get_by_role("button", name="New conversation").wait_for(timeout=120_000)
            figures["cold start to first page (s)"] = time.perf_counter() - started
            first.get_by_text("Help centre ready").wait_for(timeout=120_000)
            figures["cold start to the knowledge base loaded (s)"] = time.perf_counter() - started
            time.sleep(1)
            figures["server memory, 1 session (MB)"] = rss_mb(server.pid)
            tabs = [first]
            for _ in range(SESSIONS - 1):
                tab = browser.new_context().new_page()
                tab.goto(url, wait_until="commit")
                tabs.append(tab)
            for tab in tabs:
                tab.get_by_role("heading", name=HEADING).wait_for(timeout=120_000)
            time.sleep(1)
            figures[f"server memory, {SESSIONS} sessions (MB)"] = rss_mb(server.pid)
            for index, tab in enumerate(tabs):
                tab.locator(CHAT_BOX).fill(f"Case {index}: is towing included?")
            for tab in tabs:
                tab.locator(CHAT_BOX).press("Enter")
            asked = time.perf_counter()
            for tab in tabs:
                tab.locator('[aria-label="Chat message from assistant"]').first.wait_for(
                    timeout=180_000
                )
                while tab.locator(RUNNING).count():
                    time.sleep(0.05)
            figures[f"{SESSIONS} questions at once, all answered (s)"] = time.perf_counter() - asked
            figures[f"server memory, {SESSIONS} sessions after a turn each (MB)"] = rss_mb(
                server.pid
            )
        finally:
            stop(server)
            browser.close()
    return figures


TARGETS = {"cold start to first page (s)": TARGET_COLD_START_S}
