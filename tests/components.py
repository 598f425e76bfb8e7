"""Real components the suite needs (PostgreSQL, chromium, the chroma CLI): install or refuse.

A test that needs one installs it (Debian's package, as root) when it is missing. When it still
cannot have it, the test fails under CI (`CI=true`): a green run must mean every test ran. On
a developer's machine it is skipped instead, with the reason in the summary.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable

import pytest

INSTALL_TIMEOUT_S = 900
APT_LOCK = "/tmp/acme-tests-apt.lock"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Stops the test: a failure under CI, a skip elsewhere."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a component the suite needs must be there)")
    pytest.skip(reason)


def apt_install(packages: list[str], say: Callable[[str], None]) -> str:
    """apt-get install, as root only, refreshing the package lists when the first try fails;
    what went wrong, or "" when it worked."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "installing needs root and apt-get"
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    problem = ""
    # One install at a time: test workers needing a package at once would fight over dpkg's lock.
    with open(APT_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for commands in ([install], [["apt-get", "update"], install]):
            for command in commands:
                problem = _apt(command, say)
                if problem:
                    break
            if not problem:
                return ""
    return problem


def _apt(command: list[str], say: Callable[[str], None]) -> str:
    say(f"running {' '.join(command)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return f"{' '.join(command)} took over {INSTALL_TIMEOUT_S} s"
    return tail(done.stderr or done.stdout) if done.returncode else ""


def tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:]) or "(no output)"
