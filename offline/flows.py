"""The two multi-turn flows of the offline model: a quote and an account lookup.

A quote collects vehicle and driver details from the customer's plain words and calls get_quote
once it has them all; an account question asks for identity first, calls lookup_policy, and
only then the claim lookup. The brain (brain.py) decides when a flow starts or goes on; this
module decides each next step. It never words a tool's result (reports.py does).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import config
import guardrails
from guardrails.text import fold
from insurance import accounts, money
from offline import details
from offline.grounding import STOPWORDS
from offline.messages import (
    content_blocks,
    customer_words,
    reply_language,
    sent_on,
    text_of,
    user_texts_recent,
)
from offline.wire import Reply, text_reply, tool_reply

# --- Quotes -----------------------------------------------------------------------------------

# A request for a price: a quote, "insure my…", or a price word with something to insure, in
# either order ("a 2015 Ford Focus, what would insurance cost me?"). Not a question about a fee
# or a limit ("how much is the late fee?"), nor one about quotes or premiums in general ("how
# long is a quote valid?", "does my premium go up if I add a driver?"): the help centre answers
# those.
_ASKS_QUOTE = re.compile(r"\b(quote|quotation|insure my|cover my new)\b", re.IGNORECASE)
_PRICE = re.compile(r"\b(how much|price|pricing|cost|costs|premium)\b", re.IGNORECASE)
_INSURED = re.compile(
    r"\b(insur\w*|cover\w*|policy|car|bike|motorcycle|scooter|ev|vehicle)\b", re.IGNORECASE
)
_NOT_A_PREMIUM = re.compile(
    r"\b(fees?|deductible|refund\w*|rental|limit|per day|reimburs\w*|tow\w*|worth)\b",
    re.IGNORECASE,
)
_ABOUT_PRICES = re.compile(
    r"\b(how long|valid\w*|expir\w*|good for|what (?:info\w*|details|documents|do i need)|"
    r"what affects|(?:go|goes|going) (?:up|down)|cheaper|more expensive|affect\w*|"
    # "Does Acme cover the cost of a locksmith?" asks what is covered, not what it costs.
    r"cover\w*\s+(?:the\s+)?costs?\s+of)\b",
    re.IGNORECASE,
)


def asks_for_quote(text: str) -> bool:
    """Whether the customer asks what insuring a vehicle would cost them."""
    text = text.replace("\u2019", "'")  # a phone's apostrophe
    if _ABOUT_PRICES.search(text):
        return False
    if _ASKS_QUOTE.search(text):
        return True
    return bool(_PRICE.search(text) and _INSURED.search(text) and not _NOT_A_PREMIUM.search(text))


QUOTE_ASK_MARK = "To prepare your quote"

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

QUOTE_FIELDS = {
    "vehicle_type": "whether it's a petrol/hybrid car, an electric car, or a motorcycle/scooter",
    "make": "the make (for example Toyota)",
    "model": "the model",
    "year": "the model year",
    "mileage": "roughly how many miles a year you drive",
    "driver_age": "the main driver's age",
}
OPTIONAL_QUOTE_FIELDS = ("coverage_level", "deductible")


def quote_in_progress(messages: list[dict[str, Any]]) -> bool:
    """True while the last assistant reply asked for quote details."""
    return QUOTE_ASK_MARK in _last_assistant_text(messages)


def _last_assistant_text(messages: list[dict[str, Any]]) -> str:
    """What the model said last: where a flow's question to the customer is found."""
    for message in reversed(messages):
        if message["role"] == "assistant":
            return text_of(content_blocks(message))
    return ""


def _user_texts_since_quote(messages: list[dict[str, Any]]) -> list[str]:
    """The customer's words from the message that started this quote to now."""
    texts: list[str] = []
    for message in reversed(messages):
        blocks = content_blocks(message)
        if message["role"] == "assistant" and any(
            b.get("type") == "tool_use" and b.get("name") == "get_quote" for b in blocks
        ):
            break
        if message["role"] != "user":
            continue
        words = customer_words(text_of(blocks))
        if words:
            texts.insert(0, words)
        if asks_for_quote(words):
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


