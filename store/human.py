"""What is said while a person owns a conversation: the customer's messages, the agent's replies
(with the agent's display name), the app's own lines, private notes and the hand-back note.

Owns writing and reading human_messages, every text masked for storage with the one rule
(guardrails.for_storage, Acme's own contact details kept). Reads leave out what the customer
must never see unless asked for (private notes, the note for Eva). It must not decide who may
say what, nor send anything to the model.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import guardrails
from store import records
from store.sessions import Sessions
from store.tables import CUSTOMER_SEES, MESSAGE_KINDS, HumanMessage


class HumanMessages(Sessions):
    """The human-mode side of a conversation, polled by both pages."""

    def add_human_message(
        self,
        conversation_id: str,
        kind: str,
        text: str,
        *,
        author_id: str | None = None,
        author_name: str | None = None,
    ) -> dict[str, Any]:
        """Keeps one line (MESSAGE_KINDS), masked for storage, and returns it with its id."""
        if kind not in MESSAGE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MESSAGE_KINDS)}")
        row = HumanMessage(
            conversation_id=conversation_id,
            created_at=records.now(),
            kind=kind,
            author_id=author_id,
            author_name=author_name,
            text=guardrails.for_storage(text),
        )
        return records.human_message_dict(self._insert(row))

    def messages_since(
        self, conversation_id: str, after_id: int = 0, *, private: bool = False
    ) -> list[dict[str, Any]]:
        """The lines newer than after_id, oldest first: what a page polling every second or two
        has not shown yet. Only what the customer may see (CUSTOMER_SEES) unless private=True
        (the agent's view: notes between colleagues and the note for Eva too)."""
        query = (
            select(HumanMessage)
            .where(HumanMessage.conversation_id == conversation_id, HumanMessage.id > after_id)
            .order_by(HumanMessage.id)
        )
        if not private:
            query = query.where(HumanMessage.kind.in_(CUSTOMER_SEES))
        with self._sessions() as session:
            return [records.human_message_dict(row) for row in session.scalars(query)]
