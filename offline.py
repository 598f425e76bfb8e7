"""The offline model: a deterministic stand-in that speaks the Messages API over HTTP.

It sits behind the official SDK as an `httpx2.MockTransport` handler, so streaming, tool use,
retries and usage parsing run exactly the code production runs. It enforces the API's request
rules (a bad request gets the same 400 the API would send), simulates prompt caching (marks,
minimum length, TTL), and answers only from what it is sent: the static context in the system
prompt, knowledge passages in the user turn, and tool results. It never invents a price.

It follows the system prompt's guardrails that it recognises (RULES): take the competitor rule,
the private-instructions rule or the products-we-don't-sell rule out of
config.ADDITIONAL_GUARDRAILS and it stops keeping it, as a model would. So a prompt author
sees the effect of such an edit in the evals and the page's Prompt lab without a key.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2

import envelope
import guardrails
import settings
import tools
from budget import estimate_tokens

OFFLINE_MODEL_NAME = "acme-offline-1"
CACHE_LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
FORBIDDEN_PARAMETERS = ("temperature", "top_p", "top_k")

# ---------------------------------------------------------------------------------------------
# The API's request rules: one validator, used by this model and by every test transport.
# ---------------------------------------------------------------------------------------------


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
    marks = _cache_marks(body)
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
    paused = any(b.get("type") == "server_tool_use" for b in _blocks(messages[-1]))
    if messages[-1].get("role") != "user" and not paused:
        # Only a paused server-tool turn may be sent back for the model to continue.
        problems.append("messages: prefilling the assistant turn is not supported by this model")
    for index, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            problems.append(f"messages.{index}.role: must be user or assistant")
        if index and role == messages[index - 1].get("role"):
            problems.append(f"messages.{index}: roles must alternate between user and assistant")
        blocks = _blocks(message)
        if not blocks:
            problems.append(f"messages.{index}: content must not be empty")
        for block in blocks:
            if block.get("type") == "text" and not block.get("text", "").strip():
                problems.append(f"messages.{index}: text content blocks must be non-empty")
            if block.get("type") in ("thinking", "redacted_thinking") and "cache_control" in block:
                problems.append(f"messages.{index}: thinking blocks cannot be cached directly")
        answers = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        if answers:
            before = _blocks(messages[index - 1]) if index else []
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
        following = _blocks(messages[index + 1]) if index + 1 < len(messages) else []
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


def _text_of(blocks: list[dict[str, Any]]) -> str:
    """The text blocks of a content list, joined: what a reader of the message would see."""
    return " ".join(b.get("text", "") for b in blocks if b.get("type") == "text")


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A message's content as a list of blocks (a plain string is one text block)."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content or [])


# ---------------------------------------------------------------------------------------------
# Prompt caching, simulated by the API's rules.
# ---------------------------------------------------------------------------------------------


def _prefix_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request as the cache sees it: tools, then system, then message blocks, in order."""
    system = body.get("system") or []
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    blocks = list(body.get("tools") or []) + list(system)
    for message in body.get("messages") or []:
        blocks += [{**block, "_role": message["role"]} for block in _blocks(message)]
    if body.get("cache_control") and blocks:
        blocks[-1] = {**blocks[-1], "cache_control": body["cache_control"]}
    return blocks


def _cache_marks(body: dict[str, Any]) -> list[int]:
    """Positions (in prefix order) of the blocks that carry a cache mark."""
    return [i for i, block in enumerate(_prefix_blocks(body)) if block.get("cache_control")]


def prefix_tokens(body: dict[str, Any]) -> list[tuple[str, int]]:
    """The request as the cache sees it, block by block: (the block's text, its tokens)."""
    return [(_block_text(block), block_tokens(block)) for block in _prefix_blocks(body)]


def count_tokens(body: dict[str, Any]) -> int:
    """The input tokens of a request, as this model counts and bills them."""
    return sum(block_tokens(block) for block in _prefix_blocks(body))


def _block_text(block: dict[str, Any]) -> str:
    """A block as the cache keys it: everything but its mark."""
    clean = {k: v for k, v in block.items() if k != "cache_control"}
    return json.dumps(clean, sort_keys=True, ensure_ascii=False)


def block_tokens(block: dict[str, Any]) -> int:
    """Tokens the block's content counts for: its text, or its JSON where it has no text."""
    kind = block.get("type")
    if kind == "text":
        return estimate_tokens(block.get("text", ""))
    if kind == "thinking":
        return estimate_tokens(block.get("thinking", ""))
    if kind == "tool_result" and isinstance(block.get("content"), str):
        return estimate_tokens(block["content"]) + 4
    return estimate_tokens(_block_text(block))


@dataclass
class CacheUsage:
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int


