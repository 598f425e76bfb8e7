"""Simulated customers: who talks to Eva in a task (evals/tasks/*.yaml).

Two of them, one interface (`opening`, then `answer` after each of Eva's turns):
- `ScriptedCustomer` (offline, in CI): deterministic. It answers what Eva asks for by matching
  her question to the task's facts (policy number, date of birth, incident date…), says it does
  not know what the task says it does not know, agrees or declines when asked to go ahead, then
  brings up its next request, and stops when Eva asks for nothing more.
- `LiveCustomer` (with a key): the side model plays the customer from the task, one message at
  a time, through the same SDK client as Eva, and ends with a marker (END_MARKERS). Its messages
  are checked for the simulator's own mistakes (`simulator_faults`): a task where it broke its
  instructions is run again, or reported as the customer's fault, never as Eva's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import anthropic
from anthropic.types import MessageParam

import guardrails
from evals.suite import Task

# How a simulated customer ends the conversation, and what each ending means.
END_MARKERS = {
    "###STOP###": "stop",
    "###TRANSFER###": "transfer",
    "###OUT-OF-SCOPE###": "out-of-scope",
}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French", "ru": "Russian"}


@dataclass(frozen=True)
class Said:
    """The customer's next message, or how they ended (text None)."""

    text: str | None
    ended: str | None = None
    # Set when the simulator broke its instructions: why.
    fault: str | None = None


class Customer(Protocol):
    def opening(self) -> Said: ...

    def answer(self, reply: str, handed_over: bool) -> Said: ...


# --- The scripted customer --------------------------------------------------------------------

