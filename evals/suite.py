"""The scenario suite: evals/scenarios/*.yaml read into checked, typed scenarios.

A scenario is a conversation (one or more customer messages) with what Eva must and must not do,
per turn and over the whole conversation. The format is described in evals/scenarios/README.md;
anything it does not allow (an unknown key, a tool that does not exist, a bad regex) is an error
naming the file and scenario, so a typo cannot quietly turn a check off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import tools

SCENARIOS_DIR = Path(__file__).with_name("scenarios")
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
    """A scenario file that does not follow the format."""


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

    def tagged(self, tag: str) -> bool:
        return tag == self.category or tag in self.tags or tag == self.id


def load(directory: Path = SCENARIOS_DIR) -> list[Scenario]:
    """Every scenario in the folder, in file then listed order; ids must be unique."""
    scenarios: list[Scenario] = []
    for path in sorted(directory.glob("*.yaml")):
        scenarios += load_file(path)
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.id in seen:
            raise ScenarioError(f"{scenario.source}: duplicate scenario id {scenario.id!r}")
        seen.add(scenario.id)
    return scenarios


def load_file(path: Path) -> list[Scenario]:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as problem:
        raise ScenarioError(f"{path.name}: not valid YAML ({problem})") from problem
    if not isinstance(document, dict) or set(document) != {"category", "scenarios"}:
        raise ScenarioError(f"{path.name}: expected exactly the keys 'category' and 'scenarios'")
    category = document["category"]
    if category not in CATEGORIES:
        raise ScenarioError(f"{path.name}: unknown category {category!r} (one of {CATEGORIES})")
    return [_scenario(raw, category, path.name) for raw in document["scenarios"] or []]


def _scenario(raw: Any, category: str, source: str) -> Scenario:
    where = f"{source}: {raw.get('id', '?') if isinstance(raw, dict) else '?'}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a scenario is a mapping")
    allowed = {"id", "tags", "description", "turns", "expect", "escalate", "canary"}
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
    )


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
