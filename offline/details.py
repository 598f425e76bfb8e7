"""What a customer's words say about an incident, read the same way every time: dates, the kind
of incident, where it happened, a police report number, and a yes or a no.

The flows (flows.py) ask for these and act on them; this module only reads. Dates are read
against the day the app says the message was sent (envelope's today=), never the machine's
clock, and only in forms that mean one day: 2026-11-22, "November 22, 2026", "22 de noviembre",
"22.11.2026" only when the day is over 12. Patterns read folded text (guardrails.text.fold):
lower case, Latin accents dropped.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from guardrails.text import fold

MONTHS = {
    **dict.fromkeys(("january", "jan", "enero", "januar", "janvier", "января"), 1),
    **dict.fromkeys(("february", "feb", "febrero", "februar", "fevrier", "февраля"), 2),
    **dict.fromkeys(("march", "mar", "marzo", "marz", "maerz", "mars", "марта"), 3),
    **dict.fromkeys(("april", "apr", "abril", "avril", "апреля"), 4),
    **dict.fromkeys(("may", "mayo", "mai", "мая"), 5),
    **dict.fromkeys(("june", "jun", "junio", "juni", "juin", "июня"), 6),
    **dict.fromkeys(("july", "jul", "julio", "juli", "juillet", "июля"), 7),
    **dict.fromkeys(("august", "aug", "agosto", "aout", "августа"), 8),
    **dict.fromkeys(("september", "sep", "sept", "septiembre", "septembre", "сентября"), 9),
    **dict.fromkeys(("october", "oct", "octubre", "oktober", "octobre", "октября"), 10),
    **dict.fromkeys(("november", "nov", "noviembre", "novembre", "ноября"), 11),
    **dict.fromkeys(("december", "dec", "diciembre", "dezember", "decembre", "декабря"), 12),
}
_MONTH = "|".join(sorted(MONTHS, key=lambda name: (-len(name), name)))
_ORDINAL = r"(?:st|nd|rd|th|er|\.)?"
_DATES = re.compile(
    rf"(?<![\w-])(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})(?![\w-])"
    rf"|\b(?P<mm>{_MONTH})\.?\s+(?P<md>\d{{1,2}}){_ORDINAL}(?![\d:])(?:,?\s+(?P<my>\d{{4}}))?"
    rf"|\b(?P<dd>\d{{1,2}}){_ORDINAL}\s+(?:de\s+)?(?P<dm>{_MONTH})\b\.?(?:,?\s+(?:de\s+)?"
    rf"(?P<dy>\d{{4}}))?"
    rf"|(?<![\w/.-])(?P<na>\d{{1,2}})[/.](?P<nb>\d{{1,2}})[/.](?P<ny>\d{{4}})(?![\w/-])"
)
# Days said as words, by how many days before the message they are.
_RELATIVE = (
    (1, re.compile(r"\b(yesterday|last night|ayer|anoche|gestern|hier)\b|вчера")),
    (0, re.compile(r"\b(today|this morning|tonight|hoy|heute|aujourd'hui)\b|сегодня")),
)
# A date of birth is introduced as one; every other date may be the incident's.
_BIRTH = re.compile(
    r"(born|birth|dob|d\.o\.b|birthday|nacimiento|naci\w*|geboren|geburt\w*|ne le|nee le|"
    r"naissance|рождени\w*|родил\w*)\W+(?:\w+\W+){0,2}$"
)


def dates(text: str, today: date | None) -> list[tuple[date, bool]]:
    """Each day the text names, in order, with whether it was given as a date of birth. A day
    without a year (or said as "yesterday") needs today; one that is not a day is skipped."""
    folded = fold(text)
    found: list[tuple[int, date, bool]] = []
    for match in _DATES.finditer(folded):
        day = _day(match, today)
        if day is not None:
            found.append((match.start(), day, bool(_BIRTH.search(folded[: match.start()]))))
    if today is not None:
        for days_before, pattern in _RELATIVE:
            for match in pattern.finditer(folded):
                found.append((match.start(), today - timedelta(days=days_before), False))
    return [(day, birth) for _, day, birth in sorted(found, key=lambda item: item[0])]


def _day(match: re.Match[str], today: date | None) -> date | None:
    """The day one match of _DATES names, or None when it names none or several."""
    groups = match.groupdict()
    if groups["iy"]:
        year, month, day = int(groups["iy"]), int(groups["im"]), int(groups["id"])
    elif groups["ny"]:
        first, second, year = int(groups["na"]), int(groups["nb"]), int(groups["ny"])
        if first <= 12 and second <= 12 and first != second:
            return None  # 05/11 is May or November, depending on who wrote it
        month, day = (second, first) if first > 12 else (first, second)
    else:
        month = MONTHS[groups["mm"] or groups["dm"]]
        day = int(groups["md"] or groups["dd"])
        given = groups["my"] or groups["dy"]
        if given is None and today is None:
            return None
        year = int(given) if given else today.year if today else 0
        if given is None and today is not None and (month, day) > (today.month, today.day):
            year -= 1  # "November 22" said in January is last year's
    try:
        return date(year, month, day)
    except ValueError:
        return None


def birth_date(text: str, today: date | None) -> date | None:
    """The date of birth the text gives: a date introduced as one, or an ISO date at least 16
    years back (no one younger holds a policy)."""
    for day, birth in dates(text, today):
        if birth:
            return day
    for match in re.finditer(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b", text):
        born = date.fromisoformat(match.group(0)) if _valid_iso(match.group(0)) else None
        if born and (today is None or born.year <= today.year - 16):
            return born
    return None


def _valid_iso(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def event_date(text: str, today: date | None) -> date | None:
    """The day something happened or should happen: the first date given as a day (not as a
    birth date), else "yesterday" or "today"."""
    named = [day for day, birth in dates(text, today) if not birth]
    if not named:
        return None
    relative = {today - timedelta(days=n) for n, _ in _RELATIVE} if today else set()
    written = [day for day in named if day not in relative or _written(text, day)]
    return (written or named)[0]


def _written(text: str, day: date) -> bool:
    """Whether the text gives the day as a date, not only as "today" or "yesterday"."""
    return any(_day(match, None) == day for match in _DATES.finditer(fold(text)))


# The kind of incident (insurance.accounts.INCIDENT_TYPES), by its words in five languages,
# the most specific first: a hit-and-run is also a collision, a deer strike too.
INCIDENT_WORDS = (
    (
        "hit_and_run",
        r"hit[- ]and[- ]run|drove off|drove away|took off|no note|fled|se dio a la fuga|"
        r"se fue sin|fahrerflucht|delit de fuite|s'est enfui|скрылс\w*",
    ),
    (
        "theft",
        r"stolen|stole|theft|robbed|broke into|break-in|robo|robaron|gestohlen|diebstahl|"
        r"vole?\b|угнал\w*|украл\w*|кража|угон\w*",
    ),
    (
        "animal",
        r"deer|moose|elk|animal|ciervo|venado|reh|wildunfall|wildschwein|cerf|chevreuil|sanglier|"
        r"олен\w*|лос[ья]\w*|животн\w*",
    ),
    ("fire", r"fire|burn\w*|incendio|brand|feuer|incendie|пожар\w*|сгорел\w*"),
    (
        "weather",
        r"hail\w*|storm|flood\w*|tree fell|fallen tree|tornado|hurricane|granizo|tormenta|"
        r"inundaci\w*|hagel|sturm|uberschwemm\w*|grele|tempete|inondation|град\w*|бур[яи]|"
        r"наводнени\w*|ураган\w*",
    ),
    (
        "vandalism",
        r"vandal\w*|keyed|graffiti|slashed|someone (?:smashed|broke|scratched|damaged)|"
        r"vandalismo|vandalismus|vandalisme|вандал\w*",
    ),
    (
        "glass",
        r"windshield|windscreen|glass|parabrisas|windschutzscheibe|pare-brise|лобов\w* стекл\w*",
    ),
    (
        "collision",
        r"accident|crash\w*|collid\w*|collision|hit|rear-ended|fender bender|bumped|backed into|"
        r"choque|chocado|accidente|unfall|zusammenstoss|auffahr\w*|accroch\w*|дтп|авари\w*|"
        r"столкнов\w*",
    ),
)
_INCIDENT = tuple((kind, re.compile(rf"\b(?:{words})")) for kind, words in INCIDENT_WORDS)


def incident_type(text: str) -> str | None:
    """The kind of incident the text describes, or None if it names none."""
    folded = fold(text)
    return next((kind for kind, pattern in _INCIDENT if pattern.search(folded)), None)


# Words of damage or loss: a sentence with one of these (or an incident word) says what happened.
_DAMAGE = re.compile(
    r"\b(damag\w*|dent\w*|scratch\w*|broke\w*|crack\w*|chip\w*|smash\w*|bent|caved|hanging|"
    r"shatter\w*|destroy\w*|totall?ed|took|missing|hurt|injur\w*|danos?|dano|roto|rota|"
    r"beschadigt|kaputt|schaden|degats?|casse\w*|raye\w*|поврежд\w*|разбит\w*|помят\w*)"
)


def what_happened(text: str) -> list[str]:
    """The sentences of the text that tell what happened or what was damaged."""
    sentences = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [
        s.strip()
        for s in sentences
        if (incident_type(s) or _DAMAGE.search(fold(s)))
        and not re.search(r"\b(?:ACM|CLM)-?\s?\d{5,6}\b|\?\s*$", s, re.I)
    ]


# Where: a place after on/at/in/near (and their Spanish, German, French and Russian words) that
# names a street, road, town or spot, up to the end of its clause.
_PLACE_START = re.compile(
    r"(?:^|(?<=\s))(?:on|at|in|near|outside|from|along|en|cerca de|auf|bei|an der|am|sur|pres de|"
    r"dans|на|в|у|около)\s+|\b(?:where|location|d[oó]nde|wo|o[uù]|где)(?: it happened)?\s*:\s*",
    re.IGNORECASE,
)
_PLACE_WORDS = re.compile(
    r"\b(?:parking|driveway|garage|highway|freeway|motorway|street|st|road|rd|avenue|ave|"
    r"boulevard|blvd|lane|drive|route|interstate|car park|lot|intersection|calle|carretera|"
    r"autopista|strasse|autobahn|parkplatz|rue|autoroute|apartment|home|house|work|office|"
    r"school|улиц\w*|дорог\w*|трасс\w*|парковк\w*)\b",
    re.IGNORECASE,
)
_NOT_A_PLACE = re.compile(
    r"^(?:the\s+)?(?:dark|morning|afternoon|evening|night|rain|time|front|back|total|fact|"
    r"a hurry|my (?:car|bike|lane)|\d{1,2}(?::\d{2})?\s*(?:am|pm)|(?:the\s+)?(?:\d{1,2}(?:st|"
    rf"nd|rd|th)|{_MONTH}|monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"[.;!?\n]|,\s+(?!(?:in|near|[A-Z]))| and | but | when | while | around | some ?time | "
    r"between | about | y | und | et | и "
)


def place(text: str) -> str | None:
    """Where it happened, in the customer's words, or None if the text names no place."""
    for start in _PLACE_START.finditer(text):
        rest = text[start.end() :]
        end = _CLAUSE_END.search(rest)
        clause = rest[: end.start() if end else len(rest)].strip(" ,")[:200]
        named = re.search(r"\b[A-Z0-9А-Я][\w'-]*", clause) or _PLACE_WORDS.search(clause)
        if clause and named and not _NOT_A_PLACE.search(clause):
            return clause
    return None