def quote_step(messages: list[dict[str, Any]]) -> Reply:
    """Ask for what is missing, or call get_quote once everything is known."""
    details: dict[str, Any] = {}
    for text in _user_texts_since_quote(messages):
        details.update(quote_details(text))
    missing = [label for name, label in QUOTE_FIELDS.items() if name not in details]
    if missing:
        return text_reply(
            f"{QUOTE_ASK_MARK} I need a few details:\n\n"
            + "\n".join(f"- {label}" for label in missing)
            + "\n\nYou can send them all in one message."
        )
    fields = (*QUOTE_FIELDS, *OPTIONAL_QUOTE_FIELDS)
    tool_input = {name: details[name] for name in fields if name in details}
    return tool_reply("Thanks — let me work out that quote.", "get_quote", tool_input)


# --- Accounts ---------------------------------------------------------------------------------

# A question only this customer's records answer: the value or state of their own premium,
# bill, claim, coverage, drivers or renewal. Saying "my" is not enough: "how do I add a driver
# to my policy?" is answered by the help centre, and so is any question under a condition (see
# needs_account).
_THEIRS = (
    r"premium|payment|bill|balance|deductible|coverage(?: level)?|cover|limits?|plan|level|"
    r"renewal(?: date)?|due date|policy(?: number| details)?|claims?"
)
_HOLDS = r"(?:have|pick|picked|choose|chose|select|selected|go for|went for)"
_ACCOUNT_QUESTION = re.compile(
    "|".join(
        (
            rf"\bwhat(?:'s|\s+is|\s+are|\s+was)\s+my\s+(?:current\s+|monthly\s+|annual\s+|"
            rf"next\s+|actual\s+)?(?:{_THEIRS})\b",
            r"\bwhat(?:'s|\s+is)\s+(?:the|my)\s+(?:next\s+)?(?:due date|renewal date|balance|"
            r"amount due)\b|\bwhat(?:'s|\s+is)\s+on\s+my\s+(?:policy|plan|account)\b",
            r"\bhow much\s+(?:am i paying|do i (?:currently |still )?owe|do i pay (?:a|per|each|"
            r"every) (?:month|year)|is (?:my|the) (?:premium|bill|payment|balance|next payment|"
            r"monthly payment)|have i paid|did i pay|was i charged)\b",
            r"\bwhen\b[^.?!]{0,30}\bmy\s+(?:next\s+)?(?:payment|bill|premium|instal?ment)\b"
            r"[^.?!]{0,20}\b(?:due|taken|come out|comes out|charged)\b",
            r"\bwhen\b[^.?!]{0,30}\bmy\s+(?:policy|insurance|cover(?:age)?)\b[^.?!]{0,25}"
            r"\b(?:renew\w*|expir\w*|ends?|run out|lapses?)\b|\bwhen(?:'s|\s+is)\s+my\s+"
            r"(?:next\s+)?(?:renewal|payment|bill|instal?ment)\b",
            r"\bmy\s+(?:current\s+|outstanding\s+)?balance\b|\bamount\s+(?:i\s+owe|due)\b",
            r"\b(?:status|update|news|progress)\b[^.?!]{0,25}\bclaims?\b|\bclaims?\s+status\b|"
            r"\bwhere\s+(?:is|are)\s+(?:my|the|our)\s+claims?\b",
            r"\b(?:has|is|was|did)\s+(?:my|the|our)\s+(?:\w+\s+){0,2}?claims?\s+(?:been\s+|got\s+|"
            r"gotten\s+)?"
            r"(?:approved|accepted|paid|settled|processed|denied|closed|reviewed|assigned|through)\b",
            r"\b(?:happening|going on)\s+with\s+(?:my|the|our)\s+claims?\b",
            r"\bclaims?\s+(?:i|we)(?:'ve|\s+have)\s+(?:made|filed|opened)\b",
            rf"\b(?:what|which)\b[^.?!]{{0,40}}\b(?:do|did)\s+i\s+(?:actually\s+|currently\s+)?"
            rf"{_HOLDS}\b(?!\s+to\b)",
            r"\bdid\s+i\s+(?:add|take|get|buy|pick|choose|select|include|sign up for)\b",
            r"\bdid\s+(?:you|acme|you guys)\s+(?:get|receive|take|process|charge|cash)\b",
            r"\b(?:has|was|is)\s+my\s+(?:last\s+|latest\s+)?payment\s+(?:been\s+)?"
            r"(?:received|taken|processed|through|gone through|paid)\b|\bdid\s+my\s+(?:last\s+|"
            r"latest\s+)?(?:payment|premium)\s+(?:go through|clear|arrive|come through)\b",
            r"\bdo\s+i\s+(?:have|get)\b[^.?!]{1,40}\b(?:on|in|with|under)\s+my\s+"
            r"(?:policy|plan|insurance)\b",
            r"\bdo\s+i\s+(?:already\s+)?have\s+(?:\w+\s+){0,3}?(?:coverage|cover|insurance|"
            r"roadside|rental|gap|collision|comprehensive|liability)\b",
            r"\b(?:what|which)\s+(?:cars?|vehicles?|drivers?|people|bikes?)\s+(?:are|is)\s+"
            r"(?:on|listed on|covered (?:on|by|under))\s+my\b",
            r"\bis\s+(?:my\s+)?\w+(?:\s+\w+)?\s+(?:listed|named|included)\b[^.?!]{0,30}"
            r"\bmy\s+(?:policy|plan|insurance)\b|\bwho(?:'s|\s+is)\s+(?:listed\s+)?on\s+my\s+"
            r"(?:policy|plan|insurance)\b",
            r"\bis\s+my\s+(?:policy|insurance|cover(?:age)?)\s+(?:still\s+)?(?:active|valid|"
            r"in force|cancel+ed|lapsed)\b|\bis\s+my\s+(?:car|bike|vehicle|motorcycle)\s+still\s+"
            r"(?:insured|covered)\b|\b(?:am i|is my (?:car|bike|vehicle|motorcycle))\s+(?:covered|"
            r"insured)\s+(?:right now|at the moment|currently|today)\b",
            r"\b(?:check|look up|pull up|look into|see)\s+(?:on\s+)?my\s+(?:policy|claims?|"
            r"account|payments?|bill|balance|premium|coverage|deductible|renewal)\b",
        )
    ),
    re.IGNORECASE,
)
# A condition makes a question general: "what happens if my payment is late, am I still
# insured?" asks how the grace period works, not what this account says.
_CONDITION = re.compile(r"\b(if|unless|in case|what happens|suppose|supposing)\b", re.IGNORECASE)
_POLICY_OR_CLAIM_NUMBER = re.compile(r"\b(?:ACM|CLM)-?\s?\d{5,6}\b", re.IGNORECASE)


