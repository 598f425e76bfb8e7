"""Persistence for customers, policies, claims, tickets, refunds, handoffs and conversations.

Everything leaves this module as plain dicts of JSON types, so callers never hold an ORM object
whose session has closed, and tool results can be serialised as they are. Only portable column
types are used: the same models run on the SQLite file of the prototype and on PostgreSQL.
Free text is masked again here before it is written (callers mask first; this is the backstop),
and a database made by an earlier version gets the columns it lacks when a Store opens it.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    case,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
)

import guardrails
import settings

# No 0/O, 1/I/L: references are read out over the phone and typed in by hand.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# Handoff priorities, most urgent first: the queue's order and the one place it is defined.
PRIORITIES = ("urgent", "high", "normal", "low")


def most_urgent(*priorities: str) -> str:
    """The most urgent of the given priorities (a later, graver reason raises a handoff)."""
    return min(priorities, key=PRIORITIES.index)


REFUND_KINDS = ("refund", "cancellation")
# A handoff's details beyond the queue entry: what caused it and what the colleague reads.
HANDOFF_DETAILS = ("trigger", "language", "policy_number", "transcript", "draft", "source")
# What update_handoff may change: the details, the summary once the turn has written it, and
# reason and priority when a later, more urgent trigger joins an open handoff.
HANDOFF_UPDATABLE = (*HANDOFF_DETAILS, "summary", "reason", "priority")
# What a turn's record says about its cost and speed besides the text (record_turn's metrics).
TURN_METRICS = (
    "tool_calls",
    "sources",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cost_usd",
    "first_text_ms",
    "latency_ms",
)
FEEDBACK_KINDS = {"thumbs": (0, 1), "satisfaction": (1, 5)}
# A random reference can collide with an existing one; the unique index catches it and we retry.
_REFERENCE_ATTEMPTS = 8
_SQLITE_BUSY_TIMEOUT_MS = 5000


class Base(DeclarativeBase):
    pass


Row = TypeVar("Row", bound=Base)
Written = TypeVar("Written")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    email: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(30))
    date_of_birth: Mapped[date] = mapped_column(Date)
    zip_code: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(2))
    policies: Mapped[list[Policy]] = relationship(back_populates="holder")


class Policy(Base):
    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date] = mapped_column(Date)
    renewal_date: Mapped[date] = mapped_column(Date)
    coverage_level: Mapped[str] = mapped_column(String(20))
    deductible: Mapped[int] = mapped_column(Integer)
    add_ons: Mapped[list[str]] = mapped_column(JSON)
    monthly_premium: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    payment_method: Mapped[str] = mapped_column(String(60))
    autopay: Mapped[bool] = mapped_column(Boolean)
    next_due_date: Mapped[date | None] = mapped_column(Date)
    balance_due: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    holder: Mapped[Customer] = relationship(back_populates="policies")
    vehicles: Mapped[list[Vehicle]] = relationship(order_by="Vehicle.id")
    claims: Mapped[list[Claim]] = relationship(back_populates="policy")


class Vehicle(Base):
    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    make: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    vin: Mapped[str] = mapped_column(String(17))


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_number: Mapped[str] = mapped_column(String(9), unique=True, index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    claim_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    incident_date: Mapped[date] = mapped_column(Date)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    police_report_number: Mapped[str | None] = mapped_column(String(40))
    claimed_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    approved_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    paid_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    adjuster: Mapped[str | None] = mapped_column(String(60))
    last_update: Mapped[str] = mapped_column(Text)
    policy: Mapped[Policy] = relationship(back_populates="claims")


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(10), unique=True, index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    policy_number: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Handoff(Base):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True, index=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What caused it: a key of config.TRIGGERS, or "model" when the model escalated.
    trigger: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str | None] = mapped_column(String(5))
    policy_number: Mapped[str | None] = mapped_column(String(20))
    # JSON list of {"role", "text"}, masked: what the colleague reads before answering.
    transcript: Mapped[str | None] = mapped_column(Text)
    draft: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(10))


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True, index=True)
    policy_number: Mapped[str] = mapped_column(String(20), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(5))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Who may resume it (the signed-in email; None where there is no sign-in) and the page's
    # state to resume from: history without thinking, display, facts, usage, all masked.
    owner: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    turns: Mapped[list[Turn]] = relationship(order_by="Turn.id")


class Turn(Base):
    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    customer_text: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(5))
    # e.g. "injection:customer", "trigger:legal", "masked:card"
    flags: Mapped[list[str]] = mapped_column(JSON)
    # "sent", "sent_with_offer", "handed_off" or "withheld"
    route: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float)
    handoff_reference: Mapped[str | None] = mapped_column(String(8))
    # What the turn did and cost: [{"name", "is_error", "summary"}], cited sections, tokens,
    # dollars and milliseconds (to the first text and to the end).
    tool_calls: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    cache_read_tokens: Mapped[int | None] = mapped_column(Integer)
    cache_write_tokens: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    first_text_ms: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)


class Feedback(Base):
    """A customer's rating: thumbs on one answer, or a score for the whole conversation."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id"))
    kind: Mapped[str] = mapped_column(String(20))  # "thumbs" (0/1) or "satisfaction" (1-5)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Store:
    """One engine shared by every thread; each method opens and closes its own session."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = _engine(url or settings.DATABASE_URL)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        _create_tables(self.engine)
        _add_missing_columns(self.engine)
        _add_missing_indexes(self.engine)
        self._seed_if_empty(settings.FIXTURES_DIR / "customers.json")

    def policy(self, number: str) -> dict[str, Any] | None:
        """The policy with its holder, vehicles, coverage and billing; None if unknown."""
        query = (
            select(Policy)
            .where(Policy.number == number)
            .options(selectinload(Policy.holder), selectinload(Policy.vehicles))
        )
        with self._sessions() as session:
            found = session.scalars(query).one_or_none()
            return _policy_dict(found) if found else None

    def claims(self, policy_number: str) -> list[dict[str, Any]]:
        """The policy's claims, most recent incident first; empty for an unknown policy."""
        query = (
            select(Claim)
            .join(Claim.policy)
            .where(Policy.number == policy_number)
            .order_by(Claim.incident_date.desc(), Claim.id.desc())
        )
        with self._sessions() as session:
            return [_claim_dict(claim, policy_number) for claim in session.scalars(query)]

    def add_claim(
        self,
        policy_number: str,
        incident_date: date,
        claim_type: str,
        description: str,
        location: str | None = None,
        police_report_number: str | None = None,
    ) -> dict[str, Any]:
        """Records a new claim as "received". Raises LookupError for an unknown policy."""
        with self._sessions() as session:
            policy_id = session.scalar(select(Policy.id).where(Policy.number == policy_number))
        if policy_id is None:
            raise LookupError(f"no policy {policy_number}")

        def build(reference: str) -> Claim:
            return Claim(
                claim_number=reference,
                policy_id=policy_id,
                claim_type=claim_type,
                status="received",
                incident_date=incident_date,
                reported_at=_now(),
                description=description,
                location=location,
                police_report_number=police_report_number,
                last_update="Claim received; an adjuster will be assigned within 1 business day.",
            )

        claim = self._insert_with_reference(build, _claim_reference)
        return _claim_dict(claim, policy_number)

    def add_ticket(
        self,
        subject: str,
        description: str,
        category: str,
        policy_number: str | None = None,
        contact_email: str | None = None,
        conversation_id: str | None = None,
    ) -> dict[str, Any]:
        """Records an open ticket for the back office and returns it with its reference."""

        def build(reference: str) -> Ticket:
            return Ticket(
                reference=reference,
                conversation_id=conversation_id,
                policy_number=policy_number,
                category=category,
                subject=subject,
                description=description,
                contact_email=contact_email,
                status="open",
                created_at=_now(),
            )

        return _ticket_dict(self._insert_with_reference(build, _ticket_reference))

    def tickets(self) -> list[dict[str, Any]]:
        """Every ticket, newest first."""
        query = select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc())
        with self._sessions() as session:
            return [_ticket_dict(ticket) for ticket in session.scalars(query)]

    def add_handoff(
        self,
        conversation_id: str,
        reason: str,
        priority: str,
        summary: str,
        *,
        trigger: str | None = None,
        language: str | None = None,
        policy_number: str | None = None,
        transcript: list[dict[str, str]] | None = None,
        draft: str | None = None,
        source: str = "model",
    ) -> dict[str, Any]:
        """Puts the conversation in the human team's queue and returns the queue entry."""
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        details = _handoff_details(
            trigger=trigger,
            language=language,
            policy_number=policy_number,
            transcript=transcript,
            draft=draft,
            source=source,
        )

        def build(reference: str) -> Handoff:
            return Handoff(
                reference=reference,
                conversation_id=conversation_id,
                reason=guardrails.for_storage(reason),
                priority=priority,
                summary=guardrails.for_storage(summary),
                status="open",
                created_at=_now(),
                **details,
            )

        return _handoff_dict(self._insert_with_reference(build, _handoff_reference))

    def update_handoff(self, reference: str, /, **fields: Any) -> dict[str, Any] | None:
        """Sets some of HANDOFF_UPDATABLE on a handoff; None if there is no such reference."""
        details = _handoff_details(**fields)
        with self._sessions.begin() as session:
            handoff = session.scalars(
                select(Handoff).where(Handoff.reference == reference)
            ).one_or_none()
            if handoff is None:
                return None
            for name, value in details.items():
                setattr(handoff, name, value)
            return _handoff_dict(handoff)

    def handoffs(
        self, status: str | None = "open", conversation_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The queue as a support lead works it: most urgent first, then oldest first."""
        urgency = case({p: rank for rank, p in enumerate(PRIORITIES)}, value=Handoff.priority)
        query = select(Handoff).order_by(urgency, Handoff.created_at, Handoff.id)
        if status is not None:
            query = query.where(Handoff.status == status)
        if conversation_id is not None:
            query = query.where(Handoff.conversation_id == conversation_id)
        with self._sessions() as session:
            return [_handoff_dict(handoff) for handoff in session.scalars(query)]

    def resolve_handoff(self, reference: str) -> dict[str, Any] | None:
        """Marks a handoff resolved (again is harmless); None if there is no such reference."""
        with self._sessions.begin() as session:
            handoff = session.scalars(
                select(Handoff).where(Handoff.reference == reference)
            ).one_or_none()
            if handoff is None:
                return None
            if handoff.status != "resolved":
                handoff.status = "resolved"
                handoff.resolved_at = _now()
            return _handoff_dict(handoff)

    def add_refund(
        self,
        policy_number: str,
        amount: Decimal | float,
        reason: str,
        *,
        kind: str = "refund",
        conversation_id: str | None = None,
    ) -> dict[str, Any]:
        """Records a requested refund for the back office to pay and returns it."""
        if kind not in REFUND_KINDS:
            raise ValueError(f"kind must be one of {', '.join(REFUND_KINDS)}")

        def build(reference: str) -> Refund:
            return _refund(reference, policy_number, amount, reason, kind, conversation_id)

        return _refund_dict(self._insert_with_reference(build, _refund_reference))

    def refunds(self, policy_number: str | None = None) -> list[dict[str, Any]]:
        """Every refund, or one policy's, newest first."""
        query = select(Refund).order_by(Refund.created_at.desc(), Refund.id.desc())
        if policy_number is not None:
            query = query.where(Refund.policy_number == policy_number)
        with self._sessions() as session:
            return [_refund_dict(refund) for refund in session.scalars(query)]

    def cancel_policy(
        self,
        number: str,
        effective: date,
        *,
        refund_usd: Decimal | float | None = None,
        reason: str = "",
        conversation_id: str | None = None,
    ) -> dict[str, Any]:
        """Cancels the policy from effective and returns it.

        With refund_usd, the cancellation refund is recorded in the same transaction (returned
        as policy["refund"]), so a policy is never cancelled without the refund it is owed.
        Raises LookupError for an unknown policy and ValueError for one already cancelled.
        """

        def cancel(reference: str) -> dict[str, Any]:
            query = (
                select(Policy)
                .where(Policy.number == number)
                .options(selectinload(Policy.holder), selectinload(Policy.vehicles))
            )
            with self._sessions.begin() as session:
                policy = session.scalars(query).one_or_none()
                if policy is None:
                    raise LookupError(f"no policy {number}")
                if policy.status == "cancelled":
                    raise ValueError(f"policy {number} is already cancelled")
                policy.status = "cancelled"
                policy.cancelled_on = effective
                result = _policy_dict(policy)
                if refund_usd is not None:
                    refund = _refund(
                        reference, number, refund_usd, reason, "cancellation", conversation_id
                    )
                    session.add(refund)
                    session.flush()
                    result["refund"] = _refund_dict(refund)
                return result

        return self._with_fresh_reference(cancel, _refund_reference)

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
            moment = _now()
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
            return _turn_dict(turn)

        try:
            return write()
        except IntegrityError:
            # Two first turns raced to create the conversation; it exists now, so add to it.
            return write()

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
            row.created_at = _now()
            session.flush()
            return _feedback_dict(row)

    def feedback(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Ratings, oldest first; all of them, or one conversation's."""
        query = select(Feedback).order_by(Feedback.created_at, Feedback.id)
        if conversation_id is not None:
            query = query.where(Feedback.conversation_id == conversation_id)
        with self._sessions() as session:
            return [_feedback_dict(row) for row in session.scalars(query)]

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
            day = _iso_utc(row.started_at)[:10]
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
            "latency_p50_ms": _percentile(latencies, 0.50),
            "latency_p95_ms": _percentile(latencies, 0.95),
        }

    def save_state(self, conversation_id: str, owner: str | None, state: dict[str, Any]) -> None:
        """Keeps what a reload needs to resume the conversation, masked for storage.

        Thinking blocks are dropped (they may quote the customer, and masking would break their
        signatures; the API does not need them for finished turns).
        """
        # Acme's own phone numbers and addresses stay, so a resumed conversation shows them.
        kept = guardrails.for_storage(_without_thinking(state))
        moment = _now()
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

    def spend_since(self, moment: datetime) -> float:
        """Dollars the recorded turns cost since `moment` (the daily spend cap reads it)."""
        query = select(func.coalesce(func.sum(Turn.cost_usd), 0.0)).where(Turn.created_at >= moment)
        with self._sessions() as session:
            return float(session.scalar(query) or 0.0)

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation with its turns, oldest first; None if it was never recorded."""
        query = (
            select(Conversation)
            .where(Conversation.id == conversation_id)
            .options(selectinload(Conversation.turns))
        )
        with self._sessions() as session:
            found = session.scalars(query).one_or_none()
            return _conversation_dict(found) if found else None

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

    def _seed_if_empty(self, fixtures: Path) -> None:
        """Loads the demo customers on first start only, so data written later survives."""
        with self._sessions() as session:
            if session.scalar(select(func.count()).select_from(Customer)):
                return
        records = json.loads(fixtures.read_text(encoding="utf-8"))
        try:
            with self._sessions.begin() as session:
                session.add_all(_customer_from_fixture(record) for record in records)
        except IntegrityError:
            return  # another process seeded the same database a moment earlier


def _engine(url: str) -> Engine:
    """An engine for url; for SQLite, a WAL-mode file shared by threads that waits on locks."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets page reads proceed during a write; the busy timeout queues concurrent writers."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_tables(engine: Engine) -> None:
    """Creates the tables that are missing; a second process starting at once may beat us."""
    try:
        Base.metadata.create_all(engine)
    except DBAPIError:
        Base.metadata.create_all(engine)  # the other process created some; the rest remain


def _add_missing_columns(engine: Engine) -> None:
    """Adds the columns a database made by an earlier version lacks.

    create_all makes missing tables but never alters existing ones. Every column added since
    the first release is nullable, so old rows simply have NULL there. When two processes start
    at once, the slower one meets a "duplicate column" error: it looks again and adds only what
    is still missing, failing only if that made no progress (a real error, not a race).
    """
    missing = _missing_columns(engine)
    while missing:
        try:
            with engine.begin() as connection:
                _begin_ddl(connection)
                for table, column in missing:
                    connection.exec_driver_sql(_add_column_sql(table, column, engine))
            return
        except DBAPIError:
            left = _missing_columns(engine)
            if len(left) >= len(missing):
                raise
            missing = left


def _add_missing_indexes(engine: Engine) -> None:
    """Creates the indexes a database made by an earlier version lacks (the Insights panel and
    the daily spend sum read turns, handoffs and feedback by time). A process starting at the
    same moment may create one first: that is looked up again, not an error."""
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            try:
                index.create(engine, checkfirst=True)
            except DBAPIError:
                if index.name not in {i["name"] for i in inspect(engine).get_indexes(table.name)}:
                    raise


def _missing_columns(engine: Engine) -> list[tuple[Table, Column[Any]]]:
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    missing = []
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing += [(table, column) for column in table.columns if column.name not in present]
    return missing


def _begin_ddl(connection: Connection) -> None:
    """pysqlite only opens a transaction before DML, so schema changes need an explicit BEGIN."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def _add_column_sql(table: Table, column: Column[Any], engine: Engine) -> str:
    quote = engine.dialect.identifier_preparer.quote
    kind = column.type.compile(dialect=engine.dialect)
    return f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {kind}"


def _customer_from_fixture(record: dict[str, Any]) -> Customer:
    p = record["policy"]
    billing = p["billing"]
    policy = Policy(
        number=p["number"],
        product=p["product"],
        status=p["status"],
        start_date=date.fromisoformat(p["start_date"]),
        renewal_date=date.fromisoformat(p["renewal_date"]),
        coverage_level=p["coverage_level"],
        deductible=p["deductible"],
        add_ons=p["add_ons"],
        monthly_premium=Decimal(str(p["monthly_premium"])),
        payment_method=billing["payment_method"],
        autopay=billing["autopay"],
        next_due_date=_optional_date(billing["next_due_date"]),
        balance_due=Decimal(str(billing["balance_due"])),
        vehicles=[Vehicle(**vehicle) for vehicle in p["vehicles"]],
        claims=[_claim_from_fixture(claim) for claim in p["claims"]],
    )
    return Customer(
        first_name=record["first_name"],
        last_name=record["last_name"],
        email=record["email"],
        phone=record["phone"],
        date_of_birth=date.fromisoformat(record["date_of_birth"]),
        zip_code=record["zip_code"],
        state=record["state"],
        policies=[policy],
    )


def _claim_from_fixture(c: dict[str, Any]) -> Claim:
    return Claim(
        claim_number=c["claim_number"],
        claim_type=c["type"],
        status=c["status"],
        incident_date=date.fromisoformat(c["incident_date"]),
        reported_at=datetime.fromisoformat(c["reported_at"]),
        description=c["description"],
        location=c.get("location"),
        police_report_number=c.get("police_report_number"),
        claimed_amount=_optional_money(c.get("claimed_amount")),
        approved_amount=_optional_money(c.get("approved_amount")),
        paid_amount=_optional_money(c.get("paid_amount")),
        adjuster=c.get("adjuster"),
        last_update=c["last_update"],
    )


def _policy_dict(policy: Policy) -> dict[str, Any]:
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
        "monthly_premium": _money(policy.monthly_premium),
        "billing": {
            "payment_method": policy.payment_method,
            "autopay": policy.autopay,
            "next_due_date": policy.next_due_date.isoformat() if policy.next_due_date else None,
            "balance_due": _money(policy.balance_due),
        },
        "cancelled_on": policy.cancelled_on.isoformat() if policy.cancelled_on else None,
    }


def _claim_dict(claim: Claim, policy_number: str) -> dict[str, Any]:
    return {
        "claim_number": claim.claim_number,
        "policy_number": policy_number,
        "type": claim.claim_type,
        "status": claim.status,
        "incident_date": claim.incident_date.isoformat(),
        "reported_at": _iso_utc(claim.reported_at),
        "description": claim.description,
        "location": claim.location,
        "police_report_number": claim.police_report_number,
        "claimed_amount": _money(claim.claimed_amount),
        "approved_amount": _money(claim.approved_amount),
        "paid_amount": _money(claim.paid_amount),
        "adjuster": claim.adjuster,
        "last_update": claim.last_update,
    }


def _ticket_dict(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "conversation_id": ticket.conversation_id,
        "policy_number": ticket.policy_number,
        "category": ticket.category,
        "subject": ticket.subject,
        "description": ticket.description,
        "contact_email": ticket.contact_email,
        "status": ticket.status,
        "created_at": _iso_utc(ticket.created_at),
    }


def _handoff_dict(handoff: Handoff) -> dict[str, Any]:
    return {
        "reference": handoff.reference,
        "conversation_id": handoff.conversation_id,
        "reason": handoff.reason,
        "priority": handoff.priority,
        "summary": handoff.summary,
        "status": handoff.status,
        "created_at": _iso_utc(handoff.created_at),
        "resolved_at": _iso_utc(handoff.resolved_at) if handoff.resolved_at else None,
        "trigger": handoff.trigger,
        "language": handoff.language,
        "policy_number": handoff.policy_number,
        "transcript": json.loads(handoff.transcript) if handoff.transcript else [],
        "draft": handoff.draft,
        "source": handoff.source,
    }


def _handoff_details(**fields: Any) -> dict[str, Any]:
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


def _refund(
    reference: str,
    policy_number: str,
    amount: Decimal | float,
    reason: str,
    kind: str,
    conversation_id: str | None,
) -> Refund:
    return Refund(
        reference=reference,
        policy_number=policy_number,
        amount=Decimal(str(amount)),
        reason=guardrails.for_storage(reason),
        kind=kind,
        status="requested",
        conversation_id=conversation_id,
        created_at=_now(),
    )


def _refund_dict(refund: Refund) -> dict[str, Any]:
    return {
        "reference": refund.reference,
        "policy_number": refund.policy_number,
        "amount": _money(refund.amount),
        "reason": refund.reason,
        "kind": refund.kind,
        "status": refund.status,
        "conversation_id": refund.conversation_id,
        "created_at": _iso_utc(refund.created_at),
    }


def _conversation_dict(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "language": conversation.language,
        "started_at": _iso_utc(conversation.started_at),
        "updated_at": _iso_utc(conversation.updated_at),
        "turns": [_turn_dict(turn) for turn in conversation.turns],
    }


def _without_thinking(value: Any) -> Any:
    """A copy of the state with thinking and redacted_thinking blocks left out."""
    if isinstance(value, dict):
        return {key: _without_thinking(item) for key, item in value.items()}
    if isinstance(value, list):
        return [
            _without_thinking(item)
            for item in value
            if not (
                isinstance(item, dict) and item.get("type") in ("thinking", "redacted_thinking")
            )
        ]
    return value


def _percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile of sorted values; None when there are none."""
    if not values:
        return None
    rank = max(1, math.ceil(share * len(values)))
    return values[rank - 1]


def _feedback_dict(row: Feedback) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "turn_id": row.turn_id,
        "kind": row.kind,
        "score": row.score,
        "comment": row.comment,
        "created_at": _iso_utc(row.created_at),
    }


def _turn_dict(turn: Turn) -> dict[str, Any]:
    return {
        "id": turn.id,
        "conversation_id": turn.conversation_id,
        "created_at": _iso_utc(turn.created_at),
        "customer_text": turn.customer_text,
        "reply": turn.reply,
        "language": turn.language,
        "flags": list(turn.flags),
        "route": turn.route,
        "confidence": turn.confidence,
        "handoff_reference": turn.handoff_reference,
        **{name: getattr(turn, name) for name in TURN_METRICS},
    }


def _claim_reference() -> str:
    return f"CLM-{secrets.randbelow(90000) + 10000}"


def _ticket_reference() -> str:
    return f"TCK-{_random_code(6)}"


def _handoff_reference() -> str:
    return f"H-{_random_code(6)}"


def _refund_reference() -> str:
    return f"R-{_random_code(6)}"


def _random_code(length: int) -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def _now() -> datetime:
    return datetime.now(UTC)


def _iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC; SQLite hands back naive datetimes, which we stored as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def _money(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)


def _optional_money(value: float | str | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
