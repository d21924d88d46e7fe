"""Title and publication date from where a file states them: HTML ``<title>`` and meta tags, PDF and
DOCX document properties.

Metadata beats guessing from the text: the first paragraph of a page is not its title, and a date
in the body of a PDF ("the forum of 5 May 2022") is not when it was published.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

_ISO = re.compile(r"((?:19|20)\d{2})-?(\d{2})-?(\d{2})")
# Titles that are file names or software defaults rather than a document's title.
_JUNK_TITLE = re.compile(r"^(?:untitled|microsoft word\b.*|document\d*|\S+\.(?:docx?|pdf|html?|txt))$", re.I)
_SITE_SEP = re.compile(r"\s+[|–—-]\s+|\s+::\s+|\s+»\s+")
_DATE_META = ("article:published_time", "og:published_time", "datepublished", "date", "dc.date",
              "dc.date.issued", "dcterms.date", "pubdate", "publishdate", "publication_date", "citation_date")


@dataclass(frozen=True)
class FileMeta:
    title: str = ""
    date: str | None = None  # ISO yyyy-mm-dd


def iso_date(value: Any) -> str | None:
    """yyyy-mm-dd from a datetime, a date, an ISO string or a PDF date ("D:20220521164900+04'00'")."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    m = _ISO.search(str(value or ""))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def clean_title(title: str) -> str:
    title = " ".join(str(title).split())
    return "" if not title or _JUNK_TITLE.match(title) else title[:200]


def html_meta(data: bytes) -> FileMeta:
    """``<title>`` (else og:title) and the published date from meta tags or the first ``<time>``."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fromstring(data)
    except (etree.ParserError, ValueError):
        return FileMeta()
    metas: dict[str, str] = {}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key and el.get("content"):
            metas.setdefault(key, str(el.get("content")))
    title = clean_title(metas.get("og:title", ""))
    if not title:
        found = root.find(".//title")
        # "Headline | Site" -> "Headline": the longest part of a separated title is the headline.
        parts = _SITE_SEP.split(found.text_content()) if found is not None else []
        title = clean_title(max(parts, key=len) if parts else "")
    if len(title.split()) < 2:  # a bare site name ("News"): the page's own headline says more
        h1 = root.find(".//h1")
        if h1 is not None and len(h1.text_content().split()) >= 2:
            title = clean_title(h1.text_content())
    date = next((d for k in _DATE_META if (d := iso_date(metas.get(k))) is not None), None)
    if date is None:
        stamp = next((el.get("datetime") for el in root.iter("time") if el.get("datetime")), None)
        date = iso_date(stamp)
    return FileMeta(title, date)


def pdf_meta(reader: Any) -> FileMeta:
    """The PDF's Title and CreationDate properties (pypdf ``PdfReader``); damaged metadata is ignored."""
    try:
        info = reader.metadata
    except Exception:  # pypdf raises several types on damaged trailers
        return FileMeta()
    if not info:
        return FileMeta()
    try:
        created = info.creation_date
    except Exception:  # an unparseable date string
        created = info.get("/CreationDate")
    return FileMeta(clean_title(info.title or ""), iso_date(created))
