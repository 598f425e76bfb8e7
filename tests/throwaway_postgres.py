"""A throwaway PostgreSQL server for the tests: a fresh cluster in a temp dir, loopback only.

The store must behave the same on the prototype's SQLite file and on the pilot's PostgreSQL,
so the store tests run on both. A developer or CI machine with PostgreSQL installed (or
installable with apt as root) needs no set-up: initdb, start on a free port, drop it all at
the end. Durability is switched off because the data dies with the session anyway.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg

from components import apt_install, tail

# initdb refuses to run as root, so as root the server runs as the first of these that exists.
SERVER_USERS = ("postgres", "nobody")
DEBIAN_BIN_DIRS = Path("/usr/lib/postgresql")
READY_TIMEOUT_S = 60
PORT_ATTEMPTS = 3
DATABASE = "acme_tests"
SETTINGS = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
"""


class Unavailable(Exception):
    """Why no server could be started here; the tests that need one are skipped with it."""


@dataclass(frozen=True)
class Server:
    url: str
    version: str
    startup_seconds: float
    directory: Path
    pg_ctl: Path
    user: str | None


def start(say: Callable[[str], None]) -> Server:
    """initdb + pg_ctl start in a new temp dir; raises Unavailable with the reason it cannot."""
    began = time.monotonic()
    bin_dir = _bin_dir() or _install(say)
    user = _server_user()
    directory = Path(tempfile.mkdtemp(prefix="acme-pg-"))
    password = secrets.token_urlsafe(16)
    try:
        _initdb(bin_dir, directory, user, password)
        port = _start_on_a_free_port(bin_dir, directory, user)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    url = f"postgresql+psycopg://postgres:{password}@127.0.0.1:{port}"
    server = Server(f"{url}/{DATABASE}", "", 0.0, directory, bin_dir / "pg_ctl", user)
    try:
        version = _create_database(url, deadline=time.monotonic() + READY_TIMEOUT_S)
    except BaseException:
        stop(server)
        raise
    return replace(server, version=version, startup_seconds=time.monotonic() - began)


def stop(server: Server) -> None:
    """Stops the server (fast: open sessions are cut) and deletes its files."""
    _run(
        [server.pg_ctl, "stop", "-D", server.directory / "data", "-m", "fast", "-w"],
        server.user,
        server.directory,
    )
    shutil.rmtree(server.directory, ignore_errors=True)


def _bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, else Debian's versioned dirs, newest first."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    versions = DEBIAN_BIN_DIRS.glob("*/bin")
    candidates += sorted(versions, key=lambda p: _major(p.parent.name), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


def _major(name: str) -> int:
    return int(name) if name.isdigit() else 0


def _install(say: Callable[[str], None]) -> Path:
    """Debian's postgresql package, when initdb is nowhere to be found."""
    problem = apt_install(["postgresql"], lambda line: say(f"PostgreSQL: initdb not found; {line}"))
    found = _bin_dir()
    if found and not problem:
        return found
    raise Unavailable(
        f"no initdb/pg_ctl, and installing PostgreSQL failed: {problem or 'no initdb'}"
    )


def _server_user() -> str | None:
    """None to run the server as ourselves; as root, an unprivileged account that exists."""
    if os.geteuid() != 0:
        return None
    for name in SERVER_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise Unavailable(f"running as root and none of {SERVER_USERS} exists to run the server")


def _initdb(bin_dir: Path, directory: Path, user: str | None, password: str) -> None:
    password_file = directory / "password"
    password_file.write_text(password, encoding="utf-8")
    if user:
        account = pwd.getpwnam(user)
        for path in (directory, password_file):
            os.chown(path, account.pw_uid, account.pw_gid)
    command = [bin_dir / "initdb", "-D", directory / "data", "-U", "postgres"]
    command += ["-A", "scram-sha-256", f"--pwfile={password_file}"]
    command += ["-E", "UTF8", "--locale=C", "--no-sync"]
    done = _run(command, user, directory)
    password_file.unlink()
    if done.returncode != 0:
        raise Unavailable(f"initdb failed: {tail(done.stderr or done.stdout)}")
    with (directory / "data" / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(SETTINGS.format(socket_dir=directory))


def _start_on_a_free_port(bin_dir: Path, directory: Path, user: str | None) -> int:
    """pg_ctl start -w (it polls until the server accepts connections, within the timeout)."""
    log = directory / "server.log"
    for _ in range(PORT_ATTEMPTS):
        port = _free_port()
        command = [bin_dir / "pg_ctl", "start", "-D", directory / "data", "-l", log]
        command += ["-w", "-t", str(READY_TIMEOUT_S), "-o", f"-p {port}"]
        if _run(command, user, directory).returncode == 0:
            return port
    server_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    raise Unavailable(f"pg_ctl start failed {PORT_ATTEMPTS} times: {tail(server_log)}")


def _free_port() -> int:
    """A port nobody listens on now; another process could take it first, hence the retries."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _create_database(url: str, deadline: float) -> str:
    """Connects (retrying until the deadline), creates the test database, returns the version."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    while True:
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
                connection.execute(f"CREATE DATABASE {DATABASE}")
                return str(connection.execute("SHOW server_version").fetchone()[0])
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise Unavailable(f"the server never accepted a connection: {error}") from error
            time.sleep(0.05)  # a bounded poll for readiness, not synchronisation


def _run(
    command: list[str | Path], user: str | None, directory: Path
) -> subprocess.CompletedProcess[str]:
    """Runs a server command as user (None: ourselves) with a minimal environment."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(directory), "LC_ALL": "C"}
    identity = {}
    if user:
        account = pwd.getpwnam(user)
        identity = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    return subprocess.run(
        [str(part) for part in command],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=READY_TIMEOUT_S + 30,
        **identity,
    )
