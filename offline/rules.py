"""The Messages API's request rules: what the real API would refuse with a 400.

One validator, used by the offline model and by every test transport (tests/scripted.py), so a
request the app builds is checked against the same rules whichever model answers it. It only
judges a request; it never answers one.
"""

from __future__ import annotations

from typing import Any

from offline.cache import cache_marks
from offline.messages import content_blocks

FORBIDDEN_PARAMETERS = ("temperature", "top_p", "top_k")


def request_problems(body: dict[str, Any]) -> list[str]:
    """Every rule of the Messages API (as the current Sonnet enforces it) that `body` breaks."""
    problems: list[str] = []
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            problems.append(f"{name}: field required")
    problems += [
        f"{name}: not supported by this model" for name in FORBIDDEN_PARAMETERS if name in body
    ]
    thinking = body.get("thinking") or {}
    if thinking.get("type") in ("enabled", "disabled") or "budget_tokens" in thinking:
        problems.append(
            "thinking: budgets and 'disabled' are not supported; use adaptive or effort"
        )
    choice = (body.get("tool_choice") or {}).get("type")
    if choice in ("any", "tool"):
        problems.append("tool_choice: forced tool use is not supported with thinking")
    problems += _message_problems(body.get("messages") or [])
    marks = cache_marks(body)
    if len(marks) > 4:
        problems.append(f"cache_control: at most 4 blocks may be marked; found {len(marks)}")
    tool_names = [tool.get("name") for tool in body.get("tools") or []]
    if len(tool_names) != len(set(tool_names)):
        problems.append("tools: tool names must be unique")
    return problems


def _message_problems(messages: list[dict[str, Any]]) -> list[str]:
    """Role order, non-empty text, and tool_use answered by tool_result in the next message."""
    problems: list[str] = []
    if not messages:
        return ["messages: at least one message is required"]
    if messages[0].get("role") != "user":
        problems.append("messages: the first message must use the user role")
    paused = any(b.get("type") == "server_tool_use" for b in content_blocks(messages[-1]))
    if messages[-1].get("role") != "user" and not paused:
        # Only a paused server-tool turn may be sent back for the model to continue.
        problems.append("messages: prefilling the assistant turn is not supported by this model")
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            problems.append(f"messages.{index}.role: must be user or assistant")
        if index and role == messages[index - 1].get("role"):
            problems.append(f"messages.{index}: roles must alternate between user and assistant")
        blocks = content_blocks(message)
        if not blocks:
            problems.append(f"messages.{index}: content must not be empty")
        for block in blocks:
            if block.get("type") == "text" and not block.get("text", "").strip():
                problems.append(f"messages.{index}: text content blocks must be non-empty")
            if block.get("type") in ("thinking", "redacted_thinking") and "cache_control" in block:
                problems.append(f"messages.{index}: thinking blocks cannot be cached directly")
        answers = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        if answers:
            before = content_blocks(messages[index - 1]) if index else []
            calls = {b.get("id") for b in before if b.get("type") == "tool_use"}
            orphans = [tool_id for tool_id in answers if tool_id not in calls]
            if orphans:
                problems.append(
                    f"messages.{index}: tool_result ids {orphans} answer no tool_use "
                    "in the previous message"
                )
            if len(answers) != len(set(answers)):
                problems.append(f"messages.{index}: a tool_use is answered twice")
        asked = [b["id"] for b in blocks if b.get("type") == "tool_use"]
        if not asked:
            continue
        following = content_blocks(messages[index + 1]) if index + 1 < len(messages) else []
        answered = [b.get("tool_use_id") for b in following if b.get("type") == "tool_result"]
        missing = [tool_id for tool_id in asked if tool_id not in answered]
        if missing:
            problems.append(
                f"messages.{index + 1}: tool_use ids {missing} have no tool_result blocks "
                "immediately after"
            )
        if following and following[0].get("type") != "tool_result":
            problems.append(f"messages.{index + 1}: tool_result blocks must come first")
    return problems
