"""Cyrillic <-> Latin transliteration for az / ru / en, one table per direction.

The same person is "Вусал Гусейнов" in a Russian article, "Vüsal Hüseynov" in an Azerbaijani one and
"Vusal Huseynov" in English. Two jobs use these tables:

- writing a name for a reader of another language (the answer stage): ``to_latin`` (Гусейнов ->
  Guseynov, Щукин -> Shchukin), ``to_cyrillic`` (Hüseynov -> Гусейнов, by the Russian conventions for
  Azerbaijani names: h -> г, c -> дж, ı -> ы) and ``az_to_english`` (Məmmədov -> Mammadov);
- comparing names across scripts (the citation verifier, the eval scorer): ``latin_skeleton``, and the
  loose table ``CYRILLIC_TO_LATIN_LOOSE`` (the same table with ё read as е and щ as ш) on which the
  scorer builds its consonant skeletons (evals.normalise).
"""

from __future__ import annotations

import re
import unicodedata

from rag.text.fold import lower_any

# Lower-case Cyrillic letter -> Latin, as a name is spelled for a reader (Russian letters plus the
# Azerbaijani Cyrillic ә ғ ө ү һ, and і қ).
CYRILLIC_TO_LATIN: dict[str, str] = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғөүһіқ",
    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "e", "g", "o", "u", "h", "i", "k"],
    strict=True))
# For comparing names: ё is printed as е as often as not, and "shch" would not meet the "sh" of other
# renderings of щ. (The verifier has always compared names this way.)
CYRILLIC_TO_LATIN_LOOSE: dict[str, str] = {**CYRILLIC_TO_LATIN, "ё": "e", "щ": "sh"}

# Latin (Azerbaijani spelling, or the Russian-style Latin of to_latin) -> Cyrillic, by the Russian
# conventions for Azerbaijani names; tried in this order, digraphs first.
LATIN_TO_CYRILLIC: tuple[tuple[str, str], ...] = (
    ("sh", "ш"), ("ch", "ч"), ("kh", "х"), ("ya", "я"), ("yu", "ю"), ("yə", "е"), ("ye", "е"),
    ("a", "а"), ("b", "б"), ("c", "дж"), ("ç", "ч"), ("d", "д"), ("e", "е"), ("ə", "а"), ("f", "ф"),
    ("g", "г"), ("ğ", "г"), ("h", "г"), ("x", "х"), ("ı", "ы"), ("i", "и"), ("j", "ж"), ("k", "к"),
    ("q", "г"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("ö", "ё"), ("p", "п"), ("r", "р"),
    ("s", "с"), ("ş", "ш"), ("t", "т"), ("u", "у"), ("ü", "у"), ("v", "в"), ("y", "й"), ("z", "з"),
    ("w", "в"))

# Azerbaijani Latin letters as Russian-to-Latin transliteration spells the same sounds (for skeletons).
AZ_LATIN: dict[str, str] = {"ə": "e", "ı": "y", "ş": "sh", "ç": "ch", "ğ": "g", "ö": "o", "ü": "u", "x": "kh",
                            "q": "g", "j": "zh", "w": "v", "c": "dzh"}
_AZ_LATIN = str.maketrans(AZ_LATIN)

# Azerbaijani Latin -> the English spelling of az names (Məmmədov -> Mammadov, Hacıyev -> Hajiyev).
_AZ_TO_ENGLISH = str.maketrans({"ə": "a", "Ə": "A", "ı": "i", "İ": "I", "ğ": "gh", "Ğ": "Gh", "ş": "sh",
                                "Ş": "Sh", "ç": "ch", "Ç": "Ch", "ö": "o", "Ö": "O", "ü": "u", "Ü": "U",
                                "x": "kh", "X": "Kh", "q": "g", "Q": "G", "c": "j", "C": "J"})
_WORDS = re.compile(r"\S+")


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
    """Latin (Azerbaijani spelling) -> Russian Cyrillic: Hüseynov -> Гусейнов, Almatı -> Алматы; word by
    word (a word is what spaces separate), a capital kept on its first letter; other characters are kept."""
    return _WORDS.sub(lambda m: _word_to_cyrillic(m.group()), text)


def _word_to_cyrillic(word: str) -> str:
    low, out, i = lower_any(word), "", 0
    while i < len(low):
        for latin, cyr in LATIN_TO_CYRILLIC:
            if low.startswith(latin, i):
                out += cyr
                i += len(latin)
                break
        else:
            out += low[i]
            i += 1
    return out[:1].upper() + out[1:] if word[:1].isupper() else out


def az_to_english(text: str) -> str:
    """Azerbaijani Latin letters in English spelling: Məmmədov -> Mammadov, Hacıyev -> Hajiyev."""
    return text.translate(_AZ_TO_ENGLISH)


def latin_skeleton(word: str) -> str:
    """One Latin skeleton for the az / ru / en spellings of a word (for matching names across scripts).

    Cyrillic is transliterated (loosely), then Azerbaijani Latin letters are spelled the Russian way,
    marks are dropped, and the letters that alternate between az and ru renderings are merged: h/g/kh
    (Hüseynov ~ Гусейнов) and y/i.
    """
    w = word.lower().replace("i̇", "i")
    w = "".join(CYRILLIC_TO_LATIN_LOOSE.get(ch, ch) for ch in w).translate(_AZ_LATIN)
    w = _strip_marks(w)
    return w.replace("kh", "h").replace("g", "h").replace("y", "i")


def consonant_key(word: str) -> str:
    """The consonants of ``latin_skeleton(word)``, doubled letters merged: transliteration mostly
    varies the vowels (Manning ~ Мэннинг ~ "Menning", Maizière ~ Мезьер), so a name written by the model
    and the same name transliterated by rules share this key. English "j" and Russian "дж" meet at "zh"
    (James ~ Джеймс: ``latin_skeleton`` reads Latin "j" the Azerbaijani way)."""
    w = latin_skeleton(word)
    for a, b in (("dzh", "zh"), ("th", "t"), ("ph", "f"), ("ck", "k"), ("z", "s"), ("w", "v")):
        w = w.replace(a, b)
    w = re.sub(r"[aeiouyьъ']", "", w)
    return re.sub(r"(.)\1+", r"\1", w)


def _strip_marks(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
