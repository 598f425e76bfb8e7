"""The tags the app puts around text it sends the model, built, escaped and parsed here only.

A customer's words ride in `<customer_message>`; retrieved passages in `<knowledge>` with one
`<article>` or `<past_ticket>` per passage. Text inside is escaped, so nothing the customer or
an article says can close a tag or forge one of the app's own. The offline model reads the
same tags back with the parsers below.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

import config

if TYPE_CHECKING:
    from knowledge import Results

CUSTOMER = "customer_message"
COLLEAGUE = "colleague_note"
_COLLEAGUE = re.compile(rf"<{COLLEAGUE}>\n?(.*?)\n?</{COLLEAGUE}>", re.S)
_CUSTOMER = re.compile(rf"<{CUSTOMER}[^>]*>\n?(.*?)\n?</{CUSTOMER}>", re.S)
_REPLY_IN = re.compile(rf'<{CUSTOMER}[^>]*\breply_in="([^"]+)"')
_TODAY = re.compile(rf'<{CUSTOMER}[^>]*\btoday="(\d{{4}}-\d{{2}}-\d{{2}})"')
_ARTICLE = re.compile(
    r'<article id="[^"]*" title="([^"]*)" section="([^"]*)"[^>]*>\n?(.*?)</article>', re.S
)


def escape(text: str, quotes: bool = True) -> str:
    """Text that cannot open or close a tag (&, < and, for attributes and passages, quotes)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return text.replace('"', "&quot;") if quotes else text


def unescape(text: str) -> str:
    return text.replace("&quot;", '"').replace("&lt;", "<").replace("&amp;", "&")


def customer_block(text: str, language: str, today: date | None = None) -> str:
    """The customer's message, tagged with its language, the language to answer in and the
    date it was sent (where Acme works), so "yesterday" and "from Friday" can be dated."""
    reply_in = config.LANGUAGES.get(language, "English")
    sent = f' today="{today.isoformat()}"' if today else ""
    return (
        f'<{CUSTOMER} lang="{language}" reply_in="{reply_in}"{sent}>\n'
        f"{escape(text, quotes=False)}\n</{CUSTOMER}>"
    )


def colleague_block(note: str) -> str:
    """What a colleague said and did before handing the conversation back (escalation)."""
    return f"<{COLLEAGUE}>\n{escape(note, quotes=False)}\n</{COLLEAGUE}>"


def colleague_words(text: str) -> str | None:
    """The note in a block colleague_block made; None if it is not one."""
    found = _COLLEAGUE.search(text)
    return unescape(found.group(1)) if found else None


def customer_words(text: str) -> str | None:
    """What the customer wrote, from a block customer_block made; None if it is not one."""
    found = _CUSTOMER.search(text)
    return unescape(found.group(1)) if found else None


def reply_in(text: str) -> str | None:
    """The language a block customer_block made asks the answer in; None if there is none."""
    found = _REPLY_IN.search(text)
    return found.group(1) if found else None


def today(text: str) -> date | None:
    """The date a block customer_block made was sent on; None if it carries none."""
    found = _TODAY.search(text)
    return date.fromisoformat(found.group(1)) if found else None


def knowledge_block(results: Results, searched_for: str | None = None) -> str:
    """Passages as the model reads them: tagged data with ids, never loose instructions."""
    lines = ["<knowledge>"]
    if searched_for is not None:
        lines.append(f"<searched_for>{escape(searched_for)}</searched_for>")
    lines.append(
        f"<note>{config.KNOWLEDGE_NOTE if results.hits() else config.NO_KNOWLEDGE_NOTE}</note>"
    )
    for hit in results.articles:
        c = hit.chunk
        lines += [
            f'<article id="{c.id}" title="{escape(c.title)}" section="{escape(c.section)}" '
            f'updated="{c.updated}">',
            escape(c.text),
            "</article>",
        ]
    for hit in results.precedents:
        c = hit.chunk
        lines += [
            f'<past_ticket id="{c.id}" title="{escape(c.title)}" resolved="{c.updated}">',
            # A ticket quotes a customer: whatever tags they typed stay text.
            escape(c.text),
            "</past_ticket>",
        ]
    lines.append("</knowledge>")
    return "\n".join(lines)


def articles(text: str) -> list[tuple[str, str, str]]:
    """(title, section, text) of each article in a knowledge block, best first, unescaped."""
    return [(unescape(t), unescape(s), unescape(body)) for t, s, body in _ARTICLE.findall(text)]
