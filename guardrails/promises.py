"""Promises only a person can make, found in Eva's draft sentence by sentence."""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.text import _clause, either, fold, forming, negated, unfolded

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
_OUTCOME = either(
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
_MY_PROMISE = either(
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
_ADVICE = either(
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

# Every kind at once, for what the kinds share: where any could be forming or has a match.
_ANY_PROMISE = either(*(pattern.pattern for pattern, _, _ in _PROMISES))


def commitment(sentence: str) -> bool:
    """Whether a sentence of Eva's promises what only a person may decide (see _PROMISES)."""
    return _first_promise(fold(sentence)) is not None


def promise_free(sentence: str, upto: int | None = None, since: int = 0) -> int:
    """How much of an unfinished sentence (at most `upto` characters) no promise can include,
    however it goes on: its length before the first promise already made or still forming
    ("I'll wa…").

    The same patterns as `commitment`. A promise a negation or a condition has cancelled stays
    cancelled as the sentence grows; one not (yet) cancelled is held until the sentence ends.
    `since`: a length of the sentence an earlier call found free (see text.forming).
    """
    folded = fold(sentence)
    settled = len(folded) if upto is None else len(fold(sentence[:upto]))
    still = forming(_ANY_PROMISE, folded, len(fold(sentence[:since])))
    if still is not None:
        settled = min(settled, still)
    raw = _any_promise(folded)
    if raw is None or raw.start() >= settled:
        return unfolded(sentence, settled)  # no promise, cancelled or not, before that point
    made = _first_promise(folded)
    if made is not None:
        settled = min(settled, made.start())
    # What is shown must not read as a promise alone either: the sentence may yet be withheld
    # or replaced, leaving its start without the condition that came after it.
    while (alone := _first_promise(folded[:settled])) is not None:
        settled = alone.start()
    return unfolded(sentence, settled)


@lru_cache(maxsize=64)
def _any_promise(folded: str) -> re.Match[str] | None:
    """The earliest match of any kind, cancelled or not (kept, as _first_promise)."""
    return _ANY_PROMISE.search(folded)


@lru_cache(maxsize=64)
def _first_promise(folded: str) -> re.Match[str] | None:
    """The earliest promise in folded text (kept: a streamed sentence is read at every word)."""
    made = [m for kind in _PROMISES if (m := _promise(folded, *kind)) is not None]
    return min(made, key=lambda m: m.start(), default=None)


def _promise(
    folded: str, pattern: re.Pattern[str], negatable: bool, sentence_wide: bool
) -> re.Match[str] | None:
    """The first match of one kind of promise that no condition or negation cancels."""
    for match in pattern.finditer(folded):
        begin = 0 if sentence_wide else _clause(folded, *match.span())[0]
        end = len(folded) if sentence_wide else match.start()
        if _RULE.search(folded, begin, end) or (negatable and negated(folded, match)):
            continue
        return match
    return None