def needs_account(question: str) -> bool:
    """Whether only this customer's records answer the question: it names a policy or claim
    number, or one of its sentences asks what their account holds without setting a condition."""
    question = question.replace("\u2019", "'")  # a phone's apostrophe
    if _POLICY_OR_CLAIM_NUMBER.search(question):
        return True
    return any(
        _ACCOUNT_QUESTION.search(sentence) and not _CONDITION.search(sentence)
        for sentence in re.split(r"(?<=[.!?])\s+", question)
    )


POLICY_NUMBER = re.compile(r"\bACM-?\s?(\d{6})\b", re.IGNORECASE)
DATE_OF_BIRTH = re.compile(r"\b(19\d{2}|20\d{2})-(\d{2})-(\d{2})\b")
ZIP_CODE = re.compile(r"\b(?:zip(?: code)?\s*(?:is|:)?\s*)?(\d{5})\b", re.IGNORECASE)
# Details the customer gives as someone else's ("their policy number", "her birthday"): only the
# policyholder may be verified, so these are never looked up.
SOMEONE_ELSES = re.compile(
    r"\b(?:their|his|her|hers)\s+(?:policy|birthday|date of birth|dob|zip)|\bmy\s+(?:ex|wife|"
    r"husband|partner|son|daughter|mother|father|mom|dad|friend|neighbou?r|brother|sister)(?:'s)?"
    r"\s+(?:policy|insurance|birthday)",
    re.IGNORECASE,
)
# Words of the English identity request (config.OFFLINE_IDENTITY_ASK) that tests and evals look
# for in a reply.
VERIFY_ASK_MARK = "first need to confirm it's you"


