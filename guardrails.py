"""Guardrails in code: personal data masked before it travels or is kept; the language spoken.

The prompt asks Eva never to repeat a card number; this module makes sure she never receives
one. What is masked where is config's policy: MASK_FOR_MODEL before a message reaches the model
(and the hosted embedder), MASK_FOR_STORAGE before anything is written to the database.

The detectors the turn runs in code, whatever the model does, live here too: escalation triggers
in a customer's message, instruction overrides in anything untrusted, promises in Eva's draft,
competitor names and a coarse mood. They are plain patterns, so the same text always gets the
same answer; each reads text folded one way (case, Latin accents, apostrophes), so its patterns
are written once per language: English, Spanish, German, French and Russian.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import config

CARD = "card"
SSN = "ssn"
BANK = "bank"
SECRET = "secret"
EMAIL = "email"
PHONE = "phone"

# What replaces each kind: says what was there, keeps nothing of it.
LABELS = {
    CARD: "[card number removed]",
    SSN: "[SSN removed]",
    BANK: "[bank details removed]",
    SECRET: "[secret removed]",
    EMAIL: "[email removed]",
    PHONE: "[phone number removed]",
}

# Digits in groups, as people type them: "4111 1111…", "4111-1111…", "4111.1111…", two spaces.
_CARD = re.compile(r"(?<![\d.-])\d(?:[ .-]{0,2}\d){12,18}(?![\d-])")
_SSN = re.compile(
    r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])|(?i:\b(?:ssn|social security)\D{0,20}\d{9}\b)"
)
_BANK = re.compile(
    r"(?i)\b(?:account|acct|routing|aba|iban|kontonummer|cuenta|compte)\b[^\d\n]{0,25}"
    r"((?:\d[ -]?){6,17}\d)"
)
# A secret is the value after "password is", "code:", "PIN =" … (the connector is required, so
# "password reset" or "zip code 60614" are not secrets).
_SECRET = re.compile(
    r"(?i)\b(?:password|passcode|passwort|contraseña|mot de passe|pin|one[- ]time code|otp|"
    r"verification code|security code|cvv|cvc|(?<!zip )(?<!postal )code)\b\s*"
    r"(?:is|was|:|=|es|ist|est)\s*[\"']?([^\s\"',.;]{3,64})"
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w-])(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])")


@dataclass(frozen=True)
class Masked:
    """Text with personal data replaced, and the kinds that were found in it."""

    text: str
    kinds: tuple[str, ...]


def luhn(digits: str) -> bool:
    """The check digit every payment card carries: rules out order numbers and the like."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _spans(text: str, kinds: Iterable[str]) -> list[tuple[int, int, str]]:
    wanted = set(kinds)
    found: list[tuple[int, int, str]] = []
    if CARD in wanted:
        for match in _CARD.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if 13 <= len(digits) <= 19 and luhn(digits):
                found.append((match.start(), match.end(), CARD))
    if SSN in wanted:
        found += [(m.start(), m.end(), SSN) for m in _SSN.finditer(text)]
    if BANK in wanted:
        found += [(m.start(1), m.end(1), BANK) for m in _BANK.finditer(text)]
    if SECRET in wanted:
        for match in _SECRET.finditer(text):
            value = match.group(1)
            if not value.startswith("["):  # already masked
                found.append((match.start(1), match.end(1), SECRET))
    if EMAIL in wanted:
        found += [(m.start(), m.end(), EMAIL) for m in _EMAIL.finditer(text)]
    if PHONE in wanted:
        found += [(m.start(), m.end(), PHONE) for m in _PHONE.finditer(text)]
    return found


def found(text: str, kinds: Iterable[str]) -> list[tuple[str, str]]:
    """(kind, value) of each piece of personal data of the given kinds in `text` (the evals
    look for these values wherever they must not be)."""
    return [(kind, text[start:end]) for start, end, kind in sorted(_spans(text, kinds))]


def mask(text: str, kinds: Iterable[str], keep: frozenset[str] = frozenset()) -> Masked:
    """`text` with every span of the given kinds replaced by its label (longest span wins).

    Values in `keep` (from known_values: Acme's own phone numbers and addresses) stay.
    """
    spans = sorted(_spans(text, kinds), key=lambda s: (s[0], -(s[1] - s[0])))
    pieces: list[str] = []
    seen: list[str] = []
    at = 0
    for start, end, kind in spans:
        if start < at:
            continue  # inside a span already masked
        if keep and _normalised(kind, text[start:end]) in keep:
            continue
        pieces += [text[at:start], LABELS[kind]]
        at = end
        if kind not in seen:
            seen.append(kind)
    pieces.append(text[at:])
    return Masked("".join(pieces), tuple(seen))


@cache
def _detector() -> Any:
    """lingua with only our languages' models, bundled in its wheel (built once, ~0.5 s)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in config.LANGUAGES
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def language_of(text: str, previous: str = "en") -> str:
    """The customer's language (ISO 639-1 code), or `previous` when the text can't tell.

    "ok", "ACM-100231, 1985-03-14" or a one-word reply say nothing about language, so a
    conversation keeps its language until a message clearly changes it.
    """
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 3:
        return previous
    [best, *_] = _detector().compute_language_confidence_values(text)
    if best.value < config.LANGUAGE_MIN_CONFIDENCE:
        return previous
    return best.language.iso_code_639_1.name.lower()


# A request for a person, not a mention of one ("can my manager drive my car?" is not).
_PERSON = re.compile(
    r"\b(?:(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|your\s+|the\s+)?"
    r"(?:real\s+|live\s+)?(?:human|person|someone|somebody|agent|representative|manager|"
    r"supervisor|colleague)|(?:connect|transfer|put)\s+me\s+(?:to|through|with)|"
    r"real\s+person|live\s+agent|human\s+agent|"
    r"(?:get|want|need)\s+(?:a\s+|an\s+)?(?:real\s+|live\s+)?(?:human|person|agent)\b|"
    r"con\s+un\s+humano|p[aá]s[ae]me\s+con|quiero\s+(?:una\s+persona|un\s+agente)|"
    r"mit\s+jemandem\s+sprechen|einen?\s+(?:menschen|mitarbeiter)\s+sprechen|"
    r"pass(?:ez|er)[- ]moi\s+(?:un|une|quelqu)|"
    r"соедините\s+(?:меня\s+)?с\s+(?:живым\s+)?(?:оператором|человеком|сотрудником)|"
    r"hablar\s+con\s+(?:una\s+persona|un\s+agente|alguien)|"
    r"mit\s+einem?\s+(?:echten\s+|richtigen\s+)?(?:mitarbeiter|menschen)|"
    r"parler\s+(?:à|a)\s+(?:un\s+conseiller|quelqu'un|une\s+(?:vraie\s+)?personne|un\s+humain)|"
    r"(?:поговорить|связаться|говорить)\s+с\s+(?:живым\s+|настоящим\s+)?"
    r"(?:человеком|оператором|сотрудником|менеджером)|"
    r"позовите\s+(?:живого\s+)?(?:человека|оператора|сотрудника))",
    re.IGNORECASE,
)


def wants_person(text: str) -> bool:
    """The customer asks for a human, in any of our languages (checked in code every turn)."""
    return bool(_PERSON.search(text))


@cache
def acme_values() -> frozenset[str]:
    """Acme's own phone numbers, emails and addresses (config.FACTS): never masked for storage."""
    return frozenset(known_values(config.FACTS.values()))


def for_storage(value: Any) -> Any:
    """The one rule for anything kept (turn records, handoffs and their transcripts, saved
    conversations, feedback) or written up from it: personal data masked, Acme's own contact
    details kept, so a colleague sees which line Eva gave. Strings, or JSON-like values."""
    return mask_values(value, config.MASK_FOR_STORAGE, keep=acme_values())


def mask_values(value: Any, kinds: Iterable[str], keep: frozenset[str] = frozenset()) -> Any:
    """Every string inside a JSON-like value masked (tool inputs, a saved conversation)."""
    kinds = tuple(kinds)
    if isinstance(value, str):
        return mask(value, kinds, keep).text
    if isinstance(value, dict):
        return {key: mask_values(item, kinds, keep) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_values(item, kinds, keep) for item in value]
    return value


# --- Detectors: the same text always gets the same answer -------------------------------------

# Patterns below are written for folded text: case-folded, Latin accents dropped (kündige →
# kundige, ß → ss, résilier → resilier), ё read as е, typographic apostrophes made plain, and a
# JSON escape ("\\n" in a stored description) read as the space it stands for.
_LATIN_ACCENT = re.compile(r"(?<=[a-z])[\u0300-\u036f]+")
_PLAIN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "ё": "е"})
_JSON_ESCAPE = re.compile(r"\\[nrt]")


def _fold(text: str) -> str:
    """`text` as the patterns expect it; Cyrillic keeps its marks (й is not и)."""
    decomposed = unicodedata.normalize("NFKD", _JSON_ESCAPE.sub(" ", text.casefold()))
    return unicodedata.normalize("NFC", _LATIN_ACCENT.sub("", decomposed)).translate(_PLAIN)


def _either(*patterns: str) -> re.Pattern[str]:
    """One regex for alternatives written one per language or phrasing."""
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