# A police report number: letters and digits (PPB-26-338120) or a long number, soon after the
# words for a police report.
_POLICE_NUMBER = re.compile(
    r"(?:police|report|case|crime|incident|denuncia|atestado|anzeige|aktenzeichen|plainte|"
    r"proces-verbal|полици\w*|протокол\w*|заявлени\w*)[^.\n]{0,40}?(?<![\w-])"
    r"((?=[\w/-]*\d)[a-z]{0,6}[-/]?\d[\w/-]{3,}|\d{5,})(?![\w-])",
    re.IGNORECASE,
)
_NO_POLICE = re.compile(
    r"\b(?:no police|didn't call the police|did not call the police|no report|not reported|"
    r"haven't reported|no (?:tengo|hay) denuncia|keine anzeige|pas de plainte|без протокола)\b"
)


def police_report(text: str) -> str | None:
    """The police report number the text gives, as written (upper case)."""
    for match in _POLICE_NUMBER.finditer(text):
        number = match.group(1).upper()
        if not re.match(r"(?:ACM|CLM)-?\d", number) and not _valid_iso(number):
            return number
    return None


def no_police_report(text: str) -> bool:
    """Whether the customer says there is no police report."""
    return bool(_NO_POLICE.search(fold(text)))


_NO = re.compile(
    r"^\W*(?:no|nope|nah|not (?:yet|now)|don't|do not|wait|hold on|stop|no,? gracias|nein|"
    r"non|нет|не надо)\b"
)
_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|sure|ok|okay|correct|right|si|claro|vale|de acuerdo|ja|genau|klar|"
    r"oui|d'accord|да|конечно|давайте|верно)\b|\b(?:go ahead|please do|do it|file it|cancel it|"
    r"adelante|hazlo|mach(?:en sie)? das|allez-y|faites-le|оформляйте|отменяйте)\b"
)


def answer(text: str) -> bool | None:
    """The customer's yes (True) or no (False) to a question they were asked; None if neither."""
    folded = fold(text)
    if _NO.search(folded):
        return False
    if _YES.search(folded):
        return True
    return None