# What Eva's words ask for, per fact: English first (the offline model's language), then the
# other four, so a reply in any of them is understood.
ASKS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "name": r"\b(your (full )?name|name on the policy|who am i speaking)\b|\bnombre\b|"
        r"\bIhr(en)? Name|\bvotre nom\b|\bваше имя|\bкак вас зовут",
        "policy_number": r"\bpolicy (number|no\b)|\bwhich (of your )?polic(y|ies)\b|"
        r"n[úu]mero de p[óo]liza|Polic?en?nummer|Versicherungs(schein)?nummer|"
        r"num[ée]ro de (police|contrat)|номер полиса",
        "date_of_birth": r"\b(date of birth|birth ?date|born)\b|fecha de nacimiento|Geburtsdatum|"
        r"date de naissance|дат[аук] рождения",
        "zip_code": r"\b(zip|postal code|postcode)\b|c[óo]digo postal|Postleitzahl|code postal|"
        r"почтов\w+ индекс",
        "email": r"\be-?mail\b|correo|courriel|почт[аыу]",
        "vehicle": r"\bthe (make|model)\b|\bmodel year\b|\bwhich (car|vehicle|bike)\b|"
        r"\b(marca|modelo)\b|\b(Marke|Modell)\b|\b(marque|modèle)\b|\b(марк[аиу]|модел[ьи])\b",
        "vehicle_type": r"\b(petrol|hybrid) car\b|\belectric car\b|motorcycle/scooter|"
        r"\bwhat (kind|type) of vehicle\b",
        "mileage": r"\bmiles\b|\bmileage\b|kil[óo]metros|Kilometer|kilom[èe]tres|километр|пробег",
        "driver_age": r"\b(driver'?s age|your age|age of the (main )?driver|how old are you)\b|"
        r"\bedad\b|\bAlter\b|\bâge\b|\bвозраст",
        "coverage_level": r"\b(coverage|cover) level\b|\blevel of cover",
        "deductible": r"\bdeductible\b|\bfranquicia\b|Selbstbeteiligung|\bfranchise\b|франшиз",
        "incident_date": r"\b(date|day) (it|this|the \w+) happened\b|"
        r"\bwhen (did|was) (it|this|the)\b|\bwhen it happened\b|"
        r"\bdate of the (incident|accident|loss|theft)\b|\bincident date\b"
        r"|cu[áa]ndo (ocurri|pas|fue)|fecha del (siniestro|accidente|incidente)|"
        r"\bwann (ist|war|hat|geschah)|\bDatum des|quand (cela|c'?est|a eu lieu|s'est)|"
        r"date de l'(accident|incident|sinistre)|когда (это )?(произош|случил)|"
        r"дат[аук] (происш|ДТП)",
        "incident_type": r"\bwhat (kind|type) of (incident|claim|damage)\b|\bincident type\b",
        "description": r"\bwhat happened\b|\bdescribe\b|\bdescription\b|\btell me (more )?about\b"
        r"|qu[ée] (pas[óo]|ocurri[óo])|describ|was (ist )?passiert|Beschreibung|"
        r"ce qui s'est pass[ée]|d[ée]cri|что (произошло|случилось)|опиши",
        "location": r"\bwhere (did|was|it|this|the)\b|\blocation\b|d[óo]nde|\bwo (ist|war|gesch|"
        r"pass)|\bOrt\b|\bo[ùu] (cela|c'?est|est-ce|a eu)|\blieu\b|\bгде\b",
        "police_report_number": r"police report|report number|atestado|denuncia|Polizei|"
        r"rapport de police|d[ée]p[ôo]t de plainte|протокол|полици",
        "claim_number": r"\bclaim number\b|n[úu]mero de (siniestro|reclamaci[óo]n)|"
        r"Schadennummer|num[ée]ro de sinistre|номер (убытка|заявления)",
        "effective_date": r"\b(from|on) (what|which) date\b|\beffective date\b|\btake effect\b|"
        r"\bcancellation date\b|\bwhen (would|do) "
        r"you (like|want)\b.{0,40}\b(end|stop|cancel)|\bdate you'?d like\b|fecha de (efecto|"
        r"cancelaci)|\bab wann\b|\bà (partir de )?quelle date\b|с какой даты",
        "reason": r"\bwhy\b|\breason\b|\bmotivo\b|\bpor qu[ée]\b|\bwarum\b|\bGrund\b|\bpourquoi\b"
        r"|\braison\b|\bпочему\b|\bпричин",
        "amount": r"\bhow much\b|\bamount\b|\bcu[áa]nto\b|\bimporte\b|\bBetrag\b|\bwie viel\b|"
        r"\bmontant\b|\bcombien\b|\bсумм|\bсколько\b",
        "change": r"\bwhat (would you like|do you want|should) (to )?change\b|\bwhat change\b|"
        r"\bwhich change\b",
    }.items()
}
# Eva asking to go ahead with something: filing, cancelling, refunding.
ASKS_TO_PROCEED = re.compile(
    r"\b(shall|should|may|can) i (go ahead|file|submit|proceed|cancel|request|send|put)\b|"
    r"\b(would|do) you (like|want) me to\b|\bplease confirm\b|\b(is that|is this) (right|correct)\?"
    r"|\bconfirm (that|this|you)\b|¿(desea|quiere) que|\bsoll ich\b|\bvoulez-vous que\b|"
    r"\bje (dépose|procède)\b|\bхотите,? чтобы я\b|\bоформить\b\?",
    re.IGNORECASE,
)
# A sentence that asks something (the rest of a reply only reports): a question, a request or
# an item of a list of what is needed ("- the date it happened", not "- Date: 2026-11-18"), in
# any of the five languages.
_ASKING = re.compile(
    r"\?|\b(please (send|give|tell|share|confirm|provide|let me know)|i need|i'll need|"
    r"could you|can you|let me know|send me|tell me)\b|^\s*[-*•] |"
    r"\b(necesito|env[íi]e(me)?|d[íi]game|ind[íi]que(me)?|facil[íi]te(me)?|comp[áa]rta(me)?)\b|"
    r"\b(brauche|bitte|senden Sie|nennen Sie|geben Sie|teilen Sie)\b|"
    r"\b(j'ai besoin|envoyez|indiquez|donnez|communiquez|pouvez-vous|merci de)\b|"
    r"(нужн|пришлите|укажите|сообщите|назовите|отправьте|напишите)",
    re.IGNORECASE | re.MULTILINE,
)
# Lines that never ask: a quoted passage of the help centre ("> …"), and a line of a summary
# read back ("- Where: Elm Street").
_NOT_ASKING = re.compile(r"^\s*(>|[-*•]\s*[^:\n]*:\s*\S)")
_SENTENCES = re.compile(r"(?<=[.!?:])\s+|\n+")

