"""Conversations: each turn's record, the state a reload resumes from, and customers' ratings.

Owns writing a turn with its conversation (both or neither), saving and loading the page's
state for its owner only (thinking left out, masked for storage), and feedback. It must not
build the page's state or score anything (insights reads these rows).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

import guardrails
from store import records
from store.sessions import Sessions
from store.tables import FEEDBACK_KINDS, TURN_METRICS, Conversation, Feedback, Turn


class Conversations(Sessions):
    """Turns, saved state and ratings of the customers' conversations."""

    def record_turn(
        self,
        conversation_id: str,
        *,
        customer_text: str,
        reply: str,
        language: str | None,
        flags: list[str],
        route: str,
        confidence: float | None = None,
        handoff_reference: str | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Stores one exchange and brings its conversation up to date, both or neither.

        `metrics` holds what the turn did and cost (TURN_METRICS: tool calls, sources, tokens,
        cost, timings); text in it is the caller's to mask (tool summaries already are).
        """
        unknown = set(metrics or {}) - set(TURN_METRICS)
        if unknown:
            raise ValueError(f"unknown turn metrics: {', '.join(sorted(unknown))}")
        customer_text, reply = guardrails.for_storage(customer_text), guardrails.for_storage(reply)

        def write() -> dict[str, Any]:
            moment = records.now()
            with self._sessions.begin() as session:
                conversation = session.get(Conversation, conversation_id)
                if conversation is None:
                    conversation = Conversation(id=conversation_id, started_at=moment)
                    session.add(conversation)
                conversation.language = language
                conversation.updated_at = moment
                turn = Turn(
                    conversation_id=conversation_id,
                    created_at=moment,
                    customer_text=customer_text,
                    reply=reply,
                    language=language,
                    flags=list(flags),
                    route=route,
                    confidence=confidence,
                    handoff_reference=handoff_reference,
                    **(metrics or {}),
                )
                session.add(turn)
            return records.turn_dict(turn)

        try:
            return write()
        except IntegrityError:
            # Two first turns raced to create the conversation; it exists now, so add to it.
            return write()

    def save_state(self, conversation_id: str, owner: str | None, state: dict[str, Any]) -> None:
        """Keeps what a reload needs to resume the conversation, masked for storage.

        Thinking blocks are dropped (they may quote the customer, and masking would break their
        signatures; the API does not need them for finished turns).
        """
        # Acme's own phone numbers and addresses stay, so a resumed conversation shows them.
        kept = guardrails.for_storage(records.without_thinking(state))
        moment = records.now()
        with self._sessions.begin() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                conversation = Conversation(
                    id=conversation_id, started_at=moment, owner=owner, language=None
                )
                session.add(conversation)
            elif conversation.state is not None and conversation.owner != owner:
                raise PermissionError("this conversation belongs to someone else")
            conversation.owner = owner
            conversation.state = kept
            conversation.updated_at = moment

    def load_state(self, conversation_id: str, owner: str | None) -> dict[str, Any] | None:
        """The saved state, only for its owner; None for anyone else or an unknown id."""
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.state is None:
                return None
            if conversation.owner != owner:
                return None
            return conversation.state

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation with its turns, oldest first; None if it was never recorded."""
        query = (
            select(Conversation)
            .where(Conversation.id == conversation_id)
            .options(selectinload(Conversation.turns))
        )
        with self._sessions() as session:
            found = session.scalars(query).one_or_none()
            return records.conversation_dict(found) if found else None

    def add_feedback(
        self,
        conversation_id: str,
        kind: str,
        score: int,
        *,
        turn_id: int | None = None,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Keeps a rating; a second rating of the same answer (or conversation) replaces it."""
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FEEDBACK_KINDS)}")
        low, high = FEEDBACK_KINDS[kind]
        if not low <= score <= high:
            raise ValueError(f"a {kind} score is {low}-{high}; got {score}")
        with self._sessions.begin() as session:
            row = session.scalars(
                select(Feedback).where(
                    Feedback.conversation_id == conversation_id,
                    Feedback.kind == kind,
                    Feedback.turn_id.is_(None) if turn_id is None else Feedback.turn_id == turn_id,
                )
            ).first()
            if row is None:
                row = Feedback(conversation_id=conversation_id, kind=kind, turn_id=turn_id)
                session.add(row)
            row.score = score
            row.comment = guardrails.for_storage(comment) if comment else row.comment
            row.created_at = records.now()
            session.flush()
            return records.feedback_dict(row)

    def feedback(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Ratings, oldest first; all of them, or one conversation's."""
        query = select(Feedback).order_by(Feedback.created_at, Feedback.id)
        if conversation_id is not None:
            query = query.where(Feedback.conversation_id == conversation_id)
        with self._sessions() as session:
            return [records.feedback_dict(row) for row in session.scalars(query)]
