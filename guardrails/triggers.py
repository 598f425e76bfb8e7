"""Escalation triggers in a customer's message: a person asked for, legal action, the press,
a regulator, leaving, a refund over the limit, abuse."""

from __future__ import annotations

import re

import config
from guardrails.competitors import competitor_hits
from guardrails.text import either, fold, negated, said, sentences

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
    r"(?:verbind\w*|stell\w*)\s+(?:\w+\s+){0,3}?mit\s+einem?\s+(?:echten\s+|richtigen\s+)?"
    r"(?:mitarbeiter|menschen)|mit\s+einem?\s+(?:echten\s+|richtigen\s+)?(?:mitarbeiter|menschen)"
    r"\s+(?:\w+\s+){0,2}?(?:sprechen|reden|verbinden|telefonieren|chatten)|"
    r"parler\s+(?:à|a)\s+(?:un\s+conseiller|quelqu'un|une\s+(?:vraie\s+)?personne|un\s+humain)|"
    r"(?:поговорить|связаться|говорить)\s+с\s+(?:живым\s+|настоящим\s+)?"
    r"(?:человеком|оператором|сотрудником|менеджером)|"
    r"позовите\s+(?:живого\s+)?(?:человека|оператора|сотрудника))",
    re.IGNORECASE,
)


