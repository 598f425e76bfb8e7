"""Insights: the pilot's numbers and the day's spend, computed from what was recorded.

Owns the aggregates (conversations per day, deflection, escalations by trigger, thumbs-up
rate, cost, cache share, latency percentiles; and the people's side: time to a person's first
reply, conversations by mode, resolved by Eva or by a person, hand-backs, reopenings and
approvals) and the spend the daily cap reads. It reads
numbers and timestamps only, never the text, and must not write.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from store import records
from store.sessions import Sessions
from store.tables import MODES, Approval, Conversation, Feedback, Handoff, StaffAction, Turn


class Insights(Sessions):
    """Reporting over the recorded turns, handoffs and ratings."""

    def insights(self, since: datetime) -> dict[str, Any]:
        """The pilot's numbers since `since`, from what was recorded (none of the text).

        Conversations per day, deflection (resolved without a handoff), escalations by
        trigger, the thumbs-up rate, cost per conversation, the share of input read from
        cache, and reply latency p50/p95.
        """
        with self._sessions() as session:
            conversations = session.execute(
                select(Conversation.id, Conversation.started_at).where(
                    Conversation.started_at >= since
                )
            ).all()
            ids = {row.id for row in conversations}
            turns = session.execute(
                select(
                    Turn.conversation_id,
                    Turn.cost_usd,
                    Turn.input_tokens,
                    Turn.cache_read_tokens,
                    Turn.cache_write_tokens,
                    Turn.latency_ms,
                ).where(Turn.created_at >= since)
            ).all()
            handoffs = session.execute(
                select(Handoff.conversation_id, Handoff.trigger).where(Handoff.created_at >= since)
            ).all()
            thumbs = session.scalars(
                select(Feedback.score).where(
                    Feedback.kind == "thumbs", Feedback.created_at >= since
                )
            ).all()
        per_day: dict[str, int] = {}
        for row in conversations:
            day = records.iso_utc(row.started_at)[:10]
            per_day[day] = per_day.get(day, 0) + 1
        escalated = {h.conversation_id for h in handoffs} & ids
        by_trigger: dict[str, int] = {}
        for h in handoffs:
            key = h.trigger or "model"
            by_trigger[key] = by_trigger.get(key, 0) + 1
        total_input = sum(
            (t.input_tokens or 0) + (t.cache_read_tokens or 0) + (t.cache_write_tokens or 0)
            for t in turns
        )
        latencies = sorted(t.latency_ms for t in turns if t.latency_ms is not None)
        costs = [t.cost_usd for t in turns if t.cost_usd is not None]
        count = len(ids)
        return {
            "conversations": count,
            "turns": len(turns),
            "per_day": dict(sorted(per_day.items())),
            "deflection": (count - len(escalated)) / count if count else None,
            "escalation_by_trigger": {
                key: value / count if count else 0.0
                for key, value in sorted(by_trigger.items(), key=lambda kv: -kv[1])
            },
            "thumbs_up_rate": sum(thumbs) / len(thumbs) if thumbs else None,
            "ratings": len(thumbs),
            "cost_per_conversation": sum(costs) / count if count and costs else None,
            "cache_read_share": (
                sum(t.cache_read_tokens or 0 for t in turns) / total_input if total_input else None
            ),
            "latency_p50_ms": percentile(latencies, 0.50),
            "latency_p95_ms": percentile(latencies, 0.95),
        }

    def people(self, since: datetime) -> dict[str, Any]:
        """The human side since `since`, from the audit trail and the conversations' modes (no
        text): how long customers waited for a person's first reply (seconds, p50/p95, from
        the handoff opening), conversations by mode, resolved by Eva (no handoff) or by a
        person (closed as resolved), hand-backs, reopenings, and approvals granted or declined.
        """
        with self._sessions() as session:
            modes = session.execute(
                select(Conversation.mode, func.count())
                .where(Conversation.started_at >= since)
                .group_by(Conversation.mode)
            ).all()
            actions = session.execute(
                select(
                    StaffAction.action,
                    StaffAction.conversation_id,
                    StaffAction.at,
                    StaffAction.detail,
                )
                .where(StaffAction.at >= since)
                .order_by(StaffAction.at, StaffAction.id)
            ).all()
            decided = session.execute(
                select(Approval.status, func.count())
                .where(Approval.created_at >= since)
                .group_by(Approval.status)
            ).all()
            handed = set(
                session.scalars(
                    select(Handoff.conversation_id).where(Handoff.created_at >= since)
                ).all()
            )
            started = session.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.started_at >= since)
            )
        by_mode = dict.fromkeys(MODES, 0)
        for mode, count in modes:
            by_mode[mode or "bot"] += count
        opened: dict[str, datetime] = {}
        first_reply: list[int] = []
        counts: dict[str, int] = {}
        resolved_by_person = set()
        for action, conversation, at, detail in actions:
            counts[action] = counts.get(action, 0) + 1
            if action == "wait" and conversation:
                opened.setdefault(conversation, at)
            elif action == "reply" and conversation in opened:
                waited = (at - opened.pop(conversation)).total_seconds()
                first_reply.append(round(waited))
            elif action == "close" and (detail or {}).get("outcome") == "resolved":
                resolved_by_person.add(conversation)
        first_reply.sort()
        statuses = dict(decided)
        return {
            "first_reply_p50_s": percentile(first_reply, 0.50),
            "first_reply_p95_s": percentile(first_reply, 0.95),
            "first_replies": len(first_reply),
            "by_mode": by_mode,
            "resolved_by_eva": max(0, (started or 0) - len(handed)),
            "resolved_by_person": len(resolved_by_person),
            "handed_back": counts.get("hand_back", 0),
            "reopened": counts.get("reopen", 0),
            "approvals_granted": statuses.get("approved", 0),
            "approvals_declined": statuses.get("declined", 0),
            "approvals_pending": statuses.get("pending", 0),
        }

    def spend_since(self, moment: datetime) -> float:
        """Dollars the recorded turns cost since `moment` (the daily spend cap reads it)."""
        query = select(func.coalesce(func.sum(Turn.cost_usd), 0.0)).where(Turn.created_at >= moment)
        with self._sessions() as session:
            return float(session.scalar(query) or 0.0)


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile of sorted values; None when there are none."""
    if not values:
        return None
    rank = max(1, math.ceil(share * len(values)))
    return values[rank - 1]