# How the customer words a fact, per language: "Policy number: ACM-100231".
LABELS: dict[str, dict[str, str]] = {
    "name": {"en": "Name", "es": "Nombre", "de": "Name", "fr": "Nom", "ru": "Имя"},
    "policy_number": {
        "en": "Policy number",
        "es": "Número de póliza",
        "de": "Policennummer",
        "fr": "Numéro de police",
        "ru": "Номер полиса",
    },
    "date_of_birth": {
        "en": "Date of birth",
        "es": "Fecha de nacimiento",
        "de": "Geburtsdatum",
        "fr": "Date de naissance",
        "ru": "Дата рождения",
    },
    "zip_code": {
        "en": "ZIP code",
        "es": "Código postal",
        "de": "Postleitzahl",
        "fr": "Code postal",
        "ru": "Индекс",
    },
    "email": {"en": "Email", "es": "Correo", "de": "E-Mail", "fr": "E-mail", "ru": "Почта"},
    "vehicle": {
        "en": "Vehicle",
        "es": "Vehículo",
        "de": "Fahrzeug",
        "fr": "Véhicule",
        "ru": "Машина",
    },
    "vehicle_type": {"en": "Type", "es": "Tipo", "de": "Art", "fr": "Type", "ru": "Тип"},
    "mileage": {
        "en": "Mileage",
        "es": "Kilometraje",
        "de": "Fahrleistung",
        "fr": "Kilométrage",
        "ru": "Пробег",
    },
    "driver_age": {
        "en": "Driver",
        "es": "Conductor",
        "de": "Fahrer",
        "fr": "Conducteur",
        "ru": "Водитель",
    },
    "coverage_level": {
        "en": "Coverage",
        "es": "Cobertura",
        "de": "Deckung",
        "fr": "Couverture",
        "ru": "Покрытие",
    },
    "deductible": {
        "en": "Deductible",
        "es": "Franquicia",
        "de": "Selbstbeteiligung",
        "fr": "Franchise",
        "ru": "Франшиза",
    },
    "incident_date": {
        "en": "It happened on",
        "es": "Ocurrió el",
        "de": "Es passierte am",
        "fr": "C'est arrivé le",
        "ru": "Это случилось",
    },
    "incident_type": {
        "en": "What kind",
        "es": "Tipo",
        "de": "Art",
        "fr": "Type",
        "ru": "Тип",
    },
    "description": {
        "en": "What happened",
        "es": "Lo que pasó",
        "de": "Was passiert ist",
        "fr": "Ce qui s'est passé",
        "ru": "Что произошло",
    },
    "location": {"en": "Where", "es": "Dónde", "de": "Wo", "fr": "Où", "ru": "Где"},
    "police_report_number": {
        "en": "Police report number",
        "es": "Número de denuncia",
        "de": "Polizeiliches Aktenzeichen",
        "fr": "Numéro du rapport de police",
        "ru": "Номер протокола",
    },
    "claim_number": {
        "en": "Claim number",
        "es": "Número de siniestro",
        "de": "Schadennummer",
        "fr": "Numéro de sinistre",
        "ru": "Номер убытка",
    },
    "effective_date": {
        "en": "From",
        "es": "A partir del",
        "de": "Ab dem",
        "fr": "À partir du",
        "ru": "С",
    },
    "reason": {"en": "Reason", "es": "Motivo", "de": "Grund", "fr": "Raison", "ru": "Причина"},
    "amount": {"en": "Amount", "es": "Importe", "de": "Betrag", "fr": "Montant", "ru": "Сумма"},
    "change": {
        "en": "The change",
        "es": "El cambio",
        "de": "Die Änderung",
        "fr": "Le changement",
        "ru": "Изменение",
    },
}
# Eva asking what the customer wants ("What would you like to know?"): they say it again, once.
OPEN_QUESTION = re.compile(
    r"\bwhat (would you like|do you need|can i (do|help))\b|\bhow can i help\b|"
    r"\bqu[ée] (desea|necesita)\b|\bwas (möchten|kann ich)\b|\bque (souhaitez|puis-je)\b|"
    r"\bчем (могу|я могу)\b|\bчто вы хотите\b",
    re.IGNORECASE,
)
NOT_RIGHT = {
    "en": "No, that's not right.",
    "es": "No, eso no es correcto.",
    "de": "Nein, das stimmt nicht.",
    "fr": "Non, ce n'est pas ça.",
    "ru": "Нет, это неверно.",
}
YES = {
    "en": "Yes, please go ahead.",
    "es": "Sí, adelante, por favor.",
    "de": "Ja, bitte machen Sie das.",
    "fr": "Oui, allez-y s'il vous plaît.",
    "ru": "Да, пожалуйста, оформляйте.",
}
NO = {
    "en": "No, please don't. Leave it as it is.",
    "es": "No, mejor no. Déjelo como está.",
    "de": "Nein, bitte nicht. Lassen Sie es so.",
    "fr": "Non, ne faites rien pour l'instant.",
    "ru": "Нет, не надо. Оставьте как есть.",
}
DO_NOT_KNOW = {
    "en": "Sorry, I don't know that ({label}).",
    "es": "Lo siento, eso no lo sé ({label}).",
    "de": "Das weiß ich leider nicht ({label}).",
    "fr": "Désolé, je ne le sais pas ({label}).",
    "ru": "Извините, этого я не знаю ({label}).",
}


