"""kb/ as chunks: articles split by section (long ones in overlapping parts), past tickets
whole, facts filled in from config.FACTS."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

import config
import settings

if TYPE_CHECKING:
    from events import Source

ARTICLE = "article"
TICKET = "ticket"


class KnowledgeError(Exception):
    """kb/ holds something the loader cannot use; the message names the file."""


# ---------------------------------------------------------------------------------------------
# Chunks: what kb/ holds, cut where a help centre is cut, at headings.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """One section (or part of a long one) of an article, or one whole past ticket."""

    id: str
    kind: str
    doc: str
    title: str
    section: str
    category: str
    updated: str
    text: str
    # The article's opening lines, embedded with every section (not shown): a section read
    # alone often never names what it is about.
    context: str = ""

    @property
    def section_id(self) -> str:
        """The section this chunk belongs to: parts of one long section share it."""
        return self.id.split("~", 1)[0]

    @property
    def indexed_text(self) -> str:
        """Title, heading and the article's opening travel with the text."""
        lead = f"{self.context}\n" if self.context else ""
        return f"{self.title} — {self.section}\n{lead}{self.text}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.indexed_text.encode()).hexdigest()[:16]

    def snippet(self, limit: int = 240) -> str:
        """The start of the text, cut at a word, for the Sources list."""
        flat = " ".join(re.sub(r"(?m)^\s*[-*]\s+", "", self.text).split())
        if len(flat) <= limit:
            return flat
        return flat[:limit].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    similarity: float

    def source(self) -> Source:
        """What the page lists under an answer, as plain data for session_state."""
        c = self.chunk
        return {
            "id": c.id,
            "kind": c.kind,
            "title": c.title,
            "section": c.section,
            "snippet": c.snippet(),
        }


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def chunk_tokens(text: str) -> int:
    """Sub-word tokens of a passage as the embedders cut it (words and punctuation, plus a
    little for long words): sizes chunks, not requests (that is budget.estimate_tokens)."""
    pieces = re.findall(r"\w+|[^\w\s]", text)
    return len(pieces) + sum(len(p) // 8 for p in pieces)


_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def fill_facts(text: str, origin: str) -> str:
    """Put config.FACTS into an article: `{{support_phone}}` becomes the number."""

    def fact(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in config.FACTS:
            known = ", ".join(sorted(config.FACTS))
            raise KnowledgeError(f"{origin}: unknown placeholder {{{{{name}}}}} (known: {known})")
        return config.FACTS[name]

    return _PLACEHOLDER.sub(fact, text)


def split_front_matter(raw: str, origin: str) -> tuple[dict[str, Any], str]:
    match = re.match(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", raw, re.S)
    if not match:
        raise KnowledgeError(f"{origin}: must start with front matter between --- lines")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as problem:
        raise KnowledgeError(f"{origin}: front matter is not valid YAML ({problem})") from None
    if not isinstance(meta, dict):
        raise KnowledgeError(f"{origin}: front matter must be 'key: value' lines")
    missing = [key for key in ("title", "category") if not meta.get(key)]
    if missing:
        raise KnowledgeError(f"{origin}: front matter lacks {', '.join(missing)}")
    return meta, match.group(2)


def sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) per `## ` section; text before the first heading is the Overview."""
    found: list[tuple[str, str]] = []
    heading, lines = "Overview", list[str]()
    for line in body.splitlines():
        if line.startswith("## "):
            found.append((heading, "\n".join(lines).strip()))
            heading, lines = line[3:].strip(), []
        else:
            lines.append(line)
    found.append((heading, "\n".join(lines).strip()))
    return [(h, t) for h, t in found if t]


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def parts(text: str) -> list[str]:
    """A long section cut at paragraphs, each part opening with the tail of the one before."""
    if chunk_tokens(text) <= settings.CHUNK_MAX_TOKENS:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    for paragraph in paragraphs(text):
        if current and chunk_tokens("\n\n".join([*current, paragraph])) > (
            settings.CHUNK_MAX_TOKENS
        ):
            pieces.append("\n\n".join(current))
            current = [overlap(current[-1])]
        current.append(paragraph)
    pieces.append("\n\n".join(current))
    return pieces


def overlap(paragraph: str) -> str:
    """The last sentences of a paragraph, up to the overlap budget."""
    sentences = re.split(r"(?<=[.!?])\s+", paragraph)
    kept: list[str] = []
    for sentence in reversed(sentences):
        if chunk_tokens(" ".join([sentence, *kept])) > settings.CHUNK_OVERLAP_TOKENS:
            break
        kept.insert(0, sentence)
    return " ".join(kept) or "…"


def article_chunks(path: Path) -> list[Chunk]:
    origin = f"kb/articles/{path.name}"
    meta, body = split_front_matter(fill_facts(read(path, origin), origin), origin)
    doc = path.stem
    chunks: list[Chunk] = []
    seen: set[str] = set()
    found = sections(body)
    intro = found[0][1] if found and found[0][0] == "Overview" else ""
    for heading, text in found:
        section_id = f"{doc}#{slug(heading)}"
        if section_id in seen:
            raise KnowledgeError(f"{origin}: two sections are headed '{heading}'")
        seen.add(section_id)
        for number, part in enumerate(parts(text), start=1):
            chunks.append(
                Chunk(
                    id=section_id if number == 1 else f"{section_id}~{number}",
                    kind=ARTICLE,
                    doc=doc,
                    title=str(meta["title"]),
                    section=heading,
                    category=str(meta["category"]),
                    updated=str(meta.get("updated", "")),
                    text=part,
                    context="" if heading == "Overview" else intro,
                )
            )
    return chunks


def ticket_chunk(path: Path) -> Chunk:
    """A past ticket stays whole: the question, what was done and the outcome belong together."""
    origin = f"kb/tickets/{path.name}"
    meta, body = split_front_matter(fill_facts(read(path, origin), origin), origin)
    return Chunk(
        id=f"ticket/{path.stem}",
        kind=TICKET,
        doc=path.stem,
        title=str(meta["title"]),
        section="Past ticket",
        category=str(meta["category"]),
        updated=str(meta.get("resolved", "")),
        text=body.strip(),
    )


def read(path: Path, origin: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KnowledgeError(f"{origin}: is not saved as UTF-8 text") from None
    except OSError as problem:
        raise KnowledgeError(f"{origin}: cannot be read ({problem.strerror})") from None


def kb_files(kb_dir: Path) -> list[Path]:
    return sorted([*kb_dir.glob("articles/*.md"), *kb_dir.glob("tickets/*.md")])


def load_chunks(kb_dir: Path | None = None) -> list[Chunk]:
    """Every chunk of kb/, in a stable order."""
    kb_dir = kb_dir or settings.KB_DIR
    chunks: list[Chunk] = []
    for path in kb_files(kb_dir):
        if path.parent.name == "articles":
            chunks.extend(article_chunks(path))
        else:
            chunks.append(ticket_chunk(path))
    return chunks
