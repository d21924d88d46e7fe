"""Cyrillic <-> Latin transliteration for az / ru / en, from one table.

The same person is "Вусал Гусейнов" in a Russian article, "Vüsal Hüseynov" in an Azerbaijani one and
"Vusal Huseynov" in English. ``CYRILLIC_TO_LATIN`` is the one letter table (Russian letters plus the
Azerbaijani Cyrillic ones ә ғ ө ү һ, and і қ); ``AZ_LATIN`` spells Azerbaijani Latin letters the way
Russian-to-Latin transliteration does (ş -> sh, x -> kh, c -> dzh, q -> g). Both directions are built on
them: ``to_latin`` (Гусейнов -> Guseynov) and ``to_cyrillic`` (Hüseynov -> Хусейнов, Guseynov -> Гусейнов).

``latin_skeleton`` is what the citation verifier compares names by: one Latin spelling in which the
letters that differ between the az and ru renderings of a name are merged (h/g/kh, y/i), so
Гусейновым, Hüseynov and Huseynov share a prefix. The eval scorer builds its own, stricter consonant
skeletons (evals.normalise) on the same table.
"""

from __future__ import annotations

import unicodedata

# Lower-case Cyrillic letter -> Latin. "щ" is "sh" (not "shch"): names compare better that way, and the
# verifier has always used it.
CYRILLIC_TO_LATIN: dict[str, str] = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғөүһіқ",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "kh", "ts", "ch", "sh", "sh", "", "y", "", "e", "yu", "ya", "e", "g", "o", "u", "h", "i", "k"],
    strict=True))

# Azerbaijani Latin letters as Russian-to-Latin transliteration spells the same sounds.
AZ_LATIN: dict[str, str] = {"ə": "e", "ı": "y", "ş": "sh", "ç": "ch", "ğ": "g", "ö": "o", "ü": "u", "x": "kh",
                            "q": "g", "j": "zh", "w": "v", "c": "dzh"}
_AZ_LATIN = str.maketrans(AZ_LATIN)

# Latin -> Cyrillic: the table read backwards, longest spelling first; where several Cyrillic letters
# share a spelling the Russian default wins (e -> е, y -> й, i -> и, sh -> ш, g -> г, k -> к).
_PREFERRED = "абвгдежзийклмнопрстуфхцчшюя"
_TO_CYRILLIC: dict[str, str] = {CYRILLIC_TO_LATIN[c]: c for c in reversed(_PREFERRED)}
_TO_CYRILLIC.update({"h": "х", "ı": "ы"})  # "ı" only from Azerbaijani text
_LONGEST = max(map(len, _TO_CYRILLIC))


def to_latin(text: str) -> str:
    """Cyrillic letters -> Latin (Гусейнов -> Guseynov); every other character is kept."""
    out = []
    for ch in text:
        low = ch.lower()
        latin = CYRILLIC_TO_LATIN.get(low)
        if latin is None:
            out.append(ch)
        else:
            out.append(latin.capitalize() if ch != low else latin)
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """Latin (az or en spelling) -> Russian Cyrillic, best effort: Hüseynov -> Хусейнов, Almatı -> Алматы.

    Read left to right, a spelling of the table first ("shch" is ш + ч, "kh" is х); a single letter is
    first spelled the Russian way (``AZ_LATIN``: ş -> sh, c -> dzh; "ı" is "ы"). Other characters are kept.
    """
    out = []
    i = 0
    while i < len(text):
        size = next((n for n in range(_LONGEST, 1, -1) if text[i : i + n].lower() in _TO_CYRILLIC), 1)
        piece = text[i : i + size]
        low = piece.lower()
        if size == 1 and low != "ı":
            low = _strip_marks(AZ_LATIN.get(low, low))
        cyr = _spell(low)
        out.append(cyr.capitalize() if piece[:1].isupper() else cyr)
        i += size
    return "".join(out)


def _spell(latin: str) -> str:
    """Lower-case Latin -> Cyrillic by the reversed table, longest spelling first."""
    out = []
    i = 0
    while i < len(latin):
        size = next((n for n in range(_LONGEST, 0, -1) if latin[i : i + n] in _TO_CYRILLIC), 0)
        out.append(_TO_CYRILLIC[latin[i : i + size]] if size else latin[i])
        i += size or 1
    return "".join(out)


def latin_skeleton(word: str) -> str:
    """One Latin skeleton for the az / ru / en spellings of a word (for matching names across scripts).

    Cyrillic is transliterated, then Azerbaijani Latin letters are spelled the Russian way, marks are
    dropped, and the letters that alternate between az and ru renderings are merged: h/g/kh
    (Hüseynov ~ Гусейнов) and y/i.
    """
    w = word.lower().replace("i̇", "i")
    w = "".join(CYRILLIC_TO_LATIN.get(ch, ch) for ch in w).translate(_AZ_LATIN)
    w = _strip_marks(w)
    return w.replace("kh", "h").replace("g", "h").replace("y", "i")


def _strip_marks(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
