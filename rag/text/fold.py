"""Case and diacritic folding for az / ru / en text.

Three different jobs, three names:

- ``lower_text(text, lang)``: lower-casing by the rules of one language. Azerbaijani (like Turkish) maps
  "I" to dotless "ı" and "İ" to "i"; English and Russian map "I" to "i". Python's own ``str.lower``
  turns "İ" into "i" plus a combining dot (U+0307), which would split or mis-match words, so "İ" -> "i"
  is done for every language.
- ``lower_any(text)``: one lower-casing for text whose language is unknown or mixed: the combining dot
  that ``str.lower`` leaves after "İ" is dropped and "ё" becomes "е" (Russian writes both). The az "I"
  rule is not applied; callers that need it fold diacritics afterwards, where "ı" and "i" meet anyway.
- ``fold_diacritics(word)``: the diacritic-insensitive form of a lower-case word: Latin letters lose their
  marks (ə->e, ı->i, ö->o, ü->u, ç->c, ş->s, ğ->g, other accents dropped, ø->o, ß->ss ...), Cyrillic keeps
  its letters ("й" must stay "й", which NFKD would turn into "и") except "ё" -> "е". Many Azerbaijani
  users type without diacritics ("Huseynov", "ucun") and names cross languages with and without them,
  so the index, its queries and the eval scorer all compare words in this form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Letters that Unicode decomposition does not reduce to ASCII.
_LATIN_FOLD = str.maketrans({"ə": "e", "ı": "i", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d",
                             "ł": "l", "ħ": "h"})


def has_cyrillic(text: str) -> bool:
    return CYRILLIC.search(text) is not None


def lower_text(text: str, lang: str) -> str:
    """Lower-case ``text`` by the rules of ``lang`` (Azerbaijani dotted/dotless i; see module doc)."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("İ", "i")
    if lang == "az":
        text = text.replace("I", "ı")
    return text.lower()


def lower_any(text: str) -> str:
    """Lower-case for all three languages at once: "İ" -> "i" (no combining dot), "ё" -> "е"."""
    return text.lower().replace("\u0307", "").replace("ё", "е")


@lru_cache(maxsize=200_000)
def fold_diacritics(text: str) -> str:
    """Diacritic-insensitive form of lower-case text (see module doc), letter by letter, so a word or a
    whole sentence of mixed scripts folds the same way; Cyrillic letters are kept (only "ё" -> "е")."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif "\u0400" <= ch <= "\u04ff":
            out.append("е" if ch == "ё" else ch)
        else:
            decomposed = unicodedata.normalize("NFKD", ch.translate(_LATIN_FOLD))
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)
