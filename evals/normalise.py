"""Text -> normalised tokens, for matching answers across three languages and two scripts.

Why so much normalisation: gold answers and predictions cross three languages and two scripts. The same
correct date reaches us as "5-8 May", "May 5–8", "5-8 мая" or "mayın 5-8-də", the same count as "13",
"thirteen", "тринадцати" or "on üç", the same person as "Vüsal Hüseynov" or "Вусал Гусейнов". Exact
string match would call most correct cross-lingual answers wrong and the eval would measure spelling,
not the system. The language data (case and diacritic folding, month forms, number words, the
Cyrillic->Latin table) is the product's own, from ``rag.text``, so the scorer reads a date or a name the
way the product does; what is here is the scorer's use of it: numbers and months get a canonical form
("5", "month05"), and names get script-independent consonant skeletons.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import product

from rag.text.fold import fold_diacritics, has_cyrillic, lower_any
from rag.text.months import MONTH_FORMS
from rag.text.numbers import AZ_UNITS, NUMBER_SUFFIXES, NUMBER_WORDS, ROMAN, TENS_WORDS
from rag.text.translit import CYRILLIC_TO_LATIN_LOOSE

CITATION_RE = re.compile(r"\[\s*\d+(?:\s*[,;-]\s*\d+)*\s*\]")
_DASHES_RE = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d]")
_DOTTED_DATE_RE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d.])")
# "1,000" / "1 000" / "1\u00a0000": one number, not two (Russian and English group digits differently).
_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3})((?:[,\u00a0\u202f ]\d{3})+)(?![\d.,]\d|\d)")
_TOKEN_RE = re.compile(r"month(?:0[1-9]|1[0-2])(?![^\W_])|\d+(?:\.\d+)?|[^\W\d_]+")
AZ_SPECIFIC = set("əğı")  # letters no English or Russian word has: a lower-case word with one is Azerbaijani


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



# Forms that are also ordinary words ("it may be", "to march"): months only next to a number or a date word.
_AMBIGUOUS_MONTHS = {"may", "mar", "march", "maya"}
_DATE_CONTEXT = {"in", "of", "since", "until", "till", "by", "from", "early", "late", "mid", "before", "after",
                 "during", "end", "beginning", "next", "last", "this"}

# Words that may sit between the numbers and months of a date ("с 5 по 8 мая", "12th of October").
DATE_CONNECTORS = {
    "to", "and", "of", "the", "from", "through", "till", "until", "on", "in", "year",
    "с", "по", "до", "и", "года", "году", "год", "г",
    "il", "ilin", "ili", "ilde", "ve", "tarixinde",
    # a period of years: "between 2005 and 2010", "между 2005 и 2010 годами", "2005-2010-cu illər arasında"
    "between", "между", "годами", "годы", "годах", "гг", "iller", "illerde", "arasinda",
}


@dataclass(frozen=True)
class Token:
    """One normalised word. ``canon`` is set for numbers ("5") and months ("month05")."""

    surface: str  # lower-cased, ё -> е, still with Azerbaijani letters
    folded: str  # diacritics folded (rag.text.fold.fold_diacritics); Cyrillic unchanged
    canon: str | None
    cyrillic: bool
    capital: bool  # started with an upper-case letter in the original text
    allcaps: bool  # written in capitals ("II", "IOM")
    glued: bool  # attached to the previous token directly or by a hyphen ("4th", "4-го", "5-8-də")
    end: int

    @property
    def key(self) -> str:
        return self.canon or self.folded

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
        low = lower_any(raw)
        canon: str | None = None
        if raw[0].isdigit():
            canon = _number_canon(raw)
        elif low.startswith("month") and low[5:].isdigit():
            canon = low
        glued = start == prev_end or (start == prev_end + 1 and prepared[prev_end] == "-")
        out.append(Token(low, fold_diacritics(low), canon, has_cyrillic(low), raw[0].isupper(), raw.isupper(), glued,
                         m.end()))
        prev_end = m.end()
    return out


def _with_canon(tok: Token, canon: str | None, end: int | None = None) -> Token:
    return replace(tok, canon=canon, end=tok.end if end is None else end)


def _is_az_context(tokens: Sequence[Token]) -> bool:
    return any(not t.capital and AZ_SPECIFIC & set(t.surface) for t in tokens)


@lru_cache(maxsize=65536)
def tokenize(text: str) -> tuple[Token, ...]:
    """Tokenise and give numbers and months their canonical form (see the module docstring).
    Cached: the same gold forms and passages are matched many times in one report."""
    raw = _raw_tokens(text)
    # 1. Drop case/ordinal endings glued to a number: "4th", "4-го", "2022-ci", "5-8-də".
    merged: list[Token] = []
    for tok in raw:
        prev = merged[-1] if merged else None
        if prev is not None and prev.is_number and tok.glued and not tok.canon and tok.folded in NUMBER_SUFFIXES:
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
            value = NUMBER_WORDS.get(tok.folded)
            if tok.folded == "on" and nxt is not None and nxt.folded in AZ_UNITS:
                out.append(_with_canon(tok, str(10 + AZ_UNITS[nxt.folded]), nxt.end))
                i += 2
                continue
            if tok.folded == "on" and az:
                value = 10
            if (value is not None and tok.folded in TENS_WORDS and nxt is not None and nxt.canon is None
                    and 1 <= NUMBER_WORDS.get(nxt.folded, 0) <= 9):
                out.append(_with_canon(tok, str(value + NUMBER_WORDS[nxt.folded]), nxt.end))
                i += 2
                continue
            if value is None and tok.folded in ROMAN and tok.allcaps:
                value = ROMAN[tok.folded]  # only written in capitals: "II ранга", not the word "vi"
            if value is not None:
                tok = _with_canon(tok, str(value))
        out.append(tok)
        i += 1
    # 3. Months; the ambiguous ones ("may") only in a date context.
    for i, tok in enumerate(out):
        if tok.canon is not None:
            continue
        month = MONTH_FORMS.get(tok.folded if not tok.cyrillic else tok.surface)
        if month is None:
            continue
        if tok.folded in _AMBIGUOUS_MONTHS and not _date_context(out, i):
            continue
        out[i] = _with_canon(tok, f"month{month:02d}")
    return tuple(out)


def _date_context(tokens: Sequence[Token], i: int) -> bool:
    if len(tokens) <= 2:
        return True
    near = [*tokens[max(0, i - 2):i], *tokens[i + 1:i + 3]]
    if any(t.is_number and t.surface[:1].isdigit() for t in near):
        return True
    if i > 0 and tokens[i - 1].folded in _DATE_CONTEXT:
        return True
    return i + 1 < len(tokens) and tokens[i + 1].folded.startswith("ay")  # "may ayında"


def normalize(text: str) -> str:
    """The canonical form used for matching and F1: lower-case, ASCII-folded Latin, no punctuation,
    number words as digits, month names as ``monthNN``. "5–8 мая" -> "5 8 month05"."""
    return " ".join(t.key for t in tokenize(text))



# Cross-script names: consonant skeletons on the product's transliteration table.

# Sound classes of the Latin spellings: letters whose az / ru / en renderings of one name differ
# (г/х/һ/ғ are all "G": Гусейнов ~ Hüseynov ~ Huseynov; ц is "T", ч "C", ш/щ "S", ж "Z", к/қ "K").
_CLASSES = {"g": "G", "k": "K", "zh": "Z", "kh": "G", "ts": "T", "ch": "C", "sh": "S", "h": "G"}
_CYR = {c: _CLASSES.get(latin, latin) for c, latin in CYRILLIC_TO_LATIN_LOOSE.items()}
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
    word = fold_diacritics(word)
    parts: list[tuple[str, ...]] = [_LAT_CHOICES.get(ch, (ch,)) for ch in word]
    variants = {"".join(p) for _, p in zip(range(64), product(*parts), strict=False)}
    return frozenset(_collapse(v) for v in variants)


def skeleton_match(g: Token, p: Token) -> bool:
    """Cross-script match of capitalised words only (names), so "Учан" does not match "üçün"."""
    if g.cyrillic == p.cyrillic or g.canon or p.canon or not (g.capital and p.capital) or len(g.folded) < 2:
        return False
    for gs in _skeletons(g):
        consonants = sum(ch != "*" for ch in gs)
        for ps in _skeletons(p):
            if gs == ps and consonants >= 1:
                return True
            if consonants >= 2 and len(g.folded) >= 4 and ps.startswith(gs):
                return True
    return False
