"""Dates in az/ru/en sentences: find them, normalise them, write them in another of the three languages.

The default LLM turns "mayın 5-8-də" into "5-8 December"; a date read by rules and written by a
template cannot be mistranslated. Everything here is language data (month names, case endings,
Azerbaijani ordinal suffixes by vowel harmony), never facts of any document.

Shapes found (day ranges and year ranges included):
  az  "mayın 5-8-də", "oktyabrın 12-də", "11 fevral, 2026", "2021-ci ilin 31 may", "2022-ci ildə",
      "2026-2030-cu illər"
      "2005-ci ildən 2010-cu ilədək"
  ru  "21 мая 2022 г.", "с 5 по 8 мая", "5-8 мая", "в 2022 году", "2021-2025 годы", "между 2005 и 2010 годами"
  en  "31 May 2021", "May 5-8", "5-8 May 2026", "in 2022", "2021-2025", "May 2021", "between 2005 and 2010"
  any "2026-02-11", "23.05.2018"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.months import MONTHS

_DASH = r"\s*[-–—]\s*"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
# Month words with their case endings: az "mayın / mayda / oktyabrın", ru "мая / май / мае / маю",
# en whole names and three-letter abbreviations.
_RU_STEMS = [genitive[:-1] for genitive in MONTHS["ru"]]  # января -> январ, мая -> ма, марта -> март
_RU_ENDINGS = r"(?:я|й|е|ю|ь|ем|а|у|ом)?"
_AZ_ENDINGS = r"(?:ın|in|un|ün|nın|nin|da|də|dan|dən|a|ə|dək|adək|ədək)?"


def _month_alt() -> str:
    az = "|".join(MONTHS["az"])
    en = "|".join(MONTHS["en"]) + "|" + "|".join(m[:3] for m in MONTHS["en"] if len(m) > 4)
    ru = "|".join(_RU_STEMS)
    return rf"(?:(?:{en})\.?|(?:{az}){_AZ_ENDINGS}|(?:{ru}){_RU_ENDINGS})"


_MONTH = _month_alt()
# Ordinal / case endings glued to a number: az "-ci/-cı/-cu/-cü", "-də/-da", ru "-го", en "th".
_NUM_END = r"(?:-?(?:ci|cı|cu|cü|nci|ncı|ncu|ncü|də|da|dək|dan|dən|go|го|е|й|ого|st|nd|rd|th))?"
_YEAR_WORD = r"(?:\s*(?:il(?:in|ində|də|i|dən|lər|lərdə|lərin|ləri)?|г\.|гг\.|год(?:ами|ах|ов|а|у|ы)?|years?))?"

_PATTERNS = [
    # ISO and numeric dates.
    ("iso", rf"(?P<y>{_YEAR})-(?P<m>0[1-9]|1[0-2])-(?P<d>{_DAY})\b"),
    ("dmy", rf"\b(?P<d>{_DAY})\.(?P<m>0?[1-9]|1[0-2])\.(?P<y>{_YEAR})\b"),
    # "2021-ci ilin 31 may", "2026-cı il mayın 5-8".
    ("y_d_mon", rf"\b(?P<y>{_YEAR}){_NUM_END}\s+il(?:in)?\s+(?P<d>{_DAY})(?:{_DASH}(?P<d2>{_DAY}))?{_NUM_END}"
                rf"\s+(?P<mon>{_MONTH})"),
    ("y_mon_d", rf"\b(?P<y>{_YEAR}){_NUM_END}\s+il(?:in)?\s+(?P<mon>{_MONTH})\s+(?P<d>{_DAY})"
                rf"(?:{_DASH}(?P<d2>{_DAY}))?{_NUM_END}"),
    # "с 5 по 8 мая 2026", "from 5 to 8 May".
    ("range_words", rf"(?:\bс|\bfrom)\s+(?P<d>{_DAY})\s+(?:по|to|until|till)\s+(?P<d2>{_DAY})\s+(?P<mon>{_MONTH})"
                    rf"(?:,?\s+(?P<y>{_YEAR}))?"),
    # "5-8 May 2026", "21 мая 2022 г.", "11 fevral, 2026", "31 May".
    ("d_mon", rf"\b(?P<d>{_DAY})(?:{_DASH}(?P<d2>{_DAY}))?{_NUM_END}\s+(?P<mon>{_MONTH})\b"
              rf"(?:,?\s+(?P<y>{_YEAR})\b)?"),
    # "mayın 5-8-də", "May 5-8, 2026", "oktyabrın 12-də".
    ("mon_d", rf"\b(?P<mon>{_MONTH})\s+(?P<d>{_DAY})(?:{_DASH}(?P<d2>{_DAY}))?{_NUM_END}(?!\d)"
              rf"(?:,?\s+(?P<y>{_YEAR})\b)?"),
    # "May 2021", "мае 2022 года".
    ("mon_y", rf"\b(?P<mon>{_MONTH})\s+(?P<y>{_YEAR})\b"),
    # "between 2005 and 2010", "между 2005 и 2010 годами", "from 2021 to 2025", "с 2021 по 2025 год".
    ("years_words", rf"(?:\bbetween|\bfrom|(?<!\w)между|(?<!\w)с|(?<!\w)от)\s+(?P<y>{_YEAR}){_NUM_END}{_YEAR_WORD}"
                    rf"\s+(?:and|to|until|till|и|по|до)\s+(?P<y2>{_YEAR}){_NUM_END}{_YEAR_WORD}"),
    # "2005-ci ildən 2010-cu ilədək", "2021-ci ildən 2025-ci ilə qədər".
    ("years_az", rf"\b(?P<y>{_YEAR}){_NUM_END}\s+il(?:dən|dan)\s+(?P<y2>{_YEAR}){_NUM_END}\s+il(?:ədək|ə\s+qədər)"),
    # "2026-2030-cu illər", "2021-2025 годы", "2021–2025".
    ("years", rf"\b(?P<y>{_YEAR}){_DASH}(?P<y2>{_YEAR}){_NUM_END}{_YEAR_WORD}"),
    # "2022-ci ildə", "в 2022 году", "in 2022", "2022".
    ("year", rf"\b(?P<y>{_YEAR}){_NUM_END}{_YEAR_WORD}(?!\d)"),
]
_COMPILED = [(name, re.compile(p, re.IGNORECASE)) for name, p in _PATTERNS]


@dataclass(frozen=True)
class DateValue:
    """A normalised date or period; any part may be missing ("mayın 5-8-də" has no year)."""

    start: int  # span in the text it was read from
    end: int
    day: int | None = None
    day2: int | None = None  # end of a day range
    month: int | None = None
    year: int | None = None
    year2: int | None = None  # end of a year range

    @property
    def is_period(self) -> bool:
        return self.year2 is not None or self.day2 is not None

    @property
    def parts(self) -> int:
        return sum(x is not None for x in (self.day, self.month, self.year))


def month_number(word: str) -> int | None:
    """1..12 for a month word of any of the three languages in any case form, else None."""
    w = word.lower().rstrip(".")
    for i, name in enumerate(MONTHS["en"]):
        if w == name.lower() or (len(name) > 4 and w == name.lower()[:3]):
            return i + 1
    for i, name in enumerate(MONTHS["az"]):
        if re.fullmatch(f"{name}{_AZ_ENDINGS}", w):
            return i + 1
    for i, stem in enumerate(_RU_STEMS):
        if re.fullmatch(f"{stem}{_RU_ENDINGS}", w):
            return i + 1
    return None


def find_dates(text: str) -> list[DateValue]:
    """Every date or period in ``text``, longest match first where shapes overlap, in text order."""
    taken: list[tuple[int, int]] = []
    out: list[DateValue] = []
    for _name, rx in _COMPILED:
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < b and a < e for a, b in taken):
                continue
            g = m.groupdict()
            month = None
            if g.get("mon"):
                month = month_number(g["mon"])
                if month is None:
                    continue
            elif g.get("m"):
                month = int(g["m"])
            if g.get("mon", "") and g["mon"].lower() == "may" and not (g.get("d") or g.get("y")):
                continue  # the English verb "may"
            d = int(g["d"]) if g.get("d") else None
            d2 = int(g["d2"]) if g.get("d2") else None
            y = int(g["y"]) if g.get("y") else None
            y2 = int(g["y2"]) if g.get("y2") else None
            if d2 is not None and d is not None and d2 <= d:
                continue
            if y2 is not None and y is not None and y2 <= y:
                continue
            taken.append((s, e))
            out.append(DateValue(s, e, d, d2, month, y, y2))
    return sorted(out, key=lambda v: v.start)


# -- rendering ----------------------------------------------------------------------------------------

# The Azerbaijani ordinal suffix follows the vowel of the number's last spoken word: 2022-ci (iki),
# 2023-cü (üç), 2026-cı (altı), 2030-cu (otuz).
_AZ_UNIT_SUFFIX = {1: "ci", 2: "ci", 3: "cü", 4: "cü", 5: "ci", 6: "cı", 7: "ci", 8: "ci", 9: "cu"}
_AZ_TENS_SUFFIX = {10: "cu", 20: "ci", 30: "cu", 40: "cı", 50: "ci", 60: "cı", 70: "ci", 80: "ci", 90: "cı"}
_AZ_LOCATIVE = {"ci": "də", "cü": "də", "cı": "da", "cu": "da"}
_AZ_MONTH_GENITIVE = ["yanvarın", "fevralın", "martın", "aprelin", "mayın", "iyunun", "iyulun", "avqustun",
                      "sentyabrın", "oktyabrın", "noyabrın", "dekabrın"]


def az_ordinal_suffix(n: int) -> str:
    """"ci" / "cı" / "cu" / "cü" for the number ``n`` (vowel harmony with its last spoken word)."""
    if n % 10:
        return _AZ_UNIT_SUFFIX[n % 10]
    if n % 100:
        return _AZ_TENS_SUFFIX[n % 100]
    return "cü" if n % 1000 else "ci"  # yüz / min


def az_locative(n: int) -> str:
    """"də" / "da" after the number ``n`` ("5-də", "10-da")."""
    return _AZ_LOCATIVE[az_ordinal_suffix(n)]


def _days(d: DateValue) -> str:
    if d.day is None:
        return ""
    return f"{d.day}–{d.day2}" if d.day2 else str(d.day)


def render_date(d: DateValue, lang: str) -> str:
    """``d`` written the way a reader of ``lang`` writes it: "5–8 May 2026", "5–8 мая 2026 года",
    "2026-cı il mayın 5-8-i"."""
    if d.year2 is not None:  # a period of years
        y1, y2 = d.year, d.year2
        if lang == "ru":
            return f"{y1}–{y2} годы"
        if lang == "az":
            return f"{y1}-{y2}-{az_ordinal_suffix(y2)} illər"
        return f"{y1}–{y2}"
    days = _days(d)
    if lang == "az":
        parts = []
        if d.year is not None:
            suffix = az_ordinal_suffix(d.year)
            # "2030-cu ildə": the locative ending is the word il's (always -də), not the number's.
            parts.append(f"{d.year}-{suffix} il" if d.month else f"{d.year}-{suffix} ildə")
        if d.month is not None:
            if days:
                last = d.day2 or d.day or 0
                parts.append(f"{_AZ_MONTH_GENITIVE[d.month - 1]} {days.replace('–', '-')}-{az_locative(last)}")
            else:
                parts.append(MONTHS["az"][d.month - 1])
        return " ".join(parts)
    if lang == "ru":
        month = MONTHS["ru"][d.month - 1] if d.month else ""
        if d.month and not days:
            month = _RU_STEMS[d.month - 1] + ("" if d.month in (3, 8) else "ь" if d.month != 5 else "й")
        year = ""
        if d.year is not None:
            if not d.month:
                return f"в {d.year} году"
            year = f"{d.year} года"
        return " ".join(x for x in (days, month, year) if x)
    month = MONTHS["en"][d.month - 1] if d.month else ""
    year = str(d.year) if d.year is not None else ""
    return " ".join(x for x in (days, month, year) if x)
