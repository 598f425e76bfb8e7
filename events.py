"""The page↔bot contract: what one customer turn tells the page, in order (chatbot yields
these; the page, the evals and the benches import them from here). Plain dataclasses; Usage
also prices a response and adds up a turn's and a conversation's tokens (the one place usage
is totalled)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

import settings

# ---------------------------------------------------------------------------------------------
# Plain data that outlives a turn (session state, the saved conversation, the store): typed
# here, dicts at run time, so a Streamlit rerun or a reload of this module never breaks them.
# ---------------------------------------------------------------------------------------------


class Facts(TypedDict, total=False):
    """What the bot carries from one turn of a conversation to the next."""

    conversation_id: str
    # The customer's language (ISO 639-1), kept when a message can't tell.
    language: str
    # Set by a lookup that matched the policy holder's details; tools need it to show data.
    verified_policy: str | None
    failed_verifications: int
    # The privacy note on masked personal data is given once per conversation.
    masking_explained: bool
    # Turns folded out of the request (summarised or set aside) so far.
    folded_turns: int
    abuse_warnings: int
    # Turns in a row without progress, and the last few moods (escalation reads both).
    stalled: int
    moods: list[float]
    # The last hand-back note from a colleague that Eva has read (a human-mode message id).
    handback_seen: int
    # The last human-mode message the customer's page has shown (polled from the store).
    human_seen: int


class Source(TypedDict):
    """A help-centre section or past ticket offered to Eva, as listed under an answer."""

    id: str
    kind: str
    title: str
    section: str
    snippet: str


class ToolCall(TypedDict):
    """One tool call as the turn's record keeps it (never its input: it may be personal)."""

    name: str
    is_error: bool
    summary: str


class TextSegment(TypedDict):
    kind: Literal["text"]
    text: str


class ToolCard(TypedDict):
    kind: Literal["tool"]
    name: str
    input: dict[str, Any]
    is_error: bool
    summary: str


class HandoffLine(TypedDict):
    reference: str
    reason: str
    next_steps: str


class Entry(TypedDict):
    """One message of the conversation as the page shows it: text and tool cards in the order
    they happened, and what goes under it."""

    # agent: a person from Acme (author names them); notice: the app's own line (who joined).
    role: Literal["user", "assistant", "agent", "notice"]
    segments: list[TextSegment | ToolCard]
    author: NotRequired[str]
    privacy: NotRequired[str]
    notice: NotRequired[str | None]
    handoff: NotRequired[HandoffLine | None]
    sources: NotRequired[list[Source]]
    turn_id: NotRequired[int | None]
    folded: NotRequired[str]


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply as it streams."""

    text: str


@dataclass(frozen=True)
class Thinking:
    """The model is reasoning (between tool calls, usually); text is its summary, if any."""

    text: str


@dataclass(frozen=True)
class ToolStarted:
    tool_use_id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class ToolFinished:
    tool_use_id: str
    name: str
    input: dict[str, Any]
    is_error: bool
    summary: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Handoff:
    """A person has been asked to take over; reference is what the customer quotes."""

    reference: str
    reason: str
    priority: str
    next_steps: str = ""


@dataclass(frozen=True)
class Withdrawn:
    """The reply streamed so far is replaced by `text` (a draft scored too low to send)."""

    text: str


@dataclass(frozen=True)
class Folded:
    """The oldest turns were folded to keep the request within budget (summary or set aside)."""

    turns: int
    summarised: bool
    notice: str


@dataclass(frozen=True)
class Usage:
    """Tokens of one turn (all its model calls) and what they cost."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float | None = 0.0

    def __add__(self, other: Usage) -> Usage:
        cost = (
            None
            if self.cost_usd is None or other.cost_usd is None
            else self.cost_usd + other.cost_usd
        )
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            cost,
        )

    # A conversation's running totals are kept as plain data (session state, the saved
    # conversation) under these keys; they are added up by __add__ like a turn's calls.
    def totals(self) -> dict[str, Any]:
        return {
            "input": self.input_tokens,
            "output": self.output_tokens,
            "cache_write": self.cache_write_tokens,
            "cache_read": self.cache_read_tokens,
            "cost": self.cost_usd,
        }

    @classmethod
    def from_totals(cls, totals: dict[str, Any]) -> Usage:
        return cls(
            totals["input"],
            totals["output"],
            totals["cache_write"],
            totals["cache_read"],
            totals["cost"],
        )

    @classmethod
    def of(cls, message: Any, model: str) -> Usage:
        """One response's token counts (message.usage) and their cost at settings.PRICES."""
        raw = message.usage
        counts = (
            raw.input_tokens or 0,
            raw.output_tokens or 0,
            raw.cache_creation_input_tokens or 0,
            raw.cache_read_input_tokens or 0,
        )
        prices = settings.PRICES.get(model)
        cost = None
        if prices:
            rates = (prices["input"], prices["output"], prices["cache_write"], prices["cache_read"])
            cost = sum(n * rate for n, rate in zip(counts, rates, strict=True)) / 1_000_000
        return cls(*counts, cost_usd=cost)


@dataclass(frozen=True)
class Masked:
    """Personal data was removed from the customer's message before anything else saw it.

    `text` is the message as the model, the embedder and the history get it; `notice` is what
    to tell the customer (empty when they were already told in this conversation).
    """

    text: str
    kinds: tuple[str, ...]
    notice: str


@dataclass(frozen=True)
class Sources:
    """The help-centre sections the reply cites (title, section, snippet), for the page."""

    items: list[Source]


@dataclass(frozen=True)
class TurnError:
    """The turn failed; message is safe to show a customer. History must stay as it was."""

    message: str


@dataclass(frozen=True)
class TurnDone:
    """The turn succeeded: append `messages` to history and keep `facts` for the next turn."""

    messages: list[dict[str, Any]]
    reply: str
    notice: str | None
    facts: Facts
    usage: Usage
    stop_reason: str
    sources: list[Source] = field(default_factory=list)
    # The turn's row in the store (feedback attaches to it); None if it could not be written.
    turn_id: int | None = None
    # Set when the oldest turns were folded: this replaces the history before `messages`.
    folded: list[dict[str, Any]] | None = None

    def history(self, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The history to keep after this turn, given the one it started from."""
        return [*(before if self.folded is None else self.folded), *self.messages]


@dataclass(frozen=True)
class WithPerson:
    """The turn ended without Eva: a person owns the conversation, so her reply (if any had
    streamed) is dropped and nothing of hers was recorded. The customer's message went to the
    person (message_id in the store's human-mode messages). `joined` when the claim landed
    during this turn: the page withdraws what streamed and shows that `agent_name` has joined.
    Keep `facts` for the next turn, as after TurnDone; history is unchanged."""

    agent_name: str
    message_id: int
    joined: bool
    facts: Facts


Event = (
    TextDelta
    | Masked
    | Thinking
    | ToolStarted
    | ToolFinished
    | Handoff
    | Withdrawn
    | Folded
    | Sources
    | Usage
    | TurnError
    | TurnDone
    | WithPerson
)
