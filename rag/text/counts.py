"""Numbers with the noun they count ("10 dövləti", "13 стран", "üçüncü iclası"), in az/ru/en.

"How many states ...?" over "Almatı Prosesi 10 dövləti və 3 beynəlxalq təşkilatı" has two numbers; the
one whose noun means "states" answers. This module reads the numbers (digits and number words,
cardinal and ordinal) and the words after them; the answer stage compares those words with the
question's noun using the embedder, and writes the number in the asker's language. Language data only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.dates import az_locative, az_ordinal_suffix, find_dates
from rag.text.fold import fold_diacritics
from rag.text.numbers import HUNDRED_WORDS, NUMBER_WORDS, RU_HUNDREDS, TENS_WORDS

# Ordinal number words (their values come from ``rag.text.numbers.NUMBER_WORDS``): en "third", az
# "üçüncü", ru "третьей" / "четвертого".
_ORDINAL_WORD = re.compile(
    r"(?:first|second|third|\w+th|\w+(?:inci|ıncı|uncu|üncü|nci|ncı|ncu|ncü)|"
    r"(?:перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят|\w+надцат|двадцат|тридцат)"
    r"(?:ый|ий|ой|ая|ья|ое|ье|ого|ьего|ому|ьему|ом|ьем|ей|ьей|ую|ью|ые|ьи|ых|ьих))")
# Digits grouped by thousands come first: "14 000" (az / ru, a space or a narrow no-break space) and
# "16,000" (en) are one number, not "14" and a count of "000".
_GROUPED = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,]\d)|\d{1,3}(?:,\d{3})+(?![\d.,]\d)"
_WORD = re.compile(rf"(?:{_GROUPED})|\d+[.,]\d+(?![\d.,]\d)|[^\W_]+(?:-[^\W_]+)*|\d+(?:[.,]\d+)?(?:-[^\W\d_]+)?",
                   re.UNICODE)
_GROUPED_RE = re.compile(rf"^(?:{_GROUPED})$")
# Scale words after a number ("390 billion", "2,5 млн", "5 milyon"): part of the number, not its noun.
# Each maps to its rendering per language.
_SCALES: dict[str, dict[str, str]] = {
    "thousand": {"en": "thousand", "ru": "тыс.", "az": "min"},
    "million": {"en": "million", "ru": "млн", "az": "milyon"},
    "billion": {"en": "billion", "ru": "млрд", "az": "milyard"},
}
_SCALE_WORDS = {
    **dict.fromkeys(("thousand", "thousands", "тысяча", "тысячи", "тысяч", "тыс", "min"), "thousand"),
    **dict.fromkeys(("million", "millions", "миллион", "миллиона", "миллионов", "млн", "milyon"), "million"),
    **dict.fromkeys(("billion", "billions", "миллиард", "миллиарда", "миллиардов", "млрд", "milyard"), "billion"),
}
_DIGITS = re.compile(r"^(\d+(?:[.,]\d+)?)(?:-([^\W\d_]+))?$")
_ORD_SUFFIX = re.compile(r"^(?:ci|cı|cu|cü|nci|ncı|ncu|ncü|го|й|я|е|ое|ая|ый|ий|ой|th|st|nd|rd|ым|ом)$")


@dataclass(frozen=True)
class Count:
    """A number in a sentence and the words that follow it (the noun it counts or orders)."""

    value: float
    ordinal: bool
    start: int  # span of the number in the text
    end: int
    noun: str  # up to two following words, as written ("beynəlxalq təşkilatı", "круглого стола")
    surface: str  # the number as written ("10", "üçüncü", "4-го")
    before: str = ""  # up to two words before it ("interceptions with" 24): what it counts when no noun follows
    scale: str = ""  # "thousand", "million" or "billion" when a scale word follows ("390 billion")
    bound: str = ""  # "more", "less", "about", "almost" or "upto": "более 14 000" is not "14 000"


# Words that bound a number, before it (en / ru / az) or, in Azerbaijani, after its ablative ending
# ("14 000-dən çox"). Language data.
_BOUND_BEFORE = [
    (re.compile(r"(?:\b(?:over|more than|greater than|above|in excess of)|(?<!\w)(?:более|свыше|больше|"
                r"сверх))\s*$", re.I), "more"),
    (re.compile(r"(?:\b(?:less than|fewer than|under|below)|(?<!\w)(?:менее|меньше))\s*$", re.I), "less"),
    (re.compile(r"(?:\b(?:about|approximately|around|roughly|some|circa|an estimated)|(?<!\w)(?:около|примерно|"
                r"приблизительно|порядка|təxminən|təqribən))\s*$", re.I), "about"),
    (re.compile(r"(?:\b(?:nearly|almost)|(?<!\w)(?:почти|чуть менее))\s*$", re.I), "almost"),
    (re.compile(r"(?:\bup to|(?<!\w)вплоть до)\s*$", re.I), "upto"),
]
_BOUND_AFTER_AZ = [(re.compile(r"^[-\s]*[^\W\d_]*?d[aə]n\s+(?:çox|artıq)(?!\w)", re.I), "more"),
                   (re.compile(r"^[-\s]*[^\W\d_]*?d[aə]n\s+az(?!\w)", re.I), "less")]
_BOUND_WORDS = {
    "en": {"more": "over {}", "less": "less than {}", "about": "about {}", "almost": "almost {}", "upto": "up to {}"},
    "ru": {"more": "более {}", "less": "менее {}", "about": "около {}", "almost": "почти {}", "upto": "до {}"},
}


def _bound(text: str, start: int, end: int) -> str:
    """How the words around the number at ``text[start:end]`` bound it: "" when they do not."""
    for pattern, bound in _BOUND_BEFORE:
        if pattern.search(text[max(0, start - 24) : start]):
            return bound
    digits = re.match(r"[\d\s.,]*\d", text[start:end])
    tail = text[start + (digits.end() if digits else end - start) : end + 16]  # "-dən çox", " milyondan çox"
    for pattern, bound in _BOUND_AFTER_AZ:
        if pattern.match(tail):
            return bound
    return ""


def _word_value(w: str) -> tuple[float, bool] | None:
    low = w.lower()
    if _GROUPED_RE.match(low):
        return float(re.sub(r"\D", "", low)), False
    m = _DIGITS.match(low)
    if m:
        suffix = m.group(2)
        return float(m.group(1).replace(",", ".")), bool(suffix and _ORD_SUFFIX.match(suffix))
    folded = fold_diacritics(low).replace("ё", "е")
    value = NUMBER_WORDS.get(folded, RU_HUNDREDS.get(folded))
    if value is None:
        tens, _, unit = folded.partition("-")  # "thirty-seven", "twenty-first"
        if tens in TENS_WORDS and 1 <= NUMBER_WORDS.get(unit, 0) <= 9:
            return float(TENS_WORDS[tens] + NUMBER_WORDS[unit]), bool(_ORDINAL_WORD.fullmatch(unit))
        return None
    return float(value), bool(_ORDINAL_WORD.fullmatch(low))


def _number_value(w: str, lang: str | None) -> tuple[float, bool] | None:
    """``_word_value``, and az "on" (10), which is an English preposition elsewhere."""
    got = _word_value(w)
    return (10.0, False) if got is None and lang == "az" and w.lower() == "on" else got


def _spelled_on(words: list[re.Match[str]], i: int, text: str, value: float,
                lang: str | None) -> tuple[float, bool, int]:
    """A number spelled over several words, from its first word ``words[i]`` (worth ``value``): "two hundred",
    "тридцать семь", "iyirmi beş", "сто двадцать пять", az "on üç". Returns the value, whether it ends
    in an ordinal ("twenty first") and the index of its last word. Language data."""
    j, ordinal = i, False
    while j + 1 < len(words) and text[words[j].end() : words[j + 1].start()] == " ":
        w = words[j + 1].group()
        folded = fold_diacritics(w.lower()).replace("ё", "е")
        if folded in HUNDRED_WORDS and 1 <= value <= 9:
            value, j = value * 100, j + 1
            continue
        got = None if w[0].isdigit() else _number_value(w, lang)
        if got is None:
            break
        v, ordinal = got
        below = value % 100
        tens = (below >= 20 and below % 10 == 0) or (below == 10 and lang == "az")  # az "on üç" is 13
        if v <= 9 and ((below == 0 and value >= 100) or tens):
            value += v  # "тридцать семь", "сто пять", "on üç"
        elif 10 <= v <= 90 and value >= 100 and below == 0:
            value += v  # "сто двадцать", "two hundred fifty"
        else:
            ordinal = False
            break
        j += 1
        if ordinal:
            break
    return value, ordinal, j


# Words that end a counted noun phrase ("10 dövləti və 3 ...", "13 стран, определенных").
_STOP = {"və", "ilə", "и", "а", "and", "or", "of", "the", "də", "da", "ki", "из", "в", "на", "с", "in", "on", "at"}
# Number words that are mostly something else outside Azerbaijani text (en "on", "min").
_AMBIGUOUS = {"on", "min"}


def find_counts(text: str, lang: str | None = None) -> list[Count]:
    """Numbers of ``text`` that are not part of a date, each with the (up to two) words after it."""
    in_dates = [(d.start, d.end) for d in find_dates(text)]
    words = list(_WORD.finditer(text))
    out = []
    consumed: set[int] = set()
    for i, m in enumerate(words):
        if any(a <= m.start() < b for a, b in in_dates):
            continue
        if i in consumed:
            continue  # a later word of the number before it ("5 min" in az, "тридцать семь")
        got = _number_value(m.group(), lang)
        if got is None:
            continue
        value, ordinal = got
        if m.group().lower() in _AMBIGUOUS and lang != "az":
            continue
        last = i
        if not ordinal and not m.group()[0].isdigit():
            value, ordinal, last = _spelled_on(words, i, text, value, lang)
            consumed.update(range(i + 1, last + 1))
        if value == 1 and not ordinal and not m.group()[0].isdigit():
            continue  # "bir" / "one" / "одна" are mostly articles and pronouns
        nxt = words[last + 1] if last + 1 < len(words) else None
        scale = ""
        end = words[last].end()
        if (nxt is not None and not ordinal and nxt.group().lower() in _SCALE_WORDS
                and not text[end : nxt.start()].strip()):
            scale, end = _SCALE_WORDS[nxt.group().lower()], nxt.end()
            consumed.add(last + 1)
            if text[end : end + 1] == ".":
                end += 1  # "тыс."
        following: list[str] = []
        prev_end = end
        first = last + 2 if scale else last + 1  # the noun follows the scale word, if there is one
        for w in words[first : first + 2]:
            if w.group().lower() in _STOP or _word_value(w.group()) or text[prev_end : w.start()].strip(" "):
                break  # a conjunction, another number, or punctuation ends the phrase
            following.append(w.group())
            prev_end = w.end()
        before = [w.group() for w in words[max(0, i - 2) : i] if _joined(text, w.start(), m.start())]
        bound = "" if ordinal else _bound(text, m.start(), end)
        out.append(Count(value, ordinal, m.start(), end, " ".join(following), text[m.start() : end],
                         " ".join(before), scale, bound))
    return out


def _joined(text: str, a: int, b: int) -> bool:
    """Nothing but words and spaces between ``a`` and ``b``: no sentence punctuation cuts them apart."""
    return not re.search(r"[.,;:!?()\[\]\"«»]", text[a:b])


def _number(value: float, lang: str = "en") -> str:
    """Digits as the asker's language groups them: "16,000" (en), "16 000" (az / ru); small as they are."""
    if value != int(value):
        text = str(value)
        return text if lang == "en" else text.replace(".", ",")
    n = int(value)
    if n < 10_000:
        return str(n)
    grouped = f"{n:,}"
    return grouped if lang == "en" else grouped.replace(",", "\u00a0")


