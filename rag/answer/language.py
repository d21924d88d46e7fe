"""Everything language-specific the answer stage needs, in one table per language.

The month table is a general aid for carrying dates across languages (the default 1.5B model turns
"mayın 5-8-də" into "5-8 December" when left alone); it is not a per-question hint.
"""

from __future__ import annotations

import re

from rag.langid import detect_language
from rag.text.months import MONTHS

NAMES = {"az": "Azerbaijani", "ru": "Russian", "en": "English"}

ABSTAIN = {
    "en": "The documents do not say.",
    "ru": "В документах об этом не сказано.",
    "az": "Sənədlərdə bu barədə məlumat yoxdur.",
}

# Phrases by which a model (or a person) declines, used to recognise abstentions in any language.
ABSTAIN_MARKERS = (
    "none",
    "not found",
    "do not say",
    "does not say",
    "not mentioned",
    "no information",
    "не сказано",
    "нет информации",
    "не указан",
    "не упомина",
    "məlumat yoxdur",
    "qeyd edilməyib",
    "göstərilməyib",
)


def month_table() -> str:
    """One line per month, e.g. "05: May = may = мая" — short enough to keep in the cached prefix."""
    return "\n".join(
        f"{i + 1:02d}: {MONTHS['en'][i]} = {MONTHS['az'][i]} = {MONTHS['ru'][i]}" for i in range(12)
    )


def question_language(question: str, forced: str = "auto") -> str:
    """The language to answer in: forced by the user, else detected, else English."""
    if forced in NAMES:
        return forced
    lang = detect_language(question)
    return lang if lang in NAMES else "en"


def is_abstention(text: str) -> bool:
    lowered = text.strip().lower().strip(".! ")
    if not lowered:
        return True
    return any(lowered.startswith(m) or (m in lowered and len(lowered) < 80) for m in ABSTAIN_MARKERS)


_DAYS = r"(\d{1,2}(?:\s*[-–—]\s*\d{1,2})?)"
_YEAR = r"(?:\s*,?\s*(\d{4})(?:\s*(?:-?ci|-?cı|-?cu|-?cü)?\s*(?:il\w*|г\.?|года)?)?)?"


def _month_alternation(lang: str) -> str:
    # Azerbaijani months take case endings (mayın, fevralda); Russian ones are genitive already.
    return "|".join(re.escape(m) for m in MONTHS[lang])


_AZ_FIRST = rf"\b(?P<m1>{_month_alternation('az')})\w*\s+(?P<d1>{_DAYS[1:-1]})(?:-?(?:də|da|dək|ci|cı|cu|cü))?\b"
_AZ_RU_MONTHS = f"{_month_alternation('az')}|{_month_alternation('ru')}"
_DAY_FIRST = rf"\b(?P<d2>{_DAYS[1:-1]})\s+(?P<m2>{_AZ_RU_MONTHS})\w*(?P<y>{_YEAR})"
# One pass with both shapes (az "mayın 5-8-də"; az/ru "11 fevral, 2026", "21 мая 2022 г."), so a gloss
# is never glossed again.
_GLOSS = re.compile(f"{_AZ_FIRST}|{_DAY_FIRST}", re.IGNORECASE)
_YEAR_IN = re.compile(r"\d{4}")


def _month_index(word: str) -> int | None:
    w = word.lower()
    for names in MONTHS.values():
        for i, name in enumerate(names):
            if w.startswith(name.lower()[: max(3, len(name) - 2)]):
                return i
    return None


def gloss_dates(text: str) -> str:
    """Append the English form to az/ru dates: "mayın 5-8-də" -> "mayın 5-8-də (= 5-8 May)".

    Small models translate numbers reliably but month names poorly ("mayın" became "December"); an
    inline gloss lets them copy the date in any answer language. General rule, applied to every passage.
    """

    def gloss(m: re.Match[str]) -> str:
        word = m.group("m1") or m.group("m2")
        days = m.group("d1") or m.group("d2")
        month = _month_index(word)
        if month is None or word == MONTHS["en"][month]:
            return m.group(0)  # not a month, or already English ("31 May 2021")
        year = _YEAR_IN.search(m.group("y") or "")
        tail = f" {year.group()}" if year else ""
        return f"{m.group(0).rstrip()} (= {days} {MONTHS['en'][month]}{tail})"

    return _GLOSS.sub(gloss, text)