class PromptCache:
    """Prefix entries written at cache marks, read back by exact prefix match within a TTL."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[str, float] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def account(self, body: dict[str, Any], min_tokens: int) -> CacheUsage:
        """Split the request's input tokens into read, written and uncached, updating entries."""
        blocks = _prefix_blocks(body)
        digests, totals = [], []
        running, total = hashlib.sha256(), 0
        for block in blocks:
            text = _block_text(block)
            running.update(text.encode())
            total += block_tokens(block)
            digests.append(running.hexdigest())
            totals.append(total)
        marks = [i for i, block in enumerate(blocks) if block.get("cache_control")]
        now = self._clock()
        with self._lock:
            read_end = self._longest_hit(marks, digests, now)
            read = totals[read_end] if read_end is not None else 0
            written_to = read
            for mark in marks:
                if totals[mark] < min_tokens or totals[mark] <= written_to:
                    continue
                ttl = TTL_SECONDS.get(blocks[mark]["cache_control"].get("ttl", "5m"), 300.0)
                self._entries[digests[mark]] = now + ttl
                written_to = totals[mark]
            if read_end is not None:
                ttl = TTL_SECONDS.get(blocks[marks[-1]]["cache_control"].get("ttl", "5m"), 300.0)
                self._entries[digests[read_end]] = max(self._entries[digests[read_end]], now + ttl)
        return CacheUsage(
            input_tokens=total - written_to,
            cache_creation_input_tokens=written_to - read,
            cache_read_input_tokens=read,
        )

    def _longest_hit(self, marks: list[int], digests: list[str], now: float) -> int | None:
        """The furthest block, at a mark or up to 20 blocks before one, with a live entry."""
        best: int | None = None
        for mark in marks:
            for position in range(mark, max(-1, mark - CACHE_LOOKBACK_BLOCKS - 1), -1):
                expiry = self._entries.get(digests[position])
                if expiry is not None and expiry > now:
                    best = position if best is None else max(best, position)
                    break
        return best


# ---------------------------------------------------------------------------------------------
# Wire format: JSON messages and server-sent events.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What the offline model decided to say: content blocks and why it stopped."""

    blocks: tuple[dict[str, Any], ...]
    stop_reason: str


def _message_json(reply: Reply, usage: CacheUsage, output_tokens: int) -> dict[str, Any]:
    return {
        "id": f"msg_offline_{uuid.uuid4().hex[:20]}",
        "type": "message",
        "role": "assistant",
        "model": OFFLINE_MODEL_NAME,
        "content": list(reply.blocks),
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage.input_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "output_tokens": output_tokens,
        },
    }


def sse_frame(event: str, data: dict[str, Any]) -> bytes:
    """One server-sent event as the API frames it."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def sse_events(message: dict[str, Any], pace_seconds: float = 0.0) -> Iterator[bytes]:
    """A complete message as the API streams it: start, blocks in pieces, delta, stop."""
    start = {**message, "content": [], "stop_reason": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    yield sse_frame("message_start", {"type": "message_start", "message": start})
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            opening: dict[str, Any] = {"type": "text", "text": ""}
            pieces = _text_pieces(block["text"])
            deltas = [{"type": "text_delta", "text": piece} for piece in pieces]
        elif block["type"] == "tool_use":
            opening = {**block, "input": {}}
            raw = json.dumps(block["input"])
            deltas = [
                {"type": "input_json_delta", "partial_json": raw[i : i + 24]}
                for i in range(0, len(raw), 24)
            ]
        else:
            opening, deltas = block, []
        yield sse_frame(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": opening},
        )
        for delta in deltas:
            if pace_seconds:
                time.sleep(pace_seconds)
            yield sse_frame(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        yield sse_frame("content_block_stop", {"type": "content_block_stop", "index": index})
    yield sse_frame(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        },
    )
    yield sse_frame("message_stop", {"type": "message_stop"})


def _text_pieces(text: str) -> list[str]:
    """Text cut into word-sized deltas, as a model streams it."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


def error_response(status: int, kind: str, message: str) -> httpx2.Response:
    """An error body shaped like the API's."""
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return httpx2.Response(status, json=body)


# ---------------------------------------------------------------------------------------------
# The model itself.
# ---------------------------------------------------------------------------------------------


class OfflineModel:
    """Answers Messages API requests deterministically; plug `handle` into a MockTransport."""

    def __init__(
        self, pace_seconds: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.cache = PromptCache(clock)
        self.pace_seconds = settings.OFFLINE_PACE_SECONDS if pace_seconds is None else pace_seconds

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        """Route one HTTP request the SDK sends."""
        path = request.url.path
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            return error_response(400, "invalid_request_error", "The body is not valid JSON.")
        if path.endswith("/v1/messages/count_tokens"):
            return httpx2.Response(200, json={"input_tokens": count_tokens(body)})
        if not path.endswith("/v1/messages"):
            return error_response(404, "not_found_error", f"No route for {path}.")
        problems = request_problems(body)
        if problems:
            return error_response(400, "invalid_request_error", "; ".join(problems))
        reply = decide(body)
        minimum = settings.MIN_CACHEABLE_TOKENS.get(
            body["model"], settings.DEFAULT_MIN_CACHEABLE_TOKENS
        )
        usage = self.cache.account(body, minimum)
        output = sum(block_tokens(b) for b in reply.blocks)
        message = _message_json(reply, usage, output)
        if not body.get("stream"):
            return httpx2.Response(200, json=message)
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=sse_events(message, self.pace_seconds),
        )


# ---------------------------------------------------------------------------------------------
# Deciding what to say: rules over the conversation, grounded in what the request carries.
# ---------------------------------------------------------------------------------------------