def verification_in_progress(messages: list[dict[str, Any]]) -> bool:
    """True while the last assistant reply asked the customer to confirm who they are, in
    whichever language it asked."""
    said = _last_assistant_text(messages)
    return any(ask in said for ask in config.OFFLINE_IDENTITY_ASK.values())


def identity_details(text: str) -> bool:
    """Whether the text carries a policy number, a date of birth (also written out, "born July
    3, 1982") or a ZIP code."""
    return bool(
        POLICY_NUMBER.search(text)
        or DATE_OF_BIRTH.search(text)
        or ZIP_CODE.search(text)
        or details.birth_date(text, None)
    )


def _verified_policy(messages: list[dict[str, Any]]) -> str | None:
    """The policy a successful lookup_policy verified earlier in this conversation."""
    asked: dict[str, str] = {}
    for message in messages:
        for block in content_blocks(message):
            if block.get("type") == "tool_use" and block.get("name") == "lookup_policy":
                asked[block["id"]] = block["input"].get("policy_number", "")
            if (
                block.get("type") == "tool_result"
                and block.get("tool_use_id") in asked
                and not block.get("is_error")
            ):
                return asked[block["tool_use_id"]]
    return None


REFUND_WORDS = re.compile(r"\brefund", re.IGNORECASE)
CHANGE_WORDS = re.compile(r"\b(?:change|update|add|remove)\b.{0,40}\bmy policy\b", re.IGNORECASE)


def asks_for_refund(text: str) -> bool:
    """Whether the customer asks for a refund of an amount they name."""
    return bool(REFUND_WORDS.search(text) and guardrails.amounts(text))


def _refunds_asked(messages: list[dict[str, Any]]) -> list[float]:
    """The amounts of the refunds already requested in this conversation: a repeated request
    for the same amount is the same refund, not a second one."""
    return [
        float(b["input"].get("amount_usd", 0))
        for m in messages
        if m["role"] == "assistant"
        for b in content_blocks(m)
        if b.get("type") == "tool_use" and b.get("name") == "request_refund"
    ]


def money_step(question: str, messages: list[dict[str, Any]], offered: set[str]) -> Reply | None:
    """A verified customer's refund (with an amount) or change to their policy: the tool that
    acts within the limit in code, or passes it to a colleague for approval above it. None when
    the message is not one, or the customer is not verified yet (the account flow asks)."""
    verified = _verified_policy(messages)
    if verified is None:
        return None
    amounts = guardrails.amounts(question)
    if REFUND_WORDS.search(question) and amounts and "request_refund" in offered:
        if amounts[0] in _refunds_asked(messages):
            return text_reply(config.OFFLINE_REFUND_ALREADY)
        return tool_reply(
            "Let me request that refund.",
            "request_refund",
            {"policy_number": verified, "amount_usd": amounts[0], "reason": question[:300]},
        )
    if CHANGE_WORDS.search(question) and "request_policy_change" in offered:
        return tool_reply(
            "Let me pass that change on.",
            "request_policy_change",
            {"policy_number": verified, "change": question[:300]},
        )
    return None


