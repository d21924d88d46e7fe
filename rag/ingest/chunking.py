"""Sentences -> retrievable chunks measured in embedder tokens.

Why these rules:
- Chunks are built from whole sentences so a passage shown as a citation never starts or ends
  mid-thought; only a single sentence longer than the budget is cut, at word boundaries.
- Size is measured with the embedder's own tokenizer: the model truncates at its token limit, and a
  character estimate is off by 2x between Azerbaijani, Russian and English.
- Chunks never cross a language section, so every chunk has exactly one language.
- ``doc.text[start:end] == chunk.text`` always holds, which is what lets citations highlight the
  exact span in the source.

Sentences come from ``rag.text.sentences.split_sentences`` (abbreviation-aware; see there).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from rag.text.sentences import split_sentences
from rag.types import Chunk, Document

# The version of the rules that turn a file into chunks (cleaning, metadata lines, sentence splitting,
# chunking). An index records it; one cut by other rules is refused with the rebuild command instead of
# being served. Bump it with any change to those rules (2: titles and dates from file metadata, literal
# markup kept as text, the rag.text sentence splitter).
TEXT_RULES_VERSION = 2


def chunk_document(
    doc: Document,
    count_tokens: Callable[[str], int],
    max_tokens: int = 160,
    overlap_tokens: int = 32,
) -> list[Chunk]:
    """Chunks of whole sentences, at most ``max_tokens`` each, within one section each; the next chunk
    repeats the trailing whole sentences of the previous one, up to ``overlap_tokens``, so a fact
    split across a boundary is still retrievable in one piece. A chunk whose text repeats an earlier
    one in the same document is skipped, which keeps ids unique within the document."""
    if max_tokens < 8:
        raise ValueError(f"max_tokens must be at least 8, got {max_tokens}")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError(f"overlap_tokens must be in [0, max_tokens), got {overlap_tokens}")
    text = doc.text
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in doc.sections:
        units: list[tuple[int, int]] = []
        for s, e in split_sentences(text[section.start : section.end], section.lang):
            s, e = s + section.start, e + section.start
            if count_tokens(text[s:e]) <= max_tokens:
                units.append((s, e))
            else:
                units.extend(_split_long(text, s, e, count_tokens, max_tokens))
        for start, end in _pack(text, units, count_tokens, max_tokens, overlap_tokens):
            piece = text[start:end]
            if piece in seen:
                continue
            seen.add(piece)
            chunks.append(
                Chunk(
                    id=chunk_id(doc.source, piece),
                    source=doc.source,
                    text=piece,
                    start=start,
                    end=end,
                    lang=section.lang,
                    ordinal=len(chunks),
                    title=doc.title,
                    date=doc.date,
                )
            )
    return chunks


def chunk_id(source: str, text: str) -> str:
    return hashlib.sha256(f"{source}\n{text}".encode()).hexdigest()[:16]


def _pack(
    text: str, units: list[tuple[int, int]], count: Callable[[str], int], max_tokens: int, overlap: int
) -> list[tuple[int, int]]:
    """Greedy packing, every size measured on the exact span (joins and paragraph breaks cost tokens
    too, so summing per-sentence counts would not be exact)."""
    out: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and count(text[units[first][0] : units[last + 1][1]]) <= max_tokens:
            last += 1
        out.append((units[first][0], units[last][1]))
        if last == len(units) - 1:
            break
        nxt = last + 1
        new_first = nxt
        while (
            new_first - 1 > first
            and count(text[units[new_first - 1][0] : units[last][1]]) <= overlap
            and count(text[units[new_first - 1][0] : units[nxt][1]]) <= max_tokens
        ):
            new_first -= 1
        first = new_first
    return out


def _split_long(
    text: str, start: int, end: int, count: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int]]:
    """An over-long sentence cut into word-aligned pieces of similar size (a greedy cut would leave a
    stub of a few words as a useless passage), preferring to cut after a comma or semicolon. A single
    word longer than the budget (a URL, a blob) is cut by characters."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    total = count(text[start:end])
    n = -(-total // max_tokens)
    budget = min(max_tokens, -(-total // n))
    while True:
        pieces = _greedy_words(text, words, count, budget, max_tokens)
        if len(pieces) <= n or budget >= max_tokens:
            return pieces
        budget = min(max_tokens, budget + max(1, max_tokens // 20))


_CLAUSE_END = re.compile(r"[,;:)]$")


def _greedy_words(
    text: str, words: list[tuple[int, int]], count: Callable[[str], int], budget: int, max_tokens: int
) -> list[tuple[int, int]]:
    """Longest runs of words within ``budget``, found by binary search (a word is at least one token,
    so a piece never has more than ``budget`` words): O(log budget) tokenizer calls per piece."""
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        p_start = words[i][0]
        first = count(text[p_start : words[i][1]])
        if first > budget:
            if first > max_tokens:
                pieces.extend(_split_chars(text, p_start, words[i][1], count, max_tokens))
            else:
                pieces.append(words[i])
            i += 1
            continue
        lo, hi = i, min(len(words) - 1, i + budget - 1)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(text[p_start : words[mid][1]]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        j = lo
        if j + 1 < len(words):  # not the last piece: back off to the nearest clause end if it is not far
            k = next((k for k in range(j, i, -1) if _CLAUSE_END.search(text[words[k][0] : words[k][1]])), None)
            if k is not None and count(text[p_start : words[k][1]]) >= 0.6 * budget:
                j = k
        pieces.append((p_start, words[j][1]))
        i = j + 1
    return pieces


def _split_chars(
    text: str, start: int, end: int, count: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    while start < end:
        lo, hi = start + 1, end  # largest cut in [lo, hi] that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(text[start:mid]) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        pieces.append((start, lo))
        start = lo
    return pieces
