"""Does a question lean on the conversation before it? Pronouns, connectives and missing names.

"What did he do at the meeting?" needs the previous turn to be understood; "Кто является начальником
ГМС?" does not, and retrieving it mixed with the previous turn answers the wrong question (the previous
topic's person). A question leans on the history when it

- holds a word that points back: a personal or demonstrative pronoun ("he", "его", "o", "bu"), "else"
  ("ещё", "başqa"), "such" in Russian ("таких"), "there"/"then";
- opens with a connective that continues a thread ("And …", "А …", "Bəs …");
- names nothing: no capitalised word after its first (unless that is an acronym), no digit ("How long
  did the meeting last?"). A question that names no person, place, organisation or date can only be
  about what was said before.

Language data only (az/ru/en function words). Wrongly calling a standalone question a follow-up costs
what it cost before this test existed (the previous turn mixed in); the reverse loses the thread, so the
lists lean towards "follow-up".
"""

from __future__ import annotations

import re

# Words that point back to something named earlier, by language (lower-case, whole words).
_POINTERS = {
    # English. "that" is left out: it is mostly a conjunction or relative ("the document that ...");
    # "before that"/"after that" are caught by _EN_THAT.
    # Possessives ("its", "their", "his") are left out too: they mostly point inside the question ("the
    # Almaty Process hold its 8th meeting"); "What was his role?" names nothing and is caught by that rule.
    "en": {"he", "she", "it", "they", "them", "him", "this", "these", "those", "else", "there", "then",
           "former", "latter"},
    "ru": {"он", "она", "оно", "они", "его", "её", "ее", "их", "ему", "ей", "им", "ним", "ними", "нему",
           "неё", "нее", "ней", "нём", "нем", "них", "него", "этот", "эта", "это", "эти", "этого", "этой",
           "этому", "этим", "этом", "этих", "эту", "тот", "та", "те", "того", "той", "тому", "тем", "том",
           "тех", "такой", "такая", "такие", "таких", "такого", "там", "тогда", "ещё", "еще", "остальные"},
    "az": {"o", "onu", "onun", "ona", "onda", "ondan", "onlar", "onları", "onların", "onlara", "onlardan",
           "bu", "bunu", "bunun", "buna", "burada", "bunlar", "bunların", "həmin", "orada", "oradan",
           "başqa", "digər", "daha"},
}
_OPENERS = {"and", "but", "also", "so", "а", "и", "но", "также", "bəs", "və", "həm", "yəni"}
_EN_THAT = re.compile(r"\b(?:before|after|than|of|at|in|on|about|from|with|by|for|during)\s+that\b", re.I)
_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_CAPITAL = re.compile(r"^[A-ZÀ-ÖØ-ÞƏİĞŞÇÖÜА-ЯЁ]")
_ACRONYM = re.compile(r"^[A-ZƏİĞŞÇÖÜА-ЯЁ]{2,}")
_POINTER_WORDS = frozenset().union(*_POINTERS.values())


def _lower(word: str) -> str:
    # Azerbaijani capital İ lower-cases to i (Python gives "i̇"); I is dotless ı only in az, rare here.
    return word.replace("İ", "i").lower()


def leans_on_history(question: str) -> bool:
    """True when the question cannot be understood without the turns before it (module docstring)."""
    words = _WORD.findall(question)
    if not words:
        return False
    lowered = [_lower(w) for w in words]
    if lowered[0] in _OPENERS or any(w in _POINTER_WORDS for w in lowered):
        return True
    if _EN_THAT.search(question):
        return True
    # The first word is capitalised anyway; it counts as a name only as an acronym ("DMX", "UNSDCF").
    names_something = (bool(_ACRONYM.match(words[0])) or any(_CAPITAL.match(w) for w in words[1:])
                       or any(ch.isdigit() for ch in question))
    return not names_something