# A negation cancels what follows it in its clause: "I won't sue", "I'm not going to cancel",
# "je ne vais pas vous rembourser", "я не буду". Between the two only small words may stand, so
# "I won't hesitate to sue" still counts; a negation inside a condition ("if you don't, I'll
# sue") negates the condition, not the threat.
_CLAUSE_EDGE = re.compile(
    r"[,;:.!?()\[\]\"\n—–]|\s-\s|\b(?:but|however|pero|sin embargo|aber|doch|jedoch|mais|"
    r"cependant|но|однако|а|wenn|falls|sonst|weil|dass|ob)\b"
)
_NEGATOR = (
    r"(?:not|never|no|cannot|unable|\w+n't|nunca|jamas|tampoco|ne|pas|jamais|не|ни|нет|никогда|"
    r"nicht|nie|niemals|kein\w*)"
)
_NEGATION_BEFORE = re.compile(
    rf"\b{_NEGATOR}(?:\s+(?:i|i'm|i'll|i'd|we|we'll|you|you'll|you'd|you're|it|it's|that|that's|"
    r"be|to|a|an|going|gonna|able|ever|even|really|actually|want|plan|planning|intend|trying|"
    r"intention|of|said|think|thought|mean|meant|"
    r"about|say|saying|tell|confirm|promise|guarantee|know|sure|whether|yet|allowed|authori[sz]ed|"
    r"in|position|currently|personally|le|la|les|lo|te|se|me|puedo|podemos|voy|vamos|estoy|es|"
    r"posible|je|nous|vous|lui|peux|pouvons|vais|allons|suis|en|mesure|de|ich|wir|sie|ihnen|kann|"
    r"konnen|werde|werden|leider|zu|я|мы|вам|вас|тебе|могу|можем|буду|будем|смогу|сможем|стану|"
    r"станем|собираюсь|собираемся|хочу|хотим|в|состоянии))*\s*$"
)
_CONDITION = re.compile(r"\b(?:if|unless|si|если)\b")
_NEGATOR_WORD = re.compile(rf"\b{_NEGATOR}\b")
# German puts its negation anywhere in the clause ("Ich werde Sie nicht verklagen").
_GERMAN_NEGATOR = re.compile(r"\b(?:nicht|nichts|kein\w*|nie|niemals)\b")


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the clause holding text[start:end] begins and ends."""
    begin = max((edge.end() for edge in _CLAUSE_EDGE.finditer(text, 0, start)), default=0)
    after = _CLAUSE_EDGE.search(text, end)
    return begin, after.start() if after else len(text)


def _negated(text: str, match: re.Match[str]) -> bool:
    """Whether a negation in the same clause cancels `match` (in folded text)."""
    begin, stop = _clause(text, *match.span())
    before = text[begin : match.start()]
    negation = _NEGATION_BEFORE.search(before)
    if negation and not _CONDITION.search(before, 0, negation.start()):
        return True
    return bool(_NEGATOR_WORD.search(match.group()) or _GERMAN_NEGATOR.search(text, begin, stop))


def _said(pattern: re.Pattern[str], folded: str) -> bool:
    """A match of `pattern` that no negation cancels."""
    return any(not _negated(folded, match) for match in pattern.finditer(folded))


# Threats of legal action. Mentions are not threats: "I'm not a lawyer", "legal costs", "my
# lawyer friend asked…"; a verb of intent or "my lawyer will…" is.
_LEGAL = _either(
    r"\b(?:i'll|i will|i'm going to|i am going to|i'm gonna|gonna|we'll|we will|we're going to|"
    r"i shall|i may|i might|i could|i would|i'd|ready to|prepared to|threaten(?:ing)? to|"
    r"planning to|plan to|intend to|about to)\s+su(?:e|ing)\b",
    r"\b(?:i'm|i am|we're|we are)\s+(?:now\s+)?suing\b",
    r"\bsu(?:e|ing)\s+(?:you|u|ya|acme|eva|your\s+(?:company|firm|business)|the\s+company|"
    r"you\s+guys|y'all)\b",
    r"\b(?:take|taking|took|pursue|pursuing|start|starting|begin|beginning|initiate|initiating|"
    r"consider|considering|file|filing|bring|bringing|launch|launching|seek|seeking|explore|"
    r"exploring|threaten|threatening)\s+(?:\w+\s+){0,2}?(?:law ?suits?|legal action|legal "
    r"proceedings|legal steps|litigation|class action)\b",
    r"\b(?:law ?suits?|legal action|legal proceedings|class action)\s+against\s+(?:you|acme|"
    r"your|the company|eva)\b",
    r"\bexpect\s+(?:a\s+)?law ?suit\b|\b(?:this|it)(?:'s|\s+is)\s+going\s+to\s+court\b|"
    r"\bsee you in court\b|\bsmall[- ]claims court\b|\b(?:take|taking|drag|dragging)\s+(?:you|acme|"
    r"this|it|your company|the company|you guys)(?:\s+all)?\s+to\s+(?:small[- ]claims|court)\b",
    r"\bmy\s+(?:lawyer|attorney|solicitor|legal team|legal counsel)s?(?:'ll|\s+(?:will|shall|is|"
    r"are|has|have|says|said|told|advised|would|wants|already)\b)",
    r"\b(?:i'll|i will|i'm going to|i am going to|i'm gonna|gonna|i'm|i am|we'll|we're|i have|"
    r"i've|going to|about to|ready to)\s+(?:\w+\s+)?(?:call|contact|hire|get|involve|consult|"
    r"calling|contacting|hiring|getting|involving|consulting|contacted|hired|called|got|involved|"
    r"consulted|(?:speak|speaking|spoken|talk|talking|talked)\s+(?:to|with))\s+(?:a|an|my|our)\s+"
    r"(?:lawyer|attorney|solicitor)",
    r"\b(?:call|calling|contact|contacting)\s+my\s+(?:lawyer|attorney|solicitor)\b|\blawyer(?:ing)?"
    r"\s+up\b|\bhear(?:ing)?\s+from\s+my\s+(?:lawyer|attorney|solicitor)",
    # Spanish
    r"\b(?:voy a|vamos a|los voy a|les voy a|lo voy a|la voy a|pienso|quiero|podria|tendre que)\s+"
    r"(?:\w+\s+)?demandar\w*|\b(?:los |les |lo |la |te |le )?demandare(?:mos)?\b|\bdemand(?:o|amos)"
    r"\s+a\s+(?:acme|ustedes|su empresa|su compania)\b",
    r"\b(?:ir|ire|iremos|acudir|acudire|llevar\w*)\s+(?:\w+\s+){0,2}?a\s+(?:los\s+)?tribunales\b|"
    r"\bnos vemos en (?:el |los )?(?:juzgado|tribunal|tribunales|juicio)\b|\b(?:ire|iremos|voy|"
    r"vamos)\s+a\s+juicio\b",
    r"\b(?:mi|nuestro|nuestra)\s+abogad[oa]\b|\b(?:contratar|contratare|llamar|llamare|consultar|"
    r"hablar con|hablare con|contactar)\s+(?:a\s+)?(?:un|una|mi)\s+abogad[oa]\b",
    r"\b(?:acciones|medidas)\s+legales\b|\bdemanda judicial\b|\bvia judicial\b|\b(?:voy|vamos)\s+a"
    r"\s+denunciar\w*|\bdenunciare(?:mos)?\b",
    # German
    r"\b(?:ich|wir)\b(?:\s+\w+){0,4}?\s+verklag\w*|\bverklag(?:e|en)\s+(?:ich|wir)\b",
    r"\b(?:mein(?:em|en)?|unser(?:em|en)?)\s+(?:rechts)?anwalt\w*|\b(?:einen\s+)?(?:rechts)?anwalt"
    r"\s+(?:einschalten|nehmen|beauftragen|kontaktieren|hinzuziehen)\b|\b(?:nehme|hole|suche)\s+"
    r"(?:mir\s+)?einen\s+(?:rechts)?anwalt\b",
    r"\brechtliche\s+schritte\b|\bgerichtlich\w*\s+vorgehen\b|\bvor\s+(?:das\s+)?gericht\b|"
    r"\bklage\s+(?:einreichen|erheben)\b|\beine\s+klage\b",
    # French
    r"\bpoursui(?:vre|vrai|vrons|s|t)\s+(?:en\s+)?justice\b|\bpoursuites\s+judiciaires\b|"
    r"\b(?:je|nous)\s+(?:vais|allons)\s+vous\s+poursuivre\b|\bje\s+vous\s+poursuis\b",
    r"\bporter\s+plainte\b|\bporterai\s+plainte\b|\b(?:mon|notre)\s+avocat\b|\b(?:prendre|"
    r"prendrai|contacter|contacterai|consulter|appeler|appellerai)\s+un\s+avocat\b",
    r"\baction\s+en\s+justice\b|\b(?:au|devant\s+le|devant\s+les)\s+tribunal|\battaquer\s+en\s+"
    r"justice\b|\baller\s+en\s+justice\b|\bun\s+proces\b",
    # Russian
    r"\b(?:подам|подаю|подадим|обращусь|обратимся|пойду|пойдем)\s+(?:\w+\s+){0,3}?в\s+суд\b|"
    r"\b(?:буду|будем|собираюсь|собираемся|хочу|хотим|готов|готова|готовы)\s+(?:\w+\s+)?(?:подать|"
    r"обратиться|идти|пойти)\s+(?:\w+\s+){0,3}?в\s+суд\b|\b(?:буду|будем|собираюсь|готов|готова)\s+"
    r"судиться\b|\bзасужу\b|\bувидимся\s+в\s+суде\b|\bподам\s+(?:\w+\s+)?иск\b",
    r"\b(?:мой|мои|моему|моим|моего|нашему|наш|наши)\s+(?:адвокат|юрист)\w*|\b(?:найму|нанять|"
    r"наймем|обращусь\s+к|обратимся\s+к)\s+(?:\w+\s+)?(?:адвокат|юрист)\w*",
)

# Going public: the press, social media, review sites, "this will go viral".
_PRESS = _either(
    r"\b(?:go|going|went|gone|take|taking|took|run|running|talk|talking|speak|speaking|tell|"
    r"telling|contact|contacting|call|calling|alert|alerting|tip off|tipping off|report|reporting|"
    r"write|writing)\s+(?:\w+\s+){0,3}?(?:to\s+)?(?:the\s+)?(?:press|(?<!social )media|"
    r"news\s?papers?|"
    r"papers|reporters?|journalists?|tv|local news|news (?:outlets?|stations?|channels?|media)|"
    r"channel \d+)\b",
    r"\b(?:post|posting|posted|put|putting|share|sharing|blast|blasting|write|writing|tweet|"
    r"tweeting|complain|complaining|expose|exposing|shame|shaming|tell|telling|broadcast)\b"
    r"(?:\s+\S+){0,5}?\s+(?:on|to|all over|across|in)\s+(?:social media|facebook|twitter|"
    r"instagram|tiktok|reddit|youtube|linkedin|threads|my (?:blog|channel|page|followers))\b",
    r"\b(?:everyone|everybody)\s+on\s+(?:social media|facebook|twitter|instagram|tiktok|reddit|"
    r"youtube)\b|\btweet(?:ing)?\s+about\s+(?:this|you|acme|it)\b",
    r"\b(?:social media|facebook|twitter|instagram|tiktok|reddit|youtube)\s+(?:will|is going to|"
    r"are going to|gonna)\s+(?:hear|know)",
    r"\b(?:leave|leaving|write|writing|post|posting|give|giving|put)\s+(?:you\s+|acme\s+)?(?:a\s+|"
    r"an\s+)?(?:\w+\s+)?(?:bad|terrible|negative|awful|horrible|scathing|damning|1[- ]star|"
    r"one[- ]star|brutal)\s+reviews?\b",
    r"\breviews?\s+(?:on|at)\s+(?:yelp|trustpilot|google|the app store|facebook)\b",
    r"\b(?:go(?:es|ing)?|went)\s+viral\b|\bmake\s+(?:this|it)\s+(?:go\s+)?viral\b|\bgo(?:ing)?"
    r"\s+public\b|\b(?:everyone|the world|the whole world|the public)\s+(?:will|is going to|'ll)\s+"
    r"(?:know|hear)\b",
    # Spanish
    r"\b(?:ir|ire|iremos|voy|vamos|acudir|acudire|acudiremos|contar\w*|contare|llamar|llamare|"
    r"avisar|avisare|contactar|contactare|hablar|hablare|denunciar\w*|denunciare)\b(?:\s+\S+){0,3}?"
    r"\s+(?:la\s+|los\s+|a\s+la\s+|a\s+los\s+)?(?:prensa|medios(?:\s+de\s+comunicacion)?|"
    r"periodistas?|periodicos?|television|tele|noticias)\b",
    r"\b(?:publicar\w*|publicare|subir\w*|subire|contar\w*|contare|compartir\w*|compartire|"
    r"poner\w*|pondre|escribir\w*|escribire|quejarme|denunciar\w*)\b(?:\s+\S+){0,4}?\s+(?:en|por)"
    r"\s+(?:las\s+|mis\s+)?(?:redes(?:\s+sociales)?|facebook|twitter|instagram|tiktok|youtube)\b",
    r"\b(?:mala|pesima|negativa|terrible)s?\s+(?:resena|valoracion|critica)s?\b|\b(?:resena|"
    r"valoracion|critica|opinion)s?\s+(?:negativa|mala|pesima|de una estrella|de 1 estrella)s?\b",
    r"\b(?:hacer\w*|se hara|sera|va a ser|volver\w*)\s+(?:\w+\s+)?viral\b",
    # German
    r"\b(?:an|zur|zu\s+den|zu\s+der|in\s+die)\s+(?:die\s+)?(?:presse|medien|zeitung|zeitungen|"
    r"offentlichkeit|fernsehen|journalisten)\b",
    r"\b(?:presse|medien|journalisten|zeitung|fernsehen)\s+(?:informieren|einschalten|"
    r"kontaktieren|anrufen|benachrichtigen)\b|\b(?:informiere|kontaktiere|schalte)\s+(?:ich\s+)?"
    r"(?:die|den|das)\s+(?:presse|medien|fernsehen|zeitung)\b",
    r"\b(?:poste|posten|teile|teilen|veroffentliche\w*|berichte\w*|schreibe|schreiben|stelle|"
    r"stellen)\b(?:\s+\S+){0,6}?\s+(?:in\s+(?:den\s+)?sozialen\s+(?:medien|netzwerken)|auf\s+"
    r"(?:facebook|twitter|instagram|tiktok|youtube))\b",
    r"\bin\s+den\s+sozialen\s+(?:medien|netzwerken)\s+(?:\S+\s+){0,4}?(?:posten|teilen|"
    r"veroffentlichen|berichten|schreiben|publik)\b|\b(?:offentlich|publik)\s+machen\b|"
    r"\bmache\s+(?:\w+\s+){0,2}(?:offentlich|publik)\b",
    r"\b(?:schlechte|negative|miese)\s+(?:bewertung|rezension|kritik)\w*|\b(?:1|ein)[- ]sterne?"
    r"[- ]?bewertung\w*|\b(?:geht|gehen|wird|lasse|lassen|mache|machen)\s+(?:\w+\s+){0,2}?viral\b",
    # French
    r"\b(?:aller|irai|vais|allons|contacter|contacterai|contacte|alerter|alerterai|alerte|prevenir|"
    r"previendrai|previens|informe|appelle|"
    r"appeler|appellerai|raconter|raconterai|saisir|saisirai|informer|informerai|parler|parlerai|"
    r"voir)\b(?:\s+\S+){0,3}?\s+(?:a\s+la\s+|aux\s+|la\s+|les\s+|des\s+)?(?:presse|medias?|"
    r"journalistes?|journaux|television|tele)\b",
    r"\b(?:publier\w*|publierai|poster\w*|posterai|raconter\w*|partager\w*|balancer\w*|"
    r"denoncer\w*|mettre|mettrai|ecrire|ecrirai)\b(?:\s+\S+){0,5}?\s+(?:sur|dans)\s+(?:les\s+)?"
    r"(?:reseaux(?:\s+sociaux)?|facebook|twitter|instagram|tiktok|youtube)\b",
    r"\b(?:mauvais|negatif|terrible|horrible)\s+(?:avis|commentaire)s?\b|\b(?:avis|commentaire)s?"
    r"\s+(?:negatifs?|une etoile|1 etoile|desastreux)\b|\bfaire\s+(?:le\s+)?buzz\b|\b(?:devenir|"
    r"deviendra|rendre|sera)\s+(?:\w+\s+)?viral\b",
    # Russian
    r"\b(?:обращусь|обратимся|пойду|пойдем|напишу|напишем|расскажу|расскажем|сообщу|сообщим|"
    r"позвоню|передам|солью|обратиться|пожалуюсь)\b(?:\s+\S+){0,3}?\s+(?:в\s+|на\s+)?(?:пресс[уеа]|"
    r"прессой|сми|журналист\w*|телевидени\w*|тв|газет\w*)\b",
    r"\b(?:пресс[уеа]|сми|журналист\w*|телевидени\w*|газет\w*)\s+(?:\S+\s+){0,3}?(?:обращусь|"
    r"пойду|напишу|расскажу|сообщу|позвоню|пожалуюсь)\b",
    r"\b(?:выложу|опубликую|напишу|расскажу|размещу|запощу|опозорю)\b(?:\s+\S+){0,5}?\s+(?:в\s+|"
    r"на\s+)?(?:соцсет\w*|социальн\w+\s+сет\w*|инстаграм\w*|фейсбук\w*|твиттер\w*|телеграм\w*|"
    r"ютуб\w*|вк|вконтакте|тикток\w*|интернет\w*)",
    r"\b(?:плох|негативн|отрицательн|гневн)\w*\s+отзыв\w*|\b(?:напишу|оставлю|опубликую)\s+"
    r"(?:\w+\s+)?отзыв\w*|\bвсе\s+узнают\b",
)

# Regulators and formal complaint bodies: a mention is enough (the reason says "mentioned").
_REGULATOR = _either(
    r"\b(?:department|dept\.?)\s+of\s+(?:insurance|financial services|consumer affairs)\b|"
    r"\binsurance\s+(?:department|dept|commissioner|commission|regulators?|ombudsman|board)\b|"
    r"\bcommissioner\b",
    r"(?<!voltage )(?<!rectifier )(?<!pressure )(?<!window )(?<!fuel )\bregulators?\b"
    r"(?![\s-]+rectifier)|"
    r"\bregulatory\s+(?:body|authority|agency|complaint)\b",
    r"\bbetter business bureau\b|\bbbb\b|\bcfpb\b|\bnaic\b|\bombuds(?:man|person|men)\b|"
    r"\battorney general\b|\bconsumer\s+(?:protection|affairs|financial protection bureau|"
    r"rights (?:group|organi[sz]ation)|watchdog)\b",
    r"\b(?:formal|official)\s+complaint\b|\bfile\s+a\s+complaint\s+(?:with|against)\b|"
    r"\b(?:report|reporting|reported)\s+(?:you|acme|this|your company|you guys|eva)\s+to\b",
    # Spanish
    r"\b(?:superintendencia|direccion general)\s+de\s+seguros\b|\bdgsfp\b|\borganismo\s+"
    r"(?:regulador|supervisor)\b|\bregulador(?:es|a)?\b(?!\s+de\s+(?:voltaje|tension|presion))",
    r"\bdefensor\s+del\s+(?:asegurado|cliente|consumidor|pueblo)\b|\b(?:oficina|asociacion|"
    r"organizacion)\w*\s+(?:\w+\s+){0,2}?consumidor(?:es)?\b|\bomic\b|\bproteccion\s+(?:al|del)\s+"
    r"consumidor\b|\bfacua\b",
    r"\b(?:queja|reclamacion|denuncia)\s+(?:formal|oficial)\b|\bhoja\s+de\s+reclamaciones\b",
    # German
    r"\bbafin\b|\b(?:versicherungs|finanz)aufsicht\w*|\baufsichtsbehorde\w*|"
    r"\bregulierungsbehorde\w*|\bombuds(?:mann|frau|stelle)\b|\bverbraucherzentrale\w*|"
    r"\bverbraucherschutz\w*|\bschlichtungsstelle\w*",
    r"\b(?:formelle|offizielle|formliche)\s+beschwerde\b|\bdienstaufsichtsbeschwerde\b",
    # French
    r"\bacpr\b|\bautorite\s+de\s+controle\b|\bmediat(?:eur|rice)\b|\bmediation\s+de\s+"
    r"l'assurance\b|\bregulateur\b|\b(?:protection|defense)\s+des\s+consommateurs\b|"
    r"\bassociations?\s+de\s+consommateurs\b|\bufc\b|\bque choisir\b|\bdgccrf\b",
    r"\b(?:plainte|reclamation)\s+(?:formelle|officielle)\b",
    # Russian
    r"\bцентробанк\w*|\bцентральн\w+\s+банк\w*|\bцб(?:\s+рф)?\b|\bбанк\w*\s+росси\w*|"
    r"\bроспотребнадзор\w*|\bомбудсмен\w*|\bфинансов\w+\s+уполномоченн\w*|\bфинуполномоченн\w*",
    r"\bрегулятор\w*(?!\s+напряжени)|\bзащит\w*\s+прав\s+потребител\w*|\bофициальн\w+\s+"
    r"(?:жалоб|претензи)\w*|\bпрокуратур\w*",
)

# Cancelling a card payment, an appointment or a request is an errand, not leaving.
_NOT_AN_ERRAND = (
    r"(?!\s+(?:my\s+|the\s+|this\s+|a\s+|that\s+)?(?:card|payment|direct debit|auto-?pay|"
    r"appointment|claim|request|ticket|order|transfer|call|callback|call-back|message|email)\b)"
)
# Threatening to leave. A plain request ("how do I cancel my policy?", "I want to cancel my
# card payment") is not a threat; "I'll cancel", "I'm switching insurers" are.
_CANCEL_THREAT = _either(
    r"\b(?:i'll|i will|i'm going to|i am going to|i'm gonna|gonna|i'm about to|we'll|we will|"
    r"we're going to|i shall|i'm|i am|we're|we are)\s+(?:just\s+|definitely\s+|seriously\s+|"
    r"honestly\s+|really\s+|simply\s+)?(?:cancel(?:l?ing)?|terminat(?:e|ing))\b" + _NOT_AN_ERRAND,
    r"\b(?:i'll|i will|i'm going to|i am going to|i'm gonna|gonna|we'll|we will|i'm|i am|we're|"
    r"we are)\s+(?:just\s+|definitely\s+|seriously\s+|honestly\s+|really\s+|simply\s+)?"
    r"(?:switch(?:ing)?\s+(?:insurers?|insurance(?:\s+compan(?:y|ies))?|compan(?:y|ies)|"
    r"providers?|to\s+(?:another|a\s+different|a\s+new|a\s+competitor|your\s+competitors?))|"
    r"leav(?:e|ing)\s+(?:you(?!\s+(?:a|an|my|some)\b)|acme|your\s+company|this\s+company|for\s+good|"
    r"for\s+another|for\s+a\s+"
    r"competitor)|walk(?:ing)?\s+away|go(?:ing)?\s+(?:elsewhere|to\s+(?:a\s+competitor|another\s+"
    r"(?:insurer|company|provider)))|mov(?:e|ing)\s+(?:to\s+(?:another|a\s+different)\s+(?:insurer|insurance|company|"
    r"provider)|elsewhere)|"
    r"drop(?:ping)?\s+(?:you|acme|my\s+polic(?:y|ies)|my\s+insurance)|shop(?:ping)?\s+around|"
    r"look(?:ing)?\s+(?:for|at)\s+(?:another|a\s+new|other|a\s+different)\s+(?:insurers?|"
    r"insurance|providers?|compan(?:y|ies)))\b",
    r"\b(?:take|taking)\s+my\s+business\s+elsewhere\b|\bdone\s+with\s+(?:you|acme|your\s+(?:company|"
    r"service|insurance)|this\s+(?:company|insurer|insurance)|you\s+guys)\b|\byou(?:'ve|\s+have)?"
    r"\s+(?:just\s+)?lost\s+(?:a|me\s+as\s+a|my|your)\s+(?:customer|client|business)\b|\blost\s+my"
    r"\s+business\b|\bfind\s+(?:another|a\s+new|a\s+different|a\s+better)\s+(?:insurer|insurance"
    r"(?:\s+company)?|provider|company)\b",
    # Spanish
    r"\b(?:voy|vamos)\s+a\s+(?:cancelar|anular|rescindir)\b(?!\s+(?:el|la|mi|los|las)?\s*(?:pago|"
    r"tarjeta|domiciliacion|cita|reclamacion|solicitud|transferencia)\b)|\b(?:cancelare|anulare|"
    r"rescindire|cancelaremos|anularemos)\s+(?:mi|el|la|nuestr[oa]|todo|todas?)\s+(?:poliza|seguro"
    r"|contrato|todo)\w*|\b(?:voy|vamos)\s+a\s+(?:darme|darnos)\s+de\s+baja\b|"
    r"(?<!si )\bme\s+doy\s+de\s+baja\b",
    r"\b(?:me|nos)\s+(?:cambio|cambiamos|voy|vamos|paso|pasamos)\s+(?:a|con|de)\s+(?:otra|la\s+"
    r"competencia|aseguradora|compania)\b|\b(?:voy|vamos)\s+a\s+(?:cambiarme|cambiarnos|cambiar)\s+"
    r"de\s+(?:aseguradora|compania|seguro)\b|\bbuscare(?:mos)?\s+otra\s+(?:aseguradora|compania|"
    r"empresa)\b|\b(?:perderan|han\s+perdido|acaban\s+de\s+perder)\s+(?:un|a\s+un)\s+cliente\b",
    # German
    r"\bich\s+k(?:u|ue)ndige\b|(?<!wie )(?<!wo )(?<!wann )\bk(?:u|ue)ndige\s+ich\b|\b(?:ich|wir)\s+"
    r"(?:werde|werden)\s+(?:\w+\s+){0,3}?k(?:u|ue)ndigen\b|\b(?:dann\s+)?(?:werde|werden)\s+(?:ich|"
    r"wir)\s+(?:\w+\s+){0,3}?k(?:u|ue)ndigen\b",
    r"\b(?:versicherung|versicherer|anbieter)\s+wechseln\b|\bwechsle\s+(?:\w+\s+){0,2}"
    r"(?:versicherung|versicherer|anbieter)\b|\b(?:zur|zu\s+der)\s+konkurrenz\b|\bich\s+bin\s+"
    r"(?:dann\s+)?weg\b|\bfertig\s+mit\s+(?:ihnen|euch|acme|dir|dieser\s+versicherung)\b|"
    r"\bverlieren\s+(?:einen|mich\s+als)\s+kunden\b|\beinen\s+kunden\s+verloren\b",
    # French
    r"\bje\s+(?:vais\s+)?(?:resilie[rz]?|annule[rz]?)\b(?!\s+(?:mon|ma|le|la|ce|cette)?\s*"
    r"(?:paiement|carte|prelevement|rendez-vous|virement|demande)\b)|\bj'annule\s+(?:tout|mon\s+"
    r"contrat|ma\s+police|mon\s+assurance)\b",
    r"\bje\s+(?:vais\s+)?(?:change[rz]?|passe[rz]?)\s+(?:d'assureur|d'assurance|chez\s+(?:un\s+"
    r"autre|la\s+concurrence)|a\s+la\s+concurrence)\b|\b(?:aller|vais|irai|partir|pars|partirai)\s+"
    r"(?:voir\s+)?(?:ailleurs|chez\s+(?:la\s+concurrence|un\s+(?:autre|concurrent))|a\s+la\s+"
    r"concurrence)\b",
    r"\bje\s+(?:vais\s+)?(?:vous\s+)?quitte[rz]?\b|\bj'en\s+ai\s+fini\s+avec\b|\b(?:vous\s+)?"
    r"(?:perdez|avez\s+perdu|allez\s+perdre|venez\s+de\s+perdre)\s+(?:un|une)\s+client\w*",
    # Russian
    r"\b(?:я\s+)?(?:расторгну|расторгаю|расторгнем)\b|\b(?:я\s+)?(?:отменю|отменяю)\s+(?:\w+\s+)?"
    r"(?:полис\w*|договор\w*|страховк\w*|все)\b",
    r"\b(?:уйду|ухожу|перейду|перехожу|уходим|перейдем)\s+(?:к|в|от)\s+(?:\w+\s+)?(?:друг\w+|"
    r"конкурент\w*|вас|acme|акме)\b|\b(?:сменю|поменяю|меняю)\s+(?:страховую|страховщика|"
    r"компанию)\b|\b(?:потеряли|потеряете)\s+клиента\b|\bс\s+меня\s+хватит\b|\bхватит\s+с\s+"
    r"меня\b",
)
# Threats to leave that carry their own negation ("never again", "I won't renew").
_LEAVING_FOR_GOOD = _either(
    r"\bnever\s+(?:use|buy\s+from|deal\s+with|recommend|renew\s+with|insure\s+with|come\s+back\s+"
    r"to|do\s+business\s+with)\s+(?:you|acme|your\s+company)\b|\b(?:won't|will\s+not|not\s+going"
    r"\s+to)\s+(?:be\s+)?renew(?:ing)?\b|\bno\s+longer\s+(?:be\s+)?(?:a\s+)?(?:customer|client)\b",
    r"\bnunca\s+mas\s+(?:\w+\s+){0,2}?(?:acme|ustedes|con\s+ustedes)\b|\bno\s+(?:volvere|voy\s+a"
    r"\s+renovar|renovare)\b",
    r"\bnie\s+wieder\s+(?:acme|bei\s+(?:ihnen|euch|acme))\b|\bnicht\s+(?:mehr\s+)?verlangern\b",
    r"\bplus\s+jamais\s+(?:\w+\s+){0,2}?(?:acme|vous|chez\s+vous)\b|\bje\s+ne\s+(?:renouvellerai|"
    r"vais\s+pas\s+renouveler)\b",
    r"\bбольше\s+не\s+(?:буду|стану)\s+(?:\w+\s+){0,2}?(?:вашим|клиент\w*|пользоваться|"
    r"страховаться|продлевать)\b|\bне\s+буду\s+продлевать\b",
)
# "Switching to <a competitor>" is a threat to leave, whatever config calls the insurer.
_LEAVING_FOR = re.compile(
    r"\b(?:switch(?:ing)?|mov(?:e|ing)|go(?:ing)?|jump(?:ing)?|leav(?:e|ing)\s+(?:you\s+)?for|me\s+"
    r"(?:cambio|paso|voy)|cambiarme|pasarme|wechsle|wechseln|gehe|je\s+(?:passe|pars|vais)|перейду|"
    r"перехожу|ухожу|уйду)\s+(?:over\s+)?(?:to|with|a|con|zu|zur|chez|в|к)?\s*$"
)

# A refund, reimbursement, chargeback or dispute: with an amount over the limit, a person.
_REFUND = _either(
    r"\brefund\w*|\breimburs\w*|\bcharge\s?backs?\b|\bdisput\w*|\bmoney\s+back\b|\bcompensat\w*|"
    r"\b(?:pay|paying)\s+me\s+back\b|\bgive\s+me\s+back\b|\bwant\s+(?:my|the)\s+\S+(?:\s+\S+)?"
    r"\s+back\b",
    r"\breembols\w*|\bdevolucion\w*|\bdevuelv\w*|\bdevolver\w*|\bcontracargo\w*|\bmi\s+dinero\b",
    r"\b(?:zu)?r(?:u|ue)ckerstatt\w*|\berstatt\w*|\br(?:u|ue)ckzahlung\w*|\bzur(?:u|ue)ckzahl\w*|"
    r"\bgeld\s+zur(?:u|ue)ck\b|\br(?:u|ue)ckbuchung\w*|\bzur(?:u|ue)ckbuch\w*|\bwiderspruch\b",
    r"\brembours\w*|\bretrofacturation\b|\bcontest\w*|\blitige\w*|\bmon\s+argent\b",
    r"\bвозврат\w*|\bверн(?:ите|уть|ете)\b|\bвозмест\w*|\bвозмещени\w*|\bкомпенсац\w*|"
    r"\bоспор\w*|\bчарджб[эе]к\w*|\bмои\s+деньги\b|\bденьги\s+назад\b",
)

# Money: a number with a currency on either side, in US or European format.
_NUMBER = (
    r"(?:[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,3}(?:\.[0-9]{3}){1,4}|[0-9]{1,3}(?:'[0-9]{3}){1,4}|"
    r"[0-9]{1,12})(?:[.,][0-9]{1,2})?(?![0-9])"
)
# Spaces group thousands only where a currency follows ("1 200 €", "1 200 долларов").
_SPACED_NUMBER = r"[0-9]{1,3}(?: [0-9]{3}){1,4}(?:[.,][0-9]{1,2})?(?![0-9])"
_MULTIPLIER = r"k\b|(?:thousand|mil|tausend|mille)\b|тыс\w*\.?"
# A sign after a number ("800$") must not be the prefix of the next one ("2021 $800").
_CURRENCY_BEFORE = r"us\$|\$|\busd\b|\beur\b|€|₽|\brub\b|\bруб\b\.?"
_CURRENCY_AFTER = (
    r"(?:\$|€|₽)(?!\s?[0-9])|(?:usd|us dollars?|dollars?|dolares|dolar|bucks|eur|euros?|rub)\b|"
    r"евро\b|долл\w*|руб\w*\.?"
)
_AMOUNT = re.compile(
    rf"(?<![\w.,])(?:(?P<sign>{_CURRENCY_BEFORE})\s{{0,2}}(?P<number>{_NUMBER})"
    rf"(?:\s?(?P<times>{_MULTIPLIER}))?|(?P<number_>{_SPACED_NUMBER}|{_NUMBER})"
    rf"(?:\s?(?P<times_>{_MULTIPLIER}))?\s?(?P<sign_>{_CURRENCY_AFTER}))"
)
_DECIMALS = re.compile(r"[.,]([0-9]{1,2})$")


def _value(number: str) -> float:
    """1,200.50 and 1.200,50 alike: a separator before one or two final digits is the decimal."""
    decimals = _DECIMALS.search(number)
    whole = int(re.sub(r"[^0-9]", "", number[: decimals.start()] if decimals else number))
    return whole + (int(decimals[1]) / 10 ** len(decimals[1]) if decimals else 0)


def _currency(sign: str) -> str:
    """The currency a sign or word names ($, dollars and долларов are all US dollars here)."""
    if sign.startswith(("€", "eur", "евро")):
        return "eur"
    if sign.startswith(("₽", "rub", "руб")):
        return "rub"
    return "usd"


def _money(folded: str) -> list[tuple[float, str]]:
    """Each amount in folded text with its currency, in order."""
    found = []
    for match in _AMOUNT.finditer(folded):
        number = match["number"] or match["number_"]
        times = match["times"] or match["times_"]
        value = _value(number) * (1000 if times else 1)
        found.append((value, _currency(match["sign"] or match["sign_"])))
    return found


def amounts(text: str) -> list[float]:
    """The money amounts in `text`, as written ($800, USD 1,200, 1.200 €, $1.5k, 900 euros…).

    A number needs a currency beside it to count: policy numbers and years are not money.
    """
    return [value for value, _ in _money(_fold(text))]


# Insults and profanity aimed at Eva, Acme or its staff. Swearing about a situation ("Damn,
# someone hit my car") is not abuse, and neither is an insult for someone else ("some idiot hit
# me"): each pattern needs a target, or is a formula that only has one ("f*** you").
_ABUSE = _either(
    r"\b(?:you|u|ya|y'all|acme|eva|this\s+(?:bot|chatbot|company|place|machine)|your\s+(?:company"
    r"|staff|people|agents|team|bot|service))(?:'re|'s|\s+(?:are|r|is|were|was|such|a|an|so|"
    r"really|truly|totally|completely|absolutely|utterly|fucking|f\*+ing|bloody|freaking|damn|"
    r"most|biggest|little|being|just|people|guys|lot|all|complete|total|nothing\s+but|bunch\s+of|"
    r"pack\s+of)\b)*\s+(?:idiots?|idiotic|morons?|moronic|imbeciles?|stupid|dumb(?:ass)?|"
    r"retard(?:s|ed)?|assholes?|arseholes?|bastards?|bitch(?:es)?|dickheads?|dicks|cunts?|twats?|"
    r"pricks?|wankers?|jerks?|losers?|scum(?:bags?)?|garbage|crooks?|thie(?:f|ves)|scammers?|"
    r"frauds?|liars?|clowns?|pathetic|worthless|useless|incompetent|clueless|brainless|joke|scam|"
    r"pigs?|parasites?|leeches|vultures?|criminals?|the\s+worst|piece\s+of\s+(?:shit|crap|garbage|"
    r"junk|trash))\b",
    r"\b(?:stupid|dumb|useless|worthless|pathetic|idiotic|moronic|incompetent|bloody|fucking|"
    r"f\*+(?:ing|king)|goddamn|damn|shitty|crappy)\s+(?:bot|chatbot|robot|machine|ai|assistant|"
    r"company|insurer|insurance\s+company|service|app)\b",
    r"\b(?:bunch|pack|load)\s+of\s+(?:idiots|morons|clowns|crooks|thieves|incompetents|scammers|"
    r"liars|imbeciles|amateurs)\b",
    r"\bf[u*@#]?[c*#]?[k*#q]+\s+(?:you|u|off|acme|eva|this\s+(?:bot|company)|your(?:self|\s+"
    r"company)|y'all)\b|\bf\s+(?:you|u|off)\b|\b(?:screw|damn|curse)\s+(?:you|u|acme|this\s+"
    r"(?:bot|company)|your\s+company)\b",
    r"\bgo\s+(?:to\s+hell|fuck\s+yourself|f\*+\s+yourself|screw\s+yourself|die)\b|\bshut\s+(?:the"
    r"\s+(?:f\w*|f\*+|hell)\s+)?up\b|\bstfu\b|\bgtfo\b|\bpiss\s+off\b|\bkiss\s+my\s+ass\b|"
    r"\bsod\s+off\b",
    r"\b(?:you|acme|this\s+(?:bot|company)|your\s+(?:company|service))\s+(?:really\s+|fucking\s+|"
    r"totally\s+)?(?:suck|sucks|stink|stinks)\b",
    # Spanish
    r"\b(?:eres|sois|tu|vosotros|usted(?:\s+es)?|ustedes(?:\s+son)?|acme(?:\s+es|\s+son)?|este\s+"
    r"bot(?:\s+es)?|esta\s+(?:empresa|compania|aseguradora)(?:\s+es)?)(?:\s+(?:un|una|unos|unas|"
    r"muy|tan|completamente|totalmente|absolutamente|realmente|puto|puta|putos|putas|maldito|"
    r"maldita|malditos|malditas|pedazo\s+de|el\s+mas|la\s+mas|panda\s+de|banda\s+de)\b)*\s+"
    r"(?:idiotas?|imbeciles?|estupid[oa]s?|inutil(?:es)?|tont[oa]s?|gilipollas|pendej[oa]s?|"
    r"cabron(?:a|es|as)?|hij[oa]s?\s+de\s+puta|mierda|ladron(?:es|a|as)?|estafador(?:es|a|as)?|"
    r"payas[oa]s?|basura|incompetentes?|sinverguenzas?|cretin[oa]s?|subnormal(?:es)?|"
    r"mentiros[oa]s?|estafa|asco|patetic[oa]s?|inept[oa]s?)\b",
    r"\b(?:bot|robot|maquina|empresa|compania|aseguradora|servicio)\s+(?:de\s+mierda|inutil|"
    r"estupid[oa]|de\s+pacotilla|asqueros[oa])\b|\b(?:maldit[oa]|estupid[oa]|put[oa]|inutil)\s+"
    r"(?:bot|robot|maquina|empresa|compania|aseguradora)\b",
    r"\bvete\s+a\s+la\s+mierda\b|\biros\s+a\s+la\s+mierda\b|\bque\s+(?:te|os|les)\s+(?:jodan|"
    r"den)\b|\bjodete\b|\bcallate\b|\bcierra\s+(?:la\s+)?(?:boca|el\s+pico)\b|\ba\s+la\s+mierda\s+"
    r"(?:con\s+)?(?:acme|ustedes|vosotros|usted)\b|\bme\s+cago\s+en\s+(?:acme|ustedes|vosotros|"
    r"tu|vuestra|su)\b|\b(?:panda|banda)\s+de\s+(?:inutiles|ladrones|idiotas|estafadores|"
    r"incompetentes|imbeciles|payasos)\b",
    # German
    r"\b(?:du(?:\s+bist)?|bist\s+du|sie\s+sind|sind\s+sie|ihr\s+seid|seid\s+ihr|acme(?:\s+ist)?|"
    r"dieser\s+bot(?:\s+ist)?|diese\s+(?:firma|versicherung|maschine)(?:\s+ist)?|(?:euer|ihr)\s+"
    r"(?:laden|verein|service)(?:\s+ist)?)(?:\s+(?:ein|eine|einer|so|total|vollig|echt|wirklich|"
    r"verdammte?r?|verdammt|scheiss|nur|ja|doch|absolut|komplett|ganz|ein\s+haufen|ein\s+paar|"
    r"richtige?r?|die\s+grossten)\b)*\s+(?:(?:voll)?idiot(?:en)?|depp(?:en)?|trottel|"
    r"arschloch|arschlocher|blod(?:e|er|es|mann)?|dumm(?:e|er|es|kopf|kopfe)?|nutzlos(?:e|er|es)?|"
    r"unfahig(?:e|er|es)?|inkompetent(?:e|er|es)?|betruger|abzocker|versager|wichser|penner|"
    r"hurensohn|hurensohne|schwachkopf|schwachkopfe|witz|witzfigur|lugner|verbrecher|gauner|"
    r"halsabschneider|lacherlich|erbarmlich|armselig)\b",
    r"\b(?:scheiss|blode[rs]?|dumme[rs]?|nutzlose[rs]?|bescheuerte[rs]?|verdammte[rs]?|"
    r"beschissene[rs]?|unfahige[rs]?)\s*-?\s*(?:bot|roboter|maschine|firma|versicherung|laden|"
    r"verein|ki|service|kundenservice|chatbot)\b|\b(?:saftladen|drecksladen|sauladen|scheissladen|"
    r"scheissverein|drecksverein|scheissfirma|drecksfirma|abzockerverein|betrugerbande|"
    r"verbrecherbande)\b",
    r"\bfick\s+(?:dich|euch)\b|\bleck\s+mich\b|\bhalt(?:\s+die\s+klappe|'?s\s+maul|\s+(?:dein|"
    r"das)\s+maul|\s+den\s+mund)\b|\bverpiss\s+dich\b|\bgeh(?:en\s+sie)?\s+zum\s+teufel\b|\bzum\s+"
    r"teufel\s+mit\s+(?:ihnen|euch|dir|acme)\b",
    # French
    r"(?:\b(?:tu\s+es|t'es|vous\s+etes|t'etes|acme\s+est|ce\s+(?:bot|robot)\s+est|cette\s+"
    r"(?:boite|entreprise|societe|assurance|machine)\s+est)\b|\b(?:espece|bande)\s+d(?:e\b|"
    r"'))(?:\s*(?:un|une|des|vraiment|tellement|completement|totalement|si|trop|qu'un|qu'une|que\s+"
    r"des|de\s+vrais|le\s+plus|la\s+plus|les\s+plus|sale|sales|gros|grosse|pauvre|pauvres|bande\s+"
    r"d'|bande\s+de|une\s+bande\s+d'|une\s+bande\s+de|espece\s+d')\b)*(?:\s+|(?<='))(?:idiot(?:e|s|"
    r"es)?|cons?|connes?|connard(?:e|s|es)?|abruti(?:e|s|es)?|cretin(?:e|s|es)?|debiles?|nul(?:le|s"
    r"|les)?|incompetent(?:e|s|es)?|inutiles?|stupides?|imbeciles?|escrocs?|voleurs?|arnaqueurs?|"
    r"salauds?|salopes?|enfoire(?:e|s|es)?|minables?|pourri(?:e|s|es)?|bouffon(?:ne|s|nes)?|"
    r"guignols?|incapables?|menteur(?:s)?|menteuses?|une\s+blague|une\s+arnaque|des\s+voleurs|"
    r"pathetiques?|lamentables?|bon(?:ne)?s?\s+a\s+rien|ordures?)\b",
    r"\b(?:bot|robot|machine|boite|assurance|societe|entreprise|service|compagnie)\s+de\s+merde\b|"
    r"\b(?:putain|saloperie|foutue?)\s+de\s+(?:bot|robot|machine|boite|assurance|societe|entreprise|"
    r"service|compagnie)\b|\b(?:bot|robot|machine|assistant)\s+(?:stupide|debile|inutile|nul|"
    r"idiot)\b",
    r"\bva\s+te\s+faire\s+(?:foutre|voir)\b|\ballez\s+vous\s+faire\s+(?:foutre|voir)\b|\bta\s+"
    r"gueule\b|\bfermez?(?:-|\s+)la\b(?!\s+\w)|\bva\s+(?:au\s+diable|chier)\b|\bje\s+vous\s+"
    r"emmerde\b|\bnique\s+(?:ta|vous|acme|votre)\b",
    # Russian
    r"\b(?:ты|вы|тебя|вас|acme|акме|этот\s+бот|эта\s+(?:компания|контора|страховая|машина)|ваша\s+"
    r"(?:компания|контора|страховая)|ваш\s+(?:бот|сервис))(?:\s+(?:просто|такой|такая|такие|"
    r"полный|полная|полные|совсем|совершенно|абсолютно|реально|очень|же|все|тупой|тупая|тупые|"
    r"конченый|конченая|конченые|гребаный|гребаная|гребаные|чертов|чертова|чертовы|ебаный|ебаная|"
    r"ебаные|сраный|сраная|сраные|натуральные|натуральный|настоящие|настоящий|кучка|банда|шайка|"
    r"стадо)\b|\s+[—–-])*\s+(?:идиот\w*|дебил\w*|придур\w*|тупой|тупая|тупые|тупица|тупицы|дура(?:к\w*|ч\w*)?"
    r"|бесполезн\w*|бестолоч\w*|бестолков\w*|кретин\w*|мошенник\w*|жулик\w*|воры|ворье|ворюг\w*|"
    r"некомпетентн\w*|урод\w*|сволоч\w*|мудак\w*|мудил\w*|козл\w*|козел|ничтожеств\w*|сука|суки|"
    r"твар\w*|ублюд\w*|кидал\w*|лжец\w*|лгун\w*|обманщик\w*|позорищ\w*|убожеств\w*|клоун\w*|"
    r"бездар\w*|негодя\w*|скотин\w*|говно|дерьмо)\b",
    r"\b(?:тупой|тупая|бесполезный|бесполезная|дурацкий|дурацкая|идиотский|идиотская|гребаный|"
    r"гребаная|чертов|чертова|ебаный|ебаная|сраный|сраная|хреновый|хреновая|долбаный|долбаная|"
    r"никчемный|никчемная|убогий|убогая)\s+(?:бот|робот|машина|компания|контора|страховая|сервис|"
    r"помощник|ассистент|ии|чат-бот|чатбот|шарашка|шарага)\b",
    r"\b(?:иди|идите|пош(?:ел|ла|ли))\s+(?:ты\s+|вы\s+)?(?:на\s*(?:хуй|х\*+|х\.+|фиг|хрен)|к\s+"
    r"черту|в\s+(?:жопу|задницу|баню)|нафиг|нахуй|вон)(?!\w)|\bда\s+пошли\s+вы\b|\bзаткни(?:сь|"
    r"тесь)\b|\bотвали(?:те)?\b|\bотъебись\b",
)

_TRIGGER_PATTERNS = {
    "legal": _LEGAL,
    "press": _PRESS,
    "regulator": _REGULATOR,
    "cancel_threat": _CANCEL_THREAT,
    "abuse": _ABUSE,
}


# How far from a refund word its amount may stand: "$800 refund", "a refund for the $1,200 I
# was overcharged", but not "I paid $1,200 for the repair, will I get a refund of $250?".
_AMOUNT_BEFORE_CHARS = 25
_AMOUNT_AFTER_CHARS = 40


def _over_limit(folded: str) -> bool:
    """A refund or dispute named with an amount worth more than the limit, in dollars."""
    limit = config.DISPUTE_THRESHOLD_USD
    large = [
        (match.start(), match.end())
        for match, (value, currency) in zip(_AMOUNT.finditer(folded), _money(folded), strict=True)
        if value * config.USD_PER_UNIT[currency] > limit
    ]
    return any(
        start < refund.end() + _AMOUNT_AFTER_CHARS and end > refund.start() - _AMOUNT_BEFORE_CHARS
        for refund in _REFUND.finditer(folded)
        if not _negated(folded, refund)
        for start, end in large
    )


def _leaving_for_competitor(folded: str) -> bool:
    """ "I'm switching to GEICO", whichever insurers config names."""
    for start, _ in _competitor_hits(folded):
        lead = _LEAVING_FOR.search(folded, 0, start)
        if lead and not _negated(folded, lead):
            return True
    return False


def triggers(text: str) -> tuple[str, ...]:
    """The escalation triggers in one customer message, in the order of config.TRIGGERS.

    Each is checked in code every turn, in English, Spanish, German, French and Russian; a
    negated threat ("I won't sue") does not count.
    """
    folded = _fold(text)
    found = {name for name, pattern in _TRIGGER_PATTERNS.items() if _said(pattern, folded)}
    if wants_person(text):
        found.add("person")
    if _LEAVING_FOR_GOOD.search(folded) or _leaving_for_competitor(folded):
        found.add("cancel_threat")
    if _over_limit(folded):
        found.add("refund_over_limit")
    return tuple(name for name in config.TRIGGERS if name in found)


# Attempts to override Eva's instructions or role, from a customer or planted in stored text.
# "Ignore the previous quote", "the instructions for filing a claim" or "Act now" are not.
_INJECTION = _either(
    r"\b(?:ignore|ignoring|disregard|disregarding|override|overriding|bypass|bypassing)\s+(?:(?:all"
    r"|any|of|the|your|my|these|those|previous|prior|above|earlier|preceding|foregoing|original|"
    r"initial|system|safety|given|existing|current|internal)\s+)*(?:instructions?|prompts?|rules|"
    r"directions|guidelines|directives?|guardrails|restrictions|constraints|programming|training|"
    r"system\s+message|context|safety|filters?)\b",
    r"\b(?:forget|forgetting|skip|drop|abandon|discard)\s+(?:(?:all|any|of|the|your|these|those|"
    r"previous|prior|above|earlier|preceding|original|initial|system)\s+)*(?:instructions|prompts?|"
    r"programming|guidelines|directives|system\s+message|guardrails|training)\b",
    r"\bignore\s+(?:all\s+)?(?:of\s+)?(?:the\s+|everything\s+)?above\b(?=\s*(?:$|[.,;:!]|and\b|"
    r"then\b|instead\b))|\b(?:note|message|instructions?|attention)\s+(?:to|for)\s+(?:the\s+)?"
    r"(?:ai|assistant|ai\s+assistant|model|llm|chatbot|bot|eva)\b",
    r"\b(?:ignore|disregard|forget)\s+(?:all|everything)\s+(?:(?:that\s+)?(?:is\s+)?above|you\s+(?:were"
    r"|have\s+been|'ve\s+been)\s+told|you\s+know)\b",
    r"\byou(?:'re|\s+are)\s+now\s+(?:(?:a|an|the|my)\s+)?(?:\w+\s+){0,2}?(?:assistant|ai|bot|"
    r"chatbot|model|llm|persona|character|dan|jailbroken|unrestricted|unfiltered|uncensored|evil|"
    r"rogue|hacker|developer|admin|administrator|root|god|no\s+longer\s+(?:bound|restricted|an?\s+"
    r"(?:assistant|ai)|eva))\b",
    r"\bfrom\s+now\s+on,?\s+(?:you\s+(?:are|'re|will|'ll|must|should|shall)\s+(?:\w+\s+){0,2}?"
    r"(?:act|behave|ignore|pretend|roleplay|obey|be\s+(?:a|an|my)\s+(?:\w+\s+)?(?:assistant|ai|bot|"
    r"model|character|persona|hacker))|act|behave|ignore|pretend|obey)\b",
    r"\b(?:new|updated|revised|real|actual|true|override|admin|system|developer|secret|hidden)\s+"
    r"(?:instructions?|directives?|prompt|orders)\s*:",
    r"\b(?:system|initial|original|hidden|secret|internal|developer)\s*prompts?\b|\bsystem\s+"
    r"(?:instructions?|override)\b|\b(?:developer|dev|admin|debug|dan|jailbreak|unrestricted|"
    r"sudo|root)\s+mode\b|\bjail\s*break\w*|\bdo\s+anything\s+now\b",
    r"\bpretend\s+(?:that\s+)?(?:you\s+(?:are|'re|were|have\s+no|had\s+no)|to\s+be)\b|\byou're\s+"
    r"pretending\b",
    r"\b(?:act|behave|roleplay|role-play)\s+(?:as|like)\s+(?:(?:a|an|if|though)\s+)?(?:you\s+"
    r"(?:are|were|have|had)\s+no\b|(?:\w+\s+){0,2}?(?:unrestricted|unfiltered|uncensored|"
    r"jailbroken|evil|rogue|dan|hacker|developer|admin|administrator|root|system|different\s+"
    r"(?:ai|assistant|bot|model)|another\s+(?:ai|assistant|bot|model)|(?:ai|assistant|bot|model)\s+"
    r"without|without\s+(?:rules|restrictions|limits|filters)))",
    r"\b(?:reveal|show|print|repeat|output|display|leak|dump|recite|spell\s+out|write\s+out|paste|"
    r"share|tell\s+me|give\s+me|what\s+(?:is|are|was|were))\s+(?:me\s+)?(?:your|the)\s+(?:(?:system|"
    r"initial|original|hidden|secret|internal|full|exact|entire|complete|first|developer)\s+)+"
    r"(?:prompts?|instructions?|messages?|rules|guidelines|configuration|directives?)\b",
    r"\b(?:reveal|print|repeat|output|leak|dump|recite|show\s+me)\s+(?:me\s+)?your\s+(?:prompts?|"
    r"instructions?|programming|directives?|configuration)\b|\bwhat(?:'s|\s+is)\s+your\s+prompt\b"
    r"|\brepeat\s+(?:the\s+)?(?:words|text|everything)\s+above\b",
    # Forged tags and chat-format markers that pretend to end the data or start new orders.
    r"(?:<|&lt;)\s*/?\s*(?:system|assistant|user|human|customer_message|customer|instructions?|"
    r"tool_result|tool_use|function_results?|function_calls?|developer|admin|prompt|im_start|"
    r"im_end|sys|inst)(?:\s[^<>\n]{0,80})?\s*/?\s*(?:>|&gt;)",
    r"<\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|start_header_id|"
    r"end_header_id|eot_id)\|>|\[/?inst\]|<<\s*/?sys\s*>>",
    r"(?m:#{2,}\s*(?:new\s+)?(?:system(?:\s+prompt)?|instructions?|prompt)\b\s*(?::|$))|"
    r"(?m:^\s*(?:human|assistant)\s*:\s|^\s*system\s*:\s*(?:you|ignore|new|from\s+now|"
    r"override|disregard|eva\b))",
    # Spanish
    r"\b(?:ignora|ignore|ignorad|ignoren|olvida|olvide|olvidad|olviden|omite|omita|descarta|"
    r"descarte)\s+(?:(?:todas|todos|las|los|tus|sus|estas|esas|anteriores|previas|de)\s+)*"
    r"(?:instrucciones|indicaciones|reglas|normas|directrices|ordenes|prompt)\b|\bhaz\s+caso\s+omiso"
    r"\s+de\s+(?:(?:todas|las|tus|sus)\s+)*(?:instrucciones|indicaciones|reglas|normas)\b",
    r"\b(?:ahora|a\s+partir\s+de\s+ahora|desde\s+ahora)\s*,?\s+(?:eres|seras|actuaras|te\s+"
    r"comportaras)\s+(?:(?:un|una|el|la|mi)\s+)?(?:\w+\s+){0,2}?(?:asistente|ia|bot|modelo|"
    r"personaje|dan|hacker|administrador|desarrollador|sin\s+(?:restricciones|filtros|limites|"
    r"reglas))\b",
    r"\bnuevas\s+(?:instrucciones|indicaciones|ordenes|directrices)\s*:|\b(?:prompt|instrucciones|"
    r"indicaciones)\s+del\s+sistema\b|\bmodo\s+(?:desarrollador|dios|administrador|dan|sin\s+"
    r"restricciones|depuracion)\b",
    r"\b(?:finge|fingid|finja|simula|simule)\s+(?:que\s+)?(?:eres|ser|es|no\s+tienes)\b|\b(?:actua|"
    r"actue|comportate|comportese)\s+como\s+(?:(?:un|una|si)\s+)?(?:\w+\s+){0,2}?(?:sin\s+"
    r"(?:restricciones|filtros|limites|reglas)|no\s+tuvieras|hacker|dan|administrador|"
    r"desarrollador)\b",
    r"\b(?:revela|revele|repite|repita|imprime|imprima)\s+(?:me\s+)?(?:tu|tus|su|sus)\s+(?:prompt|"
    r"instrucciones)\b|\b(?:muestra|muestrame|muestreme|dime|ensename)\s+(?:tu|su)\s+prompt\b",
    # German
    r"\b(?:ignoriere|ignorieren\s+sie|ignoriert|vergiss|vergessen\s+sie|missachte|missachten\s+sie|"
    r"verwirf)\s+(?:(?:alle|alles|die|deine|ihre|eure|vorherigen|bisherigen|obigen|vorigen|"
    r"vorangegangenen|fruheren|bisherige|vorherige|system)\s+)*(?:anweisungen|instruktionen|regeln|"
    r"richtlinien|befehle|vorgaben|prompts?|systemprompt)\b",
    r"\b(?:alle\s+)?(?:vorherigen|bisherigen|obigen|vorigen|fruheren)\s+(?:anweisungen|"
    r"instruktionen|regeln|befehle|vorgaben)\s+(?:ignorieren|vergessen|missachten)\b",
    r"\b(?:du\s+bist\s+(?:jetzt|ab\s+jetzt|nun|ab\s+sofort)|ab\s+(?:jetzt|sofort)\s+bist\s+du|von\s+"
    r"nun\s+an\s+bist\s+du)\s+(?:(?:ein|eine|der|die|mein|meine)\s+)?(?:\w+\s+){0,2}?(?:assistent"
    r"\w*|ki|bot|modell|charakter|dan|hacker|entwickler|administrator|admin|ohne\s+(?:regeln|"
    r"einschrankungen|filter|grenzen)|uneingeschrankt\w*|unzensiert\w*)\b",
    r"\bneue\s+(?:anweisungen|instruktionen|befehle|vorgaben)\s*:|\bsystem[- ]?(?:prompt|"
    r"anweisung(?:en)?)\b|\b(?:entwickler|admin|gott|debug|dan)[- ]?modus\b",
    r"\btu\s+so,?\s+als\s+(?:ob\s+du|wa?rst\s+du|seist\s+du)\b|\bgib\s+dich\s+als\b|\bverhalte\s+"
    r"dich\s+(?:wie|als)\s+(?:\w+\s+){0,3}?(?:ohne\s+(?:regeln|einschrankungen|filter)|hacker|dan|"
    r"uneingeschrankt\w*)\b",
    r"\b(?:zeig|zeige|verrate|gib|wiederhole|drucke)\s+(?:mir\s+)?(?:deine|ihre)\s+(?:prompt|"
    r"anweisungen|systemprompt|systemanweisungen)\b|\b(?:zeig|zeige|verrate|wiederhole)\s+(?:mir\s+)?"
    r"den\s+(?:system)?prompt\b",
    # French
    r"\b(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|neglige|negligez)\s+(?:(?:toutes|tous|les|"
    r"tes|vos|ces|des|de|d')\s*)*(?:instructions|consignes|regles|directives|ordres|prompts?)\b",
    r"\bne\s+tene?[zs]?\s+(?:plus\s+)?pas\s+compte\s+(?:des|de\s+tes|de\s+vos)\s+(?:instructions|"
    r"consignes|regles)\b",
    r"\b(?:(?:tu\s+es|vous\s+etes)\s+(?:maintenant|desormais|a\s+present)|(?:desormais|dorenavant|a"
    r"\s+partir\s+de\s+maintenant)\s*,?\s+(?:tu\s+es|vous\s+etes))\s+(?:(?:un|une|le|la|mon|ma)\s+)?"
    r"(?:\w+\s+){0,2}?(?:assistant\w*|ia|bot|modele|personnage|dan|pirate|hacker|developpeur|"
    r"administrateur|sans\s+(?:restrictions?|filtres?|limites?|regles))\b",
    r"\bnouvelles\s+(?:instructions|consignes|directives)\s*:|\b(?:prompt|invite|instructions?|"
    r"consignes?)\s+(?:du\s+)?systeme\b|\bmode\s+(?:developpeur|dieu|administrateur|admin|debug|dan"
    r"|sans\s+restrictions?)\b",
    r"\b(?:fais|faites)\s+semblant\s+d'etre\b|\bfais\s+comme\s+si\s+tu\b|\bfaites\s+comme\s+si\s+"
    r"vous\s+(?:etiez|n'aviez)\b|\b(?:agis|agissez|comporte-toi|comportez-vous)\s+(?:comme|en\s+"
    r"tant\s+qu[e'])\s*(?:(?:un|une|si)\s+)?(?:\w+\s+){0,2}?(?:sans\s+(?:restrictions?|filtres?|"
    r"limites?|regles)|n'avais|pirate|hacker|dan|administrateur|developpeur)\b",
    r"\b(?:revele|revelez|repete|repetez|affiche|affichez)\s+(?:moi\s+)?(?:ton|tes|votre|vos)\s+"
    r"(?:prompt|instructions|consignes)\b|\bmontre[zs]?-moi\s+(?:ton|votre)\s+prompt\b",
    # Russian
    r"\b(?:игнорируй(?:те)?|проигнорируй(?:те)?|забудь(?:те)?|отбрось(?:те)?|не\s+обращай(?:те)?\s+"
    r"внимания\s+на|не\s+следуй(?:те)?)\s+(?:(?:все|свои|твои|ваши|предыдущие|прошлые|прежние|"
    r"вышеуказанные|данные|ранее|системные|эти)\s+)*(?:инструкци\w*|указани\w*|правил\w*|"
    r"команд\w*|установк\w*|ограничени\w*|промпт\w*)",
    r"\b(?:теперь|отныне|с\s+этого\s+момента)\s*,?\s+(?:ты|вы)\s+(?:—\s+|-\s+)?(?:\w+\s+){0,2}?"
    r"(?:ассистент\w*|ии|бот\w*|модел\w*|персонаж\w*|dan|хакер\w*|разработчик\w*|админ\w*|без\s+"
    r"ограничений)",
    r"\bнов(?:ые|ая)\s+(?:инструкци\w*|указани\w*|команд\w*)\s*:|\bсистемн\w+\s+(?:промпт\w*|"
    r"инструкци\w*|подсказк\w*)|\bпромпт\w*|\bрежим\w*\s+(?:разработчика|бога|администратора|dan|"
    r"без\s+ограничений|отладки)|\bджейлбрейк\w*",
    r"\b(?:притворись|притворитесь|сделай(?:те)?\s+вид,?\s+что\s+ты)\b|\b(?:веди|ведите)\s+себя\s+"
    r"как\s+(?:\w+\s+){0,2}?(?:без\s+ограничений|хакер\w*|dan|администратор\w*|разработчик\w*)",
    r"\b(?:покажи|покажите|раскрой|раскройте|выведи|выведите|повтори|повторите)\s+(?:мне\s+)?"
    r"(?:свой|свои|твой|твои|ваш|ваши)\s+(?:промпт\w*|инструкци\w*|систем\w+)",
)


def injection(text: str) -> bool:
    """Whether `text` tries to override Eva's instructions or role, in any of our languages."""
    return bool(_INJECTION.search(_fold(text)))


