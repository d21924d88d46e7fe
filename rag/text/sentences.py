"""The one sentence splitter, for passages (chunking, context selection, citation spans) and answers
(the verifier's claims), and the sentence window built on its spans.

Sentence splitting is a handful of regex rules, not a model: a boundary is ``. ! ? …`` (plus closing
quotes) followed by whitespace and a capital letter or digit, and a newline always ends a sentence.
A period does not end a sentence after an initial ("V. Hüseynov", "İ."), a dotted abbreviation
("U.N.", "т.е."), a known abbreviation ("Mr.", "Dr.", "ул.", "prof."), or a list number ("1. ").
Russian "г." is the one ambiguous case: after a year ("21 мая 2022 г. В рамках") it almost always
closes the sentence or the dateline, so it splits there when a capital follows; elsewhere
("г. Баку") it is an abbreviation and never splits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": _words(
        "mr mrs ms dr prof sr jr st mt vs fig approx dept gen col lt sgt capt gov sen rep rev hon "
        "jan feb mar apr jun jul aug sep sept oct nov dec est no nos"
    ),
    "ru": _words(
        "ул им стр рис см руб млн млрд тыс проф акад доц ген св пр просп обл ст тел кв корп наб пер "
        "гос зам изд ред напр англ рус"
    ),
    "az": _words("prof dos akad məs bax red küç şəh səh mln mlrd prosp ak dr cən"),
}
_ALL_ABBREVIATIONS = frozenset().union(*_ABBREVIATIONS.values())

_CANDIDATE = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_OPENERS = "\"'“‘«([—–-"
_CLOSERS = "\"'”’»)]"
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
_YEARISH = re.compile(r"\d{4}(?:[-–]\d{2,4})?")


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """Character spans of sentences in ``text``, without surrounding whitespace. ``lang`` picks the
    abbreviation list; "unknown" uses all of them."""
    abbreviations = _ABBREVIATIONS.get(lang, _ALL_ABBREVIATIONS) | _ABBREVIATIONS["en"]
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int) -> None:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))

    for seg in re.finditer(r"[^\n]+", text):
        start, seg_end = seg.span()
        for cand in _CANDIDATE.finditer(text, start, seg_end):
            nxt = cand.end()
            while nxt < seg_end and text[nxt].isspace():
                nxt += 1
            if nxt >= seg_end or not _starts_sentence(text, nxt, seg_end):
                continue
            if cand.group().rstrip(_CLOSERS) == "." and _is_abbreviation(text, start, cand.start(), nxt,
                                                                        abbreviations):
                continue
            add(start, cand.end())
            start = nxt
        add(start, seg_end)
    return spans


def _starts_sentence(text: str, pos: int, end: int) -> bool:
    while pos < end and text[pos] in _OPENERS:
        pos += 1
    return pos < end and (text[pos].isupper() or text[pos].isdigit())


def _is_abbreviation(text: str, sent_start: int, dot: int, nxt: int, abbreviations: frozenset[str]) -> bool:
    before = text[sent_start:dot]
    words = before.split()
    if not words:
        return False
    token = words[-1].lstrip(_OPENERS).rstrip(_CLOSERS)
    low = token.lower()
    if low in ("г", "гг"):  # год / годы: a sentence end after a year, "город" otherwise
        return not (len(words) >= 2 and _YEARISH.fullmatch(words[-2].strip(_OPENERS + _CLOSERS + ",")))
    if len(token) == 1 and token.isalpha():
        return True  # an initial ("V. Hüseynov") or a one-letter abbreviation ("və s.", "т. е.")
    if _DOTTED.fullmatch(token):
        return True  # U.N. / т.е. / i.e.
    if token.isdigit():
        return len(words) == 1 and len(token) <= 3  # "1. Item": a list number, not a sentence
    if low in ("no", "nos"):
        return text[nxt : nxt + 1].isdigit()  # "No. 5"
    return low in abbreviations


def sentence_window(spans: Sequence[tuple[int, int]], i: int) -> tuple[int, int]:
    """Sentence ``i`` with one neighbour on either side, as one span: the unit that says what a short
    sentence is about ("It will be held on 5-8 May" needs the sentence before it)."""
    return spans[max(0, i - 1)][0], spans[min(len(spans) - 1, i + 1)][1]
