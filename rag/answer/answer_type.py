"""What kind of thing a question asks for (a date, a number, a person, a place), and whether an
answer gives it.

A small model often answers "When ...?" with a well-cited sentence about the right event that says
nothing about when; verification checks that a citation supports the sentence, not that the sentence
answers the question. Classic question answering's expected answer type catches that case cheaply: the
cues are the question words of the three languages (general, not per-question), and no model is called.
"""

from __future__ import annotations

import re
from typing import Literal

from rag.answer.verify import CITE_RE
from rag.text.months import MONTHS

AnswerType = Literal["date", "number", "person", "place"]

# Question-word patterns per type, az / ru / en together; matched on the lower-cased question.
# Order matters: "in what year" is a date question before it is a number question.
_CUES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("date", re.compile(
        r"\b(when|what date|which date|what day|what year|which year|which years|what month|"
        r"когда|какого числа|в какой день|в каком году|какие годы|какого года|каком месяце|дат[аыу]\b|"
        r"nə vaxt|nə zaman|hansı tarix|hansı gün|hansı il|hansı ay|neçənci il|tarixdə)", re.UNICODE)),
    ("number", re.compile(
        r"\b(how many|how much|what number|what percentage|"
        r"сколько|какое количество|какой по сч[её]ту|какая по сч[её]ту|"
        r"neçə|neçənci|nə qədər|hansı sayda)", re.UNICODE)),
    ("person", re.compile(
        r"(^|\W)(who|whom|whose|кто|кого|кому|кем|чей|чья|kim|kimə|kimin|kimlər|kimdir)(\W|$)", re.UNICODE)),
    # "Which president …", "Какой химик …", "hansı prezident …": a person named by their role.
    ("person", re.compile(
        r"\b(?:which|what)\s+(?:\w+\s+)?(?:president|prime minister|minister|chairman|chairwoman|chair|director|"
        r"leader|representative|ambassador|coordinator|official|actor|actress|singer|writer|author|poet|"
        r"chemist|physicist|scientist|architect|player|quarterback|coach|king|queen|emperor|"
        r"commander|engineer|painter|composer|politician|founder|inventor)s?\b|"
        r"(?<!\w)(?:какой|какая|какого|какую|какому|каким|кого из)\s+(?:\w+\s+)?(?:президент|премьер|"
        r"министр|председател|руководител|представител|посол|посла|координатор|актер|актёр|актрис|"
        r"певиц|певец|певца|писател|поэт|автор|химик|физик|учён|учен|архитектор|игрок|квотербек|тренер|"
        r"корол|император|командир|инженер|художник|композитор|политик|основател|изобретател)(?!ь?ств)\w*|"
        r"(?<!\w)hansı\s+(?:\w+\s+)?(?:prezident|baş nazir|nazir|sədr|rəhbər|nümayəndə|səfir|koordinator|"
        r"aktyor|aktrisa|müğənni|yazıçı|şair|müəllif|kimyaçı|fizik|alim|memar|oyunçu|məşqçi|kral|"
        r"mühəndis|rəssam|bəstəkar|siyasətçi|təsisçi|ixtiraçı)(?!l[iı][kyğ])\w*", re.UNICODE)),
    ("place", re.compile(
        r"\b(where|in which city|in which country|где|куда|в каком городе|в какой стране|"
        r"harada|haraya|hansı şəhər|hansı ölkə)", re.UNICODE)),
)

_MONTH_STEMS = sorted({m.lower()[:3] for names in MONTHS.values() for m in names})
# Whole month names: the en and az ones of the month table; Russian by stem, since the table gives the
# genitive (мая) and answers also use other cases (май, мае, апреле).
_MONTH_NAMES = [m.lower() for m in MONTHS["en"] + MONTHS["az"]] + [
    "январ", "феврал", "март", "апрел", "ма[йяюе]", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр"]
_DATE_RE = re.compile(
    r"\b(\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}|(1[89]|20)\d\d)\b"
    r"|\d{1,2}(?:\s*[-–]\s*\d{1,2})?[-\s]*(?:ci|cü|cı|cu|-?[əe]?)?\s*(?:"
    + "|".join(_MONTH_STEMS) + r")"
    r"|\b(?:" + "|".join(_MONTH_STEMS) + r")\w*\s+\d{1,2}\b"
    # A month named alone answers "which month": whole names with case endings (mayın, мае, апреле).
    r"|\b(?:" + "|".join(_MONTH_NAMES) + r")\w{0,4}\b",
    re.IGNORECASE | re.UNICODE,
)
# Cardinal and ordinal number words of the three languages, whole words (inflected where needed:
# третьей, üçüncü), so that "ministry" or "семинар" never count as numbers.
_NUMBER_WORDS = re.compile(
    r"(?<!\w)(?:"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"один|одна|одно|два|две|двух|три|трёх|трех|четыре|четырёх|четырех|пять|пяти|шесть|шести|семь|семи|"
    r"восемь|восьми|девять|девяти|десять|десяти|двадцать|тридцать|сорок|сто|тысяч\w*|миллион\w*|"
    r"(?:перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят)(?:ый|ий|ой|ая|ья|ое|ье|ого|ьего|"
    r"ому|ьему|ом|ьем|ей|ьей|ую|ью|ые|ьи|ых|ьих)|"
    r"(?:bir|iki|üç|dörd|beş|altı|yeddi|səkkiz|doqquz|on|iyirmi|otuz|qırx|əlli|yüz|min|milyon)"
    r"(?:inci|ıncı|üncü|uncu|nci|ncı|ncü|ncu)?"
    r")(?!\w)",
    re.IGNORECASE | re.UNICODE,
)


def expected_type(question: str) -> AnswerType | None:
    """The answer type a question asks for, or None when its words do not say (what / why / how).

    The question word that comes first decides: "Сколько команд …, когда в их составе играл …?" asks
    how many, and its "когда" only opens a clause. On a tie (one cue inside another, "hansı il" /
    "hansı illər") the order of ``_CUES`` decides, so "in what year" stays a date question."""
    q = question.lower().replace("i̇", "i")
    found = [(m.start(), order, kind) for order, (kind, pattern) in enumerate(_CUES)
             if (m := pattern.search(q)) is not None]
    return min(found)[2] if found else None


def holds(kind: Literal["date", "number"], sentence: str) -> bool:
    """Whether ``sentence`` contains a date or a number (a cheap surface test, not an extraction)."""
    if kind == "date":
        return bool(_DATE_RE.search(sentence))
    return bool(re.search(r"\d", sentence) or _NUMBER_WORDS.search(sentence))


def answers_type(question: str, answer: str) -> AnswerType | None:
    """The type the question asks for when the answer lacks it, else None.

    Only dates and numbers are checked: a name may be a single word in any script ("Bakı", "в Нью-Йорке"),
    which no surface test tells from an ordinal word, while a date or a number is unmistakable. Measured
    on the answers of the full eval run of be06ce4: it rejected 6 wrong answers and 2 answers to
    unanswerable questions, and no correct answer (docs/answering.md)."""
    kind = expected_type(question)
    if kind not in ("date", "number"):
        return None
    return None if holds(kind, CITE_RE.sub(" ", answer)) else kind