class ScriptedCustomer:
    """The offline customer: the same replies to the same conversation, every time."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.later = list(task.then)
        self.last: str | None = None
        self.restated = False

    def opening(self) -> Said:
        return self._say(self.task.opening)

    def answer(self, reply: str, handed_over: bool) -> Said:
        if handed_over:
            return Said(None, ended="transfer")
        message = self._reply_to(reply)
        # The same answer twice running: Eva is stuck on something the task cannot give.
        if message is not None and message != self.last:
            return self._say(message)
        if self.later:
            return self._say(self.later.pop(0))
        return Said(None, ended="stop")

    def _reply_to(self, reply: str) -> str | None:
        """The facts Eva asked for; else yes or no to going ahead (or a correction of what she
        read back); else, once, the request again when she asks what they want."""
        language = self.task.language
        asked = self.asked_for(reply)
        parts = [self._fact(name) for name in asked if name in self.task.knows]
        # A fact the task neither knows nor lists as unknown is one it has no word on (Eva asked
        # for a date of birth or a ZIP code, and it knows the first): it says nothing of it.
        unknown = [name for name in asked if name in self.task.unknowns]
        parts += [DO_NOT_KNOW[language].format(label=LABELS[name][language]) for name in unknown]
        if parts:
            return " ".join(parts)
        if _asking_sentences(reply, ASKS_TO_PROCEED):
            # "Here is what I'll file: … Shall I file it?": the summary is not a question, but a
            # date in it that is none of theirs is corrected before anything goes ahead.
            wrong = self.misread(reply)
            if wrong:
                return " ".join([NOT_RIGHT[language], *(self._fact(name) for name in wrong)])
            return (YES if self.task.agrees else NO)[language]
        if not self.restated and OPEN_QUESTION.search(_asking_sentences(reply)):
            self.restated = True
            return self.task.opening
        return None

    def misread(self, reply: str) -> list[str]:
        """The date facts a read-back gets wrong: it shows a date the customer never gave, and
        not theirs."""
        known = {iso for value in self.task.knows.values() for iso in _iso_dates(value)}
        shown = set(_iso_dates(reply))
        if shown <= known:
            return []
        dated = [name for name in ("incident_date", "effective_date") if name in self.task.knows]
        return [name for name in dated if not set(_iso_dates(self.task.knows[name])) & shown]

    def asked_for(self, reply: str) -> list[str]:
        """The facts Eva's reply asks for, in FACT order."""
        asking = _asking_sentences(reply)
        return [name for name, pattern in ASKS.items() if pattern.search(asking)]

    def _fact(self, name: str) -> str:
        value = self.task.knows[name]
        if self.task.behaviour == "terse":
            return value if value.endswith((".", "!", "?")) else f"{value}."
        label = LABELS[name][self.task.language]
        return f"{label}: {value}" if value.endswith((".", "!", "?")) else f"{label}: {value}."

    def _say(self, text: str) -> Said:
        self.last = text
        return Said(text)


