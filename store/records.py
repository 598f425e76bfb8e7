"""Records: rows turned into plain data and back, and the references customers read out.

Owns the row → dict converters (every value a JSON type, times as ISO 8601 in UTC), the column
values built from a caller's fields (free text masked with guardrails.for_storage, the one
storage rule, on the way in) and the reference generators. It must not open a session or
define a second masking rule.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import guardrails
from store.tables import (
    HANDOFF_UPDATABLE,
    PRIORITIES,
    TURN_METRICS,
    Approval,
    Claim,
    Conversation,
    Feedback,
    Handoff,
    HumanMessage,
    Policy,
    Refund,
    StaffAction,
    Ticket,
    Turn,
)

# No 0/O, 1/I/L: references are read out over the phone and typed in by hand.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def policy_dict(policy: Policy) -> dict[str, Any]:
    holder = policy.holder
    return {
        "policy_number": policy.number,
        "product": policy.product,
        "status": policy.status,
        "start_date": policy.start_date.isoformat(),
        "renewal_date": policy.renewal_date.isoformat(),
        "holder": {
            "first_name": holder.first_name,
            "last_name": holder.last_name,
            "email": holder.email,
            "phone": holder.phone,
            "date_of_birth": holder.date_of_birth.isoformat(),
            "zip_code": holder.zip_code,
            "state": holder.state,
        },
        "vehicles": [
            {"make": v.make, "model": v.model, "year": v.year, "vin": v.vin}
            for v in policy.vehicles
        ],
        "coverage": {
            "level": policy.coverage_level,
            "deductible": policy.deductible,
            "add_ons": list(policy.add_ons),
        },
        "monthly_premium": money(policy.monthly_premium),
        "billing": {
            "payment_method": policy.payment_method,
            "autopay": policy.autopay,
            "next_due_date": policy.next_due_date.isoformat() if policy.next_due_date else None,
            "balance_due": money(policy.balance_due),
        },
        "cancelled_on": policy.cancelled_on.isoformat() if policy.cancelled_on else None,
    }


def claim_dict(claim: Claim, policy_number: str) -> dict[str, Any]:
    return {
        "claim_number": claim.claim_number,
        "policy_number": policy_number,
        "type": claim.claim_type,
        "status": claim.status,
        "incident_date": claim.incident_date.isoformat(),
        "reported_at": iso_utc(claim.reported_at),
        "description": claim.description,
        "location": claim.location,
        "police_report_number": claim.police_report_number,
        "claimed_amount": money(claim.claimed_amount),
        "approved_amount": money(claim.approved_amount),
        "paid_amount": money(claim.paid_amount),
        "adjuster": claim.adjuster,
        "last_update": claim.last_update,
    }


def ticket_dict(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "conversation_id": ticket.conversation_id,
        "policy_number": ticket.policy_number,
        "category": ticket.category,
        "subject": ticket.subject,
        "description": ticket.description,
        "contact_email": ticket.contact_email,
        "status": ticket.status,
        "created_at": iso_utc(ticket.created_at),
    }


def handoff_dict(handoff: Handoff) -> dict[str, Any]:
    return {
        "reference": handoff.reference,
        "conversation_id": handoff.conversation_id,
        "reason": handoff.reason,
        "priority": handoff.priority,
        "summary": handoff.summary,
        "status": handoff.status,
        "created_at": iso_utc(handoff.created_at),
        "resolved_at": iso_utc(handoff.resolved_at) if handoff.resolved_at else None,
        "trigger": handoff.trigger,
        "language": handoff.language,
        "policy_number": handoff.policy_number,
        "transcript": json.loads(handoff.transcript) if handoff.transcript else [],
        "draft": handoff.draft,
        "source": handoff.source,
    }


def handoff_columns(**fields: Any) -> dict[str, Any]:
    """Handoff fields as columns: free text masked, the transcript as JSON text."""
    unknown = sorted(set(fields) - set(HANDOFF_UPDATABLE))
    if unknown:
        accepted = ", ".join(HANDOFF_UPDATABLE)
        raise ValueError(f"cannot set {', '.join(unknown)} on a handoff; accepted: {accepted}")
    details = dict(fields)
    if "priority" in details and details["priority"] not in PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
    for name in ("summary", "draft", "reason"):
        if details.get(name) is not None:
            details[name] = guardrails.for_storage(details[name])
    if details.get("transcript") is not None:
        entries = [
            {"role": str(entry["role"]), "text": guardrails.for_storage(str(entry["text"]))}
            for entry in details["transcript"]
        ]
        details["transcript"] = json.dumps(entries, ensure_ascii=False)
    return details


def new_refund(
    reference: str,
    policy_number: str,
    amount: Decimal | float,
    reason: str,
    kind: str,
    conversation_id: str | None,
    approved_by: str | None = None,
) -> Refund:
    return Refund(
        reference=reference,
        policy_number=policy_number,
        amount=Decimal(str(amount)),
        reason=guardrails.for_storage(reason),
        kind=kind,
        status="requested",
        conversation_id=conversation_id,
        created_at=now(),
        approved_by=approved_by,
    )


def refund_dict(refund: Refund) -> dict[str, Any]:
    return {
        "reference": refund.reference,
        "policy_number": refund.policy_number,
        "amount": money(refund.amount),
        "reason": refund.reason,
        "kind": refund.kind,
        "status": refund.status,
        "conversation_id": refund.conversation_id,
        "created_at": iso_utc(refund.created_at),
        "approved_by": refund.approved_by,
    }


def conversation_dict(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "language": conversation.language,
        "started_at": iso_utc(conversation.started_at),
        "updated_at": iso_utc(conversation.updated_at),
        "turns": [turn_dict(turn) for turn in conversation.turns],
    }


def without_thinking(value: Any) -> Any:
    """A copy of the state with thinking and redacted_thinking blocks left out."""
    if isinstance(value, dict):
        return {key: without_thinking(item) for key, item in value.items()}
    if isinstance(value, list):
        return [
            without_thinking(item)
            for item in value
            if not (
                isinstance(item, dict) and item.get("type") in ("thinking", "redacted_thinking")
            )
        ]
    return value


def feedback_dict(row: Feedback) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "turn_id": row.turn_id,
        "kind": row.kind,
        "score": row.score,
        "comment": row.comment,
        "created_at": iso_utc(row.created_at),
    }


def turn_dict(turn: Turn) -> dict[str, Any]:
    return {
        "id": turn.id,
        "conversation_id": turn.conversation_id,
        "created_at": iso_utc(turn.created_at),
        "customer_text": turn.customer_text,
        "reply": turn.reply,
        "language": turn.language,
        "flags": list(turn.flags),
        "route": turn.route,
        "confidence": turn.confidence,
        "handoff_reference": turn.handoff_reference,
        **{name: getattr(turn, name) for name in TURN_METRICS},
    }


def mode_dict(conversation_id: str, conversation: Conversation | None) -> dict[str, Any]:
    """Who speaks for Acme in a conversation; one never recorded is Eva's."""
    if conversation is None:
        return {
            "conversation_id": conversation_id,
            "mode": "bot",
            "since": None,
            "agent_id": None,
            "agent_name": None,
            "outcome": None,
            "language": None,
        }
    return {
        "conversation_id": conversation_id,
        "mode": conversation.mode or "bot",
        "since": iso_utc(conversation.mode_since) if conversation.mode_since else None,
        "agent_id": conversation.agent_id,
        "agent_name": conversation.agent_name,
        "outcome": conversation.outcome,
        "language": conversation.language,
    }


