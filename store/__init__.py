"""The store: customers, policies, claims, tickets, refunds, handoffs and conversations.

Everything leaves it as plain dicts of JSON types, so callers never hold an ORM object whose
session has closed, and tool results can be serialised as they are. The same models run on
the prototype's SQLite file and on the pilot's PostgreSQL. It is the only place text is masked
for storage (guardrails.for_storage, the one rule), and opening a database applies the numbered
migrations it has not had yet.

Modules: tables (models, PRIORITIES, MODES), schema (engine, schema steps), migrations
(numbered, recorded, applied under a lock), records (row ↔ plain data, references), fixtures
(demo customers), sessions (what each part shares), and Store's parts: accounts, backoffice,
handoffs, conversations, insights, and the human side: audit (staff actions), modes (who speaks
for Acme, the queue), human (human-mode messages), approvals (pending actions). Store itself
only wires them together; it holds no logic.
"""

from __future__ import annotations

import settings
from store import fixtures, migrations, schema
from store.accounts import Accounts
from store.approvals import Approvals
from store.backoffice import BackOffice
from store.conversations import Conversations
from store.handoffs import Handoffs
from store.human import HumanMessages
from store.insights import Insights
from store.modes import Modes
from store.records import REFERENCE_ALPHABET
from store.tables import (
    MODES,
    PRIORITIES,
    Base,
    Claim,
    Conversation,
    Customer,
    Feedback,
    Handoff,
    Policy,
    Refund,
    Ticket,
    Turn,
    Vehicle,
    most_urgent,
)

__all__ = [
    "MODES",
    "PRIORITIES",
    "REFERENCE_ALPHABET",
    "Base",
    "Claim",
    "Conversation",
    "Customer",
    "Feedback",
    "Handoff",
    "Policy",
    "Refund",
    "Store",
    "Ticket",
    "Turn",
    "Vehicle",
    "most_urgent",
]


class Store(
    Accounts, BackOffice, Handoffs, Conversations, Insights, Modes, HumanMessages, Approvals
):
    """One engine shared by every thread; each method opens and closes its own session."""

    def __init__(self, url: str | None = None) -> None:
        engine = schema.make_engine(url or settings.DATABASE_URL)
        super().__init__(engine)
        migrations.migrate(engine)
        fixtures.seed_if_empty(self._sessions, settings.FIXTURES_DIR / "customers.json")
