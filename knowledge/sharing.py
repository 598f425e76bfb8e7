"""Who may write an index: the folder's lock for one app process, a lease on a Chroma
server that several replicas share."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import settings
from knowledge.chunks import KnowledgeError

log = logging.getLogger(__name__)


def claim(index_dir: Path) -> Any:
    """Hold the index for this process: a second process writing it would corrupt the view.

    The app re-indexes kb/ edits itself; `python -m knowledge reindex` is for when it is not
    running. The lock goes when the process ends, however it ends.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = (index_dir / "writer.lock").open("a")
    except OSError as problem:
        raise KnowledgeError(f"cannot use {index_dir} for the index ({problem.strerror})") from None
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise KnowledgeError(
            f"the index in {index_dir} is in use by another process — probably the running app, "
            "which re-indexes kb/ edits itself; stop it first to re-index from here"
        ) from None
    return handle


# The collection on a Chroma server that holds one lease record per model collection.
LEASES = "sync-leases"
# A replica that stops renewing its lease (it crashed mid-sync) loses it after this long; it
# renews at a quarter of it between embedding batches.
LEASE_SECONDS = 60.0
LEASE_POLL_SECONDS = 0.25


class Lease:
    """Who may write the model collections on a shared Chroma server: one replica at a time.

    Replicas on different machines cannot share a flock, so the lock lives in the server: one
    record per collection in LEASES, naming its owner and when it expires. Taking it relies
    on Chroma's add() ignoring an id that already exists, which makes add-then-read a
    test-and-set (chromadb 1.5.9: in 100 races of 8 clients, all 8 read back the same winner
    every time). A lease whose owner stopped renewing it is deleted by its token, so a lease
    renewed in the meantime is never deleted by mistake.

    The lease saves work, it does not keep the index right: a sync is idempotent by content
    hash, so if a lease is ever lost (a replica paused past expiry, clocks far apart), two
    replicas with the same kb/ upsert the same vectors and the index ends up the same.
    Replicas must serve the same kb/ (one image, or one shared volume): two with different
    files would each turn the shared collections back into their own version when they sync.
    """

    def __init__(self, client: Any, names: list[str]) -> None:
        self._records = client.get_or_create_collection(LEASES, embedding_function=None)
        self.names = sorted(names)  # one order for every replica: two never hold one each
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
        self._renewed = 0.0

    @contextmanager
    def held(self) -> Iterator[None]:
        """Waits while another replica syncs (or until its lease expires), then holds it."""
        taken: list[str] = []
        try:
            for name in self.names:
                self._take(name)
                taken.append(name)
            self._renewed = time.monotonic()
            yield
        finally:
            for name in taken:
                try:
                    self._records.delete(ids=[name], where={"owner": self.owner})
                except Exception as problem:  # it expires by itself; the sync's own error wins
                    log.warning("could not release the sync lease (%s)", type(problem).__name__)

    def renew(self) -> None:
        """Pushes the expiry back, at most every quarter lease."""
        if time.monotonic() - self._renewed < LEASE_SECONDS / 4:
            return
        for name in self.names:
            record = self._record(name)
            if record is None or record["owner"] != self.owner:
                log.warning("sync lease on %s lost; another replica may be syncing too", name)
                continue
            self._records.update(ids=[name], metadatas=[self._terms()])
        self._renewed = time.monotonic()

    def _take(self, name: str) -> None:
        waiting_for = None
        while True:
            record = self._record(name)
            if record is None:
                self._records.add(ids=[name], embeddings=[[1.0]], metadatas=[self._terms()])
                record = self._record(name)
                if record is not None and record["owner"] == self.owner:
                    return
            elif record["expires"] < time.time():
                log.warning("taking over %s's expired sync lease on %s", record["owner"], name)
                self._records.delete(ids=[name], where={"token": record["token"]})
                continue
            if record is not None and record["owner"] != waiting_for:
                waiting_for = record["owner"]
                log.info("waiting for %s to finish syncing %s", waiting_for, name)
            time.sleep(LEASE_POLL_SECONDS)

    def _record(self, name: str) -> dict[str, Any] | None:
        found = self._records.get(ids=[name], include=["metadatas"])["metadatas"]
        return dict(found[0]) if found else None

    def _terms(self) -> dict[str, Any]:
        # A new token with every write: deleting an expired lease by its token cannot remove
        # one that was renewed in the meantime.
        return {
            "owner": self.owner,
            "token": secrets.token_hex(8),
            "expires": time.time() + LEASE_SECONDS,
        }


def server_address() -> str:
    scheme = "https" if settings.CHROMA_SSL else "http"
    return f"{scheme}://{settings.CHROMA_HOST}:{settings.CHROMA_PORT}"
