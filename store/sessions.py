"""The engine and sessions every part of Store shares, and inserts under a fresh reference.

Owns the one engine every thread shares (each method opens and closes its own session) and
the retry that draws a new reference when a random one is already taken. It must not know any
table's columns, mask text or change the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.tables import Base

Row = TypeVar("Row", bound=Base)
Written = TypeVar("Written")

# A random reference can collide with an existing one; the unique index catches it and we retry.
_REFERENCE_ATTEMPTS = 8


class Sessions:
    """What every part of Store builds on: the engine and a session per call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)

    def _insert_with_reference(
        self, build: Callable[[str], Row], new_reference: Callable[[], str]
    ) -> Row:
        """Inserts build(reference), drawing a fresh reference whenever one is already taken."""
        return self._with_fresh_reference(lambda ref: self._insert(build(ref)), new_reference)

    @staticmethod
    def _with_fresh_reference(
        write: Callable[[str], Written], new_reference: Callable[[], str]
    ) -> Written:
        """write(reference) in its own transaction, retried with a new reference if it is taken."""
        for _ in range(_REFERENCE_ATTEMPTS - 1):
            try:
                return write(new_reference())
            except IntegrityError:
                continue
        return write(new_reference())

    def _insert(self, row: Row) -> Row:
        with self._sessions.begin() as session:
            session.add(row)
        return row