# The same request built from its parts, per language, on folded text: a verb that asks to be
# put in touch (speak, connect, call back...) and, within a few words, someone who works here
# (a human, an agent, a supervisor...). A verb of wanting reaches only two words ("I need an
# agent", not "I want to know what my agent said"); German and Russian may put the verb last.
# A question about who is answering ("am I talking to a person?") asks for nobody, and a
# negation in the clause cancels the request ("I don't need an agent").
_STAFF = {
    "en": r"humans?|(?:real|live|actual)\s+(?:person|people|agent|one)|person|agent|rep|"
    r"representative|operator|supervisor|manager|someone|somebody|staff|employee|advis[eo]r|"
    r"adjuster|colleague|team\s*lead(?:er)?|customer\s+service|claims\s+handler",
    "es": r"personas?|humanos?|agentes?|asesora?|operadora?|supervisora?|encargad[oa]|gerente|"
    r"responsable|alguien|emplead[oa]|representante|ejecutiv[oa]|jefe|atencion\s+al\s+cliente",
    "de": r"menschen?|mitarbeiter(?:in)?|berater(?:in)?|sachbearbeiter(?:in)?|vorgesetzten|"
    r"chef(?:in)?|jemand(?:em|en)?|kolleg(?:e|en|in)|person|ansprechpartner(?:in)?|agent(?:en)?|"
    r"kundenservice|kundendienst|teamleiter(?:in)?|schadenabteilung",
    "fr": r"humains?|personnes?|conseill(?:er|ere)|agents?|operat(?:eur|rice)|responsable|"
    r"superviseur|quelqu'un|collaborat(?:eur|rice)|gestionnaire|employe|interlocut(?:eur|rice)|"
    r"service\s+client",
    "ru": r"человек\w*|оператор\w*|сотрудник\w*|менеджер\w*|специалист\w*|консультант\w*|"
    r"руководител\w*|начальник\w*|старш(?:ему|его|им)|жив\w+\s+(?:человек\w*|оператор\w*|"
    r"сотрудник\w*)|кто-нибудь|кем-нибудь|кого-нибудь|агент\w*|поддержк\w*",
}
# The few nouns a verb of wanting may ask for: "I need an agent", not "I need someone to...".
_STAFF_ONLY = {
    "en": r"humans?|(?:a\s+|an\s+)?(?:real|live|actual)\s+(?:person|agent|one)|(?:a|an)\s+person|"
    r"(?:an\s+|the\s+)?(?:agent|representative|rep|operator|supervisor|manager)",
    "es": r"(?:un|una|el|al|la)\s+(?:humano|agente|operador[a]?|supervisor[a]?|asesor[a]?|gerente|"
    r"representante|persona\s+real)",
    "de": r"(?:einen?\s+)?(?:(?:echten|richtigen)\s+)?(?:menschen|mitarbeiter(?:in)?|"
    r"berater(?:in)?|vorgesetzten)",
    "fr": r"(?:un|une|a\s+un|a\s+une)\s+(?:(?:vrai|vraie)\s+)?(?:humain|conseill(?:er|ere)|"
    r"operat(?:eur|rice)|personne\s+reelle|vraie\s+personne|responsable|agent)",
    "ru": r"(?:жив\w+\s+)?(?:человек[а]?|оператор[а]?|сотрудник[а]?|менеджер[а]?|специалист[а]?)",
}
# Verbs that ask to be put in touch (reaching five words), and of wanting (two, and only the
# nouns above).
_PUT_THROUGH = {
    "en": r"speak|talk|chat|connect|transfer|put\s+me\s+through|pass\s+me\s+(?:on\s+)?to|"
    r"let\s+me\s+(?:speak|talk)|escalate\s+(?:this|me)\s+to",
    "es": r"hablar|comunic(?:arme|ar|queme|quenme|ame)|contactar|pas(?:ame|eme|enme|arme)|"
    r"pon(?:game|ganme|me)|transfier(?:ame|anme|a)|atiend(?:a|an)",
    "de": r"sprechen|reden|verbind\w*|weiterleit\w*|durchstell\w*|chatten",
    "fr": r"parler|discuter|joindre|passez-moi|me\s+passer|mettez-moi|mettre\s+en\s+relation|"
    r"transfer(?:ez|er)(?:-moi)?",
    "ru": r"поговорить|говорить|пообщаться|связаться|свяжите|соедин\w+|переключ\w+|позов\w+|"
    r"позвать|передайте",
}
_WANT = {
    "en": r"need|want|get\s+me|give\s+me|i'd\s+like|(?:can|could|may)\s+i\s+(?:get|have)",
    "es": r"quiero|quisiera|necesito|dame|deme",
    "de": r"brauche|mochte|will|hatte\s+gern|geben\s+sie\s+mir",
    "fr": r"veux|voudrais|souhaite|donnez-moi",
    "ru": r"хочу|нужен|нужна|дайте",
}
# Asking to be called back is asking for a person (Eva cannot phone); being told someone would
# call ("she said she'd call me back") is not.
_CALL_BACK = (
    r"(?:^|[.!?]\s*|\bplease\s+|\bpls\s+|\b(?:can|could|would)\s+(?:you|someone|somebody|"
    r"anyone|an?\s+\w+)\s+(?:please\s+)?|\b(?:have|get|ask)\s+(?:someone|somebody|an?\s+\w+)\s+"
    r"(?:to\s+)?|\bi(?:'d|\s+would)\s+like\s+(?:someone\s+to\s+|you\s+to\s+)?|\bi\s+(?:want|need)"
    r"\s+(?:someone\s+to\s+|you\s+to\s+)?)call\s+me(?:\s+back)?\b|\b(?:request|want|need|like|"
    r"get|schedule|arrange)\s+a\s+call\s*-?back\b|^\W*call\s*-?back\b|"
    r"\bque\s+(?:alguien\s+|ustedes\s+|un\s+\w+\s+)?me\s+(?:llame|llamen|devuelva\w*)\b|"
    r"\bllam(?:eme|enme|adme)\b|\b(?:pueden|puede|podrian|podria)\s+llamarme\b|"
    r"\bruf(?:en)?\s+sie\s+mich\b|\bruckruf\s+bitte\b|\bum\s+(?:einen\s+)?(?:kurzen\s+)?ruckruf\b|"
    r"\b(?:will|mochte|brauche|hatte\s+gern)\s+(?:\w+\s+)?(?:einen\s+)?ruckruf\b|"
    r"\brappelez-moi\b|\brappel\s+(?:svp|s'il\s+vous\s+plait)\b|\b(?:pouvez-vous|pourriez-vous|"
    r"merci\s+de|veuillez|qu'on|que\s+quelqu'un|qu'un\s+\w+)\s+me\s+rappel\w*|"
    r"\bперезвоните\b|\bпусть\s+(?:мне\s+)?(?:\w+\s+)?перезвон\w+|\b(?:можете|можно|прошу)\s+"
    r"(?:мне\s+)?перезвонить\b|\bпозвоните\s+мне\b"
)
_PERSON_ASKED = either(
    *(rf"\b(?:{_PUT_THROUGH[lang]})\b(?:\s+\S+){{0,5}}?\s+(?:{_STAFF[lang]})\b" for lang in _STAFF),
    *(rf"\b(?:{_WANT[lang]})\b(?:\s+\S+){{0,2}}?\s+(?:{_STAFF_ONLY[lang]})\b" for lang in _STAFF),
    *(
        rf"\b(?:{_STAFF[lang]})\b(?:\s+\S+){{0,5}}?\s+(?:{_PUT_THROUGH[lang]})\b"
        for lang in ("de", "ru")
    ),
    _CALL_BACK,
    # A message that is only the ask: "operator!", "human please", "REPRESENTATIVE".
    r"^\W*(?:a\s+|un\s+|une\s+)?(?:human|person|agent|representative|operator|supervisor|"
    r"manager|humano|agente|operador|mensch|mitarbeiter|humain|conseiller|operateur|оператор\w*|"
    r"человек\w*)(?:\s+(?:please|pls|now|asap|por\s+favor|porfa|bitte|svp|s'il\s+vous\s+plait|"
    r"пожалуйста))?\W*$",
)
# Asking what Eva is, not for anyone: "am I talking to a person?", "¿hablo con una persona?".
_WHO_ANSWERS = re.compile(
    r"\b(?:am\s+i|are\s+you|is\s+(?:this|it)|estoy|hablo|eres|es\s+usted|bin\s+ich|"
    r"schreibe\s+ich|sind\s+sie|bist\s+du|je\s+parle|suis-je|est-ce\s+un|vous\s+etes|я\s+(?:с|"
    r"говорю|пишу|общаюсь|переписываюсь)|вы\s+(?:бот|человек|робот))(?:\s+\S+){0,4}?\s+(?:a\s+|an\s+|"
    r"un\s+|une\s+|the\s+)?(?:bot|robot|ai|ia|ии|бот\w*|робот\w*|machine|maschine|maquina)\b"
    # "…or a person?" belongs to the question.
    r"(?:\s+(?:or|o|oder|ou|или)\s+(?:\S+\s+){0,2}?(?:person|human|persona|humano|menschen?|"
    r"personne|humain|человеком|человек))?"
)


