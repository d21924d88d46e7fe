"""Model-free scoring of one prediction against one dataset row.

Why so much normalisation: gold answers and predictions cross three languages and two scripts. The same
correct date reaches us as "5-8 May", "May 5–8", "5-8 мая" or "mayın 5-8-də", the same count as "13",
"thirteen", "тринадцати" or "on üç", the same person as "Vüsal Hüseynov" or "Вусал Гусейнов". Exact
string match would call most correct cross-lingual answers wrong and the eval would measure spelling,
not the system. At the same time a date scorer that is too lenient hides the failure this product is
most prone to (the small LLM turning "mayın 5-8-də" into "5-8 December"), so every lenient rule below is
bounded: numbers must be equal as numbers, month tokens must be the same month, and the numbers/months
of a date must sit close together in the prediction.

Everything here is pure (no model, no I/O) except ``answer_language``, which calls the product's own
language detector so that "answered in the question's language" is judged the way the product judges it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import product
from typing import Any

from rag.answer.language import ABSTAIN
from rag.answer.language import is_abstention as _rag_is_abstention

# --------------------------------------------------------------------------------------------------
# Character-level clean-up
# --------------------------------------------------------------------------------------------------

CITATION_RE = re.compile(r"\[\s*\d+(?:\s*[,;-]\s*\d+)*\s*\]")
_DASHES_RE = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d]")
_DOTTED_DATE_RE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d.])")
# "1,000" / "1 000" / "1\u00a0000": one number, not two (Russian and English group digits differently).
_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3})((?:[,\u00a0\u202f ]\d{3})+)(?![\d.,]\d|\d)")
_TOKEN_RE = re.compile(r"month(?:0[1-9]|1[0-2])(?![^\W_])|\d+(?:\.\d+)?|[^\W\d_]+")
_AZ_FOLD = str.maketrans({"ə": "e", "ı": "i", "ş": "s", "ç": "c", "ğ": "g", "ö": "o", "ü": "u"})
_AZ_SPECIFIC = set("əğı")  # letters no English or Russian word has: a lower-case word with one is Azerbaijani


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def _lower(word: str) -> str:
    """Lower-case for all three languages at once: "İ" -> "i" (drop the combining dot), "ё" -> "е".

    The Turkish/Azerbaijani "I" -> "ı" rule is not needed because the ASCII fold maps "ı" to "i" anyway.
    """
    return word.lower().replace("\u0307", "").replace("ё", "е")


def fold(word: str) -> str:
    """ASCII-fold Latin letters (ə->e, ı->i, ş->s, ç->c, ğ->g, ö->o, ü->u, and any other diacritic);
    Cyrillic is left alone (NFKD would turn "й" into "и")."""
    out = []
    for ch in word.translate(_AZ_FOLD):
        if ch.isascii() or "\u0400" <= ch <= "\u04ff":
            out.append(ch)
        else:
            out.append("".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)))
    return "".join(out)


def strip_citations(text: str) -> str:
    return CITATION_RE.sub(" ", text or "")


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = strip_citations(text)
    text = _DASHES_RE.sub("-", text)

    def dotted(m: re.Match[str]) -> str:
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f" {day} month{month:02d} {year} "
        return m.group(0)

    text = _DOTTED_DATE_RE.sub(dotted, text)
    return _THOUSANDS_RE.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), text)


# --------------------------------------------------------------------------------------------------
# Number words and month names
# --------------------------------------------------------------------------------------------------

_EN_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
             "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
_EN_ORD = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
           "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
           "eighteenth", "nineteenth", "twentieth"]
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90}
# Azerbaijani, ASCII-folded (üç -> uc, beş -> bes). "on" (10) is also an English preposition: see _tokens.
_AZ_UNITS = {"bir": 1, "iki": 2, "uc": 3, "dord": 4, "bes": 5, "alti": 6, "yeddi": 7, "sekkiz": 8, "doqquz": 9}
_AZ_TENS = {"iyirmi": 20, "otuz": 30, "qirx": 40, "elli": 50, "altmis": 60, "yetmis": 70, "seksen": 80,
            "doxsan": 90}
_AZ_ORD = {"birinci": 1, "ikinci": 2, "ucuncu": 3, "dorduncu": 4, "besinci": 5, "altinci": 6, "yeddinci": 7,
           "sekkizinci": 8, "doqquzuncu": 9, "onuncu": 10, "iyirminci": 20}
_RU_SOFT = ["пять", "шесть", "семь", "восемь", "девять", "десять", "одиннадцать", "двенадцать", "тринадцать",
            "четырнадцать", "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать",
            "двадцать", "тридцать"]
_RU_SOFT_VALUES = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30]
_RU_ORD_STEMS = {"перв": 1, "втор": 2, "трет": 3, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7, "восьм": 8,
                 "девят": 9, "десят": 10}
_RU_ADJ_ENDINGS = ("ый", "ий", "ой", "ая", "яя", "ое", "ее", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем",
                   "ые", "ие", "ых", "их", "ыми", "ими", "ую", "юю", "ей", "ья", "ье", "ьего", "ьей", "ьему",
                   "ьим", "ьем", "ьи", "ьих", "ьими", "ью")
_ROMAN = {"ii": 2, "iii": 3, "iv": 4, "vi": 6, "vii": 7, "viii": 8, "ix": 9}


def _ru_numbers() -> tuple[dict[str, int], dict[str, int]]:
    """(cardinal and ordinal forms -> value, tens forms -> value), in the common case forms."""
    words: dict[str, int] = {}
    for w in ("один", "одна", "одно", "одного", "одной", "одному", "одним", "одном", "одну"):
        words[w] = 1
    for w in ("два", "две", "двух", "двум", "двумя"):
        words[w] = 2
    for w in ("три", "трех", "трем", "тремя"):
        words[w] = 3
    for w in ("четыре", "четырех", "четырем", "четырьмя"):
        words[w] = 4
    for w, v in zip(_RU_SOFT, _RU_SOFT_VALUES, strict=True):
        words.update({w: v, w[:-1] + "и": v, w + "ю": v})
    words.update({"восьми": 8, "восемью": 8, "восьмью": 8})
    stems = dict(_RU_ORD_STEMS)
    for w, v in zip(_RU_SOFT, _RU_SOFT_VALUES, strict=True):
        if v > 10:
            stems[w[:-1]] = v  # одиннадцат-ый ... тридцат-ый
    for stem, v in stems.items():
        for ending in _RU_ADJ_ENDINGS:
            words.setdefault(stem + ending, v)
    tens = {"двадцать": 20, "двадцати": 20, "тридцать": 30, "тридцати": 30, "сорок": 40, "сорока": 40,
            "пятьдесят": 50, "пятидесяти": 50, "шестьдесят": 60, "шестидесяти": 60, "семьдесят": 70,
            "семидесяти": 70, "восемьдесят": 80, "восьмидесяти": 80, "девяносто": 90, "девяноста": 90}
    words.update(tens)
    return words, tens


_RU_WORDS, _RU_TENS = _ru_numbers()
NUMBER_WORDS: dict[str, int] = {
    **{w: i + 1 for i, w in enumerate(_EN_UNITS)},
    **{w: i + 1 for i, w in enumerate(_EN_ORD)},
    **_EN_TENS,
    **_AZ_UNITS,
    **_AZ_TENS,
    **_AZ_ORD,
    **_RU_WORDS,
}
_TENS_WORDS = {**_EN_TENS, **_AZ_TENS, **_RU_TENS}

_EN_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december"]
_EN_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
                  "oct": 10, "nov": 11, "dec": 12}
_AZ_MONTHS = ["yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr", "oktyabr",
              "noyabr", "dekabr"]
# Case endings after a month name, ASCII-folded: mayın, mayda, oktyabrdan, martadək ...
_AZ_MONTH_SUFFIXES = ("", "in", "un", "nin", "da", "de", "dan", "den", "a", "e", "i", "u", "dek", "dak", "adek",
                      "edek", "a-dek")
_RU_MONTH_STEMS = ["январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр",
                   "декабр"]


def _month_forms() -> dict[str, int]:
    forms: dict[str, int] = {}
    for i, name in enumerate(_EN_MONTHS, 1):
        forms[name] = i
    forms.update(_EN_MONTH_ABBR)
    for i, stem in enumerate(_AZ_MONTHS, 1):
        for suffix in _AZ_MONTH_SUFFIXES:
            forms.setdefault(stem + suffix, i)
    for i, stem in enumerate(_RU_MONTH_STEMS, 1):
        if stem == "ма":
            endings: tuple[str, ...] = ("й", "я", "е", "ю", "ем")
        elif stem in ("март", "август"):
            endings = ("", "а", "е", "у", "ом")
        else:
            endings = ("ь", "я", "е", "ю", "ем")
        for e in endings:
            forms[stem + e] = i
    return forms


MONTH_FORMS = _month_forms()
# Forms that are also ordinary words ("it may be", "to march"): months only next to a number or a date word.
_AMBIGUOUS_MONTHS = {"may", "mar", "march", "maya"}
_DATE_CONTEXT = {"in", "of", "since", "until", "till", "by", "from", "early", "late", "mid", "before", "after",
                 "during", "end", "beginning", "next", "last", "this"}

# Endings glued to a number ("4th", "4-го", "2022-ci", "5-8-də"): dropped so "4-го" == "4th" == "4".
_NUMBER_SUFFIXES = {
    "st", "nd", "rd", "th", "s",
    "й", "я", "е", "го", "ого", "его", "му", "ому", "ему", "м", "ом", "ем", "х", "ых", "их", "ми", "ю", "ая", "ое",
    "ой", "ый", "ий", "ые", "ти", "и", "ть", "тью", "ью",
    "ci", "cu", "nci", "ncu", "inci", "unci", "uncu", "da", "de", "dan", "den", "ta", "te", "tan", "ten", "a", "e",
    "ya", "ye", "i", "u", "yi", "yu", "in", "un", "nin", "nun", "dek", "dak", "lar", "ler", "larda", "lerde",
}

# Words that may sit between the numbers and months of a date ("с 5 по 8 мая", "12th of October").
_DATE_CONNECTORS = {
    "to", "and", "of", "the", "from", "through", "till", "until", "on", "in", "year",
    "с", "по", "до", "и", "года", "году", "год", "г",
    "il", "ilin", "ili", "ilde", "ve", "tarixinde",
}


# --------------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """One normalised word. ``canon`` is set for numbers ("5") and months ("month05")."""

    surface: str  # lower-cased, ё -> е, still with Azerbaijani letters
    fold: str  # ASCII-folded Latin; Cyrillic unchanged
    canon: str | None
    cyrillic: bool
    capital: bool  # started with an upper-case letter in the original text
    allcaps: bool  # written in capitals ("II", "IOM")
    glued: bool  # attached to the previous token directly or by a hyphen ("4th", "4-го", "5-8-də")
    end: int

    @property
    def key(self) -> str:
        return self.canon or self.fold

    @property
    def is_number(self) -> bool:
        return self.canon is not None and not self.canon.startswith("month")

    @property
    def is_month(self) -> bool:
        return self.canon is not None and self.canon.startswith("month")


def _number_canon(digits: str) -> str:
    if "." in digits:
        return digits
    return str(int(digits))


def _raw_tokens(text: str) -> list[Token]:
    prepared = _prepare(text)
    out: list[Token] = []
    prev_end = -2
    for m in _TOKEN_RE.finditer(prepared):
        raw, start = m.group(0), m.start()
        low = _lower(raw)
        canon: str | None = None
        if raw[0].isdigit():
            canon = _number_canon(raw)
        elif low.startswith("month") and low[5:].isdigit():
            canon = low
        glued = start == prev_end or (start == prev_end + 1 and prepared[prev_end] == "-")
        out.append(Token(low, fold(low), canon, _is_cyrillic(low), raw[0].isupper(), raw.isupper(), glued,
                         m.end()))
        prev_end = m.end()
    return out


def _with_canon(tok: Token, canon: str | None, end: int | None = None) -> Token:
    return replace(tok, canon=canon, end=tok.end if end is None else end)


def _is_az_context(tokens: Sequence[Token]) -> bool:
    return any(not t.capital and _AZ_SPECIFIC & set(t.surface) for t in tokens)


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[Token, ...]:
    """Tokenise and give numbers and months their canonical form (see the module docstring).
    Cached: the same gold forms and passages are matched many times in one report."""
    raw = _raw_tokens(text)
    # 1. Drop case/ordinal endings glued to a number: "4th", "4-го", "2022-ci", "5-8-də".
    merged: list[Token] = []
    for tok in raw:
        prev = merged[-1] if merged else None
        if prev is not None and prev.is_number and tok.glued and not tok.canon and tok.fold in _NUMBER_SUFFIXES:
            continue
        merged.append(tok)
    az = _is_az_context(merged)
    # 2. Number words, Roman numerals, compounds ("thirty-three", "тридцать три", "otuz üç", "on üç").
    out: list[Token] = []
    i = 0
    while i < len(merged):
        tok = merged[i]
        nxt = merged[i + 1] if i + 1 < len(merged) else None
        if tok.canon is None:
            value = NUMBER_WORDS.get(tok.fold)
            if tok.fold == "on" and nxt is not None and nxt.fold in _AZ_UNITS:
                out.append(_with_canon(tok, str(10 + _AZ_UNITS[nxt.fold]), nxt.end))
                i += 2
                continue
            if tok.fold == "on" and az:
                value = 10
            if (value is not None and tok.fold in _TENS_WORDS and nxt is not None and nxt.canon is None
                    and 1 <= NUMBER_WORDS.get(nxt.fold, 0) <= 9):
                out.append(_with_canon(tok, str(value + NUMBER_WORDS[nxt.fold]), nxt.end))
                i += 2
                continue
            if value is None and tok.fold in _ROMAN and tok.allcaps:
                value = _ROMAN[tok.fold]  # only written in capitals: "II ранга", not the word "vi"
            if value is not None:
                tok = _with_canon(tok, str(value))
        out.append(tok)
        i += 1
    # 3. Months; the ambiguous ones ("may") only in a date context.
    for i, tok in enumerate(out):
        if tok.canon is not None:
            continue
        month = MONTH_FORMS.get(tok.fold if not tok.cyrillic else tok.surface)
        if month is None:
            continue
        if tok.fold in _AMBIGUOUS_MONTHS and not _date_context(out, i):
            continue
        out[i] = _with_canon(tok, f"month{month:02d}")
    return tuple(out)


def _date_context(tokens: Sequence[Token], i: int) -> bool:
    if len(tokens) <= 2:
        return True
    near = [*tokens[max(0, i - 2):i], *tokens[i + 1:i + 3]]
    if any(t.is_number and t.surface[:1].isdigit() for t in near):
        return True
    if i > 0 and tokens[i - 1].fold in _DATE_CONTEXT:
        return True
    return i + 1 < len(tokens) and tokens[i + 1].fold.startswith("ay")  # "may ayında"


def normalize(text: str) -> str:
    """The canonical form used for matching and F1: lower-case, ASCII-folded Latin, no punctuation,
    number words as digits, month names as ``monthNN``. "5–8 мая" -> "5 8 month05"."""
    return " ".join(t.key for t in _tokens(text))


# --------------------------------------------------------------------------------------------------
# Cross-script names
# --------------------------------------------------------------------------------------------------

_CYR = {"а": "a", "б": "b", "в": "v", "г": "G", "д": "d", "е": "e", "ж": "Z", "з": "z", "и": "i", "й": "y",
        "к": "K", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ф": "f", "х": "G", "ц": "T", "ч": "C", "ш": "S", "щ": "S", "ъ": "", "ы": "y", "ь": "", "э": "e",
        "ю": "yu", "я": "ya", "і": "i", "ә": "e", "ө": "o", "ү": "u", "ғ": "G", "қ": "K", "һ": "G"}
_LAT_DIGRAPHS = (("dzh", "J"), ("tch", "C"), ("sh", "S"), ("ch", "C"), ("zh", "Z"), ("kh", "G"), ("dj", "J"),
                 ("ts", "T"), ("ph", "f"), ("ck", "K"))
_LAT = {"ş": "S", "ç": "C", "ć": "C", "č": "C", "š": "S", "ž": "Z", "x": "G", "h": "G", "ğ": "G",
        "q": "G", "k": "K", "w": "v", "ı": "i", "ə": "e"}
# Letters whose sound depends on the source language: "c" is k (Lipcanu), dzh (Hacıyev) or ts; "j" is dzh
# (Hajiyev) or y; "g" is g or dzh (Angelis / Анджелис). Every reading is tried.
_LAT_CHOICES = {"c": ("K", "J", "T"), "j": ("J", "y"), "g": ("G", "J")}
_VOWELS = set("aeiouy")


def _collapse(letters: str) -> str:
    """Vowel runs -> "*", doubled consonants -> one: transliterations disagree mostly on vowels."""
    out: list[str] = []
    for ch in letters:
        c = "*" if ch in _VOWELS else ch
        if out and out[-1] == c:
            continue
        out.append(c)
    return "".join(out)


def _skeletons(tok: Token) -> frozenset[str]:
    """Script-independent spellings of a name, e.g. Гусейнов / Hüseynov -> "G*s*n*v"."""
    word = tok.surface
    if tok.cyrillic:
        word = word.replace("дж", "J")
        return frozenset({_collapse("".join(_CYR.get(ch, ch) for ch in word))})
    for a, b in _LAT_DIGRAPHS:
        word = word.replace(a, b)
    word = "".join(_LAT.get(ch, ch) for ch in word)
    word = fold(word)
    parts: list[tuple[str, ...]] = [_LAT_CHOICES.get(ch, (ch,)) for ch in word]
    variants = {"".join(p) for _, p in zip(range(64), product(*parts), strict=False)}
    return frozenset(_collapse(v) for v in variants)


def _skeleton_match(g: Token, p: Token) -> bool:
    """Cross-script match of capitalised words only (names), so "Учан" does not match "üçün"."""
    if g.cyrillic == p.cyrillic or g.canon or p.canon or not (g.capital and p.capital) or len(g.fold) < 2:
        return False
    for gs in _skeletons(g):
        consonants = sum(ch != "*" for ch in gs)
        for ps in _skeletons(p):
            if gs == ps and consonants >= 1:
                return True
            if consonants >= 2 and len(g.fold) >= 4 and ps.startswith(gs):
                return True
    return False


# --------------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _stem_number(stem: str) -> str | None:
    """The value of a number-word stem such as "трет" or "тринадцат" (gold answers use stems so that any
    Russian case form matches), when every number word starting with it has that one value."""
    if len(stem) < 4:
        return None
    values = {v for w, v in NUMBER_WORDS.items() if w.startswith(stem)}
    return str(values.pop()) if len(values) == 1 else None


def _token_match(g: Token, p: Token) -> bool:
    if g.canon is not None and p.canon is not None:
        return g.canon == p.canon
    if g.canon is None and p.is_number and _stem_number(g.fold) == p.canon:
        return True
    if g.is_number or g.fold.isdigit():
        return False  # a number matches only an equal number, never a word that starts with it
    if g.fold == p.fold:
        return True
    # Stems: gold "Гусейнов" matches "Гусейновым", "трет" matches "третьей" (languages that inflect).
    if len(g.fold) >= 4 and g.fold.isalpha() and p.fold.startswith(g.fold):
        return True
    return _skeleton_match(g, p)


def _sequence_match(gold: Sequence[Token], pred: Sequence[Token]) -> bool:
    n = len(gold)
    return any(all(_token_match(gold[j], pred[i + j]) for j in range(n)) for i in range(len(pred) - n + 1))


def _date_parts(gold: Sequence[Token]) -> Counter[str] | None:
    """The numbers and months of a gold that is only a date or number (plus connector words), else None."""
    parts: Counter[str] = Counter()
    for t in gold:
        if t.canon is not None:
            parts[t.canon] += 1
        elif t.fold not in _DATE_CONNECTORS and t.surface not in _DATE_CONNECTORS:
            return None
    return parts or None


def _date_match(parts: Counter[str], pred: Sequence[Token]) -> bool:
    """Every number and month of the gold inside a short window of the prediction, in any order."""
    width = sum(parts.values()) + 3
    keys = [t.canon for t in pred]
    for start in range(len(keys)):
        window: Counter[str] = Counter()
        for k in keys[start:start + width]:
            if k is not None:
                window[k] += 1
                if not parts - window:
                    return True
    return False


def answer_matches(prediction: str, gold: str) -> bool:
    """True when ``gold`` (one acceptable surface form) occurs in ``prediction`` after normalisation.

    Either as a token sequence (with stem prefixes and cross-script names), or, for a gold that is only
    numbers/months ("5-8 May", "2022", "12th of October"), when its numbers and months occur together,
    in any order, within a few tokens of the prediction.
    """
    g = _tokens(gold)
    if not g:
        return False
    p = _tokens(prediction)
    if _sequence_match(g, p):
        return True
    parts = _date_parts(g)
    return parts is not None and _date_match(parts, p)


def accuracy(prediction: str, answers: Iterable[str]) -> bool:
    """Lenient exact match: any acceptable answer occurs in the prediction."""
    return any(answer_matches(prediction, a) for a in answers)


def token_f1(prediction: str, answers: Iterable[str]) -> float:
    """SQuAD-style bag-of-tokens F1 on normalised tokens, best over the acceptable answers."""
    pred = [t.key for t in _tokens(prediction)]
    best = 0.0
    for answer in answers:
        gold = [t.key for t in _tokens(answer)]
        common = sum((Counter(pred) & Counter(gold)).values())
        if not pred or not gold or not common:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def list_recall(prediction: str, groups: Sequence[Sequence[str]]) -> float:
    """Share of expected list items (each a group of acceptable forms) found in the prediction."""
    if not groups:
        return 0.0
    return sum(accuracy(prediction, g) for g in groups) / len(groups)


# --------------------------------------------------------------------------------------------------
# Abstention, polarity, language
# --------------------------------------------------------------------------------------------------

# Declining phrases beyond the product's own markers (rag.answer.language.ABSTAIN_MARKERS), ASCII-folded.
_ABSTAIN_PHRASES = (
    "do not say", "does not say", "don't say", "doesn't say", "do not mention", "does not mention",
    "not mentioned", "not stated", "not specified", "no information", "not provided", "cannot answer",
    "can't answer", "unable to answer", "do not contain", "does not contain", "don't contain",
    "i don't know", "i do not know", "not enough information", "no relevant information",
    "не сказано", "не говорится", "не указано", "не упоминается", "не содержится", "не сообщается",
    "не приводится", "нет информации", "информации нет", "нет данных", "данных нет", "сведений нет",
    "нет сведений", "не могу ответить",
    "melumat yoxdur", "melumat verilmir", "melumat verilmeyib", "qeyd olunmayib", "qeyd edilmeyib",
    "qeyd olunmur", "qeyd edilmir", "bildirilmir", "gosterilmir", "gosterilmeyib", "melumat tapilmadi",
    "cavab vere bilmerem",
)
_POLARITY_LEAD_RE = re.compile(r"^\s*(yes|no|да|нет|bəli|xeyr|yox|hə)\s*[,:;\-–—]\s*\S", re.IGNORECASE)
_ABSTAIN_MAX_CHARS = 120


def _plain(text: str) -> str:
    return " ".join(fold(_lower(strip_citations(text))).split())


def is_abstention(text: str) -> bool:
    """Does the answer decline ("The documents do not say.", "В документах об этом не сказано.",
    "Sənədlərdə bu məlumat yoxdur", "Информации нет")?

    A decline phrase counts only in a short answer or at its start, so "Russia is not mentioned among the
    members, so no" style answers to yes/no questions are not mistaken for declines when they lead with
    the polarity word.
    """
    plain = _plain(text).strip(" .!")
    if not plain:
        return True
    if any(_plain(m).strip(" .!") in plain for m in ABSTAIN.values()):
        return True
    if _POLARITY_LEAD_RE.match(strip_citations(text)):
        return False
    if _rag_is_abstention(strip_citations(text)):
        return True
    return any(plain.startswith(p) or (p in plain and len(plain) < _ABSTAIN_MAX_CHARS) for p in _ABSTAIN_PHRASES)


_YES = {"yes", "yeah", "bəli", "hə", "да", "ага", "evet"}
_NO = {"no", "nope", "xeyr", "yox", "нет", "неа"}
_NEGATIONS = {"not", "no", "never", "none", "neither", "nor", "isn", "wasn", "aren", "weren", "doesn", "didn",
              "don", "hasn", "haven", "не", "нет", "ни", "deyil", "yox", "yoxdur", "xeyr"}
_AZ_NEG_VERB_RE = re.compile(r"(m[əa]y[ıi]b|m[ıiuü]r|m[əa]d[ıi]|m[əa]z|m[əa]y[əa]c[əa]k)(?:d[ıiuü]r)?$")


def polarity(text: str) -> str | None:
    """"yes" / "no" for an answer to a yes/no question: its first word, else negation in its first
    sentence, else "yes". None for a decline. (Substring matching of "да" would hit "когда".)"""
    if is_abstention(text):
        return None
    first = re.split(r"[.!?\n]", strip_citations(text).strip(), maxsplit=1)[0]
    words = [_lower(w) for w in re.findall(r"[^\W\d_]+", first)]
    if not words:
        return None
    if words[0] in _YES:
        return "yes"
    if words[0] in _NO:
        return "no"
    if any(w in _NEGATIONS for w in words):
        return "no"
    if any(_AZ_NEG_VERB_RE.search(w) for w in words if _AZ_SPECIFIC & set(w) or w.endswith(("mir", "mır"))):
        return "no"
    return "yes"


_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


def answer_language(text: str) -> str:
    """Language of an answer, or "unknown" when it is only numbers, names or too short to tell.

    Latin words written with a capital (names, acronyms, sentence starts) are left out: a Russian answer
    naming "Vusal Huseynov" is still Russian. A single remaining word is judged by script only.
    """
    from rag.langid import detect_language

    words = _WORD_RE.findall(strip_citations(text))
    kept = [w for w in words if _is_cyrillic(w) or not w[0].isupper()]
    if not kept:
        return "unknown"
    if len(kept) < 2:
        word = _lower(kept[0])
        if _is_cyrillic(word):
            return "ru"
        return "az" if set("əğıöüşç") & set(word) else "unknown"  # in our closed set, only az has them
    return detect_language(" ".join(kept))


def language_ok(text: str, expected: str) -> bool:
    """Answered in the expected language, or the answer is too short/name-only to tell (benefit of doubt)."""
    return answer_language(text) in (expected, "unknown")


# --------------------------------------------------------------------------------------------------
# Retrieval and citations
# --------------------------------------------------------------------------------------------------


def first_relevant_rank(passages: Sequence[Mapping[str, Any]], gold_sources: Iterable[str]) -> int | None:
    """1-based rank of the first retrieved passage whose source is a gold source, None if there is none."""
    gold = set(gold_sources)
    for rank, passage in enumerate(passages, 1):
        if passage.get("source") in gold:
            return rank
    return None


def recall_at(rank: int | None, k: int) -> float:
    """Hit rate at k: 1 when any gold source is among the first k passages. (With one gold source per
    question, as in our datasets, this is recall@k.)"""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def citation_supports(citation: Mapping[str, Any], gold_sources: Iterable[str], answers: Iterable[str]) -> bool:
    """A citation supports the answer when it points into a gold source, or its passage/quote contains a
    gold answer (the same fact may be stated in a document the dataset author did not list)."""
    if citation.get("source") in set(gold_sources):
        return True
    texts = [str(citation.get("quote") or ""), str(citation.get("text") or "")]
    return any(t and accuracy(t, answers) for t in texts)


# --------------------------------------------------------------------------------------------------
# One row
# --------------------------------------------------------------------------------------------------


def declined(prediction: Mapping[str, Any]) -> bool:
    """The system declined: it said so itself, or its text is a decline."""
    return bool(prediction.get("abstained")) or is_abstention(str(prediction.get("answer") or ""))


def setting_of(row: Mapping[str, Any]) -> str | None:
    tags = row.get("tags") or []
    if "cross-lingual" in tags:
        return "cross-lingual"
    if "same-language" in tags:
        return "same-language"
    return None


def score_row(row: Mapping[str, Any], prediction: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the report aggregates, for one row (a row must have ``answers``)."""
    answer = str(prediction.get("answer") or "")
    answers = [str(a) for a in row.get("answers") or []]
    answerable = bool(row.get("answerable", bool(answers)))
    sources = list(row.get("sources") or [])
    lang = str(row.get("lang", ""))
    did_decline = declined(prediction)
    timings = prediction.get("timings") or {}
    tokens = prediction.get("tokens") or {}
    citations = prediction.get("citations") or []
    out: dict[str, Any] = {
        "id": row.get("id"),
        "lang": lang,
        "tags": list(row.get("tags") or []),
        "setting": setting_of(row),
        "direction": f"{lang}->{row['corpus']}" if row.get("corpus") else None,
        "answerable": answerable,
        "declined": did_decline,
        "detected_language": answer_language(answer),
        "first_token": timings.get("first_token"),
        "total": timings.get("total"),
        "prompt_tokens": tokens.get("prompt"),
        "generated_tokens": tokens.get("generated"),
        "n_citations": len(citations),
    }
    out["language_ok"] = out["detected_language"] in (lang, "unknown")
    if not answerable:
        out.update(correct=None, f1=None, list_recall=None, rank=None, supported_citations=0)
        return out
    pol = row.get("polarity")
    if pol in ("yes", "no"):
        correct = not did_decline and polarity(answer) == pol
        f1 = 1.0 if correct else 0.0
        support_answers: list[str] = []  # "да" / "yes" in a passage says nothing about support
    else:
        correct = not did_decline and accuracy(answer, answers)
        f1 = 0.0 if did_decline else token_f1(answer, answers)
        support_answers = answers
    groups = row.get("list_items")
    rank = first_relevant_rank(prediction.get("passages") or [], sources)
    supported = sum(citation_supports(c, sources, support_answers) for c in citations)
    out.update(
        correct=correct,
        f1=f1,
        list_recall=(0.0 if did_decline else list_recall(answer, groups)) if groups else None,
        rank=rank,
        supported_citations=supported,
    )
    return out