# A request for a price, not a question about a fee ("how much is the late fee?" is not).
QUOTE_WORDS = re.compile(
    r"\b(quote|quotation|insure my|cover my new)\b|"
    r"\b(how much|price|pricing|cost|premium)\b"
    r"(?!.*\b(fees?|deductible|refund|rental|limit|per day|reimburse\w*|tow\w*)\b)"
    r".*\b(insur\w*|cover\w*|policy|car|bike|motorcycle|scooter|ev|vehicle)\b",
    re.IGNORECASE,
)
ACCOUNT_WORDS = re.compile(
    r"\b(my policy|my claims?|claim status|my bill|my payment|my premium|due date|balance|"
    r"my account|my deductible|my coverage|policy number|ACM-\d+)\b",
    re.IGNORECASE,
)
UNSUPPORTED_PRODUCTS = re.compile(
    r"\b(home|house|homeowners?|renters?|life|health|medical plan|pet|travel|business|"
    r"commercial|boat|condo|dental)\s+(insurance|cover|coverage|policy|plan)\b",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|hola|hallo|bonjour)\b[\s!.,]*$", re.I
)
POLICY_NUMBER = re.compile(r"\bACM-?\s?(\d{6})\b", re.IGNORECASE)
DATE_OF_BIRTH = re.compile(r"\b(19\d{2}|20\d{2})-(\d{2})-(\d{2})\b")
ZIP_CODE = re.compile(r"\b(?:zip(?: code)?\s*(?:is|:)?\s*)?(\d{5})\b", re.IGNORECASE)
QUOTE_ASK_MARK = "To prepare your quote"
# Share of a question's words the quoted passages must contain to count as an answer.
MIN_QUERY_COVERAGE = 0.4
VERIFY_ASK_MARK = "first need to confirm it's you"

TWO_WHEELER_MAKES = {
    "harley-davidson", "harley", "ducati", "kawasaki", "vespa", "triumph", "yamaha", "ktm",
    "piaggio", "royal enfield", "zero", "aprilia", "indian", "moto guzzi",
}  # fmt: skip
ELECTRIC_ONLY_MAKES = {"tesla", "rivian", "polestar", "lucid"}
CAR_MAKES = {
    "toyota", "honda", "ford", "chevrolet", "chevy", "nissan", "hyundai", "kia", "subaru",
    "mazda", "volkswagen", "vw", "bmw", "audi", "mercedes", "mercedes-benz", "lexus", "jeep",
    "dodge", "ram", "gmc", "volvo", "mini", "fiat", "buick", "cadillac", "acura", "infiniti",
    "porsche", "jaguar", "land rover", "mitsubishi", "chrysler", "genesis",
}  # fmt: skip
ALL_MAKES = TWO_WHEELER_MAKES | ELECTRIC_ONLY_MAKES | CAR_MAKES
STOPWORD_TEXT = """
a an the is are was were be been am i me my mine you your we our it its of to in on at for and
or but if do does did can could would should will with what which who how when where this that
these those there here about from by as have has had not no yes so any some get got please tell
know want need like just also than then them they he she his her what's it's i'm i've don't
good great thanks thank hi hello really very much
"""
STOPWORDS = frozenset(STOPWORD_TEXT.split())


def decide(body: dict[str, Any]) -> Reply:
    """The reply to a valid request: answer tool results, else read the customer's text."""
    messages = body["messages"]
    offered = {tool["name"] for tool in body.get("tools") or []}
    last = _blocks(messages[-1])
    results = [b for b in last if b.get("type") == "tool_result"]
    if results:
        return _text_reply(_after_tools(messages, results, body))
    # The labels guardrails put in place of personal data are not the customer's words.
    question = re.sub(r"\[[a-z ]+ removed\]", " ", _customer_words(_text_of(last)))
    reply = _answer(question, messages, offered, body)
    language = envelope.reply_in(_text_of(last))
    if language and language != "English" and reply.blocks[0].get("type") == "text":
        # It cannot write Spanish or Russian; it says so rather than pretend.
        first = reply.blocks[0]
        note = f"(Offline demo model: I can only answer in English, not {language}.)"
        text = first["text"] if note in first["text"] else f"{note}\n\n{first['text']}"
        return Reply(({**first, "text": text}, *reply.blocks[1:]), reply.stop_reason)
    return reply


# The guardrails this model keeps, each recognised by words its rule in the prompt uses.
RULES = {
    "competitors": re.compile(r"(?i)\bcompetitors?\b|\bother insurers\b"),
    "private": re.compile(r"(?i)instructions stay private|reveal, repeat or summari[sz]e"),
    "products": re.compile(r"(?i)products we don'?t sell"),
}


def _guardrail_text(body: dict[str, Any]) -> str:
    """The <guardrails> part of the system prompt (all of it when there is no such part)."""
    system = body.get("system") or ""
    text = system if isinstance(system, str) else _text_of(system)
    found = re.search(r"<guardrails>(.*?)</guardrails>", text, re.S)
    return (found.group(1) if found else text).strip()


