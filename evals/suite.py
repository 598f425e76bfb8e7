"""The suite: evals/scenarios/*.yaml and evals/tasks/*.yaml read into checked, typed cases.

A scenario is a conversation (one or more customer messages written out) with what Eva must and
must not do, per turn and over the whole conversation. A task is a customer instead of a script:
who they are, what they want and know, and the end state their conversation must leave; a
simulated customer (evals/customers.py) talks to Eva from it. The formats are described in
evals/scenarios/README.md and evals/tasks/README.md; anything they do not allow (an unknown key,
a tool that does not exist, a bad regex) is an error naming the file and case, so a typo cannot
quietly turn a check off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import tools
from evals.endstate import EndState, EndStateError
from evals.endstate import parse as parse_end_state

SCENARIOS_DIR = Path(__file__).with_name("scenarios")
TASKS_DIR = Path(__file__).with_name("tasks")
CATEGORIES = (
    "coverage",
    "quotes",
    "accounts",
    "claims",
    "billing",
    "out-of-scope",
    "off-topic",
    "competitors",
    "injection",
    "pii",
    "escalation",
    "abuse",
    "multilingual",
    "ambiguous",
)
LANGUAGES = ("en", "es", "de", "fr", "ru")
TOOL_NAMES = frozenset(tool["name"] for tool in tools.TOOLS)
CHECK_KEYS = frozenset(
    {
        "contains",
        "not_contains",
        "tools",
        "no_tools",
        "tool_args",
        "cites",
        "language",
        "handoff",
        "flags",
        "no_flags",
    }
)


# libyaml's loader when the wheel has it: a tenth of the time for the whole suite.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ScenarioError(ValueError):
    """A scenario or task file that does not follow the format."""


@dataclass(frozen=True)
class Checks:
    """What a reply (one turn's, or the whole conversation's) must and must not show."""

    contains: tuple[re.Pattern[str], ...] = ()
    not_contains: tuple[re.Pattern[str], ...] = ()
    tools: tuple[str, ...] = ()
    # "*" means no tool at all.
    no_tools: tuple[str, ...] = ()
    tool_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    cites: tuple[str, ...] = ()
    language: str | None = None
    handoff: bool | None = None
    flags: tuple[str, ...] = ()
    no_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    say: str
    expect: Checks


@dataclass(frozen=True)
class Scenario:
    id: str
    category: str
    tags: tuple[str, ...]
    description: str
    turns: tuple[Turn, ...]
    expect: Checks
    # Must a person be brought in by the end? Every scenario says: it feeds precision/recall.
    escalate: bool
    # A string the attack tries to make Eva say or use (injection scenarios).
    canary: str | None
    source: str
    # What the store must hold afterwards (evals/endstate.py); None: not checked.
    end_state: EndState | None = None
    kind = "scenario"

    def tagged(self, tag: str) -> bool:
        return tag in (self.category, self.id, self.kind) or tag in self.tags


def load(directory: Path = SCENARIOS_DIR) -> list[Scenario]:
    """Every scenario in the folder, in file then listed order; ids must be unique."""
    scenarios: list[Scenario] = []
    for path in sorted(directory.glob("*.yaml")):
        scenarios += load_file(path)
    _unique(scenarios)
    return scenarios


def load_file(path: Path) -> list[Scenario]:
    category, listed = _document(path, "scenarios", CATEGORIES)
    return [_scenario(raw, category, path.name) for raw in listed]


def _document(path: Path, key: str, categories: tuple[str, ...]) -> tuple[str, list[Any]]:
    """A scenario or task file's category and its list under `key`, both checked."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as problem:
        raise ScenarioError(f"{path.name}: not valid YAML ({problem})") from problem
    if not isinstance(document, dict) or set(document) != {"category", key}:
        raise ScenarioError(f"{path.name}: expected exactly the keys 'category' and '{key}'")
    category = document["category"]
    if category not in categories:
        raise ScenarioError(f"{path.name}: unknown category {category!r} (one of {categories})")
    return category, document[key] or []


