"""A coarse mood score per message, to see a customer getting angrier."""

from __future__ import annotations

import re

from guardrails.text import fold

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
    words = _WORD.findall(fold(text))
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