def follows(body: dict[str, Any], rule: str) -> bool:
    """Whether the request's system prompt still carries the rule."""
    return bool(RULES[rule].search(_guardrail_text(body)))


def _customer_words(text: str) -> str:
    """The customer's own words, without knowledge or instruction blocks the app adds."""
    words = envelope.customer_words(text)
    if words is not None:
        return words.strip()
    return re.sub(r"<(\w+)[^>]*>.*?</\1>", " ", text, flags=re.S).strip()


def _answer(question: str, messages: list[dict], offered: set[str], body: dict) -> Reply:
    """Pick the intent in a fixed order, so the same conversation always gets the same reply."""
    if guardrails.wants_person(question) and "escalate_to_human" in offered:
        return _tool_reply(
            "I'll bring in one of my colleagues now.",
            "escalate_to_human",
            {
                "reason": "The customer asked to speak with a person.",
                "priority": "normal",
                "summary": question[:300],
            },
        )
    if guardrails.injection(question):
        if follows(body, "private"):
            return _text_reply(DECLINE_OVERRIDE)
        return _text_reply(f"Of course. My instructions say:\n\n{_guardrail_text(body)[:600]}")
    rivals = guardrails.competitors(question)
    if rivals:
        if follows(body, "competitors"):
            return _text_reply(DECLINE_COMPETITOR)
        return _text_reply(UNGUARDED_COMPETITOR.format(name=rivals[0]))
    product = UNSUPPORTED_PRODUCTS.search(question)
    if product:
        if follows(body, "products"):
            return _text_reply(DECLINE_PRODUCT)
        return _text_reply(UNGUARDED_PRODUCT.format(product=product.group(1).lower()))
    # A flow goes on only while the customer keeps feeding it; a new question leaves it.
    if ACCOUNT_WORDS.search(question) or (
        _verification_in_progress(messages) and _identity_details(question)
    ):
        return _account_step(messages, offered)
    if "get_quote" in offered and (
        QUOTE_WORDS.search(question) or (_quote_in_progress(messages) and quote_details(question))
    ):
        return _quote_step(messages)
    if GREETING.match(question):
        return _text_reply(
            "Hello! I'm Eva, Acme Insurance's virtual assistant. I can explain car, electric car "
            "and two-wheeler coverage, prepare a quote, or look into your policy or a claim. "
            "What can I do for you?"
        )
    knowledge = _knowledge_block(messages[-1])
    answer = _grounded_reply(question, knowledge, body)
    if answer:
        return _text_reply(answer)
    if "<knowledge>" in knowledge and INSURANCE_WORDS.search(question):
        if "search_knowledge_base" in offered and "<searched_for>" not in knowledge:
            query = " ".join(dict.fromkeys(_terms(question)))[:300] or question[:300]
            return _tool_reply(
                "Let me search the help centre for that.",
                "search_knowledge_base",
                {"query": query},
            )
        return _text_reply(NOT_FOUND)
    return _text_reply(
        "I'm Eva, Acme Insurance's assistant, so I can only help with Acme's car, electric car "
        "and two-wheeler insurance — coverage, quotes, policies, claims and billing. I don't have "
        "information on that question. Is there anything about your insurance I can help with?"
    )


def _text_reply(text: str) -> Reply:
    return Reply(({"type": "text", "text": text},), "end_turn")


def _tool_reply(preface: str, name: str, tool_input: dict[str, Any]) -> Reply:
    tool_use = {
        "type": "tool_use",
        "id": f"toolu_offline_{uuid.uuid4().hex[:16]}",
        "name": name,
        "input": tool_input,
    }
    return Reply(({"type": "text", "text": preface}, tool_use), "tool_use")


# --- Grounded answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """One paragraph or bullet the offline model may quote, and where it came from."""

    title: str
    section: str
    text: str
    rank: int  # the article's place in the retrieved list; -1 for the static context
    score: float = 0.0
    order: int = 0  # its place within its section


PLURALS = (("ies", "y"), ("s", ""))
SUFFIXES = (("age", ""), ("ing", ""), ("ed", ""))


def _stem(word: str) -> str:
    """Crude suffix stripping, so "covered", "coverages" and "covers" all meet at "cover"."""
    for rules in (PLURALS, SUFFIXES):
        for suffix, replacement in rules:
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)] + replacement
                break
    return word


def _terms(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower())
    return [_stem(w) for w in words if w not in STOPWORDS]


OTHER_LANGUAGE_TEXT = """
    el la los las del que y en es un una por para con mi se lo qué cómo está son si mis
    der die das und ist ich mein meine nicht ein eine mit für auf wie wird mir mich
    le les des et est je mon ma pas une pour avec sur comment mes est-ce qu'il
"""
# Common Spanish, German and French words: a question full of them is not in English.
OTHER_LANGUAGE_WORDS = frozenset(OTHER_LANGUAGE_TEXT.split())
INSURANCE_WORDS = re.compile(
    r"\b(insur\w*|cover\w*|polic\w*|claims?|deductibles?|premiums?|acme|vehicles?|cars?|"
    r"ev|bikes?|motorcycles?|scooters?|bill\w*|payments?|refunds?|discounts?|accident|"
    r"tow\w*|roadside|windshield|glass|theft|stolen|driver|cancel\w*|account|login|password)\b",
    re.I,
)