REMOVED = "[instructions removed]"
# Sentences are what neutralise() judges within a line; the spaces between stay as they were.
_SENTENCE_END = re.compile(r"(?<=[.!?])(\s+)")


def _removed(piece: str) -> str:
    """REMOVED in place of `piece`, keeping its surrounding spaces and closing punctuation (and a
    JSON escape), so the text around it reads, parses and splits exactly as before."""
    body = piece.lstrip()
    end = len(body.rstrip().rstrip(".!?\\"))
    return f"{piece[: len(piece) - len(body)]}{REMOVED}{body[end:]}"


def _cleaned(sentence: str) -> str:
    """The sentence, or the label where it gives orders; within quotes (a JSON string, a quoted
    passage) only the quoted part that does, when that is enough."""
    if not injection(sentence):
        return sentence
    parts = sentence.split('"')
    narrowed = '"'.join(_removed(part) if injection(part) else part for part in parts)
    return _removed(sentence) if injection(narrowed) else narrowed


def _cleaned_line(line: str) -> str:
    """The line with its sentences cleaned, or the label if it still gives orders as a whole."""
    pieces = _SENTENCE_END.split(line)
    cleaned = "".join(piece if index % 2 else _cleaned(piece) for index, piece in enumerate(pieces))
    return _removed(line) if injection(cleaned) else cleaned