def action_dict(row: StaffAction) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso_utc(row.at),
        "actor": row.actor,
        "actor_name": row.actor_name,
        "role": row.role,
        "action": row.action,
        "conversation_id": row.conversation_id,
        "detail": dict(row.detail or {}),
    }


def human_message_dict(row: HumanMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "created_at": iso_utc(row.created_at),
        "kind": row.kind,
        "author_id": row.author_id,
        "author_name": row.author_name,
        "text": row.text,
    }


def approval_dict(row: Approval) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "conversation_id": row.conversation_id,
        "handoff_reference": row.handoff_reference,
        "tool": row.tool,
        "params": dict(row.params),
        "policy_number": row.policy_number,
        "language": row.language,
        "status": row.status,
        "created_at": iso_utc(row.created_at),
        "decided_at": iso_utc(row.decided_at) if row.decided_at else None,
        "decided_by": row.decided_by,
        "decided_by_name": row.decided_by_name,
        "result": dict(row.result) if row.result is not None else None,
    }


def claim_reference() -> str:
    return f"CLM-{secrets.randbelow(90000) + 10000}"


def ticket_reference() -> str:
    return f"TCK-{_random_code(6)}"


def handoff_reference() -> str:
    return f"H-{_random_code(6)}"


def refund_reference() -> str:
    return f"R-{_random_code(6)}"


def approval_reference() -> str:
    return f"A-{_random_code(6)}"


def _random_code(length: int) -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC; SQLite hands back naive datetimes, which we stored as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def money(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)
