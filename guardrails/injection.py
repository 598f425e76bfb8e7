"""Attempts to override Eva's instructions, in anything untrusted, and their neutralising."""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.text import either, fold

# Attempts to override Eva's instructions or role, from a customer or planted in stored text.
# "Ignore the previous quote", "the instructions for filing a claim" or "Act now" are not.
_INJECTION = either(
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
    return bool(_INJECTION.search(fold(text)))


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
