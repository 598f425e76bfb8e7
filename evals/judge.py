"""The live run's LLM judge: accuracy against the cited articles, relevance and tone.

The rubric is evals/judge_rubric.md (ours, in the repo, versioned with the scenarios); the judge
is the side model unless `--judge-model` says otherwise. Each judgement keeps its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import httpx2

import config
import guardrails
from evals.runner import ScenarioResult
from evals.suite import Scenario
from knowledge import KnowledgeBase

RUBRIC = Path(__file__).with_name("judge_rubric.md")
ARTICLE_CHARS = 12_000
SCORES = ("accuracy", "relevance", "tone")


def transcript(result: ScenarioResult) -> str:
    lines = []
    for turn in result.turns:
        # As the model saw it: what the customer typed, with card numbers and the like masked.
        lines.append(f"customer: {guardrails.mask(turn.say, config.MASK_FOR_MODEL).text}")
        for call in turn.tools:
            outcome = "failed" if call["is_error"] else "ok"
            arguments = json.dumps(call["input"])
            lines.append(f"tool {call['name']}({arguments}) {outcome}: {call['summary']}")
        lines.append(f"eva: {turn.reply or '(no reply: ' + str(turn.error) + ')'}")
    return "\n".join(lines)


def cited_articles(result: ScenarioResult, kb: KnowledgeBase | None) -> str:
    titles = {title.casefold() for turn in result.turns for title in turn.sources}
    if kb is None or not titles:
        return "(none cited)"
    sections = [
        f"## {chunk.title} — {chunk.section}\n{chunk.text}"
        for chunk in kb.chunks.values()
        if chunk.title.casefold() in titles
    ]
    return "\n\n".join(sections)[:ARTICLE_CHARS]


def parse(text: str) -> dict[str, Any]:
    verdict: dict[str, Any] = {}
    for name in SCORES:
        found = re.search(rf"<{name}>\s*([1-5])\s*</{name}>", text)
        verdict[name] = int(found.group(1)) if found else None
    reason = re.search(r"<reason>(.*?)</reason>", text, re.S)
    verdict["reason"] = reason.group(1).strip() if reason else text.strip()[:300]
    return verdict


def judge_with(
    client: anthropic.Anthropic, model: str
) -> Callable[[Scenario, ScenarioResult, KnowledgeBase | None], dict[str, Any]]:
    rubric = RUBRIC.read_text(encoding="utf-8")

    def judge(
        scenario: Scenario, result: ScenarioResult, kb: KnowledgeBase | None
    ) -> dict[str, Any]:
        content = (
            f"<articles>\n{cited_articles(result, kb)}\n</articles>\n"
            f"<transcript>\n{transcript(result)}\n</transcript>"
        )
        try:
            message = client.messages.create(
                model=model,
                max_tokens=400,
                system=rubric,
                messages=[{"role": "user", "content": content}],
            )
        except (anthropic.APIError, httpx2.HTTPError) as error:
            return {"error": type(error).__name__, "model": model}
        text = "".join(block.text for block in message.content if block.type == "text")
        return {**parse(text), "model": model}

    return judge