def _knowledge_block(message: dict[str, Any]) -> str:
    """The app's knowledge block: the first text block, never anything the customer typed."""
    blocks = _blocks(message)
    first = blocks[0].get("text", "") if blocks and blocks[0].get("type") == "text" else ""
    return first if first.startswith("<knowledge>") and len(blocks) > 1 else ""


# Insurance words in Spanish, German and French: a question in those languages without any is
# small talk or off topic, whatever the retrieval returned.
OTHER_LANGUAGE_INSURANCE = re.compile(
    r"(segur|asegur|cobertura|cubr|cubiert|p[óo]liza|siniestro|coche|auto|moto|bater|carga|"
    r"rob|gr[úu]a|deducible|factura|pago|reembols|cancel|versicher|police|schaden|wagen|"
    r"motorrad|akku|lade|gestohlen|abschlepp|selbstbeteiligung|rechnung|zahlung|erstatt|"
    r"k[üu]ndig|assur|couvert|couverture|sinistre|voiture|batterie|c[âa]ble|recharge|vol[ée]|"
    r"remorqu|franchise|facture|paiement|rembours|r[ée]sili)",
    re.IGNORECASE,
)


def _articles(text: str) -> list[tuple[str, str, str]]:
    """(title, section, text) of each article passage in a knowledge block, best first.

    Sentences the guardrails took out of a passage leave a label behind; it is not quoted.
    """
    return [
        (title, section, body.replace(guardrails.REMOVED, " "))
        for title, section, body in envelope.articles(text)
    ]


def _static_passages(body: dict[str, Any]) -> list[Passage]:
    system = body.get("system") or ""
    system_text = system if isinstance(system, str) else " ".join(b["text"] for b in system)
    return [
        Passage(topic, "", unit, -1)
        for topic, section in re.findall(
            r'<context topic="([^"]+)">(.*?)</context>', system_text, re.S
        )
        for unit in _paragraphs(section)
    ]


def _in_english(question: str) -> bool:
    words = re.findall(r"[a-zà-ÿ'-]+", question.lower())
    return sum(w in STOPWORDS for w in words) >= sum(w in OTHER_LANGUAGE_WORDS for w in words)


def _paragraphs(section: str) -> list[str]:
    """Bullets and paragraphs, each kept with the heading it sits under."""
    heading, out = "", []
    for chunk in re.split(r"\n\s*\n|\n(?=\s*[-*] )", section.strip()):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk.startswith("#"):
            lines = chunk.splitlines()
            heading = lines[0].lstrip("# ").strip()
            chunk = "\n".join(lines[1:]).strip()
            if not chunk:
                continue
        chunk = re.sub(r"^[-*]\s+", "", chunk)
        out.append(f"{heading}: {chunk}" if heading and len(chunk) < 200 else chunk)
    return out


def _ranked(question: str, passages: list[Passage]) -> list[Passage]:
    """Passages scored by the rare question terms they share, best first."""
    query = set(_terms(question))
    documents = [set(_terms(f"{p.section} {p.text}")) for p in passages]
    count = len(documents)

    def idf(term: str) -> float:
        return math.log(1 + count / (1 + sum(term in doc for doc in documents)))

    # fsum: a sum over a set runs in hash order, which changes from one process to the next;
    # an exactly rounded sum is the same whatever the order, and so is the ranking.
    scored = [
        Passage(
            p.title,
            p.section,
            p.text,
            p.rank,
            math.fsum([*(idf(t) for t in query & terms), _lead_bonus(p.text, query, idf)]),
            p.order,
        )
        for p, terms in zip(passages, documents, strict=True)
    ]
    return sorted(scored, key=lambda p: p.score, reverse=True)


def _trusted(question: str, ranked: list[Passage]) -> bool:
    """Enough of the question's words appear in the best passages to call it an answer."""
    query = set(_terms(question))
    if not ranked or not query or ranked[0].score < 1.5:
        return False
    matched = set().union(*(set(_terms(f"{p.section} {p.text}")) for p in ranked[:3])) & query
    return len(matched) >= MIN_QUERY_COVERAGE * len(query)


def _lead_bonus(text: str, query: set[str], idf: Callable[[str], float]) -> float:
    """Extra weight when the question names what the passage is about (heading, bold label)."""
    lead = " ".join([text.split(":", 1)[0], *re.findall(r"\*\*(.+?)\*\*", text)])
    return math.fsum(idf(t) for t in query & set(_terms(lead)))