def render_ordinal(value: float, lang: str) -> str:
    """"4th" / "4-й" / "4-cü"."""
    n = int(value)
    if lang == "ru":
        return f"{n}-й"
    if lang == "az":
        return f"{n}-{az_ordinal_suffix(n)}"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def render_count(count: Count, lang: str) -> str:
    """The number in ``lang``, alone: "How many paintings …?" is answered "233", not "233 paintings". The
    question's noun said again adds nothing, and in az and ru it has to agree with the number ("2
    команды", "10 dövlət"), which the question's own form ("сколько команд", "neçə dövlət") does not."""
    text = render_ordinal(count.value, lang) if count.ordinal else _number(count.value, lang)
    if count.scale:
        text += " " + _SCALES[count.scale].get(lang, count.scale)
    if count.bound:
        text = _bounded(text, count.bound, int(count.value), lang)
    return text


def _bounded(text: str, bound: str, n: int, lang: str) -> str:
    """"over 14,000", "более 14 000", "14 000-dən çox", "təxminən 14 000"."""
    if lang in _BOUND_WORDS:
        return _BOUND_WORDS[lang][bound].format(text)
    ablative = f"{text}-{az_locative(n)}n"
    return {"more": f"{ablative} çox", "less": f"{ablative} az", "upto": f"{text}-dək"}.get(bound, f"təxminən {text}")