def account_step(messages: list[dict[str, Any]], offered: set[str]) -> Reply:
    """Verify identity first; once verified, look up what the customer asked about."""
    text = " ".join(user_texts_recent(messages, 3))
    verified = _verified_policy(messages)
    if verified and re.search(r"\bclaims?\b", text, re.I) and "get_claim_status" in offered:
        return tool_reply(
            "Let me check your claims.", "get_claim_status", {"policy_number": verified}
        )
    number = POLICY_NUMBER.search(text)
    birth = details.birth_date(text, sent_on(messages))
    # A claim number's five digits (CLM-39127) are not a ZIP code.
    zip_code = ZIP_CODE.search(DATE_OF_BIRTH.sub(" ", _POLICY_OR_CLAIM_NUMBER.sub(" ", text)))
    theirs = SOMEONE_ELSES.search(text)
    if (
        verified is None
        and number
        and (birth or zip_code)
        and not theirs
        and "lookup_policy" in offered
    ):
        tool_input = {"policy_number": f"ACM-{number.group(1)}"}
        if birth:
            tool_input["date_of_birth"] = birth.isoformat()
        elif zip_code:
            tool_input["zip_code"] = zip_code.group(1)
        return tool_reply(
            "Thanks — let me verify that and pull up your policy.", "lookup_policy", tool_input
        )
    if verified:
        return text_reply(
            "You're verified for this conversation. I can check your claims, or explain anything "
            "on your policy — what would you like to know?"
        )
    return text_reply(config.localised(config.OFFLINE_IDENTITY_ASK, reply_language(messages)))


# --- Claims, cancellations and tickets --------------------------------------------------------

# A request to report a new incident, in five languages: "I need to report an accident", "please
# file a claim", "let's start a claim", "dar parte", "Schaden melden", "déclarer un sinistre",
# "заявить о страховом случае". Not a question about how reporting works (_HOW).
_FILE_CLAIM = re.compile(
    r"\b(?:to|please|pls|can you|could you|would you|let's|let us|want|i)\s+(?:\w+\s+)?"
    r"(?:file|report|make|open|start|lodge|submit|raise|put in)\s+(?:\w+\s+){0,3}?"
    r"(?:claim|accident|incident|theft|damage|loss)\b"
    r"|\b(?:presentar|abrir|reportar|declarar|dar parte de)\s+(?:\w+\s+){0,2}?(?:siniestro|"
    r"reclamacion|parte|accidente|robo)\b|\bdar parte\b"
    r"|\b(?:schaden|unfall|diebstahl|schadensfall)\w*\s+(?:\w+\s+)?(?:melden|anzeigen)\b|"
    r"\bmelde\w*\s+(?:\w+\s+){0,3}?(?:schaden|unfall|diebstahl)\b"
    r"|\b(?:declarer|signaler|ouvrir)\s+(?:\w+\s+){0,2}?(?:sinistre|accident|vol|dossier)\b"
    r"|\b(?:заявить|сообщить|оформить|подать|открыть)\s+(?:\w+\s+){0,2}?(?:о\s+)?(?:страхов\w*|"
    r"убыт\w*|дтп|авари\w*|краж\w*|угон\w*|заявлени\w*)"
)
# A question about how something works, or one under a condition, is not a request to do it.
_HOW = re.compile(
    r"\b(?:how|what|where|which|when|whether|if|can i|could i|do i|should i|must i|is it|"
    r"como|que|wie|was|comment|quel\w*|как|что|если)\b"
)


def _requests(pattern: re.Pattern[str], text: str) -> bool:
    """Whether a sentence of the text asks for it plainly (not how, not if)."""
    folded = fold(text)
    return any(
        pattern.search(sentence) and not _HOW.search(sentence)
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", folded)
    )


# "I would like to report this": a request to file only when the message names an incident.
_REPORT_IT = re.compile(
    r"\b(?:to|please|can you|could you|i)\s+(?:\w+\s+)?(?:file|report)\s+(?:this|it)\b"
)


def asks_to_file_claim(text: str) -> bool:
    """Whether the customer asks to report a new incident."""
    return _requests(_FILE_CLAIM, text) or bool(
        _requests(_REPORT_IT, text) and details.incident_type(text)
    )