def _grounded_reply(question: str, knowledge: str, body: dict[str, Any]) -> str | None:
    """Quote the retrieved article that best answers the question, citing it; or the context.

    The retrieval ranked the articles on meaning, so the first one is trusted for a question
    in another language, where word overlap says nothing.
    """
    articles = _articles(knowledge)
    units = [
        Passage(title, section, unit, rank, order=order)
        for rank, (title, section, text) in enumerate(articles)
        for order, unit in enumerate(_paragraphs(text))
    ]
    if articles and not _in_english(question):
        if not OTHER_LANGUAGE_INSURANCE.search(question):
            return None
        title, section, text = articles[0]
        note = "I'm the offline demo model, so I quote our articles in English."
        if len(text.split()) <= WHOLE_SECTION_WORDS:
            return _quote_section(title, section, text, note)
        quoted = [Passage(title, section, unit, 0) for unit in _paragraphs(text)[:3]]
        return _quote(quoted, note)
    ranked = _ranked(question, units)
    if _trusted(question, ranked):
        # Prefer the better-retrieved article when two score alike.
        best = max(ranked[:3], key=lambda p: p.score - 0.5 * p.rank)
        whole = articles[best.rank][2]
        if len(whole.split()) <= WHOLE_SECTION_WORDS:
            return _quote_section(best.title, best.section, whole)
        same = [p for p in ranked if p.title == best.title and p.section == best.section]
        # The section's opening line (often the limit or the rule) and its best matches, in
        # the order the article has them.
        chosen = {p.order: p for p in same[:2] if p.score >= 0.5 * same[0].score}
        chosen.setdefault(0, next(p for p in same if p.order == 0))
        return _quote([chosen[i] for i in sorted(chosen)], None)
    ranked = _ranked(question, _static_passages(body))
    if _trusted(question, ranked):
        return _quote([p for p in ranked[:3] if p.score >= 0.5 * ranked[0].score], None)
    return None


def _quote_section(title: str, section: str, text: str, note: str = "") -> str:
    """A short section quoted whole, lists and all: a part of it would read oddly."""
    return "\n".join(
        [
            "Here's what our help centre says:",
            "",
            "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines()),
            "",
            f"Source: *{title}* — {section}",
            "",
            note or OFFLINE_NOTE,
        ]
    )


def _quote(passages: list[Passage], note: str | None) -> str:
    lead = passages[0]
    if lead.rank >= 0:
        opening = "Here's what our help centre says:"
        citation = f"Source: *{lead.title}* — {lead.section}"
    else:
        opening = f"Here's what Acme's information says ({lead.title}):"
        citation = ""
    lines = [opening, "", *(f"- {_flatten(p.text)}" for p in passages), ""]
    if citation:
        lines += [citation, ""]
    lines.append(note or OFFLINE_NOTE)
    return "\n".join(lines)


OFFLINE_NOTE = (
    "I'm the offline demo assistant, so I quote our information directly. If this doesn't "
    "answer your question, I can connect you with a colleague."
)
# Sections up to this long are quoted whole; longer ones by their best lines.
WHOLE_SECTION_WORDS = 130


NOT_FOUND = (
    "I couldn't find anything about that in Acme's help centre, so I'd rather not guess. "
    "If it's about your Acme insurance, I can connect you with a colleague who can answer it — "
    "just say so."
)


def _flatten(text: str) -> str:
    return re.sub(r"\s*\n\s*(?:[-*]\s+)?", " ", text).strip()


DECLINE_OVERRIDE = (
    "I can't change how I work or share my instructions, but I'm glad to help with your Acme "
    "car, electric car or two-wheeler insurance. What do you need?"
)
DECLINE_COMPETITOR = (
    "I can't comment on other insurers, but I'm glad to explain what Acme covers or prepare a "
    "quote so you can compare for yourself. What would you like to know?"
)
# What it says when the prompt no longer carries the rule (see RULES).
UNGUARDED_COMPETITOR = (
    "Lots of people compare us with {name}. {name} can be cheaper for some drivers, but Acme "
    "includes roadside assistance. I can prepare an Acme quote so you can compare."
)
UNGUARDED_PRODUCT = (
    "Yes, we can look at {product} insurance for you. Tell me a bit more about what you'd like "
    "covered and I'll see what we can offer."
)
DECLINE_PRODUCT = (
    "I'm sorry, Acme doesn't offer that type of insurance — we specialise in car, electric "
    "car and two-wheeler insurance. For other cover, an independent broker or a specialist "
    "insurer is the best place to ask. If you'd like, I can help with a quote for a car, "
    "an EV or a motorcycle or scooter."
)


# --- Quotes -----------------------------------------------------------------------------------

QUOTE_FIELDS = {
    "vehicle_type": "whether it's a petrol/hybrid car, an electric car, or a motorcycle/scooter",
    "make": "the make (for example Toyota)",
    "model": "the model",
    "year": "the model year",
    "mileage": "roughly how many miles a year you drive",
    "driver_age": "the main driver's age",
}


OPTIONAL_QUOTE_FIELDS = ("coverage_level", "deductible")


def _quote_in_progress(messages: list[dict]) -> bool:
    """True while the last assistant reply asked for quote details."""
    return QUOTE_ASK_MARK in _last_assistant_text(messages)