# Someone who works here, named in any of our languages (what is left of a bot question).
_ASKS_FOR_STAFF = re.compile("|".join(rf"\b(?:{nouns})\b" for nouns in _STAFF_ONLY.values()))


def wants_person(text: str) -> bool:
    """The customer asks for a human, in any of our languages (checked in code every turn)."""
    folded = _WHO_ANSWERS.sub(".", fold(text))
    return said(_PERSON, folded) or said(_PERSON_ASKED, folded)


def only_asks_what_eva_is(text: str) -> bool:
    """A one-sentence question about who is answering: "am I chatting with a bot or a person?"
    sounds like a request for one and is not (guardrails.semantic holds it back)."""
    folded = fold(text)
    if len(sentences(text)) > 1 or not _WHO_ANSWERS.search(folded):
        return False
    return not _ASKS_FOR_STAFF.search(_WHO_ANSWERS.sub(" ", folded))


# Threats of legal action. Mentions are not threats: "I'm not a lawyer", "legal costs", "my
# lawyer friend asked…"; a verb of intent or "my lawyer will…" is.
_LEGAL = either(
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
    r"\b(?:mi|nuestro|nuestra)\s+abogad[oa]\s+(?:ya\s+)?(?:va|ira|les|los|le|se\s+pondra|"
    r"presentara|demandara|tomara|esta\s+(?:preparando|revisando))\b|\b(?:contratar|contratare|llamar|llamare|consultar|"
    r"hablar con|hablare con|contactar)\s+(?:a\s+)?(?:un|una|mi)\s+abogad[oa]\b",
    r"\b(?:acciones|medidas)\s+legales\b|\bdemanda judicial\b|\bvia judicial\b|\b(?:voy|vamos)\s+a"
    r"\s+denunciar\w*|\bdenunciare(?:mos)?\b",
    # German
    r"\b(?:ich|wir)\b(?:\s+\w+){0,4}?\s+verklag(?!t\s+(?:werde|wurde|worden))\w*|"
    r"\bverklag(?:e|en)\s+(?:ich|wir)\b",
    # "My lawyer" counts when the lawyer acts on it, not when he needs a copy for a divorce.
    r"\b(?:mein|unser)\s+(?:rechts)?anwalt\s+(?:wird|meldet|schreibt|kummert|hat\s+(?:\w+\s+){0,3}?"
    r"(?:eingeschaltet|geschrieben|geraten|gesagt)|ist\s+(?:schon\s+)?(?:informiert|eingeschaltet|"
    r"dran))\b|\b(?:mit|an|uber)\s+(?:meinen|meinem|unseren|unserem)\s+(?:rechts)?anwalt\b|"
    r"\bmeinen\s+(?:rechts)?anwalt\s+(?:einschalten|informieren|kontaktieren|anrufen)\b|"
    r"\b(?:schalte|hole|nehme|informiere|kontaktiere|rufe)\s+(?:\w+\s+){0,3}?meinen\s+"
    r"(?:rechts)?anwalt\b|"
    r"\b(?:einen\s+)?(?:rechts)?anwalt"
    r"\s+(?:einschalten|nehmen|beauftragen|kontaktieren|hinzuziehen)\b|\b(?:nehme|hole|suche)\s+"
    r"(?:mir\s+)?einen\s+(?:rechts)?anwalt\b",
    r"\brechtliche\s+schritte\b|\bgerichtlich\w*\s+vorgehen\b|\bvor\s+(?:das\s+)?gericht\b|"
    r"\bklage\s+(?:einreichen|erheben)\b|\beine\s+klage\b",
    # French
    r"\bpoursui(?:vre|vrai|vrons|s|t)\s+(?:en\s+)?justice\b|\bpoursuites\s+judiciaires\b|"
    r"\b(?:je|nous)\s+(?:vais|allons)\s+vous\s+poursuivre\b|\bje\s+vous\s+poursuis\b",
    r"\bporter\s+plainte\b|\bporterai\s+plainte\b|\b(?:mon|notre)\s+avocat\s+(?:va|vous|se\s+charge\w*|prendra|"
    r"est\s+(?:deja\s+)?(?:saisi|au\s+courant|informe)|a\s+(?:ete\s+)?(?:saisi|contacte|prevenu))\b|"
    r"\b(?:avec|a|par)\s+(?:mon|notre)\s+avocat\b|\b(?:prendre|"
    r"prendrai|contacter|contacterai|consulter|appeler|appellerai)\s+un\s+avocat\b",
    r"\baction\s+en\s+justice\b|\b(?:au|devant\s+le|devant\s+les)\s+tribunal|\battaquer\s+en\s+"
    r"justice\b|\baller\s+en\s+justice\b|\bun\s+proces\b",
    # Russian
    r"\b(?:подам|подаю|подадим|обращусь|обратимся|пойду|пойдем)\s+(?:\w+\s+){0,3}?в\s+суд\b|"
    r"\b(?:буду|будем|собираюсь|собираемся|хочу|хотим|готов|готова|готовы)\s+(?:\w+\s+)?(?:подать|"
    r"обратиться|идти|пойти)\s+(?:\w+\s+){0,3}?в\s+суд\b|\b(?:буду|будем|собираюсь|готов|готова)\s+"
    r"судиться\b|\bзасужу\b|\bувидимся\s+в\s+суде\b|\bподам\s+(?:\w+\s+)?иск\b",
    r"\b(?:мой|наш)\s+(?:адвокат|юрист)\s+(?:с\s+вами\s+)?(?:свяжется|напишет|подаст|займется|"
    r"разберется|уже)\b|\b(?:моему|нашему)\s+(?:адвокату|юристу)\b|\bс\s+(?:моим|нашим)\s+"
    r"(?:адвокатом|юристом)\b|\bчерез\s+(?:моего\s+|нашего\s+)?(?:адвоката|юриста)\b|\b(?:найму|нанять|"
    r"наймем|обращусь\s+к|обратимся\s+к)\s+(?:\w+\s+)?(?:адвокат|юрист)\w*",
)

