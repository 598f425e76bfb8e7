"""Hermetic tests: no key, no network, no user files. Set before any project module loads."""

from __future__ import annotations

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="acme-tests-")
os.environ.update(
    {
        # Blank values win over a developer's .env (python-dotenv never overrides).
        "ANTHROPIC_API_KEY": "",
        "ANTHROPIC_BASE_URL": "",
        "VOYAGE_API_KEY": "",
        "CHROMA_HOST": "",
        "PILOT_PASSCODE": "",
        "SUPPORT_MODE": "",
        "ACME_OFFLINE_PACE": "0",
        "ACME_DATA_DIR": os.path.join(_HOME, "data"),
        "DATABASE_URL": "",
        "HOME": _HOME,
    }
)

import secrets  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from weakref import WeakSet  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import Connection, Engine, create_engine, event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import throwaway_postgres  # noqa: E402
from store import Store  # noqa: E402

# What the PostgreSQL fixture did or why it could not, shown at the end of every run.
POSTGRES_NOTES = pytest.StashKey[list[str]]()


@pytest.fixture
def db(tmp_path) -> Store:
    """A fresh, seeded database of stub customers."""
    return Store(f"sqlite:///{tmp_path / 'acme.db'}")


@pytest.fixture(scope="session")
def kb():
    """The real kb/, indexed once per test session with the bundled model (~30 s)."""
    from knowledge import KnowledgeBase

    base = KnowledgeBase()
    base.sync()
    return base


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL database for the session: $TEST_DATABASE_URL, else a throwaway local server."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        _note(request.config, f"PostgreSQL: TEST_DATABASE_URL {make_url(given)!r}")
        yield given
        return
    try:
        server = throwaway_postgres.start(lambda line: _note(request.config, line, now=True))
    except throwaway_postgres.Unavailable as reason:
        _note(request.config, f"PostgreSQL tests skipped: {reason}")
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    address = make_url(server.url)
    _note(
        request.config,
        f"PostgreSQL {server.version}: throwaway server on {address.host}:{address.port}"
        f" (in {server.directory}), ready {server.startup_seconds:.2f} s after the fixture began",
    )
    try:
        yield server.url
    finally:
        throwaway_postgres.stop(server)


@pytest.fixture(scope="session")
def postgres_admin(postgres_url: str) -> Iterator[Engine]:
    """One engine that makes and drops the per-test schemas."""
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database on each backend: a new SQLite file, or a schema of its own on PostgreSQL.

    On PostgreSQL every engine the test opened is disposed and the schema dropped afterwards, so
    pooled connections never pile up across tests.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'acme.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"test_{secrets.token_hex(6)}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    opened: WeakSet[Engine] = WeakSet()

    def remember(connection: Connection) -> None:
        if connection.engine is not admin:
            opened.add(connection.engine)

    event.listen(Engine, "engine_connect", remember)
    try:
        url = make_url(request.getfixturevalue("postgres_url"))
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        event.remove(Engine, "engine_connect", remember)
        for engine in list(opened):
            engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def _note(config: pytest.Config, line: str, *, now: bool = False) -> None:
    """Keeps line for the summary; now=True also shows it at once (a slow apt-get install)."""
    config.stash.setdefault(POSTGRES_NOTES, []).append(line)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if now and reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Says which PostgreSQL the store tests ran on, or why they were skipped there."""
    notes = config.stash.get(POSTGRES_NOTES, [])
    if notes:
        terminalreporter.write_sep("-", "PostgreSQL")
        for line in notes:
            terminalreporter.write_line(line)
