"""The content words of a question, compared with a sentence across scripts and case endings.

A multilingual embedder blurs names and numbers ("Hüseynov" ~ "Гусейнов", "2026"), which is exactly
what a factual question shares with its answer sentence. Words are reduced to one Latin skeleton
(``rag.text.translit.latin_skeleton``: transliteration, diacritics off) and compared by their first five
letters, which absorbs most az/ru case endings (Hüseynovun, Гусейнова).
"""

from __future__ import annotations

import re

from rag.index.lexical import STOPWORDS
from rag.text.translit import latin_skeleton

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STEM = 5
# Question words and fillers of the three languages that no answer sentence needs to share.
_EXTRA = {latin_skeleton(w) for w in """
    when what which who whom whose where why how many much does did take place held year date name
    когда какой какая какие каком какого кто где сколько почему зачем году дата называется
    nə niyə necə hansı harada kim kimi neçə neçənci zaman vaxt tarix adı edir olub keçirilib
    """.split()}  # noqa: SIM905
# The stopwords of all three languages as latin_skeleton() spells them (shared with rag.answer.shorten).
SKELETON_STOPWORDS = frozenset(latin_skeleton(w) for lang in STOPWORDS.values() for w in lang)
_STOP = SKELETON_STOPWORDS | _EXTRA


def content_terms(text: str) -> list[str]:
    """Distinct skeleton stems of the words that carry content: numbers and words of 4+ letters."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        w = m.group()
        f = latin_skeleton(w)
        if w.isdigit() or (len(w) >= 4 and f not in _STOP):
            stem = f if w.isdigit() else f[:_STEM]
            if stem not in out:
                out.append(stem)
    return out


def term_overlap(terms: list[str], sentence: str) -> float:
    """Share of ``terms`` found in ``sentence`` (0 when there are none)."""
    if not terms:
        return 0.0
    have = set()
    for m in _WORD.finditer(sentence):
        w = m.group()
        f = latin_skeleton(w)
        have.add(f if w.isdigit() else f[:_STEM])
    return sum(t in have for t in terms) / len(terms)
