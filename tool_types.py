"""The tool envelope's shared types: a tool's record (Tool), what a handler reads (ToolContext)
and returns (ToolResult), and the builders of a result (ok, error, clipped).

tools.py (the records and dispatch) and every handler in tool_handlers/ import these, so this
module imports neither: it owns no tool, no rule and no wording of a result.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knowledge import KnowledgeBase
from store import Store

if TYPE_CHECKING:
    from events import Facts


@dataclass(frozen=True)
class ToolResult:
    """One tool call's outcome: what the model reads and what the page shows."""

    content: str
    is_error: bool
    summary: str
    data: dict[str, Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ToolContext:
    """One per turn, built from the conversation's facts; tools read them and may update them."""

    store: Store
    conversation_id: str
    verified_policy: str | None = None
    failed_verifications: int = 0
    knowledge: KnowledgeBase | None = None
    language: str = "en"
    # The time now, as an aware datetime; tests pass a fixed one.
    clock: Callable[[], datetime] = _utc_now
    # Set only when a colleague approved this call on the desk (approvals.decide): the money
    # tools then act above the chat's limit and record who approved. Never from the model.
    approved_by: str | None = None

    @classmethod
    def of(
        cls,
        store: Store,
        facts: Facts,
        knowledge: KnowledgeBase | None,
        language: str,
        clock: Callable[[], datetime] | None = None,
    ) -> ToolContext:
        """This turn's context from the conversation's facts (a new conversation gets an id)."""
        return cls(
            store=store,
            conversation_id=facts.get("conversation_id") or uuid.uuid4().hex,
            verified_policy=facts.get("verified_policy"),
            failed_verifications=facts.get("failed_verifications", 0),
            knowledge=knowledge,
            language=language,
            clock=clock or _utc_now,
        )

    def remember(self, facts: Facts) -> None:
        """Write what the tools learned this turn back into the conversation's facts."""
        facts["conversation_id"] = self.conversation_id
        facts["verified_policy"] = self.verified_policy
        facts["failed_verifications"] = self.failed_verifications


Handler = Callable[[dict[str, Any], ToolContext], ToolResult]


@dataclass(frozen=True)
class Tool:
    """Everything about one tool, in one place (see tools.REGISTRY)."""

    name: str
    # One line of the prompt's list of what Eva can do (config.IDENTITY), in the prompt's voice.
    capability: str
    description: str
    input_schema: dict[str, Any]
    handler: Handler
    # The card's label on the page while the tool runs and in the transcript.
    label: str
    # Fields of free text the tool writes to the database: masked for storage first (a
    # dedicated field such as contact_email is there to be kept, and validated).
    stored_free_text: tuple[str, ...] = ()
    # Moves money or ends cover: once it has succeeded, the reply may say it is done.
    acts_on_money: bool = False
    # How the offline model words a successful result (offline.REPORTS); None: "Done: …".
    report: str | None = None

    @property
    def spec(self) -> dict[str, Any]:
        """The tool as the Messages API takes it."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
        }


def ok(data: Mapping[str, Any], summary: str) -> ToolResult:
    """A success: the model reads the data as compact JSON."""
    content = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return ToolResult(content=content, is_error=False, summary=summary, data=dict(data))


def error(message: str, summary: str, data: dict[str, Any] | None = None) -> ToolResult:
    """A refusal or failure, worded as a sentence the model can act on."""
    return ToolResult(content=message, is_error=True, summary=summary, data=data or {})


def clipped(text: str, limit: int = 60) -> str:
    """Keeps a tool card to one line."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
