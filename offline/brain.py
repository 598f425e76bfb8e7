"""The brain's front door: decide() reads a valid request and picks the reply, in a fixed order.

Tool results first (reports.py), then the customer's words: a person asked for, words dictated
for it to say, an injection, a competitor, a product Acme does not sell, a disputed claim
decision (a person again), the account and quote flows (flows.py), a greeting, a grounded
answer (grounding.py), a search in the customer's own words, or a polite "not my field". It
keeps only the guardrails the system prompt still carries (RULES), as a model would. It answers
in English but for a few lines config keeps in every language (OFFLINE_*), and tells a customer
who writes another language so, in theirs. It never speaks HTTP or counts tokens (model.py and
cache.py do).
"""

from __future__ import annotations

import re
from typing import Any

import config
import envelope
import guardrails
from offline.flows import (
    account_step,
    act_step,
    asks_for_quote,
    identity_details,
    money_step,
    needs_account,
    pending_step,
    quote_details,
    quote_in_progress,
    quote_step,
    verification_in_progress,
    verified_now,
)
from offline.grounding import grounded_reply, knowledge_in, search_query
from offline.messages import content_blocks, customer_words, reply_language, text_of
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


def decide(body: dict[str, Any]) -> Reply:
    """The reply to a valid request: answer tool results, else read the customer's text."""
    messages = body["messages"]
    offered = {tool["name"] for tool in body.get("tools") or []}
    last = content_blocks(messages[-1])
    results = [b for b in last if b.get("type") == "tool_result"]
    if results:
        return _after_tools(messages, results, body, offered)
    # The labels guardrails put in place of personal data are not the customer's words.
    question = re.sub(r"\[[a-z ]+ removed\]", " ", customer_words(text_of(last)))
    reply = _answer(question, messages, offered, body)
    if envelope.colleague_words(text_of(last)) and reply.blocks[0].get("type") == "text":
        # Handed back by a colleague: it cannot weigh their words, but it says it read them.
        first = reply.blocks[0]
        text = f"{AFTER_COLLEAGUE}\n\n{first['text']}"
        reply = Reply(({**first, "text": text}, *reply.blocks[1:]), reply.stop_reason)
    language = reply_language(messages)
    if language != "en" and reply.blocks[0].get("type") == "text":
        return _noted(reply, language)
    return reply


def _after_tools(
    messages: list[dict[str, Any]],
    results: list[dict[str, Any]],
    body: dict[str, Any],
    offered: set[str],
) -> Reply:
    """The tools' results in words; once identity is confirmed, the claim, cancellation or
    ticket the customer asked for before it goes on in the same reply."""
    report = after_tools(messages, results, body)
    verified = verified_now(messages, results)
    step = pending_step(messages, offered, verified) if verified else None
    if step is None:
        return text_reply(report)
    first = step.blocks[0]
    return Reply(
        ({**first, "text": f"{report}\n\n{first['text']}"}, *step.blocks[1:]), step.stop_reason
    )


def _noted(reply: Reply, language: str) -> Reply:
    """The reply with a note in the customer's language first, since it cannot write theirs:
    after one of its few lines in that language, that the rest of its answers are in English;
    before an English answer, that it can only answer in English."""
    first = reply.blocks[0]
    own = (
        config.OFFLINE_HANDOFF_LINE,
        config.OFFLINE_DISPUTE_LINE,
        config.OFFLINE_SEARCH_LINE,
        config.OFFLINE_NOT_FOUND,
        config.OFFLINE_IDENTITY_ASK,
    )
    said_theirs = any(language in lines and lines[language] in first["text"] for lines in own)
    notes = config.OFFLINE_REST_IN_ENGLISH if said_theirs else config.OFFLINE_ENGLISH_ONLY
    text = f"{config.localised(notes, language)}\n\n{first['text']}"
    return Reply(({**first, "text": text}, *reply.blocks[1:]), reply.stop_reason)


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


def _handed_over(
    trigger: str, lines: dict[str, str], question: str, messages: list[dict[str, Any]]
) -> Reply:
    """Its line in the customer's language, then escalate_to_human with the trigger's own
    reason and priority (config.TRIGGERS), as the code's check would file it."""
    reason, priority = config.TRIGGERS[trigger]
    return tool_reply(
        config.localised(lines, reply_language(messages)),
        "escalate_to_human",
        {"reason": reason, "priority": priority, "summary": question[:300]},
    )


def _answer(
    question: str, messages: list[dict[str, Any]], offered: set[str], body: dict[str, Any]
) -> Reply:
    """Pick the intent in a fixed order, so the same conversation always gets the same reply."""
    if guardrails.asks_for_person(question) and "escalate_to_human" in offered:
        return _handed_over("person", config.OFFLINE_HANDOFF_LINE, question, messages)
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
    if "claim_dispute" in guardrails.triggers(question) and "escalate_to_human" in offered:
        return _handed_over("claim_dispute", config.OFFLINE_DISPUTE_LINE, question, messages)
    money = money_step(question, messages, offered)
    if money is not None:
        return money
    act = act_step(question, messages, offered)
    if act is not None:
        return act
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
                config.localised(config.OFFLINE_SEARCH_LINE, reply_language(messages)),
                "search_knowledge_base",
                {"query": search_query(question)},
            )
        return text_reply(config.localised(config.OFFLINE_NOT_FOUND, reply_language(messages)))
    return text_reply(
        "I'm Eva, Acme Insurance's assistant, so I can only help with Acme's car, electric car "
        "and two-wheeler insurance — coverage, quotes, policies, claims and billing. I don't have "
        "information on that question. Is there anything about your insurance I can help with?"
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