# Going public: the press, social media, review sites, "this will go viral".
_PRESS = either(
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
_REGULATOR = either(
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
_CANCEL_THREAT = either(
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
_LEAVING_FOR_GOOD = either(
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
_REFUND = either(
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
    return [value for value, _ in _money(fold(text))]


# Insults and profanity aimed at Eva, Acme or its staff. Swearing about a situation ("Damn,
# someone hit my car") is not abuse, and neither is an insult for someone else ("some idiot hit
# me"): each pattern needs a target, or is a formula that only has one ("f*** you").
_ABUSE = either(
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
        if not negated(folded, refund)
        for start, end in large
    )


# A customer disputing a decision on their claim: a denial, a repair estimate, a valuation, who
# was at fault. Only the claims team can look at a decision again (the help centre's *Disputing
# a claim settlement*), so a person is brought in. It takes both halves: something decided on a
# claim, and the customer's own disagreement with it; asking how disputes work ("how do I
# appeal a denied claim?") is a question for the help centre.
_CLAIM_DECISION = either(
    r"\b(?:claims?|estimates?|estimated|valuation|valued|apprais\w*|settlement|payout|adjuster|"
    r"assessor|inspector|denied|denial|rejected|refused|declined|repairs?|(?:at|my) fault|"
    r"total(?:l?ed)|written off|write-off)\b",
    r"\b(?:reclamaci\w+|siniestro|perit\w+|tasaci\w+|indemniz\w+|rechaz\w+|deneg\w+|"
    r"presupuesto|reparaci\w+|culpa)\b",
    r"\b(?:schaden\w*|gutacht\w*|regulierung|abgelehnt|ablehnung|kostenvoranschlag|reparatur\w*|"
    r"schuld)\b",
    r"\b(?:sinistre|expert\w*|indemnisation|refus\w*|devis|reparation|responsabilite)\b",
    r"(?:выплат\w*|экспертиз\w*|оценк\w*|отказ\w*|страхов\w+\s+случа\w*|ремонт\w*|смет\w*|"
    r"виноват\w*|вин\w)",
)
_DISAGREEMENT = either(
    r"\b(?:disput\w*|contest\w*|appeal\w*|disagree\w*|object(?:ing)? to|"
    r"(?:don'?t|do not|won'?t|will not|can'?t|cannot|refuse to|not)\s+accept\w*|"
    r"(?:not|un)acceptable|(?:that|it|this)(?:'s|\s+is)\s+(?:just\s+|simply\s+|completely\s+|"
    r"totally\s+)?(?:wrong|unfair|not (?:right|fair|true))|not true|lowball\w*|"
    r"(?:looked at|reviewed|checked)\s+again|reconsider\w*|overturn\w*|"
    r"(?:want|need)\s+(?:that|the|this|it)\s+(?:decision\s+)?(?:changed|reversed|reviewed))",
    r"\b(?:no estoy de acuerdo|impugn\w+|recurr\w+|apel\w+|injust\w+|no acepto|es muy poco|"
    r"revis(?:en|ar) (?:de nuevo|otra vez))",
    r"\b(?:nicht einverstanden|widerspruch|widerspreche|anfecht\w*|ungerecht\w*|akzeptiere (?:das|"
    r"ich) nicht|viel zu (?:wenig|niedrig)|noch einmal prufen)",
    r"\b(?:pas d'accord|contest\w+|injuste|n'accepte pas|beaucoup trop bas|reexamin\w+)",
    r"(?:не соглас\w+|оспор\w+|оспарива\w+|несправедлив\w*|не принима\w+|слишком мало|"
    r"пересмотр\w*)",
)
# A question about disputes, not one: "how do I appeal…", "what's the deadline to dispute…",
# "is a $500 deductible too low?", "comment contester…", "как оспорить…".
_ASKS_ABOUT = re.compile(
    r"\b(?:how|what|when|where|who|which|is|are|can|could|should|do|does|will|would|como|"
    r"cual|cuando|donde|puedo|wie|was|wann|wo|kann|comment|quel|quelle|quand|puis-je|est-ce|"
    r"как|какой|когда|где|можно)\b[^.!]*\?|\b(?:how to|process|deadline|procedure|"
    r"como\s+(?:puedo|se)|wie\s+(?:kann|lege)|comment\s+(?:faire|contester)|как\s+(?:можно|мне|"
    r"оспорить))\b"
)
# Someone else's insurer decided it: not Acme's claims team's to look at again.
_THEIR_INSURER = re.compile(
    r"\b(?:other|their|his|her)\s+(?:(?:driver|party|person)'?s?\s+)?insur\w+|\b(?:la\s+)?"
    r"aseguradora\s+del\s+otro|\bdie\s+versicherung\s+des\s+anderen|\bl'assureur\s+de\s+"
    r"l'autre|\bстрахов\w+\s+(?:другого|виновника)"
)

# "I'm not disputing anything": a disagreement denied just before it.
_DENIED = re.compile(r"(?:\bnot|\bnever|n't|\bnicht|\bpas|\bне)\s+(?:\w+\s+)?$")


def _disputes_claim(folded: str) -> bool:
    """The customer says they disagree with a decision on their claim (not a question about
    disputes, not "I'm not disputing anything", not another insurer's decision)."""
    if not _CLAIM_DECISION.search(folded) or competitor_hits(folded):
        return False
    if _THEIR_INSURER.search(folded):
        return False
    for sentence in sentences(folded) or [folded]:
        if _ASKS_ABOUT.search(sentence):
            continue
        for found in _DISAGREEMENT.finditer(sentence):
            # Only a negation before it counts: "no estoy de acuerdo" carries its own.
            if not _DENIED.search(sentence[: found.start()]):
                return True
    return False


def _leaving_for_competitor(folded: str) -> bool:
    """ "I'm switching to GEICO", whichever insurers config names."""
    for start, _ in competitor_hits(folded):
        lead = _LEAVING_FOR.search(folded, 0, start)
        if lead and not negated(folded, lead):
            return True
    return False


def triggers(text: str) -> tuple[str, ...]:
    """The escalation triggers in one customer message, in the order of config.TRIGGERS.

    Each is checked in code every turn, in English, Spanish, German, French and Russian; a
    negated threat ("I won't sue") does not count.
    """
    folded = fold(text)
    found = {name for name, pattern in _TRIGGER_PATTERNS.items() if said(pattern, folded)}
    if wants_person(text):
        found.add("person")
    if _LEAVING_FOR_GOOD.search(folded) or _leaving_for_competitor(folded):
        found.add("cancel_threat")
    if _over_limit(folded):
        found.add("refund_over_limit")
    if _disputes_claim(folded):
        found.add("claim_dispute")
    return tuple(name for name in config.TRIGGERS if name in found)