_DATES = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b")


def _iso_dates(text: str) -> list[str]:
    """The dates in a text as YYYY-MM-DD, from ISO or day-first (18/11/2026, 18.11.2026)."""
    found = []
    for m in _DATES.finditer(text):
        year, month, day = (m[1], m[2], m[3]) if m[1] else (m[6], m[5], m[4])
        found.append(f"{year}-{int(month):02d}-{int(day):02d}")
    return found


def _asking_sentences(reply: str, pattern: re.Pattern[str] = _ASKING) -> str:
    """The sentences of a reply that ask something (or match `pattern`), joined."""
    lines = "\n".join(line for line in reply.splitlines() if not _NOT_ASKING.match(line))
    return "\n".join(s for s in _SENTENCES.split(lines) if pattern.search(s))


# --- The live customer ------------------------------------------------------------------------

BEHAVIOUR_NOTES = {
    "polite": "You are polite and clear.",
    "terse": "You write very short messages, a few words, no greetings.",
    "rambling": "You ramble: long messages with side stories, but the facts you give are right.",
    "angry": "You are angry and impatient, and say so, but you never threaten or swear at Eva.",
    "anxious": "You are worried and ask for reassurance.",
    "non-native": "You write the language simply, with small mistakes, as a non-native speaker.",
}
SIMULATOR_PROMPT = """You are playing a customer of Acme Insurance in a test of its chat assistant,
Eva. Write only the customer's next message, in {language}, as the customer would type it.

Who you are: {persona}
How you write: {behaviour}
Your goal: {goal}

What you know. Give a fact only when Eva asks for it, or where a real customer would
naturally mention it; copy numbers and dates exactly:
{knows}

What you do not know (if Eva asks, say you don't know; never make it up): {unknowns}

Rules:
- One message at a time. Never write Eva's part, never describe what you are doing.
- Never invent a number, date, name or reference that is not above or in Eva's messages.
- {agrees}
- When your goal is done, or Eva has clearly told you it cannot be done, write a short closing
  line and end it with ###STOP###.
- If Eva hands you to a human colleague, end your message with ###TRANSFER###.
- If what you want is outside what Eva can help with, end with ###OUT-OF-SCOPE###.
"""
CHAT_OPENS = "(The chat window opens. Eva is waiting for your first message.)"
# Acme's policy and claim numbers and references (store.records), and emails: a simulator must
# copy them, never invent them. Dates are compared as dates (_iso_dates).
IDENTIFIERS = re.compile(
    r"\b(?:ACM|CLM)[- ]?\d{5,6}\b|\b(?:TCK|H|R|A)-[A-HJ-NP-Z2-9]{6}\b|[\w.+-]+@[\w-]+\.[\w.]+"
)
ROLE_BREAK = re.compile(
    r"\b(as an ai|language model|how (can|may) i (help|assist) you( today)?\?)", re.IGNORECASE
)
# Fewer words than this and a message cannot be said to be in the wrong language.
LANGUAGE_WORDS = 12


def simulator_prompt(task: Task) -> str:
    knows = "\n".join(f"- {name.replace('_', ' ')}: {value}" for name, value in task.knows.items())
    agrees = (
        "When Eva asks whether to go ahead (file, cancel, refund), say yes."
        if task.agrees
        else "When Eva asks whether to go ahead (file, cancel, refund), say no."
    )
    return SIMULATOR_PROMPT.format(
        language=LANGUAGE_NAMES[task.language],
        persona=task.persona,
        behaviour=BEHAVIOUR_NOTES[task.behaviour],
        goal=task.goal,
        knows=knows or "- nothing in particular",
        unknowns=", ".join(n.replace("_", " ") for n in task.unknowns) or "nothing listed",
        agrees=agrees,
    )


