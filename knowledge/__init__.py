"""Knowledge: kb/ → section chunks → Chroma vectors + BM25 → hybrid search with citations.

Two corpora: help-centre articles (policy) and resolved past tickets (precedent). Both are
chunked, embedded once per content hash and searched side by side, but returned apart, so a
past ticket can never crowd out, or pass for, the article that states the rule.

The index lives in a Chroma folder under data/ (one app process), or on a Chroma server that
several app replicas share when settings.CHROMA_HOST is set.

Run `python -m knowledge reindex` to build or refresh the index with a progress bar, or
`python -m knowledge search "question"` to see what a question retrieves; `python -m knowledge
engine` compiles the e5 engine (make does it once after installing).

Modules: chunks, embedders, lexical, index (KnowledgeBase), citations (what a reply cites),
sharing (locks and leases);
`python -m knowledge` runs cli. Tuning constants are not re-exported here: set them on their
own module (knowledge.index.EMBED_BATCH), where the code reads them.
"""

from __future__ import annotations

from knowledge.chunks import (
    ARTICLE,
    TICKET,
    Chunk,
    Hit,
    KnowledgeError,
    article_chunks,
    chunk_tokens,
    fill_facts,
    kb_files,
    load_chunks,
    overlap,
    paragraphs,
    parts,
    read,
    sections,
    slug,
    split_front_matter,
    ticket_chunk,
)
from knowledge.citations import cited_sources
from knowledge.cli import main, models
from knowledge.embedders import (
    E5_FLAGS,
    Embedder,
    LocalEmbedder,
    UseEmbedder,
    VoyageEmbedder,
    _umask,
    bundled_embedders,
    embedders_from_env,
    exact_engine,
    in_float64,
    ranked,
    unit,
)
from knowledge.index import (
    KnowledgeBase,
    Progress,
    Results,
    SyncReport,
    Vectors,
    distinct_sections,
)
from knowledge.lexical import Lexical
from knowledge.sharing import (
    LEASES,
    Lease,
    claim,
    server_address,
)

__all__ = [
    "ARTICLE",
    "E5_FLAGS",
    "LEASES",
    "TICKET",
    "Chunk",
    "Embedder",
    "Hit",
    "KnowledgeBase",
    "KnowledgeError",
    "Lease",
    "Lexical",
    "LocalEmbedder",
    "Progress",
    "Results",
    "SyncReport",
    "UseEmbedder",
    "Vectors",
    "VoyageEmbedder",
    "_umask",
    "article_chunks",
    "bundled_embedders",
    "chunk_tokens",
    "cited_sources",
    "claim",
    "distinct_sections",
    "embedders_from_env",
    "exact_engine",
    "fill_facts",
    "in_float64",
    "kb_files",
    "load_chunks",
    "main",
    "models",
    "overlap",
    "paragraphs",
    "parts",
    "ranked",
    "read",
    "sections",
    "server_address",
    "slug",
    "split_front_matter",
    "ticket_chunk",
    "unit",
]