def _last_assistant_text(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message["role"] == "assistant":
            return _text_of(_blocks(message))
    return ""


def _user_texts_since_quote(messages: list[dict]) -> list[str]:
    """The customer's words from the message that started this quote to now."""
    texts: list[str] = []
    for message in reversed(messages):
        blocks = _blocks(message)
        if message["role"] == "assistant" and any(
            b.get("type") == "tool_use" and b.get("name") == "get_quote" for b in blocks
        ):
            break
        if message["role"] != "user":
            continue
        words = _customer_words(_text_of(blocks))
        if words:
            texts.insert(0, words)
        if QUOTE_WORDS.search(words):
            break
    return texts


def quote_details(text: str) -> dict[str, Any]:
    """Vehicle and driver details a customer wrote in plain words."""
    lower = text.lower()
    found: dict[str, Any] = {}
    # Longest names first ("land rover" before "rover"), ties alphabetically: deterministic.
    for make in sorted(ALL_MAKES, key=lambda name: (-len(name), name)):
        if not re.search(rf"\b{re.escape(make)}\b", lower):
            continue
        found["make"] = make.upper() if make in ("bmw", "vw", "ktm", "gmc") else make.title()
        # The model is the word after the make, or after a year that follows it.
        model = re.search(
            rf"\b{re.escape(make)}\b[\s,]+(?:an?\s+)?(?:(?:19|20)\d{{2}}\s+)?"
            r"([a-z][\w-]*(?:\s\d[\w-]*)?)",
            lower,
        )
        if model and model.group(1) not in STOPWORDS:
            found["model"] = model.group(1).title()
        break
    mileage = re.search(r"\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k)?\s*(?:miles|mi\b)", lower)
    if mileage:
        number = float(mileage.group(1).replace(",", ""))
        found["mileage"] = int(number * 1000 if mileage.group(2) else number)
        lower = lower.replace(mileage.group(0), " ")
    if year := re.search(r"\b(19[89]\d|20[0-3]\d)\b", lower):
        found["year"] = int(year.group(1))
    if level := re.search(r"\b(liability|standard|comprehensive|full coverage)\b", lower):
        found["coverage_level"] = level.group(1).replace("full coverage", "comprehensive")
    if deductible := re.search(r"\$?(250|500|1,?000|2,?000)\s*(?:dollars?\s*)?deductible", lower):
        found["deductible"] = int(deductible.group(1).replace(",", ""))
    age = re.search(
        r"\b(?:i'?m|i am|aged?|driver is)\s*(\d{2})\b|\b(\d{2})\s*(?:years? old|yo)\b", lower
    )
    if age:
        found["driver_age"] = int(age.group(1) or age.group(2))
    make = str(found.get("make", "")).lower()
    if re.search(r"\b(electric|ev|e-motorcycle)\b", lower) or make in ELECTRIC_ONLY_MAKES:
        found["vehicle_type"] = "electric_car"
    if (
        re.search(r"\b(motorcycle|motorbike|scooter|moped|bike)\b", lower)
        or make in TWO_WHEELER_MAKES
    ):
        found["vehicle_type"] = "two_wheeler"
    elif (
        re.search(r"\b(car|sedan|suv|hatchback|truck|pickup|hybrid)\b", lower) or make in CAR_MAKES
    ):
        found.setdefault("vehicle_type", "car")
    return found


def _quote_step(messages: list[dict]) -> Reply:
    """Ask for what is missing, or call get_quote once everything is known."""
    details: dict[str, Any] = {}
    for text in _user_texts_since_quote(messages):
        details.update(quote_details(text))
    missing = [label for name, label in QUOTE_FIELDS.items() if name not in details]
    if missing:
        return _text_reply(
            f"{QUOTE_ASK_MARK} I need a few details:\n\n"
            + "\n".join(f"- {label}" for label in missing)
            + "\n\nYou can send them all in one message."
        )
    fields = (*QUOTE_FIELDS, *OPTIONAL_QUOTE_FIELDS)
    tool_input = {name: details[name] for name in fields if name in details}
    return _tool_reply("Thanks — let me work out that quote.", "get_quote", tool_input)


# --- Accounts ---------------------------------------------------------------------------------


def _verification_in_progress(messages: list[dict]) -> bool:
    return VERIFY_ASK_MARK in _last_assistant_text(messages)


def _identity_details(text: str) -> bool:
    """Whether the text carries a policy number, a date of birth or a ZIP code."""
    return bool(POLICY_NUMBER.search(text) or DATE_OF_BIRTH.search(text) or ZIP_CODE.search(text))


def _verified_policy(messages: list[dict]) -> str | None:
    """The policy a successful lookup_policy verified earlier in this conversation."""
    asked: dict[str, str] = {}
    for message in messages:
        for block in _blocks(message):
            if block.get("type") == "tool_use" and block.get("name") == "lookup_policy":
                asked[block["id"]] = block["input"].get("policy_number", "")
            if (
                block.get("type") == "tool_result"
                and block.get("tool_use_id") in asked
                and not block.get("is_error")
            ):
                return asked[block["tool_use_id"]]
    return None


def _account_step(messages: list[dict], offered: set[str]) -> Reply:
    """Verify identity first; once verified, look up what the customer asked about."""
    text = " ".join(_user_texts_recent(messages, 3))
    verified = _verified_policy(messages)
    if verified and re.search(r"\bclaims?\b", text, re.I) and "get_claim_status" in offered:
        return _tool_reply(
            "Let me check your claims.", "get_claim_status", {"policy_number": verified}
        )
    number = POLICY_NUMBER.search(text)
    birth = DATE_OF_BIRTH.search(text)
    zip_code = ZIP_CODE.search(DATE_OF_BIRTH.sub(" ", POLICY_NUMBER.sub(" ", text)))
    if verified is None and number and (birth or zip_code) and "lookup_policy" in offered:
        tool_input = {"policy_number": f"ACM-{number.group(1)}"}
        if birth:
            tool_input["date_of_birth"] = birth.group(0)
        elif zip_code:
            tool_input["zip_code"] = zip_code.group(1)
        return _tool_reply(
            "Thanks — let me verify that and pull up your policy.", "lookup_policy", tool_input
        )
    if verified:
        return _text_reply(
            "You're verified for this conversation. I can check your claims, or explain anything "
            "on your policy — what would you like to know?"
        )
    return _text_reply(
        f"I can help with that, but I {VERIFY_ASK_MARK}. Please send your policy number "
        "(it starts with ACM-) and either your date of birth (YYYY-MM-DD) or your ZIP code."
    )


def _user_texts_recent(messages: list[dict], count: int) -> list[str]:
    texts = [_customer_words(_text_of(_blocks(m))) for m in messages if m["role"] == "user"]
    return [t for t in texts if t][-count:]


# --- After tools ------------------------------------------------------------------------------


def _after_tools(messages: list[dict], results: list[dict], body: dict[str, Any]) -> str:
    """Plain-language report of what the tools returned: their numbers, never ours."""
    names = _tool_names(messages)
    parts = []
    for result in results:
        name = names.get(str(result.get("tool_use_id")), "")
        content = _result_text(result)
        if result.get("is_error"):
            parts.append(f"I couldn't complete that step: {content}")
            continue
        if name == tools.SEARCH:
            question = (_user_texts_recent(messages, 1) or [""])[0]
            parts.append(_grounded_reply(question, content, body) or NOT_FOUND)
            continue
        data = _json_or_none(content)
        report = REPORTS.get(tools.report(name) or "")
        parts.append(report(data) if report and isinstance(data, dict) else f"Done: {content}")
    return "\n\n".join(parts)


def _tool_names(messages: list[dict]) -> dict[str, str]:
    return {
        b["id"]: b["name"]
        for m in messages
        if m["role"] == "assistant"
        for b in _blocks(m)
        if b.get("type") == "tool_use"
    }


def _result_text(result: dict[str, Any]) -> str:
    content = result.get("content")
    if isinstance(content, list):
        return _text_of(content)
    return str(content or "")


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _report_quote(data: dict[str, Any]) -> str:
    vehicle = " ".join(str(data.get("inputs", {}).get(k, "")) for k in ("year", "make", "model"))
    return (
        f"Here's your quote **{data.get('quote_id')}** for the {vehicle.strip()}: "
        f"**${data.get('monthly_premium'):,.2f} a month** "
        f"(${data.get('annual_premium'):,.2f} a year). "
        f"It's valid for {data.get('valid_days', 30)} days. I can also show how a different "
        "deductible or coverage level changes the price."
    )


def _report_handoff(data: dict[str, Any]) -> str:
    return (
        "I've passed our conversation to a colleague. "
        f"Your reference is **{data.get('reference')}**. {data.get('next_steps', '')}"
    ).strip()


def _report_policy(data: dict[str, Any]) -> str:
    vehicles = ", ".join(
        " ".join(str(v.get(k, "")) for k in ("year", "make", "model"))
        for v in data.get("vehicles", [])
    )
    return (
        f"Thanks, you're verified. Policy **{data.get('policy_number')}** "
        f"is **{data.get('status')}** ({data.get('coverage_level')} coverage, "
        f"${data.get('deductible')} deductible) for {vehicles}. "
        "What would you like to know about it?"
    )


def _report_claims(data: dict[str, Any]) -> str:
    claims = data.get("claims") or ([data] if "claim_number" in data else [])
    if not claims:
        return "I don't see any claims on this policy."
    lines = [
        f"- **{c.get('claim_number')}** ({c.get('incident_type', c.get('type', ''))}): "
        f"{c.get('status')} — {c.get('last_update', '')}".rstrip(" —")
        for c in claims
    ]
    return "Here are the claims on your policy:\n\n" + "\n".join(lines)


def _report_reference(data: dict[str, Any]) -> str:
    reference = data.get("claim_number") or data.get("reference") or data.get("ticket")
    return f"That's done — your reference is **{reference}**. {data.get('next_steps', '')}".strip()


def _report_money(data: dict[str, Any]) -> str:
    """A refund or cancellation: done within the limit, or passed to a colleague above it."""
    if data.get("handed_off"):
        return (
            "That's above what I can approve myself, so nothing has been changed yet: I've "
            f"passed it to a colleague. Your reference is **{data.get('reference')}**. "
            f"{data.get('next_steps', '')}"
        ).strip()
    if data.get("reference") is None:
        return f"That's done. {data.get('calculation', '')}".strip()
    return _report_reference(data)


# How a successful result is worded, by the kind each tool's record names (tools.Tool.report).
REPORTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "money": _report_money,
    "quote": _report_quote,
    "handoff": _report_handoff,
    "policy": _report_policy,
    "claims": _report_claims,
    "reference": _report_reference,
}