# "Cancel my policy", "cancelar mi póliza", "meine Versicherung kündigen", "résilier mon
# contrat", "расторгнуть полис": a plain request; a threat to leave (guardrails' cancel_threat)
# goes to a person instead, and "I want to cancel." alone could mean a payment.
_CANCEL = re.compile(
    r"\b(?:cancel\w*|terminat\w*|end)\s+(?:\w+\s+){0,2}?(?:polic(?:y|ies)|insurance|cover(?:age)?|"
    r"contract)\b|\b(?:cancelar|anular|rescindir|dar de baja)\s+(?:\w+\s+){0,2}?(?:poliza|"
    r"seguro|contrato)\b|\b(?:versicherung|police|vertrag)\w*\s+(?:\w+\s+)?k(?:u|ue)ndigen\b|"
    r"\b(?:resilier|annuler)\s+(?:\w+\s+){0,2}?(?:contrat|police|assurance)\b|"
    r"\b(?:расторгнуть|отменить|аннулировать)\s+(?:\w+\s+){0,2}?(?:полис\w*|договор\w*|"
    r"страховк\w*)"
)


def asks_to_cancel(text: str) -> bool:
    return _requests(_CANCEL, text) and "cancel_threat" not in guardrails.triggers(text)


# What a ticket is for: more to add to an existing claim, documents, a fee to waive, or a
# complaint (a request for a person, and the triggers that bring one in, are answered first).
_TICKETS = (
    (
        "claims",
        re.compile(
            r"\b(?:add|update|also|more|new|another|further)\b[^.?!]{0,60}\b(?:to|on|in)\s+"
            r"(?:the|my|this|that)\s+claim\b|\bupdate\s+(?:to\s+)?my\s+claim\b",
        ),
    ),
    (
        "documents",
        re.compile(
            r"\b(?:send|email|need|want|get|copy|copies)\b[^.?!]{0,40}\b(?:documents?|proof of "
            r"insurance|insurance card|id card|declarations? page|certificate)\b"
        ),
    ),
    # Only a colleague decides a waiver or a disputed charge; a refund of an amount is
    # money_step's.
    (
        "billing",
        re.compile(
            r"\b(?:waive|remove|reverse|take off|drop|cancel|dispute)\b[^.?!]{0,30}"
            r"\b(?:fee|charge)s?\b"
        ),
    ),
    ("complaint", re.compile(r"\b(?:complain|complaint|queja|reclamo|beschwerde|plainte)\w*")),
)


def ticket_category(text: str) -> str | None:
    """The category of the ticket the customer asks for, or None if they ask for none ("how
    do I complain?" asks how it works)."""
    if guardrails.triggers(text):
        return None
    return next((kind for kind, pattern in _TICKETS if _requests(pattern, text)), None)


_ACTS = ("file_claim", "cancel_policy", "create_ticket", "request_refund")


def _requested(messages: list[dict[str, Any]]) -> tuple[str, int] | None:
    """The act the customer asked for most recently ("refund", "claim", "cancel" or a ticket
    category) with the index of the message that asked; None if none is pending: an act's tool
    has run since, or it was asked more than six customer messages ago."""
    said = 0
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        blocks = content_blocks(message)
        if message["role"] == "assistant":
            if any(b.get("type") == "tool_use" and b.get("name") in _ACTS for b in blocks):
                return None
            continue
        words = customer_words(text_of(blocks))
        if not words:
            continue
        said += 1
        if said > 6:
            return None
        if asks_for_refund(words):
            return "refund", index
        if asks_to_file_claim(words):
            return "claim", index
        if asks_to_cancel(words):
            return "cancel", index
        category = ticket_category(words)
        if category:
            return category, index
    return None


