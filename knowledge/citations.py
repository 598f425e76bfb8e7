"""Which of the passages offered to Eva her reply actually cites, for the sources under it.

Reads the reply and the offered sources; never searches (index does) and never edits the reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from events import Source


def italic(title: str) -> str:
    return f"*{title.casefold()}*"


def cited_sources(reply: str, offered: dict[str, Source]) -> list[Source]:
    """The offered article sections the reply cites, in the order it cites them.

    Eva cites an article by its exact title in italics (*Roadside assistance*): a title merely
    used as words ("roadside assistance is included") is not a citation. Where the reply also
    names a section's heading, only those sections are listed; otherwise every section of
    that article she was given.
    """
    folded = reply.casefold()
    articles: dict[str, list[Source]] = {}
    for source in offered.values():
        if source["kind"] == "article" and italic(source["title"]) in folded:
            articles.setdefault(source["title"], []).append(source)
    cited: list[tuple[int, Source]] = []
    for title, sections in articles.items():
        named = [s for s in sections if s["section"].casefold() in folded]
        at = folded.find(italic(title))
        cited += [(at, s) for s in named or sections]
    return [source for _, source in sorted(cited, key=lambda pair: pair[0])]
