"""The audit trail: one row per staff action and per change of who speaks for Acme, and one JSON
log line for each (logger "acme.staff").

Owns writing and reading staff_actions, and the rule that keeps customers' words out of it: a
detail holds identifiers and figures only (no whitespace in a string, none longer than
DETAIL_MAX_CHARS), so no sentence anyone typed can land in the audit or the log. It must not
decide whether an action is allowed (escalation does) nor change any other table.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import records
from store.sessions import Sessions
from store.tables import StaffAction

staff_log = logging.getLogger("acme.staff")
# Longest string a detail may hold: a reference, a policy number, an outcome, a tool's name.
DETAIL_MAX_CHARS = 80
_DETAIL_TYPES = (bool, int, float, str, type(None))


class Audit(Sessions):
    """Who did what, when, on which conversation."""

    def record_action(
        self,
        actor: str,
        name: str,
        role: str,
        action: str,
        conversation_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Writes one audit row (and its log line) and returns it.

        Raises ValueError for a detail that could carry free text (see module docstring).
        """
        with self._sessions.begin() as session:
            row = self._audit(session, actor, name, role, action, conversation_id, detail)
        return logged(row)

    def actions(
        self,
        conversation_id: str | None = None,
        *,
        action: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """Audit rows, newest first: all, one conversation's, or one kind of action."""
        query = select(StaffAction).order_by(StaffAction.at.desc(), StaffAction.id.desc())
        if conversation_id is not None:
            query = query.where(StaffAction.conversation_id == conversation_id)
        if action is not None:
            query = query.where(StaffAction.action == action)
        if since is not None:
            query = query.where(StaffAction.at >= since)
        with self._sessions() as session:
            return [records.action_dict(row) for row in session.scalars(query.limit(limit))]

    @staticmethod
    def _audit(
        session: Session,
        actor: str,
        name: str,
        role: str,
        action: str,
        conversation_id: str | None,
        detail: dict[str, Any] | None,
    ) -> StaffAction:
        """The audit row, added to `session` so it commits with the change it records; pass it
        to logged() once the transaction has committed."""
        checked = _checked(detail or {})
        row = StaffAction(
            at=records.now(),
            actor=actor,
            actor_name=name,
            role=role,
            action=action,
            conversation_id=conversation_id,
            detail=checked,
        )
        session.add(row)
        session.flush()
        return row


def logged(row: StaffAction) -> dict[str, Any]:
    """The committed row as plain data, after its one JSON log line (no customer text: the
    detail was checked on the way in, and names and ids are the staff's own)."""
    action = records.action_dict(row)
    line = {"event": "staff_action", **{k: v for k, v in action.items() if k != "id"}}
    staff_log.info(json.dumps(line, ensure_ascii=False))
    return action


def _checked(detail: dict[str, Any]) -> dict[str, Any]:
    for key, value in detail.items():
        if not isinstance(value, _DETAIL_TYPES):
            raise ValueError(f"audit detail {key!r} must be a plain value, not {type(value)}")
        if isinstance(value, str) and value and not _identifier_like(value):
            raise ValueError(f"audit detail {key!r} looks like free text: keep it out")
    return dict(detail)


def _identifier_like(value: str) -> bool:
    return len(value) <= DETAIL_MAX_CHARS and value.split() == [value]
