"""Hermetic tests: no key, no network, no user files. Set before any project module loads."""

from __future__ import annotations

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="acme-tests-")
_PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Under pytest-xdist the workers share the cores: e5's OpenMP threads spinning in every worker
# at once would slow them all down (its vectors are the same with any number of threads).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // _WORKERS)))
os.environ.update(
    {
        # Blank values win over a developer's .env (python-dotenv never overrides).
        "ANTHROPIC_API_KEY": "",
        "ANTHROPIC_BASE_URL": "",
        "VOYAGE_API_KEY": "",
        "CHROMA_HOST": "",
        "PILOT_PASSCODE": "",
        "STAFF_PASSCODES": "",
        "SUPPORT_MODE": "",
        "ACME_OFFLINE_PACE": "0",
        "ACME_DATA_DIR": os.path.join(_HOME, "data"),
        # Compiled once for every worker and for `make` alike (knowledge.exact_engine).
        "ACME_ENGINE_DIR": os.path.join(_PROJECT, "data", "engine"),
        # The trigger exemplars' vectors, embedded once by `make` for workers and app alike.
        "ACME_EXEMPLARS_DIR": os.path.join(_PROJECT, "data", "exemplars"),
        "DATABASE_URL": "",
        "HOME": _HOME,
    }
)

import fcntl  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from weakref import WeakSet  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import Connection, Engine, create_engine, event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import settings  # noqa: E402
import throwaway_postgres  # noqa: E402
from components import apt_install, in_ci, unavailable  # noqa: E402
from store import Store  # noqa: E402

# What the component fixtures (PostgreSQL, chromium) did or why they could not, shown at the
# end of every run.
COMPONENT_NOTES = pytest.StashKey[list[str]]()
CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium (Playwright cannot download its own browser here), and a font with emoji so
# that the screenshots show the page's icons.
BROWSER_PACKAGES = ["chromium", "fonts-noto-color-emoji"]
# The real index of kb/, kept between runs: the first run embeds the help centre (~40 s on two
# cores), later runs only what changed in kb/, by content hash, as the app does. Every test
# process works on a copy of its own.
TEST_INDEX = settings.PROJECT_DIR / "data" / "test-index"


@pytest.fixture
def db(tmp_path) -> Store:
    """A fresh, seeded database of stub customers."""
    return Store(f"sqlite:///{tmp_path / 'acme.db'}")


@pytest.fixture(scope="session")
def kb(request: pytest.FixtureRequest):
    """The real kb/ with the bundled models: TEST_INDEX brought up to date (one process at a
    time), then copied to this process's own data folder, where nothing is left to embed."""
    from knowledge import KnowledgeBase

    TEST_INDEX.parent.mkdir(parents=True, exist_ok=True)
    with (TEST_INDEX.parent / "test-index.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _note(request.config, f"Index: bringing {TEST_INDEX} up to date with kb/", now=True)
        done = subprocess.run(
            [sys.executable, "-m", "knowledge", "reindex"],
            cwd=settings.PROJECT_DIR,
            env={**os.environ, "ACME_INDEX_DIR": str(TEST_INDEX)},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        _note(request.config, f"Index: {done.stdout.strip().splitlines()[-1]}")
        shutil.copytree(TEST_INDEX, settings.INDEX_DIR, ignore=shutil.ignore_patterns("*.lock"))
    base = KnowledgeBase()
    base.sync()
    return base


@pytest.fixture
def index_copy(kb, tmp_path) -> Path:
    """A copy of the session's real index to open beside it: a test that edits a copy of kb/
    then embeds only the sections it changed, never the whole help centre again."""
    target = tmp_path / "index"
    shutil.copytree(settings.INDEX_DIR, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


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
        _note(request.config, f"PostgreSQL tests cannot run: {reason}")
        unavailable(f"PostgreSQL unavailable: {reason}")
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


@pytest.fixture(scope="session")
def chromium(request: pytest.FixtureRequest) -> Path:
    """Debian's chromium for the browser tests, installed on first use (about a minute)."""
    if not CHROMIUM.exists():
        problem = apt_install(
            BROWSER_PACKAGES, lambda line: _note(request.config, f"chromium: {line}", now=True)
        )
        if problem or not CHROMIUM.exists():
            unavailable(f"no chromium at {CHROMIUM}, and installing it failed: {problem}")
        _note(request.config, f"chromium: installed {' '.join(BROWSER_PACKAGES)}")
    return CHROMIUM


def _note(config: pytest.Config, line: str, *, now: bool = False) -> None:
    """Keeps line for the summary; now=True also shows it at once (a slow apt-get install)."""
    config.stash.setdefault(COMPONENT_NOTES, []).append(line)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if now and reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(line)


# The slowest modules, started first and at once on separate workers (pytest-xdist hands out
# whole modules in this order); the rest go to whichever worker is free.
SLOWEST_FIRST = ("test_browser.py", "test_evals.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def place(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FIRST.index(name) if name in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=place)


def _failed_under_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Under CI a skip is a failure, however it was raised, and so is an expected failure
    (xfail, which is a skip by another name): a green CI run means every test ran and passed."""
    if in_ci() and (report.skipped or hasattr(report, "wasxfail")):
        if hasattr(report, "wasxfail"):
            reason = f"marked as an expected failure ({report.wasxfail or 'no reason given'})"
        elif isinstance(report.longrepr, tuple):
            reason = report.longrepr[-1]
        else:
            reason = report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    _failed_under_ci((yield).get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    _failed_under_ci((yield).get_result())


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its notes to the controller, which prints the summary."""
    sent = getattr(session.config, "workeroutput", None)
    if sent is not None:
        sent["component_notes"] = session.config.stash.get(COMPONENT_NOTES, [])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    notes = getattr(node, "workeroutput", {}).get("component_notes", [])
    node.config.stash.setdefault(COMPONENT_NOTES, []).extend(notes)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Says which PostgreSQL the store tests ran on, what was installed, and what could not be."""
    notes = config.stash.get(COMPONENT_NOTES, [])
    if notes:
        terminalreporter.write_sep("-", "Components")
        for line in notes:
            terminalreporter.write_line(line)
