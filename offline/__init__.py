"""The offline model: a deterministic stand-in that speaks the Messages API over HTTP.

It sits behind the official SDK as an `httpx2.MockTransport` handler (llm.py plugs it in), so
streaming, tool use, retries and usage parsing run exactly the code production runs. It
enforces the API's request rules (a bad request gets the same 400 the API would send),
simulates prompt caching (marks, minimum length, TTL), and answers only from what it is sent:
the static context in the system prompt, knowledge passages in the user turn, and tool results.
It never invents a price.

It follows the system prompt's guardrails that it recognises (brain.RULES): take the competitor
rule, the private-instructions rule or the products-we-don't-sell rule out of
config.ADDITIONAL_GUARDRAILS and it stops keeping it, as a model would. So a prompt author
sees the effect of such an edit in the evals and the page's Prompt lab without a key.

The parts, from the wire inwards: model (the HTTP handler), rules (what the API refuses), cache
(prompt caching and token counts), wire (message JSON and server-sent events), messages
(reading a request's content), and the brain: brain (decide, in a fixed order), grounding
(quoting passages), flows (quote and account steps) and reports (wording tool results).
Only the names other modules use are exported here; tuning constants stay in their modules.
"""

from offline.brain import decide
from offline.cache import CacheUsage, PromptCache, block_tokens, count_tokens, prefix_tokens
from offline.flows import QUOTE_ASK_MARK, VERIFY_ASK_MARK, quote_details
from offline.model import OfflineModel
from offline.reports import REPORTS
from offline.rules import request_problems
from offline.wire import Reply, error_response, sse_events, sse_frame

__all__ = [
    "QUOTE_ASK_MARK",
    "REPORTS",
    "VERIFY_ASK_MARK",
    "CacheUsage",
    "OfflineModel",
    "PromptCache",
    "Reply",
    "block_tokens",
    "count_tokens",
    "decide",
    "error_response",
    "prefix_tokens",
    "quote_details",
    "request_problems",
    "sse_events",
    "sse_frame",
]
