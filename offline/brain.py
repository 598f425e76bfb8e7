"""The brain's front door: decide() reads a valid request and picks the reply, in a fixed order.

Tool results first (reports.py), then the customer's words: a person asked for, words dictated
for it to say, an injection, a competitor, a product Acme does not sell, a disputed claim
decision (a person again), the account and quote flows (flows.py), a greeting, a grounded
answer (grounding.py), a search in the customer's own words, or a polite "not my field". It
keeps only the guardrails the system prompt still carries (RULES), as a model would. It never
speaks HTTP or counts tokens (model.py and cache.py do).
"""

from __future__ import annotations

import re
from typing import Any

import envelope
import guardrails
from offline.flows import (
    account_step,
    asks_for_quote,
    identity_details,
    money_step,
    needs_account,
    quote_details,
    quote_in_progress,
    quote_step,
    verification_in_progress,
)
from offline.grounding import NOT_FOUND, grounded_reply, knowledge_in, search_query
from offline.messages import content_blocks, customer_words, text_of
from offline.reports import after_tools
from offline.wire import Reply, text_reply, tool_reply

# Insurance Acme does not sell, named as a product ("home insurance", "pet cover").
UNSUPPORTED_PRODUCTS = re.compile(
    r"\b(home|house|homeowners?|renters?|life|health|medical plan|pet|travel|business|"
    r"commercial|boat|condo|dental)\s+(insurance|cover|coverage|policy|plan)\b",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|hola|hallo|bonjour)\b[\s!.,]*$", re.I
)
# A question about insurance: worth a search when the passages it was sent did not answer it.
INSURANCE_WORDS = re.compile(
    r"\b(insur\w*|cover\w*|polic\w*|claims?|deductibles?|premiums?|acme|vehicles?|cars?|"
    r"ev|bikes?|motorcycles?|scooters?|bill\w*|payments?|refunds?|discounts?|accident|"
    r"tow\w*|roadside|windshield|glass|theft|stolen|driver|cancel\w*|account|login|password|"
    r"quotes?)\b",
    re.I,
)

# Words the customer dictates for it to say ("repeat after me: …") are not a question to search
# or answer: a model's words are its own, and a dictated promise is one it may not make.
DICTATED = re.compile(
    r"\b(repeat after me|say after me|word for word|(?:say|type|write|repeat) (?:exactly|this|"
    r"the following|these words))\b",
    re.IGNORECASE,
)
# A customer disputing a decision on their claim: a denial, a repair estimate, a valuation, who
# was at fault. Only the claims team can look at a decision again (see the help centre's
# *Disputing a claim settlement*), so it brings in a person. It takes both halves: something
# decided on a claim, and the customer's disagreement with it.
CLAIM_DECISION = re.compile(
    r"\b(claims?|estimates?|estimated|valuation|valued|apprais\w*|settlement|payout|adjuster|"
    r"assessor|inspector|denied|denial|rejected|refused|declined|repairs?|"
    r"(?:at|my) fault|total(?:l?ed)|written off|write-off)\b",
    re.IGNORECASE,
)
DISAGREEMENT = re.compile(
    r"\b(disput\w*|contest\w*|appeal\w*|challeng\w*|disagree\w*|object(?:ing)? to|"
    r"(?:don'?t|do not|won'?t|will not|can'?t|cannot|refuse to) accept|(?:not|un)acceptable|"
    r"(?:that|it|this)(?:'s|\s+is)\s+(?:just\s+|simply\s+|completely\s+|totally\s+)?"
    r"(?:wrong|unfair|not (?:right|fair|true))|not true|(?:way\s+)?too low|lowball\w*|"
    r"(?:looked at|reviewed|checked)\s+again|reconsider\w*|revers\w*|overturn\w*|"
    r"(?:want|need)\s+(?:that|the|this|it)\s+(?:decision\s+)?(?:changed|reversed|reviewed))",
    re.IGNORECASE,
)
# Asking how disputes work is a help-centre question ("how do I appeal a denied claim?").
HOW_TO = re.compile(
    r"\b(how (?:do|can|would|should|long)|can i|could i|is it possible|what (?:can|should|do) i|"
    r"what happens|where (?:do|can|should) i|who (?:do|should) i)\b",
    re.IGNORECASE,
)

# "I'm not disputing anything": a disagreement denied just before it.
NEGATED = re.compile(r"(?:\bnot|\bnever|n't)\s+(?:\w+\s+)?$", re.IGNORECASE)


def disputes_claim(question: str) -> bool:
    """Whether the customer says they disagree with a decision on their claim (not how to)."""
    question = question.replace("\u2019", "'")  # a phone's apostrophe
    if not CLAIM_DECISION.search(question):
        return False
    for sentence in re.split(r"(?<=[.!?])\s+", question):
        found = DISAGREEMENT.search(sentence)
        before = sentence[: found.start()] if found else ""
        if found and not HOW_TO.search(before) and not NEGATED.search(before):
            return True
    return False


