"""Who speaks for Acme in each conversation (store.tables.MODES), the moves between them, and
the queue of conversations waiting for a person.

Owns the mode columns of conversations. Every move is one compare-and-set UPDATE (`... WHERE
mode IN (the modes it starts from)`) written with its audit row in the same transaction, so
when two agents claim at once, on SQLite or PostgreSQL, exactly one UPDATE changes the row and
the other finds nothing to change. It must not decide whether a move is wise, nor word what the
customer is told (escalation does both).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, case, select, update
from sqlalchemy.exc import IntegrityError

from store import audit, records
from store.audit import Audit
from store.tables import MODES, MOVES, OUTCOMES, PRIORITIES, Conversation, Handoff


class Modes(Audit):
    """The conversations' modes, their audited moves, and the queue."""

    def conversation_mode(self, conversation_id: str) -> dict[str, Any]:
        """mode, since, agent_id, agent_name, outcome and language; "bot" if never recorded."""
        with self._sessions() as session:
            found = session.get(Conversation, conversation_id)
            return records.mode_dict(conversation_id, found)

    def move(
        self,
        conversation_id: str,
        move: str,
        actor: str,
        name: str,
        role: str,
        *,
        outcome: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Makes the move (MOVES) if the conversation is in a mode it starts from; returns the
        new mode, or None when it is not (another agent got there first, or it never was).

        A claim names `actor` the conversation's agent; a close records its outcome (OUTCOMES).
        The audit row says who moved it, from which mode, and for a claim how long it waited.
        """
        starts, ends = MOVES[move]
        if move == "close" and outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        if move == "wait":
            self._ensure(conversation_id)
        moment = records.now()
        with self._sessions.begin() as session:
            before = session.get(Conversation, conversation_id)
            if before is None or (before.mode or "bot") not in starts:
                return None
            previous, since = before.mode or "bot", before.mode_since
            owner = (actor, name) if move == "claim" else (None, None)
            if move == "close":
                owner = (before.agent_id or actor, before.agent_name or name)
            changed = cast(
                CursorResult[Any],
                session.execute(
                    update(Conversation)
                    .where(Conversation.id == conversation_id, Conversation.mode.in_(starts))
                    .values(
                        mode=ends,
                        mode_since=moment,
                        agent_id=owner[0],
                        agent_name=owner[1],
                        outcome=outcome if move == "close" else None,
                    )
                    .execution_options(synchronize_session=False)
                ),
            )
            if changed.rowcount != 1:
                return None
            facts: dict[str, Any] = {"from": previous, "to": ends, **(detail or {})}
            if move == "claim" and since is not None:
                facts["waited_s"] = round((moment - _aware(since)).total_seconds())
            if outcome is not None:
                facts["outcome"] = outcome
            row = self._audit(session, actor, name, role, move, conversation_id, facts)
        audit.logged(row)
        return self.conversation_mode(conversation_id)

    def conversations_in(self, mode: str, agent_id: str | None = None) -> list[dict[str, Any]]:
        """The conversations in one mode (and claimed by one agent), longest in it first."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        query = select(Conversation).where(Conversation.mode == mode)
        if agent_id is not None:
            query = query.where(Conversation.agent_id == agent_id)
        with self._sessions() as session:
            found = session.scalars(query.order_by(Conversation.mode_since, Conversation.id))
            return [records.mode_dict(row.id, row) for row in found]

    def queue(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """The conversations waiting for a person, most urgent first (PRIORITIES), then longest
        waiting: the open handoff's entry with waiting_since and waited_seconds."""
        moment = now or records.now()
        urgency = case({p: rank for rank, p in enumerate(PRIORITIES)}, value=Handoff.priority)
        query = (
            select(Handoff, Conversation.mode_since)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.mode == "waiting", Handoff.status == "open")
            .order_by(urgency, Conversation.mode_since, Handoff.id)
        )
        waiting = []
        with self._sessions() as session:
            for handoff, since in session.execute(query):
                entry = records.handoff_dict(handoff)
                entry.pop("transcript")
                started = _aware(since or handoff.created_at)
                entry["waiting_since"] = records.iso_utc(started)
                entry["waited_seconds"] = max(0, round((moment - started).total_seconds()))
                waiting.append(entry)
        return waiting

    def _ensure(self, conversation_id: str) -> None:
        """The conversation's row, Eva's, made if it is not there yet (a handoff can open in a
        conversation's first turn, before that turn is recorded)."""
        with self._sessions() as session:
            if session.get(Conversation, conversation_id) is not None:
                return
        moment = records.now()
        try:
            with self._sessions.begin() as session:
                session.add(
                    Conversation(
                        id=conversation_id,
                        started_at=moment,
                        updated_at=moment,
                        mode="bot",
                        mode_since=moment,
                    )
                )
        except IntegrityError:
            return  # made at the same moment by the turn's record or another process


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes, which were stored as UTC."""
    return datetime.fromisoformat(records.iso_utc(moment))
