"""Names as an answer writes them: whether a phrase is a name, and the words of a sentence that spell one.

A name is written in the asker's script by rules (``rag.text.names.render_name``), which the 1.5B model
does worse ("Thomas Reed" -> "Томас Редар"); but where the model writes a name it knows in the asker's
script ("Peyton Manning"), its spelling beats the rules' transliteration of the evidence's. Both need
to see names in an answer's text; consonant keys (``rag.text.translit.consonant_key``) match them across
scripts.
"""

from __future__ import annotations

import re

from rag.text.translit import consonant_key

# A word of an answer, digits included, hyphens and apostrophes inside it ("Нью-Йорк", "O'Neill", "Sky+HD").
TOKEN = re.compile(r"[^\W_]+(?:[-'’+][^\W_]+)*", re.UNICODE)


def name_as_written(sentence: str, name: str) -> str | None:
    """The words of ``sentence`` that spell ``name`` (one capitalised word for each of its words, by
    ``consonant_key``): the model's own spelling of a name it knows ("Peyton Manning") is better than the
    rules' transliteration of the evidence's ("Пейтон Мэннинг" -> "Peyton Menning"). None when the
    sentence has no such run."""
    want = [consonant_key(w) for w in TOKEN.findall(name)]
    if not want or not all(want):
        return None
    words = list(TOKEN.finditer(sentence))
    keys = [consonant_key(m.group()) for m in words]
    for i in range(len(words) - len(want) + 1):
        run = words[i : i + len(want)]
        if keys[i : i + len(want)] == want and all(m.group()[:1].isupper() or m.group()[:1].isdigit()
                                                   for m in (run[0], run[-1])):
            return sentence[run[0].start() : run[-1].end()]
    return None


_NAME_WORD = re.compile(r"^(?:[A-ZА-ЯЁƏÖÜĞİŞÇ][\w'’.-]*|\d[\w.,-]*|de|da|van|von|der|del|la|le|al|ibn|bin)$")


def is_name(phrase: str) -> bool:
    """Every word a capitalised word, a number or a name particle ("Furio De Angelis", "Нью-Йорк",
    "Super Bowl 50"): written in the asker's script by rules (``rag.text.names.render_name``), which
    the 1.5B model does worse ("Thomas Reed" -> "Томас Редар")."""
    words = phrase.split()
    return bool(words) and all(_NAME_WORD.match(w) for w in words) and any(w[:1].isupper() for w in words)