def act_step(question: str, messages: list[dict[str, Any]], offered: set[str]) -> Reply | None:
    """The next step of a claim, cancellation or ticket the customer asked for or is answering
    questions about; None when the message is not one (the account flow or others answer)."""
    said = _last_assistant_text(messages)
    asked = (
        asks_for_refund(question)
        or asks_to_file_claim(question)
        or asks_to_cancel(question)
        or ticket_category(question) is not None
    )
    answering = _answering(question, said, sent_on(messages))
    if not (asked or answering):
        return None
    verified = _verified_policy(messages)
    if verified is None:
        return account_step(messages, offered)
    return pending_step(messages, offered, verified)


def _answering(question: str, said: str, today: date | None) -> bool:
    """Whether the message answers the flow's last question: a yes or no to its confirmation,
    or details it asked for."""
    if config.OFFLINE_CLAIM_CONFIRM in said or _cancel_confirm_asked(said):
        return details.answer(question) is not None or bool(_claim_details(question, today))
    if config.OFFLINE_CLAIM_ASK in said:
        return bool(_claim_details(question, today))
    if _cancel_date_asked(said):
        return details.event_date(question, today) is not None
    return False


def _cancel_date_asked(said: str) -> bool:
    return config.OFFLINE_CANCEL_ASK.split("{")[0] in said


def _cancel_confirm_asked(said: str) -> bool:
    return config.OFFLINE_CANCEL_CONFIRM.split("{")[0] in said


def pending_step(messages: list[dict[str, Any]], offered: set[str], verified: str) -> Reply | None:
    """The next step of the act the customer asked for, for their verified policy; None if
    none is pending or its tool is not offered."""
    pending = _requested(messages)
    if pending is None:
        return None
    kind, start = pending
    if kind == "refund":
        return money_step(
            customer_words(text_of(content_blocks(messages[start]))), messages, offered
        )
    if kind == "claim" and "file_claim" in offered:
        return _claim_step(messages, start, verified)
    if kind == "cancel" and "cancel_policy" in offered:
        return _cancel_step(messages, start, verified)
    if kind in config.OFFLINE_TICKET_SUBJECTS and "create_ticket" in offered:
        texts = _texts_from(messages, start)
        return tool_reply(
            config.OFFLINE_TICKET_LINE,
            "create_ticket",
            {
                "subject": config.OFFLINE_TICKET_SUBJECTS[kind],
                "description": " ".join(texts)[:4000],
                "category": kind,
                "policy_number": verified,
            },
        )
    return None


def _texts_from(messages: list[dict[str, Any]], start: int) -> list[str]:
    """The customer's words from message `start` on."""
    texts = [
        customer_words(text_of(content_blocks(m))) for m in messages[start:] if m["role"] == "user"
    ]
    return [t for t in texts if t]


def _claim_texts(messages: list[dict[str, Any]], start: int) -> list[str]:
    """The customer's words about the incident: from the request to file on, and up to two
    messages before it that already described it."""
    before: list[str] = []
    for message in reversed(messages[:start]):
        words = (
            customer_words(text_of(content_blocks(message))) if message["role"] == "user" else ""
        )
        if not words:
            continue  # the model's replies and tool results
        if not details.incident_type(words) or len(before) == 2:
            break
        before.insert(0, words)
    return before + _texts_from(messages, start)


def _claim_details(text: str, today: date | None) -> dict[str, Any]:
    """What one message says about the incident."""
    found: dict[str, Any] = {}
    day = details.event_date(text, today)
    if day is not None and (today is None or day <= today):
        found["incident_date"] = day.isoformat()
    if kind := details.incident_type(text):
        found["incident_type"] = kind
    if where := details.place(text):
        found["location"] = where
    if number := details.police_report(text):
        found["police_report_number"] = number
    if happened := details.what_happened(text):
        found["description"] = " ".join(happened)
    return found


