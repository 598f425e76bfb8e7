"""The tables: the SQLAlchemy models, the words their columns may hold, and the priority order.

Owns the shape of every row (portable column types only, so the same models run on SQLite and
on PostgreSQL) and the one priority order of the project (PRIORITIES, most_urgent). It must not
open a session, mask text or change a database's schema (that is store.schema and
store.migrations): a new column here needs a numbered migration there.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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
# Who is speaking for Acme in a conversation: Eva ("bot"), nobody yet ("waiting": a handoff is
# open and Eva keeps helping), one named person ("human": Eva is silent), or no one ("closed").
MODES = ("bot", "waiting", "human", "closed")
# The moves between them, by name: the modes a move starts from, and the one it ends in. Each is
# one compare-and-set UPDATE (store.modes), so two agents claiming at once cannot both win.
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "wait": (("bot", "closed"), "waiting"),
    "claim": (("waiting",), "human"),
    "hand_back": (("human",), "bot"),
    "close": (("waiting", "human"), "closed"),
    "reopen": (("closed",), "bot"),
}
# How a person closes a conversation.
OUTCOMES = ("resolved", "unresolved", "no_reply")
# What is said while a person owns a conversation: the customer's messages, the agent's replies,
# the app's own lines (who joined, handed back), private notes between colleagues, and the note
# Eva reads when a conversation is handed back. The customer sees only CUSTOMER_SEES.
MESSAGE_KINDS = ("customer", "agent", "notice", "note", "handback")
CUSTOMER_SEES = ("customer", "agent", "notice")
# A pending action on a handoff: waiting for a person, being carried out (the one approver has
# won the compare-and-set), then done, refused by the tool when it ran, or declined.
APPROVAL_STATUSES = ("pending", "approving", "approved", "failed", "declined")


class Base(DeclarativeBase):
    """Every table of the store; the migrations create what it lists."""


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
    # The colleague who approved a refund above the chat's limit (None: within it, by Eva).
    approved_by: Mapped[str | None] = mapped_column(String(200))


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
    # Who speaks for Acme (MODES), since when, the person who claimed it, and how it was closed.
    mode: Mapped[str | None] = mapped_column(String(10), default="bot", index=True)
    mode_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    agent_id: Mapped[str | None] = mapped_column(String(200))
    agent_name: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str | None] = mapped_column(String(20))
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


class StaffAction(Base):
    """The audit trail: who did what, when, on which conversation. `detail` holds identifiers
    and figures only, never a customer's text (store.audit refuses free text)."""

    __tablename__ = "staff_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HumanMessage(Base):
    """One line said while a person owns the conversation (MESSAGE_KINDS), masked for storage.
    Ids only grow, so a page polls for what is newer than the last one it showed."""

    __tablename__ = "human_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[str | None] = mapped_column(String(200))
    author_name: Mapped[str | None] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)


class Approval(Base):
    """An action above Eva's limit, waiting on a person: the tool and its exact input."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True, index=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    handoff_reference: Mapped[str] = mapped_column(String(8))
    tool: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy_number: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_by_name: Mapped[str | None] = mapped_column(String(120))
    # What the tool did when approved: its summary, the reference it returned, or why it refused.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