def neutralise(text: str) -> tuple[str, bool]:
    """Untrusted text (help-centre passages, stored free text) with its orders taken out.

    Every sentence or line that injection() flags becomes REMOVED; innocent text stays
    byte-identical, and neutralising twice changes nothing more. Returns (text, whether any
    was removed).
    """
    lines = text.split("\n")
    cleaned = [_neutral_line(line) for line in lines]
    return "\n".join(cleaned), cleaned != lines


@lru_cache(maxsize=16_384)
def _neutral_line(line: str) -> str:
    """One line, judged once: the same help-centre passages come back turn after turn, and
    scanning them for every pattern costs ~1 ms per kilobyte."""
    return _cleaned_line(line) if injection(line) else line


# Promises only a person can make, checked in Eva's draft sentence by sentence: a refund, a fee
# waived, a claim approved or its payout, a cancellation or change to the contract, a guarantee,
# legal or medical advice. "I can't promise a refund", how cover works ("unused premium is
# refunded pro rata") and process ("a colleague will review your refund request") are not.
_MONEY_MENTION = (
    r"(?:[$€₽]\s?[0-9]|[0-9][0-9,.' ]*\s?(?:[$€₽]|usd\b|eur\b|dollars?\b|euros?\b|евро|"
    r"долл\w*|руб\w*))"
)
_PAID = (
    rf"(?:\s+\S+){{0,4}}?\s+(?:{_MONEY_MENTION}|refund|reimbursement|payout|compensation|"
    r"(?:the\s+)?(?:full|entire)\s+(?:cost|amount|price|bill)|the\s+(?:cost|bill|repairs?|damage|"
    r"difference|amount|invoice|rental|deductible)|your\s+(?:costs?|bill|repairs?|damage|"
    r"deductible|rental|invoice|medical\s+bills?)|in\s+full)"
)
_SENT = (
    rf"(?:\s+\S+){{0,4}}?\s+(?:{_MONEY_MENTION}|(?:the\s+|your\s+|a\s+)?(?:refund|reimbursement|"
    r"payout|compensation|money|check|cheque))"
)
_TO_THE_POLICY = (
    r"\s+(?:(?:your|the)\s+(?:\w+\s+)?(?:policy|contract|coverage|cover|premium|deductible|"
    r"excess|plan|limits?)|(?:\S+\s+){1,4}?(?:to|from|on|off)\s+(?:your|the)\s+(?:policy|contract|"
    r"coverage|cover|plan)|you\s+to)\b"
)
# Done: "I've waived", "we refunded". To do: "I'll refund", "we're cancelling".
_DONE = (
    r"(?:refunded|reimbursed|waived|approved|cancell?ed|credited|compensated|reversed|voided|"
    rf"terminated|written\s+off|wrote\s+off|granted|(?:paid|covered|settled){_PAID}|"
    rf"(?:sent|issued|processed|transferred|released){_SENT}|(?:changed|updated|amended|modified|"
    r"adjusted|upgraded|downgraded|lowered|reduced|increased|extended|renewed|added|removed|"
    rf"switched|moved){_TO_THE_POLICY})"
)
_TO_DO = (
    r"(?:refund(?:ing)?|reimburs(?:e|ing)|waiv(?:e|ing)|approv(?:e|ing)|cancel(?:l?ing)?|"
    r"credit(?:ing)?|compensat(?:e|ing)|revers(?:e|ing)|void(?:ing)?|terminat(?:e|ing)|"
    rf"write\s+off|grant(?:ing)?|(?:pay(?:ing)?|cover(?:ing)?|settl(?:e|ing)){_PAID}|"
    rf"(?:send(?:ing)?|issu(?:e|ing)|process(?:ing)?|transfer(?:ring)?|releas(?:e|ing)){_SENT}|"
    r"(?:chang(?:e|ing)|updat(?:e|ing)|amend(?:ing)?|modif(?:y|ying)|adjust(?:ing)?|"
    r"upgrad(?:e|ing)|downgrad(?:e|ing)|lower(?:ing)?|reduc(?:e|ing)|increas(?:e|ing)|"
    rf"extend(?:ing)?|renew(?:ing)?|add(?:ing)?|remov(?:e|ing)|switch(?:ing)?|mov(?:e|ing))"
    rf"{_TO_THE_POLICY})"
)
_VOW = r"(?:guarantee|promise|assure\s+you|give\s+you\s+my\s+word|swear)"
_AUX_SHARED = (
    r"will|shall|have|had|would|just|already|now|hereby|also|gladly|happily|definitely|certainly|"
    r"immediately|go|going|gonna|to|be|been|happy|glad|pleased|ahead|and|make|sure|fully|then|"
    r"went|do|did|officially|successfully|today"
)
# "I can refund that" is an offer; "we can refund up to $500" describes the rules.
_I_AUX = rf"(?:'ll|'ve|'d|'m|\s+(?:{_AUX_SHARED}|am|can|could|able|personally)\b)"
_WE_AUX = rf"(?:'ll|'ve|'d|'re|\s+(?:{_AUX_SHARED}|are\s+going)\b)"
# First person: something done, or to be done (a bare "we refund" describes the rules).
_I_PROMISE = re.compile(
    rf"\bi(?:{_I_AUX}+\s+(?:{_TO_DO}|{_DONE}|{_VOW})|{_I_AUX}*\s+(?:{_DONE}|{_VOW}))\b"
)
_WE_PROMISE = re.compile(
    rf"\bwe(?:{_WE_AUX}+\s+(?:{_TO_DO}|{_DONE}|{_VOW})|{_WE_AUX}*\s+(?:{_DONE}|{_VOW}))\b"
)
# Said of the claim, the refund or the customer: promises without a speaker.
_OUTCOME = _either(
    r"\b(?:your|the|this)\s+(?:\w+\s+)?(?:claim|refund|reimbursement|payout|payment|compensation|"
    r"cancellation|fee|charge|premium|deductible|excess|policy|request|repairs?|damage|costs?|"
    r"bill)\s+(?:will|'ll|is\s+going\s+to|shall|would|should)\s+(?:definitely\s+|certainly\s+|"
    r"surely\s+|absolutely\s+|now\s+|then\s+|also\s+)?be\s+(?:definitely\s+|certainly\s+|fully\s+|"
    r"automatically\s+|immediately\s+)?(?:approved|accepted|paid(?:\s+out|\s+in\s+full)?|settled|"
    r"covered|refunded|reimbursed|granted|waived|credited|reversed|honou?red|written\s+"
    r"off|dropped|removed|lowered|reduced)\b",
    r"\b(?:your|the)\s+(?:refund|reimbursement|payout|compensation)\s+(?:will|'ll|is\s+going\s+to|"
    r"shall|should)\s+(?:\w+\s+)?be\s+(?:\w+\s+)?(?:processed|issued|sent|transferred|released)\b",
    r"\b(?:you(?:'ll|\s+will|'re\s+going\s+to|\s+are\s+going\s+to|'d|\s+would|\s+should|\s+shall)|"
    r"(?:make\s+sure|ensure|see\s+to\s+it)(?:\s+that)?\s+you)\s+"
    r"(?:definitely\s+|certainly\s+|surely\s+|absolutely\s+|also\s+|then\s+|now\s+)?(?:(?:get|"
    rf"receive)(?:\s+back)?(?:\s+\S+){{0,3}}?\s+(?:{_MONEY_MENTION}|(?:a\s+|the\s+|your\s+|"
    r"full\s+)?(?:refund|reimbursement|payout|compensation)|your\s+money|the\s+(?:full|entire)\s+"
    r"(?:amount|cost|sum))|be\s+(?:fully\s+)?(?:refunded|reimbursed|compensated|paid|credited))",
    r"\b(?:definitely|certainly|surely|absolutely|100\s?%|guaranteed\s+to)\s+(?:(?:will|'ll)\s+)?"
    r"(?:be\s+)?(?:covered|approved|refunded|reimbursed|paid)\b|\b(?:covered|approved|refunded)\s+"
    r"(?:for\s+sure|100\s?%|guaranteed|no\s+matter\s+what)\b|\bguaranteed\s+(?:approval|payout|"
    r"refund|coverage|cover)\b",
    # Spanish
    r"\b(?:su|tu|la)\s+(?:reclamacion|reclamo|siniestro|reembolso|solicitud|indemnizacion|"
    r"cancelacion|comision|cargo|recargo|penalizacion)\s+(?:sera|quedara|va\s+a\s+ser)\s+"
    r"(?:\w+\s+)?(?:aprobad|aceptad|pagad|reembolsad|cubiert|anulad|condonad|eliminad)[oa]s?\b|"
    rf"\brecibira\s+(?:usted\s+)?(?:{_MONEY_MENTION}|un\s+reembolso|el\s+reembolso|una\s+"
    r"indemnizacion)|\b(?:seguro\s+que|sin\s+duda|definitivamente|con\s+toda\s+seguridad)\s+"
    r"(?:\w+\s+)?(?:estara|esta|sera|queda)\s+(?:\w+\s+)?cubiert[oa]s?\b",
    # German
    r"\b(?:ihr|ihre|der|die)\s+(?:schaden|antrag|erstattung|forderung|gebuhr|anspruch|"
    r"schadensfall)\s+wird\s+(?:\w+\s+)?(?:genehmigt|erstattet|ubernommen|bezahlt|erlassen|"
    rf"storniert)\b|\bsie\s+(?:bekommen|erhalten)\s+(?:\S+\s+){{0,3}}?(?:{_MONEY_MENTION}|ihr\s+"
    r"geld|eine\s+erstattung|die\s+erstattung)",
    # French
    r"\bvotre\s+(?:sinistre|demande|remboursement|indemnisation|reclamation|resiliation|"
    r"dossier)\s+sera\s+(?:\w+\s+)?(?:approuvee?|acceptee?|rembourse|pris\s+en\s+charge|payee?|"
    r"validee?)s?\b|\bles\s+frais\s+(?:seront|sont)\s+(?:annules|supprimes|rembourses)\b",
    rf"\bvous\s+(?:recevrez|toucherez)\s+(?:\S+\s+){{0,3}}?(?:{_MONEY_MENTION}|un\s+remboursement|"
    r"le\s+remboursement|une\s+indemnisation|l'integralite)|\bvous\s+serez\s+(?:\w+\s+)?"
    r"(?:rembourse|indemnise)e?s?\b|\b(?:sans\s+aucun\s+doute|"
    r"certainement|assurement|a\s+coup\s+sur)\s+(?:\w+\s+)?(?:couvert|pris\s+en\s+charge|"
    r"rembourse)e?s?\b",
    # Russian
    r"\b(?:ваш[аеи]?|вам)\s+(?:\w+\s+)?(?:будет|будут)\s+(?:\w+\s+)?(?:одобрен\w*|возвращен\w*|"
    r"выплачен\w*|компенсирован\w*|возмещен\w*|отменен\w*|списан\w*|покрыт\w*)|\bвы\s+(?:получите|"
    rf"получаете)\s+(?:\S+\s+){{0,2}}?(?:{_MONEY_MENTION}|возврат\w*|компенсаци\w*|выплат\w*|"
    r"всю\s+сумму|деньги)|\b(?:точно|обязательно|гарантированно|непременно)\s+(?:\w+\s+)?"
    r"(?:покрыт\w*|одобрен\w*|возмещен\w*|выплачен\w*|вернут\w*)",
)
# The same promises in the first person, in the other four languages.
_MY_PROMISE = _either(
    # Spanish
    r"\b(?:le\s+|te\s+|les\s+|se\s+lo\s+|se\s+la\s+)?(?:reembolsare|reembolsaremos|devolvere|"
    r"devolveremos|abonare|abonaremos|anulare|anularemos|cancelare|cancelaremos|aprobare|"
    r"aprobaremos|cubriremos|pagaremos|garantizo|garantizamos|prometo|prometemos|aseguro\s+que)\b",
    r"\b(?:he|hemos)\s+(?:\w+\s+)?(?:reembolsado|devuelto|anulado|cancelado|aprobado|condonado|"
    r"eximido|abonado|pagado)\b|\b(?:voy|vamos|puedo|podemos)\s+a?\s*(?:reembolsar|devolver|anular"
    r"|cancelar|aprobar|condonar|eximir|pagar|cubrir|abonar)\w*",
    # German
    r"\b(?:ich|wir)\s+(?:\w+\s+){0,5}?(?:erstatte|erstatten|zur(?:u|ue)ckerstatten|erlasse|"
    r"erlassen|genehmige|genehmigen|storniere|stornieren|k(?:u|ue)ndige|garantiere|garantieren|"
    r"verspreche|versprechen|erstattet|genehmigt|storniert|gek(?:u|ue)ndigt|zugesagt|"
    r"gutgeschrieben|gutschreiben)\b",
    # French
    r"\bje\s+(?:vous\s+|te\s+|l'|le\s+|la\s+|les\s+)*(?:rembourse(?:rai)?|annule(?:rai)?|"
    r"resilie(?:rai)?|approuve(?:rai)?|garantis|promets|accorde(?:rai)?)\b|\bje\s+(?:vais|peux)\s+"
    r"(?:vous\s+|te\s+|l'|le\s+|la\s+|les\s+)*(?:rembourser|annuler|resilier|approuver|garantir|"
    r"promettre|exonerer)\b|\b(?:j'ai|nous\s+avons)\s+(?:\w+\s+)?(?:rembourse|annule|resilie|"
    r"approuve|exonere|accorde)\b|\bnous\s+(?:allons\s+)?(?:vous\s+)?(?:rembourserons|annulerons|"
    r"approuverons|rembourser|garantissons|prendrons\s+en\s+charge)\b|\bje\s+vous\s+(?:garantis|"
    r"promets)\b",
    # Russian
    r"\b(?:верну|вернем|возмещу|возместим|компенсирую|компенсируем|одобрю|одобрим|отменю|отменим|"
    r"аннулирую|аннулируем|гарантирую|гарантируем|обещаю|обещаем|спишу|спишем|расторгну|"
    r"расторгнем)\b|\b(?:я|мы)\s+(?:уже\s+)?(?:вернул[аи]?|возместил[аи]?|одобрил[аи]?|"
    r"отменил[аи]?|аннулировал[аи]?|списал[аи]?|расторг(?:ла|ли)?|оформил[аи]?\s+возврат)\b",
)
# Legal and medical advice: never Eva's to give, negated or not ("you are not at fault").
_ADVICE = _either(
    r"\byou\s+(?:should|could|can|ought\s+to|need\s+to|must|might\s+want\s+to|may\s+want\s+to|"
    r"have\s+to)\s+(?:\w+\s+)?(?:sue|take\s+(?:\w+\s+){0,3}?to\s+court|get\s+a\s+lawyer|hire\s+a\s+"
    r"lawyer|hire\s+an\s+attorney|press\s+charges|file\s+a\s+lawsuit)\b|\byou\s+have\s+a\s+(?:strong"
    r"|good|solid)\s+(?:legal\s+)?case\b",
    r"\byou(?:'re|\s+are|\s+were|\s+weren't|\s+aren't)\s+(?:not\s+)?(?:at\s+fault|liable|to\s+"
    r"blame)\b|\b(?:it|this|that|the\s+(?:accident|crash|collision))\s+(?:was|is|wasn't|isn't)\s+"
    r"(?:not\s+)?your\s+fault\b|\bnot\s+your\s+fault\b|\b(?:the\s+other\s+(?:driver|party)|they|he|"
    r"she)\s+(?:is|are|was|were)\s+(?:clearly\s+|definitely\s+|obviously\s+)?(?:at\s+fault|liable|"
    r"to\s+blame)\b",
    r"\byou\s+(?:don't|do\s+not)\s+need\s+(?:a|to\s+see\s+a|to\s+go\s+to\s+(?:a|the)|to\s+visit\s+a|"
    r"any)\s+(?:doctor|hospital|er|emergency\s+room|medical)\b|\bno\s+need\s+(?:for\s+a|to\s+see\s+"
    r"a)\s+doctor\b|\b(?:take|try|use)\s+(?:some\s+)?(?:ibuprofen|paracetamol|acetaminophen|aspirin|"
    r"tylenol|advil|motrin|aleve|naproxen|painkillers?|pain\s+relievers?|pain\s+medication)\b|"
    r"\b(?:it's|it\s+is|that's|sounds\s+like)\s+(?:probably\s+|likely\s+|just\s+|only\s+)*(?:a\s+)?"
    r"(?:whiplash|sprain|concussion)\b",
    r"\busted\s+no\s+(?:tiene|tuvo)\s+la\s+culpa\b|\bno\s+fue\s+(?:su|tu)\s+culpa\b|\bdeberia\s+"
    r"demandar\w*|\bsie\s+sind\s+nicht\s+schuld\b|\bsie\s+sollten\s+(?:\w+\s+)?verklagen\b|\bvous\s+"
    r"n'etes\s+pas\s+(?:en\s+tort|responsable)\b|\bvous\s+devriez\s+porter\s+plainte\b|\bвы\s+не\s+"
    r"виноваты\b|\bвам\s+стоит\s+подать\s+в\s+суд\b",
)
# A condition or a limit makes a description of the rules, not a promise: "if your car is stolen,
# we'll pay its value", "we'll reimburse up to…", "ob ich die Gebühr erlassen kann".
_RULE = re.compile(
    r"\b(?:if|once|when|whenever|whether|after|provided|assuming|until|unless|as\s+soon\s+as|"
    r"up\s+to|what(?:'s|\s+is)\s+covered|si(?!\s*,)|cuando|una\s+vez|wenn|falls|ob|sobald|"
    r"nachdem|bis\s+zu|quand|lorsque|une\s+fois|jusqu'a|если|когда|после)\b"
)
# Each kind of promise, whether a negation cancels it, and whether a condition anywhere in the
# sentence does ("we" and impersonal ones) or only one in its own clause: "If you cancel, I'll
# refund you" is still Eva's promise.
_PROMISES = (
    (_ADVICE, False, False),
    (_I_PROMISE, True, False),
    (_WE_PROMISE, True, True),
    (_OUTCOME, True, True),
    (_MY_PROMISE, True, True),
)