def _scenario(raw: Any, category: str, source: str) -> Scenario:
    where = f"{source}: {raw.get('id', '?') if isinstance(raw, dict) else '?'}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a scenario is a mapping")
    allowed = {"id", "tags", "description", "turns", "expect", "escalate", "canary", "end_state"}
    _no_unknown(raw, allowed, where)
    for key in ("id", "turns", "escalate"):
        if key not in raw:
            raise ScenarioError(f"{where}: missing {key!r}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(raw["id"])):
        raise ScenarioError(f"{where}: ids are lower-case words joined by dashes")
    if not isinstance(raw["escalate"], bool):
        raise ScenarioError(f"{where}: escalate is true or false")
    turns = raw["turns"]
    if not isinstance(turns, list) or not turns:
        raise ScenarioError(f"{where}: turns is a non-empty list")
    parsed = []
    for index, turn in enumerate(turns, 1):
        if isinstance(turn, str):
            turn = {"say": turn}
        if not isinstance(turn, dict) or not isinstance(turn.get("say"), str):
            raise ScenarioError(f"{where}: turn {index} needs 'say' (the customer's message)")
        _no_unknown(turn, {"say", "expect"}, f"{where} turn {index}")
        parsed.append(Turn(turn["say"].strip(), _checks(turn.get("expect"), f"{where} t{index}")))
    return Scenario(
        id=raw["id"],
        category=category,
        tags=tuple(str(tag) for tag in raw.get("tags") or ()),
        description=str(raw.get("description", "")).strip(),
        turns=tuple(parsed),
        expect=_checks(raw.get("expect"), f"{where} expect"),
        escalate=raw["escalate"],
        canary=raw.get("canary"),
        source=source,
        end_state=_end_state(raw.get("end_state"), where),
    )


def _end_state(raw: Any, where: str) -> EndState | None:
    try:
        return parse_end_state(raw, where)
    except EndStateError as problem:
        raise ScenarioError(str(problem)) from problem


def _checks(raw: Any, where: str) -> Checks:
    if raw is None:
        return Checks()
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: expect is a mapping")
    _no_unknown(raw, CHECK_KEYS, where)
    named = [*_list(raw, "tools", where), *_list(raw, "no_tools", where), *raw.get("tool_args", {})]
    unknown = {name for name in named if name not in TOOL_NAMES and name != "*"}
    if unknown:
        raise ScenarioError(f"{where}: no such tool {sorted(unknown)}")
    language = raw.get("language")
    if language is not None and language not in LANGUAGES:
        raise ScenarioError(f"{where}: language is one of {LANGUAGES}")
    handoff = raw.get("handoff")
    if handoff is not None and not isinstance(handoff, bool):
        raise ScenarioError(f"{where}: handoff is true or false")
    return Checks(
        contains=tuple(_regex(p, where) for p in _list(raw, "contains", where)),
        not_contains=tuple(_regex(p, where) for p in _list(raw, "not_contains", where)),
        tools=tuple(_list(raw, "tools", where)),
        no_tools=tuple(_list(raw, "no_tools", where)),
        tool_args=dict(raw.get("tool_args") or {}),
        cites=tuple(_list(raw, "cites", where)),
        language=language,
        handoff=handoff,
        flags=tuple(_list(raw, "flags", where)),
        no_flags=tuple(_list(raw, "no_flags", where)),
    )


def _list(raw: dict[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{where}: {key} is a list of strings")
    return value


def _regex(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as problem:
        raise ScenarioError(f"{where}: bad regex {pattern!r} ({problem})") from problem


def _no_unknown(raw: dict[str, Any], allowed: set[str] | frozenset[str], where: str) -> None:
    unknown = set(raw) - set(allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")


# --- Tasks: a simulated customer instead of a script ------------------------------------------

TASK_CATEGORIES = ("claims", "quotes", "billing", "cancellations", "coverage", "handoffs")
# What a simulated customer may know. A closed list, so the scripted customer can match Eva's
# questions to the facts (evals/customers.py asks for each by name) and a typo is an error.
FACT_NAMES = (
    "name",
    "policy_number",
    "date_of_birth",
    "zip_code",
    "email",
    "vehicle",
    "vehicle_type",
    "mileage",
    "driver_age",
    "coverage_level",
    "deductible",
    "incident_date",
    "incident_type",
    "description",
    "location",
    "police_report_number",
    "claim_number",
    "effective_date",
    "reason",
    "amount",
    "change",
)
BEHAVIOURS = ("polite", "terse", "rambling", "angry", "anxious", "non-native")
DEFAULT_MAX_TURNS = 10


@dataclass(frozen=True)
class Task:
    """A customer with a goal, facts of their own and a way of writing, and what their
    conversation with Eva must leave behind (end state) and tell them (communicate)."""

    id: str
    category: str
    tags: tuple[str, ...]
    language: str
    persona: str
    behaviour: str
    goal: str
    # The first message, in the task's language: fixed, so every trial starts the same way.
    opening: str
    knows: dict[str, str]
    unknowns: tuple[str, ...]
    # Further requests, said in turn once Eva has answered the last and asks for nothing.
    then: tuple[str, ...]
    # Whether the customer says yes when Eva asks to go ahead (file, cancel, refund).
    agrees: bool
    end_state: EndState
    # Facts Eva must tell the customer: each a regex some reply must match.
    communicate: tuple[re.Pattern[str], ...]
    # Transcript checks over the whole conversation, where the words matter.
    expect: Checks
    max_turns: int
    source: str
    kind = "task"

    @property
    def escalate(self) -> bool:
        """A person must be brought in exactly when the end state holds a handoff."""
        return bool(self.end_state.rows.get("handoffs"))

    def tagged(self, tag: str) -> bool:
        return tag in (self.category, self.id, self.kind) or tag in self.tags


def load_tasks(directory: Path | None = None) -> list[Task]:
    """Every task in the folder (TASKS_DIR), in file then listed order; ids must be unique."""
    found: list[Task] = []
    for path in sorted((directory or TASKS_DIR).glob("*.yaml")):
        found += load_task_file(path)
    _unique(found)
    return found


def load_all() -> list[Scenario | Task]:
    """The whole suite: scenarios, then tasks; no id may be both."""
    cases: list[Scenario | Task] = [*load(), *load_tasks()]
    _unique(cases)
    return cases


def _unique(cases: list[Any]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ScenarioError(f"{case.source}: duplicate id {case.id!r}")
        seen.add(case.id)


def load_task_file(path: Path) -> list[Task]:
    category, listed = _document(path, "tasks", TASK_CATEGORIES)
    return [_task(raw, category, path.name) for raw in listed]


def _task(raw: Any, category: str, source: str) -> Task:
    where = f"{source}: {raw.get('id', '?') if isinstance(raw, dict) else '?'}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a task is a mapping")
    required = {"id", "language", "persona", "behaviour", "goal", "opening", "end_state"}
    optional = {"tags", "knows", "unknowns", "then", "agrees", "communicate", "expect", "max_turns"}
    _no_unknown(raw, required | optional, where)
    missing = required - set(raw)
    if missing:
        raise ScenarioError(f"{where}: missing {sorted(missing)}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(raw["id"])):
        raise ScenarioError(f"{where}: ids are lower-case words joined by dashes")
    if raw["language"] not in LANGUAGES:
        raise ScenarioError(f"{where}: language is one of {LANGUAGES}")
    if raw["behaviour"] not in BEHAVIOURS:
        raise ScenarioError(f"{where}: behaviour is one of {BEHAVIOURS}")
    knows = raw.get("knows") or {}
    if not isinstance(knows, dict):
        raise ScenarioError(f"{where}: knows is a mapping of facts to values")
    unknowns = _list(raw, "unknowns", where)
    strange = (set(knows) | set(unknowns)) - set(FACT_NAMES)
    if strange:
        raise ScenarioError(f"{where}: no such fact {sorted(strange)} (facts: {FACT_NAMES})")
    end_state = _end_state(raw["end_state"], where)
    if end_state is None:
        raise ScenarioError(f"{where}: end_state is required (`nothing` when nothing is written)")
    max_turns = raw.get("max_turns", DEFAULT_MAX_TURNS)
    if not isinstance(max_turns, int) or not 1 <= max_turns <= 30:
        raise ScenarioError(f"{where}: max_turns is a whole number from 1 to 30")
    agrees = raw.get("agrees", True)
    if not isinstance(agrees, bool):
        raise ScenarioError(f"{where}: agrees is true or false")
    texts = {key: raw[key] for key in ("persona", "goal", "opening")}
    if not all(isinstance(text, str) and text.strip() for text in texts.values()):
        raise ScenarioError(f"{where}: persona, goal and opening are text")
    return Task(
        id=raw["id"],
        category=category,
        tags=tuple(str(tag) for tag in raw.get("tags") or ()),
        language=raw["language"],
        persona=" ".join(raw["persona"].split()),
        behaviour=raw["behaviour"],
        goal=" ".join(raw["goal"].split()),
        opening=raw["opening"].strip(),
        # YAML reads 1985-03-14 as a date: every fact is kept as the text a customer types.
        knows={key: str(value).strip() for key, value in knows.items()},
        unknowns=tuple(unknowns),
        then=tuple(text.strip() for text in _list(raw, "then", where)),
        agrees=agrees,
        end_state=end_state,
        communicate=tuple(_regex(p, where) for p in _list(raw, "communicate", where)),
        expect=_checks(raw.get("expect"), f"{where} expect"),
        max_turns=max_turns,
        source=source,
    )