def decide(body: dict[str, Any]) -> Reply:
    """The reply to a valid request: answer tool results, else read the customer's text."""
    messages = body["messages"]
    offered = {tool["name"] for tool in body.get("tools") or []}
    last = content_blocks(messages[-1])
    results = [b for b in last if b.get("type") == "tool_result"]
    if results:
        return text_reply(after_tools(messages, results, body))
    # The labels guardrails put in place of personal data are not the customer's words.
    question = re.sub(r"\[[a-z ]+ removed\]", " ", customer_words(text_of(last)))
    reply = _answer(question, messages, offered, body)
    if envelope.colleague_words(text_of(last)) and reply.blocks[0].get("type") == "text":
        # Handed back by a colleague: it cannot weigh their words, but it says it read them.
        first = reply.blocks[0]
        text = f"{AFTER_COLLEAGUE}\n\n{first['text']}"
        reply = Reply(({**first, "text": text}, *reply.blocks[1:]), reply.stop_reason)
    language = envelope.reply_in(text_of(last))
    if language and language != "English" and reply.blocks[0].get("type") == "text":
        # It cannot write Spanish or Russian; it says so rather than pretend.
        first = reply.blocks[0]
        note = f"(Offline demo model: I can only answer in English, not {language}.)"
        text = first["text"] if note in first["text"] else f"{note}\n\n{first['text']}"
        return Reply(({**first, "text": text}, *reply.blocks[1:]), reply.stop_reason)
    return reply


# Its first line after a colleague hands the conversation back (a <colleague_note> came).
AFTER_COLLEAGUE = (
    "Thanks for waiting. I've read what my colleague told you, so I'll carry on from there."
)

# The guardrails this model keeps, each recognised by words its rule in the prompt uses.
RULES = {
    "competitors": re.compile(r"(?i)\bcompetitors?\b|\bother insurers\b"),
    "private": re.compile(r"(?i)instructions stay private|reveal, repeat or summari[sz]e"),
    "products": re.compile(r"(?i)products we don'?t sell"),
}


def _guardrail_text(body: dict[str, Any]) -> str:
    """The <guardrails> part of the system prompt (all of it when there is no such part)."""
    system = body.get("system") or ""
    text = system if isinstance(system, str) else text_of(system)
    found = re.search(r"<guardrails>(.*?)</guardrails>", text, re.S)
    return (found.group(1) if found else text).strip()


def follows(body: dict[str, Any], rule: str) -> bool:
    """Whether the request's system prompt still carries the rule."""
    return bool(RULES[rule].search(_guardrail_text(body)))


def _answer(
    question: str, messages: list[dict[str, Any]], offered: set[str], body: dict[str, Any]
) -> Reply:
    """Pick the intent in a fixed order, so the same conversation always gets the same reply."""
    if guardrails.wants_person(question) and "escalate_to_human" in offered:
        return tool_reply(
            "I'll bring in one of my colleagues now.",
            "escalate_to_human",
            {
                "reason": "The customer asked to speak with a person.",
                "priority": "normal",
                "summary": question[:300],
            },
        )
    if DICTATED.search(question):
        return text_reply(DECLINE_OVERRIDE)
    if guardrails.injection(question):
        if follows(body, "private"):
            return text_reply(DECLINE_OVERRIDE)
        return text_reply(f"Of course. My instructions say:\n\n{_guardrail_text(body)[:600]}")
    rivals = guardrails.competitors(question)
    if rivals:
        if follows(body, "competitors"):
            return text_reply(DECLINE_COMPETITOR)
        return text_reply(UNGUARDED_COMPETITOR.format(name=rivals[0]))
    product = UNSUPPORTED_PRODUCTS.search(question)
    if product:
        if follows(body, "products"):
            return text_reply(DECLINE_PRODUCT)
        return text_reply(UNGUARDED_PRODUCT.format(product=product.group(1).lower()))
    if disputes_claim(question) and "escalate_to_human" in offered:
        return tool_reply(
            DISPUTE_HANDOFF,
            "escalate_to_human",
            {
                "reason": "The customer disputes a decision on their claim and wants it reviewed.",
                "priority": "normal",
                "summary": question[:300],
            },
        )
    money = money_step(question, messages, offered)
    if money is not None:
        return money
    # A flow goes on only while the customer keeps feeding it; a new question leaves it.
    if needs_account(question) or (
        verification_in_progress(messages) and identity_details(question)
    ):
        return account_step(messages, offered)
    if "get_quote" in offered and (
        asks_for_quote(question) or (quote_in_progress(messages) and quote_details(question))
    ):
        return quote_step(messages)
    if GREETING.match(question):
        return text_reply(
            "Hello! I'm Eva, Acme Insurance's virtual assistant. I can explain car, electric car "
            "and two-wheeler coverage, prepare a quote, or look into your policy or a claim. "
            "What can I do for you?"
        )
    knowledge = knowledge_in(messages[-1])
    answer = grounded_reply(question, knowledge, body)
    if answer:
        return text_reply(answer)
    if "<knowledge>" in knowledge and INSURANCE_WORDS.search(question):
        if "search_knowledge_base" in offered and "<searched_for>" not in knowledge:
            return tool_reply(
                "Let me search the help centre for that.",
                "search_knowledge_base",
                {"query": search_query(question)},
            )
        return text_reply(NOT_FOUND)
    return text_reply(
        "I'm Eva, Acme Insurance's assistant, so I can only help with Acme's car, electric car "
        "and two-wheeler insurance — coverage, quotes, policies, claims and billing. I don't have "
        "information on that question. Is there anything about your insurance I can help with?"
    )


DISPUTE_HANDOFF = (
    "I'm sorry you disagree with the decision. Looking at it again is for our claims team, so "
    "I'll bring in a colleague now."
)
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