def simulator_faults(task: Task, message: str, eva_said: list[str]) -> list[str]:
    """How one simulated message breaks the simulator's instructions: an identifier that is
    neither in the task nor in anything Eva said, Eva's part written, an empty message, or
    the wrong language."""
    faults = []
    given = " ".join([*task.knows.values(), *eva_said])
    known = {_identifier(found) for found in IDENTIFIERS.findall(given)}
    known |= {found.casefold() for found in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", given)}
    for found in IDENTIFIERS.findall(message):
        if _identifier(found) not in known:
            faults.append(f"the simulated customer invented {found!r}")
    invented = set(_iso_dates(message)) - set(_iso_dates(given))
    faults += [f"the simulated customer invented the date {day}" for day in sorted(invented)]
    if ROLE_BREAK.search(message):
        faults.append("the simulated customer wrote Eva's part")
    if len(re.findall(r"[^\W\d_]{2,}", message)) >= LANGUAGE_WORDS:
        language = guardrails.language_of(message, task.language)
        if language != task.language:
            faults.append(f"the simulated customer wrote {language}, the task is {task.language}")
    return faults


# How a customer's answer to "shall I go ahead?" starts, in the five languages.
_SAYS_YES = re.compile(
    r"^\W*(yes|yeah|yep|sure|ok(ay)?|please do|go ahead|s[íi]|claro|ja|gerne|oui|"
    r"d'accord|да|конечно)\b",
    re.IGNORECASE,
)
_SAYS_NO = re.compile(r"^\W*(no|nope|don'?t|nein|non|нет|не надо)\b", re.IGNORECASE)


# What going ahead does, named in the question: "Shall I file it?", not "Would you like me to
# check anything else?", which a customer rightly declines whatever the task.
_AN_ACT = re.compile(
    r"\b(file|submit|cancel|refund|request|go ahead|proceed)|presentar|cancelar|reembols|"
    r"einreich|kündig|erstatt|déclar|annul|rembours|оформ|отмен|возврат",
    re.IGNORECASE,
)


def wrong_answer_to_go_ahead(task: Task, reply: str, message: str) -> list[str]:
    """A yes where the task says the customer declines, or a no where they agree, to a question
    that names the act: the run would then grade an outcome the task never asked for."""
    if not _AN_ACT.search(_asking_sentences(reply, ASKS_TO_PROCEED)):
        return []
    if task.agrees and _SAYS_NO.match(message):
        return ["the simulated customer declined where the task agrees"]
    if not task.agrees and _SAYS_YES.match(message):
        return ["the simulated customer agreed where the task declines"]
    return []


def _identifier(text: str) -> str:
    """One spelling of a number: "acm 100231" and "ACM-100231" are the same policy."""
    return re.sub(r"^(ACM|CLM)[- ]?", r"\1-", text.upper()) if "@" not in text else text.casefold()


class LiveCustomer:
    """The side model as the customer. Its view of the chat is Eva's with the roles swapped:
    Eva's replies are its user turns."""

    def __init__(self, task: Task, client: anthropic.Anthropic, model: str) -> None:
        self.task = task
        self.client = client
        self.model = model
        self.system = simulator_prompt(task)
        self.messages: list[MessageParam] = [{"role": "user", "content": CHAT_OPENS}]
        self.eva_said: list[str] = []

    def opening(self) -> Said:
        self.messages.append({"role": "assistant", "content": self.task.opening})
        return Said(self.task.opening)

    def answer(self, reply: str, handed_over: bool) -> Said:
        self.eva_said.append(reply)
        self.messages.append({"role": "user", "content": reply or "(Eva did not answer.)"})
        response = self.client.messages.create(
            model=self.model, max_tokens=600, system=self.system, messages=self.messages
        )
        text = "".join(b.text for b in response.content if b.type == "text").strip()
        self.messages.append({"role": "assistant", "content": text or "…"})
        ended = next((end for marker, end in END_MARKERS.items() if marker in text), None)
        for marker in END_MARKERS:
            text = text.replace(marker, "")
        text = text.strip()
        faults = simulator_faults(self.task, text, self.eva_said)
        faults += wrong_answer_to_go_ahead(self.task, reply, text)
        if handed_over and ended is None:
            ended = "transfer"
        if not text and ended is None:
            faults.append("the simulated customer sent an empty message")
        fault = "; ".join(faults) or None
        # A closing line goes to Eva only while the conversation is still hers to answer.
        return Said(text if ended is None else None, ended=ended, fault=fault)
