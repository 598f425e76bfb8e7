"""Insights: the pilot's numbers and the day's spend, computed from what was recorded.

Owns the aggregates (conversations per day, deflection, escalations by trigger, thumbs-up
rate, cost, cache share, latency percentiles) and the spend the daily cap reads. It reads
numbers and timestamps only, never the text, and must not write.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from store import records
from store.sessions import Sessions
from store.tables import Conversation, Feedback, Handoff, Turn


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
