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
        "SUPPORT_MODE": "",
        "ACME_OFFLINE_PACE": "0",
        "ACME_DATA_DIR": os.path.join(_HOME, "data"),
        "DATABASE_URL": "",
        "HOME": _HOME,
    }
)

import pytest  # noqa: E402

from store import Store  # noqa: E402


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
