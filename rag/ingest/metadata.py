"""Publication date and title from article text (az / ru / en conventions).

Dates are read from the raw text, before cleaning, so no boilerplate rule can ever take the date
line away; titles are read from the cleaned text, where navigation and image placeholders are gone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTHS: dict[str, int] = {}
for _n, _forms in enumerate(
    [
        "yanvar january jan январь января",
        "fevral february feb февраль февраля",
        "mart march mar март марта",
        "aprel april apr апрель апреля",
        "may май мая",
        "iyun june jun июнь июня",
        "iyul july jul июль июля",
        "avqust august aug август августа",
        "sentyabr september sep sept сентябрь сентября",
        "oktyabr october oct октябрь октября",
        "noyabr november nov ноябрь ноября",
        "dekabr december dec декабрь декабря",
    ],
    start=1,
):
    for _form in _forms.split():
        _MONTHS[_form] = _n

# Azerbaijani month names take case endings ("oktyabrın", "mayın"); nothing else is inflected here.
_MONTH = r"(?P<mon>[^\W\d_]{3,9}(?:ın|in|un|ün)?)\.?"
_DAY = r"(?P<day>\d{1,2})"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_PATTERNS = [
    re.compile(rf"(?<![\d.]){_YEAR}-(?P<m>\d{{2}})-(?P<d>\d{{2}})(?!\d)"),  # 2026-02-11
    re.compile(rf"(?<![\d.])(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.{_YEAR}(?![\d])"),  # 23.05.2018
    re.compile(rf"{_YEAR}\s*-?\s*(?:ci|cı|cu|cü)\s+il(?:in)?\s+{_DAY}\s+{_MONTH}", re.I),  # 2021-ci ilin 31 may
    re.compile(rf"(?<!\d){_DAY}\s+{_MONTH},?\s+{_YEAR}(?!\d)", re.I),  # 11 fevral, 2026 / 21 мая 2022 / 31 May 2021
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?:st|nd|rd|th)?,?\s+{_YEAR}(?!\d)", re.I),  # May 31, 2021
]


@dataclass(frozen=True)
class DateMatch:
    start: int
    end: int
    iso: str


def _month_number(word: str) -> int | None:
    w = word.replace("İ", "i").lower().rstrip(".")  # "İyun": plain lower() would add a combining dot
    if w in _MONTHS:
        return _MONTHS[w]
    for ending in ("ın", "in", "un", "ün"):
        if w.endswith(ending) and w[: -len(ending)] in _MONTHS:
            return _MONTHS[w[: -len(ending)]]
    return None


def find_dates(text: str) -> list[DateMatch]:
    """Every full (day, month, year) date in the text, in order; partial dates ("oktyabrın 12-də") are
    deliberately ignored because guessing the year would invent metadata."""
    found: dict[int, DateMatch] = {}
    for pat in _PATTERNS:
        for m in pat.finditer(text):
            g = m.groupdict()
            month = int(g["m"]) if g.get("m") else _month_number(g["mon"])
            day = int(g.get("d") or g.get("day") or 0)
            if month is None:
                continue
            try:
                iso = dt.date(int(g["year"]), month, day).isoformat()
            except ValueError:
                continue
            if not any(d.start <= m.start() < d.end for d in found.values()):
                found[m.start()] = DateMatch(m.start(), m.end(), iso)
    return [found[k] for k in sorted(found)]


def extract_date(text: str) -> str | None:
    """ISO date of publication: a date in the header lines, else a short standalone date line (news
    pages often end with one), else the first date near the top. ``None`` rather than a guess."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for line in lines[:6]:
        if len(line) <= 200 and (dates := find_dates(line)):
            return dates[0].iso
    for line in reversed(lines):
        if len(line) <= 60 and (dates := find_dates(line)):
            return dates[0].iso
    dates = find_dates(text[:1000])
    return dates[0].iso if dates else None


def extract_dateline(text: str, lines_checked: int = 6, max_chars: int = 60) -> str | None:
    """ISO date of a short dateline near the top ("21 May 2022", "Baku, 23.05.2018"), and nothing else:
    for PDF and DOCX, where the body's first paragraphs are full of event dates that are not the
    publication date."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for line in lines[:lines_checked]:
        if len(line) <= max_chars and (dates := find_dates(line)):
            return dates[0].iso
    return None


_LEADING_LABEL = re.compile(r"^(?:#+\s*|[-*•]\s+)")
_DATE_LABEL = re.compile(r"^(?:date|tarix|дата)\s*:?\s*$", re.I)
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def _strip_leading_date(line: str) -> str:
    """``"date 2026-02-11 Title"`` -> ``"Title"``: scraped pages often glue the date onto the headline."""
    dates = find_dates(line[:40])
    if dates and (not line[: dates[0].start].strip() or _DATE_LABEL.match(line[: dates[0].start].strip())):
        return line[dates[0].end :].lstrip(" ,.-–—|:").strip()
    return line


def extract_title(text: str) -> str:
    """First line that reads like a headline: not a dateline ("Press Release — May 31, 2021"), not a
    lone word; the first line at all when nothing qualifies. Capped so a PDF whose first "line" is
    a whole paragraph still gives a usable title."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for raw in lines[:20]:
        line = _strip_leading_date(_LEADING_LABEL.sub("", raw))
        rest = _TIME.sub("", line)
        for d in reversed(find_dates(rest)):
            rest = rest[: d.start] + rest[d.end :]
        if len(line) <= 60 and rest != line:
            continue  # a dateline or a time stamp, not a headline
        if len(rest.split()) >= 2 and sum(ch.isalpha() for ch in rest) >= 10:
            return _cap(line)
    return _cap(_LEADING_LABEL.sub("", lines[0])) if lines else ""


def _cap(line: str, limit: int = 150) -> str:
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"
