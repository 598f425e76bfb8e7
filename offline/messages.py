"""Reading a request's messages as the offline model reads them: content blocks, visible text,
the customer's own words, the language to answer in.

Shared by the API rules, the cache simulation and the brain. It only reads; it decides nothing
and leaves the app's own tags to envelope.py.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import config
import envelope


def content_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A message's content as a list of blocks (a plain string is one text block)."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content or [])


def text_of(content: list[dict[str, Any]]) -> str:
    """The text blocks of a content list, joined: what a reader of the message would see."""
    return " ".join(b.get("text", "") for b in content if b.get("type") == "text")


def customer_words(text: str) -> str:
    """The customer's own words, without knowledge or instruction blocks the app adds."""
    words = envelope.customer_words(text)
    if words is not None:
        return words.strip()
    return re.sub(r"<(\w+)[^>]*>.*?</\1>", " ", text, flags=re.S).strip()


def user_texts_recent(messages: list[dict[str, Any]], count: int) -> list[str]:
    """The customer's words in the last `count` user messages that have any."""
    texts = [customer_words(text_of(content_blocks(m))) for m in messages if m["role"] == "user"]
    return [t for t in texts if t][-count:]


def sent_on(messages: list[dict[str, Any]]) -> date | None:
    """The day the latest customer message was sent, as the app tagged it (envelope's today=);
    None if it did not say: the model has no clock of its own."""
    for message in reversed(messages):
        if message["role"] == "user":
            day = envelope.today(text_of(content_blocks(message)))
            if day is not None:
                return day
    return None


def reply_language(messages: list[dict[str, Any]]) -> str:
    """The code (config.LANGUAGES) of the language the app asks the answer in: the reply_in of
    the latest customer message, so a reply after tool results keeps it; English if none."""
    for message in reversed(messages):
        if message["role"] != "user":
            continue
        name = envelope.reply_in(text_of(content_blocks(message)))
        if name is not None:
            return next((code for code, known in config.LANGUAGES.items() if known == name), "en")
    return "en"
