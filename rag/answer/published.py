""""When was this article published?" is answered from the article's own dateline, not from its body.

The body of a news article is full of dates of events; the date the article itself carries (read at
ingestion into ``Document.date`` / ``Chunk.date`` from its dateline: "21 мая 2022 г. 16:49",
"23.05.2018", "- 11 fevral, 2026") is a different fact, and the one such a question asks for. The
article is the one the question is about (the best evidence sentence's); the answer cites the
dateline sentence itself, so the user sees where the date stands. No dateline, no answer.

Only the question words are language data here (az / ru / en words for "published").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rag.answer.compose import template
from rag.text.dates import DateValue, find_dates, render_date
from rag.text.sentences import split_sentences
from rag.types import Chunk, Citation, Evidence

DocumentChunks = Callable[[str], list[Chunk]]  # every chunk of one source (the store's)

_PUBLISHED = re.compile(
    r"\b(?:published|publication|posted)\b|"
    r"опубликова\w*|публикаци\w*|размещ[её]н\w*|"
    r"\bdərc\s+(?:olun|edil)\w*|\byayımlan\w*|\byayımla\w*",
    re.IGNORECASE)


# "When did the news … come out?": a verb of appearing said of a news item.
_APPEARED = re.compile(
    r"\b(?:came|come|comes)\s+out\b|\b(?:released|appeared)\b|"
    r"(?<!\w)(?:выш(?:ла|ел|ло|ли)|появил\w*)(?!\w)|"
    r"(?<!\w)(?:çıx(?:ıb|dı|mışdı)|paylaşıl\w*)(?!\w)",
    re.IGNORECASE)
_NEWS_ITEM = re.compile(
    r"\b(?:news|article|story|report|post)\b|"
    r"(?<!\w)(?:новост|стать|заметк|сообщени|материал|xəbər|məqalə)\w*",
    re.IGNORECASE)


def asks_publication_date(question: str, kind: str | None) -> bool:
    """A date question about the article itself: "When was the news about … published?", "Когда вышла
    новость о …?"."""
    if kind != "date":
        return False
    return bool(_PUBLISHED.search(question)) or bool(_APPEARED.search(question) and _NEWS_ITEM.search(question))


@dataclass(frozen=True)
class Dateline:
    chunk: Chunk
    start: int  # span of the sentence within the chunk text
    end: int


def publication_date(iso: str | None) -> DateValue | None:
    """``Document.date`` ("2022-05-21") as a date to render; None when the article has none."""
    if not iso:
        return None
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return None
    return DateValue(0, 0, day=d.day, month=d.month, year=d.year)


def find_dateline(chunks: Iterable[Chunk], iso: str) -> Dateline | None:
    """The first sentence (in document order) of ``chunks`` that states the date ``iso`` in full."""
    want = publication_date(iso)
    if want is None:
        return None
    for ch in sorted(chunks, key=lambda c: (c.ordinal, c.start)):
        for a, b in split_sentences(ch.text, ch.lang) or [(0, len(ch.text))]:
            for d in find_dates(ch.text[a:b]):
                if (d.day, d.month, d.year) == (want.day, want.month, want.year) and d.day2 is None:
                    return Dateline(ch, a, b)
    return None


def dateline_answer(best: Chunk, retrieved: Sequence[Chunk], document_chunks: DocumentChunks | None, lang: str,
                    score: float) -> tuple[str, list[Citation], list[Evidence]] | str:
    """(answer, citations, evidence) giving the publication date of ``best``'s article in ``lang``,
    cited as [1] to its dateline sentence; or why there is none (the reason to decline). The dateline
    is looked for in the retrieved chunks of that article first, then in all of its chunks."""
    date = publication_date(best.date)
    if date is None or best.date is None:
        return "the article states no publication date"
    line = find_dateline([c for c in retrieved if c.source == best.source], best.date)
    if line is None and document_chunks is not None:
        line = find_dateline(document_chunks(best.source), best.date)
    if line is None:
        return "the article's dateline is not in its indexed text"
    c = line.chunk
    quote = c.text[line.start : line.end].strip()
    start, end = c.start + line.start, c.start + line.end
    citation = Citation(n=1, source=c.source, chunk_id=c.id, text=c.text, start=start, end=end, quote=quote,
                        verified=True, support=1.0)
    evidence = Evidence(n=1, source=c.source, chunk_id=c.id, text=quote, start=start, end=end, lang=c.lang,
                        score=round(score, 3), used=True)
    return template(render_date(date, lang), 1, lang), [citation], [evidence]