def commitment(sentence: str) -> bool:
    """Whether a sentence of Eva's promises what only a person may decide (see _PROMISES)."""
    folded = _fold(sentence)
    for pattern, negatable, sentence_wide in _PROMISES:
        for match in pattern.finditer(folded):
            begin = 0 if sentence_wide else _clause(folded, *match.span())[0]
            end = len(folded) if sentence_wide else match.start()
            if _RULE.search(folded, begin, end) or (negatable and _negated(folded, match)):
                continue
            return True
    return False


@cache
def _competitor_patterns(names: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each name as a whole-phrase pattern on folded text (compiled once per edit of config)."""
    patterns = []
    for name in names:
        words = r"\s+".join(map(re.escape, _fold(name).split()))
        patterns.append((name, re.compile(rf"(?<!\w){words}(?!\w)")))
    return tuple(patterns)


def _competitor_hits(folded: str) -> list[tuple[int, str]]:
    """Where each insurer config names first appears in folded text, in order."""
    hits = []
    for name, pattern in _competitor_patterns(tuple(config.COMPETITORS)):
        match = pattern.search(folded)
        if match:
            hits.append((match.start(), name))
    return sorted(hits)


def competitors(text: str) -> tuple[str, ...]:
    """The other insurers named in `text`, as config spells them, in order of appearance.

    Reads config.COMPETITORS on every call: prompt authors edit it while the app runs. A
    one-word name that is also an ordinary word ("Nationwide", "Progressive") counts only
    when capitalised as a name: "roadside assistance nationwide" is not an insurer.
    """
    return tuple(
        name for _, name in _competitor_hits(_fold(text)) if _written_as_a_name(name, text)
    )


def _written_as_a_name(name: str, text: str) -> bool:
    if " " in name or name.isupper():
        return True
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


# A coarse mood lexicon: enough to see a customer getting angrier over a few messages, not to
# read one message well. Stems where Russian inflects.
_POSITIVE = re.compile(
    r"thanks?|thx|cheers|great|good|excellent|perfect|awesome|amazing|happy|glad|helpful|love|"
    r"lovely|appreciated?|wonderful|fantastic|brilliant|pleased|nice|satisfied|relieved|sorted|"
    r"resolved|super|top|"
    r"gracias|genial|excelente|perfect[oa]|bien|buen[oa]?|content[oa]|feliz|util|amable|"
    r"encantad[oa]|estupend[oa]|maravillos[oa]|fantastic[oa]|agradecid[oa]|"
    r"danke|dankeschon|toll|prima|gut|perfekt|klasse|hervorragend|ausgezeichnet|zufrieden|froh|"
    r"glucklich|hilfreich|freundlich|nett|wunderbar|spitze|"
    r"merci|parfaite?|excellente?|contente?|heureux|heureuse|satisfaite?|ravie?|aimable|utile|"
    r"formidable|bon|bonne|gentil(?:le)?|"
    r"спасибо|благодар\w*|отличн\w*|хорош\w*|прекрасн\w*|замечательн\w*|супер|классн\w*|доволен|"
    r"довольна|довольны|рад|рада|рады|удобн\w*|вежлив\w*|молод(?:ец|цы)|круто|здорово"
)
_NEGATIVE = re.compile(
    r"bad|poor|terrible|awful|horrible|angry|upset|annoyed|annoying|frustrat\w*|disappoint\w*|"
    r"unhappy|sad|worried|confused|useless|ridiculous|unacceptable|wrong|slow|stupid|idiots?|"
    r"rude|waste|wasted|sick|tired|nightmare|mess|ignored|hopeless|pointless|incompetent|"
    r"mal[oa]?|terrible|enfadad[oa]|enojad[oa]|molest[oa]|frustrad[oa]|decepcionad[oa]|hart[oa]|"
    r"inutil|ridicul[oa]|inaceptable|lent[oa]|preocupad[oa]|triste|fatal|cabread[oa]|"
    r"schlecht|schlimm|argerlich|verargert|frustriert|enttauscht|unzufrieden|nutzlos|lacherlich|"
    r"inakzeptabel|langsam|traurig|besorgt|genervt|sauer|mies|unfreundlich|"
    r"mauvaise?|nul(?:le)?|decue?|decevante?|fachee?|enervee?|frustree?|mecontente?|ridicule|lente?|"
    r"inquiete?|agacee?|marre|"
    r"плох\w*|ужасн\w*|недовол\w*|расстро\w*|разочаров\w*|раздраж\w*|злюсь|злой|злая|зол|зла|"
    r"бесполезн\w*|медленн\w*|грустн\w*|беспоко\w*|неприемлем\w*|нелеп\w*|обидн\w*|надоел\w*|"
    r"устал\w*"
)
_VERY_NEGATIVE = re.compile(
    r"furious|outraged|livid|disgust\w*|disgrace\w*|worst|hate|scam|fraud|pathetic|appalling|"
    r"shocking|atrocious|horrendous|infuriat\w*|fuming|"
    r"furios[oa]|indignad[oa]|verguenza|estafa|odio|peor|pesim[oa]|asqueros[oa]|indignante|"
    r"vergonzos[oa]|lamentable|"
    r"wutend|stinksauer|unverschamt|frechheit|skandal\w*|betrug|katastroph\w*|schlechteste|hasse|"
    r"furchtbar|schrecklich|miserabel|"
    r"furieux|furieuse|scandaleu(?:x|se)|honteu(?:x|se)|honte|arnaque|escroquerie|pire|deteste|"
    r"inadmissible|degoutee?|insupportable|"
    r"бесит|бесят|взбеш\w*|возмут\w*|возмущ\w*|ненавиж\w*|кошмар\w*|отвратит\w*|безобраз\w*|"
    r"мошенн\w*|обман\w*|худш\w*|позор\w*|издевательств\w*|бешенств\w*"
)
_MOOD_NEGATOR = re.compile(
    r"not|no|never|hardly|\w+n't|cannot|nunca|nada|ni|nicht|kein\w*|nie|ne|pas|jamais|не|ни|нет|"
    r"никогда"
)
_INTENSIFIER = re.compile(
    r"very|so|really|extremely|totally|absolutely|completely|incredibly|quite|muy|tan|realmente|"
    r"totalmente|sumamente|sehr|total|echt|wirklich|extrem|absolut|vollig|tres|vraiment|"
    r"tellement|trop|completement|totalement|очень|так|совсем|абсолютно|крайне|совершенно|реально"
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def _polarity(word: str) -> float:
    """A word's weight in the mood lexicon: -2 for the angriest words, ±1, or 0."""
    if _VERY_NEGATIVE.fullmatch(word):
        return -2.0
    if _NEGATIVE.fullmatch(word):
        return -1.0
    return 1.0 if _POSITIVE.fullmatch(word) else 0.0


def _shouting(text: str) -> bool:
    """'!!' or a message mostly in capitals (a few letters are not enough to tell)."""
    letters = [char for char in text if char.isalpha() and char.lower() != char.upper()]
    capitals = sum(char.isupper() for char in letters)
    return "!!" in text or (len(letters) >= 8 and capitals >= 0.7 * len(letters))


def sentiment(text: str) -> float:
    """A coarse mood score in [-1, 1], 0 neutral: good for a trend over messages, no more.

    Words from a small lexicon per language count ±1 (the angriest -2); a negation just before
    turns a word half the other way ("not happy"), an intensifier adds half, and "!!" or capitals
    add half to the whole.
    """
    words = _WORD.findall(_fold(text))
    total = 0.0
    for index, word in enumerate(words):
        weight = _polarity(word)
        if not weight:
            continue
        before = words[max(0, index - 3) : index]
        if any(_MOOD_NEGATOR.fullmatch(other) for other in before):
            weight = -weight / 2
        if before and _INTENSIFIER.fullmatch(before[-1]):
            weight *= 1.5
        total += weight
    if _shouting(text):
        total *= 1.5
    return total / (abs(total) + 2)


# ---------------------------------------------------------------------------------------------
# Output checks: Eva's reply, sentence by sentence, before the customer sees it.
# ---------------------------------------------------------------------------------------------

# A sentence ends at . ! ? … followed by space, or at a line break ("$102.48" is one token).
_REPLY_BREAK = re.compile(r"(?<=[.!?…])[ \t]+|\n+")


def _normalised(kind: str, value: str) -> str:
    """The comparable form of a personal detail: digits for numbers (a phone without its +1),
    lower case otherwise."""
    if kind in (EMAIL, SECRET):
        return value.casefold()
    digits = re.sub(r"\D", "", value)
    return digits[1:] if kind == PHONE and len(digits) == 11 and digits[0] == "1" else digits


# Eva's own sentences about codes and PINs ("the one-time code is valid for 10 minutes") are
# help text, not secrets; everything else the customer side masks is checked in replies too.
REPLY_KINDS = tuple(kind for kind in LABELS if kind != SECRET)


def known_values(texts: Iterable[str]) -> set[str]:
    """Personal details that appear in texts (what the customer gave us, our own numbers)."""
    values: set[str] = set()
    for text in texts:
        for start, end, kind in _spans(text, LABELS):
            values.add(_normalised(kind, text[start:end]))
    return values


@dataclass
class ReplyGuard:
    """Checks a streaming reply one sentence at a time; only checked text is released.

    A sentence is held until it ends, then: personal data the customer did not give us and
    that is not Acme's own is masked; a sentence naming a competitor becomes one neutral line;
    a sentence promising what only a person can decide is withheld (and noted, so the turn can
    hand over). `findings` says what happened, for the turn's record.
    """

    allowed: set[str]
    language: str = "en"
    promises_allowed: bool = False
    findings: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    _pending: str = ""
    _competitor_said: bool = False

    def feed(self, text: str) -> str:
        """Text that may be shown now (whole sentences from the pending buffer)."""
        self._pending += text
        ends = list(_REPLY_BREAK.finditer(self._pending))
        if not ends:
            return ""
        cut = ends[-1].end()
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._checked(ready)

    def flush(self) -> str:
        """Whatever is left at the end of a model call."""
        ready, self._pending = self._pending, ""
        return self._checked(ready)

    def _checked(self, text: str) -> str:
        pieces = []
        at = 0
        for end in _REPLY_BREAK.finditer(text):
            pieces.append(self._sentence(text[at : end.start()]) + end.group())
            at = end.end()
        if at < len(text):
            pieces.append(self._sentence(text[at:]))
        return "".join(pieces)

    def _sentence(self, sentence: str) -> str:
        if not sentence.strip():
            return sentence
        if competitors(sentence):
            self._note("competitor")
            if self._competitor_said:
                return ""
            self._competitor_said = True
            return config.COMPETITOR_LINE.get(self.language, config.COMPETITOR_LINE["en"])
        if not self.promises_allowed and commitment(sentence):
            self._note("commitment")
            self.withheld.append(sentence)
            return ""
        return self._unknown_details_masked(sentence)

    def _unknown_details_masked(self, sentence: str) -> str:
        pieces, at = [], 0
        kinds = [kind for kind in config.MASK_FOR_STORAGE if kind in REPLY_KINDS]
        for start, end, kind in sorted(_spans(sentence, kinds)):
            if start < at or _normalised(kind, sentence[start:end]) in self.allowed:
                continue
            pieces += [sentence[at:start], LABELS[kind]]
            at = end
            self._note(f"pii:{kind}")
        pieces.append(sentence[at:])
        return "".join(pieces)

    def _note(self, finding: str) -> None:
        if finding not in self.findings:
            self.findings.append(finding)