def _claim_step(messages: list[dict[str, Any]], start: int, verified: str) -> Reply:
    """Ask for what is missing, then read the claim back and ask to file it; file it on a yes."""
    today = sent_on(messages)
    texts = _claim_texts(messages, start)
    facts: dict[str, Any] = {}
    descriptions: list[str] = []
    for text in texts:
        found = _claim_details(text, today)
        descriptions += [found.pop("description")] if "description" in found else []
        # The first kind named is the incident's; later dates and places correct earlier ones.
        facts.update({k: v for k, v in found.items() if k != "incident_type" or k not in facts})
    if descriptions:
        facts["description"] = " ".join(descriptions)[:2000]
    facts.setdefault("incident_type", "other")
    said = _last_assistant_text(messages)
    latest = texts[-1] if texts else ""
    if config.OFFLINE_CLAIM_CONFIRM in said and not _claim_details(latest, today):
        if details.answer(latest):
            return tool_reply(
                config.OFFLINE_CLAIM_FILING, "file_claim", {"policy_number": verified, **facts}
            )
        return text_reply(config.OFFLINE_CLAIM_NOT_FILED)
    police_asked = any(
        config.OFFLINE_CLAIM_FIELDS["police_report_number"] in text_of(content_blocks(m))
        for m in messages[start:]
        if m["role"] == "assistant"
    )
    wanted = ["incident_date", "description", "location"]
    if (
        facts["incident_type"] in accounts.POLICE_REPORTED
        and not police_asked
        and not any(details.no_police_report(t) for t in texts)
    ):
        wanted.append("police_report_number")
    missing = [config.OFFLINE_CLAIM_FIELDS[name] for name in wanted if name not in facts]
    if missing:
        return text_reply(
            f"{config.OFFLINE_CLAIM_ASK}\n\n"
            + "\n".join(f"- {label}" for label in missing)
            + "\n\nYou can send them all in one message."
        )
    lines = [
        f"- {label}: {facts[name]}".replace("_", " ")
        if name == "incident_type"
        else f"- {label}: {facts[name]}"
        for name, label in config.OFFLINE_CLAIM_LABELS.items()
        if name in facts
    ]
    return text_reply(
        config.OFFLINE_CLAIM_SUMMARY.format(policy=verified)
        + "\n\n"
        + "\n".join(lines)
        + f"\n\n{config.OFFLINE_CLAIM_CONFIRM}"
    )


def _cancel_step(messages: list[dict[str, Any]], start: int, verified: str) -> Reply:
    """Ask from which date, say the cover ends on it and ask to confirm; cancel on a yes."""
    today = sent_on(messages)
    texts = _texts_from(messages, start)
    said = _last_assistant_text(messages)
    latest = texts[-1] if texts else ""
    first, last = money.cancellation_window(today) if today else (None, None)
    effective = None
    for text in texts:
        day = details.event_date(text, today)
        if day is not None and (first is None or last is None or first <= day <= last):
            effective = day
    if _cancel_confirm_asked(said) and effective is not None:
        answer = details.answer(latest)
        if answer is not None and details.event_date(latest, today) in (None, effective):
            if not answer:
                return text_reply(config.OFFLINE_NOT_CANCELLED)
            return tool_reply(
                config.OFFLINE_CANCELLING,
                "cancel_policy",
                {
                    "policy_number": verified,
                    "effective_date": effective.isoformat(),
                    "reason": texts[0][:500],
                },
            )
    if effective is None:
        return text_reply(
            config.OFFLINE_CANCEL_ASK.format(today=today.isoformat() if today else "the date today")
        )
    return text_reply(
        config.OFFLINE_CANCEL_CONFIRM.format(policy=verified, date=effective.isoformat())
    )


def verified_now(messages: list[dict[str, Any]], results: list[dict[str, Any]]) -> str | None:
    """The policy a lookup_policy among these results just verified; None if none did."""
    answered = {r.get("tool_use_id") for r in results if not r.get("is_error")}
    lookups = [
        b
        for b in content_blocks(messages[-2] if len(messages) > 1 else {})
        if b.get("type") == "tool_use" and b.get("name") == "lookup_policy"
    ]
    if any(b.get("id") in answered for b in lookups):
        return _verified_policy(messages)
    return None
