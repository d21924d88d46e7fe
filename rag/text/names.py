"""Capitalised name spans in az/ru/en sentences, their case endings stripped, written in another script.

"Anna Proxorovanın" is "Anna Proxorova" in the genitive; "Вусалом Гусейновым" is "Вусал Гусейнов" in
the instrumental. An answer names the person in the nominative, and in the asker's script: "Vusal
Huseynov" for English, "Вусал Гусейнов" for Russian. Language data only (case endings, letters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.translit import az_to_english, to_cyrillic, to_latin

_CAP = r"(?:[A-ZÀ-ÖØ-ÞƏİĞŞÇÖÜА-ЯЁ][\w'’-]*)"
_SPAN = re.compile(rf"{_CAP}(?:\s+(?:de|da|van|von|ibn|De){{0,1}}\s*{_CAP})*", re.UNICODE)
_ACRONYM = re.compile(r"^[A-ZƏİĞŞÇÖÜА-ЯЁ]{2,}[a-zə]{0,2}[A-ZƏİĞŞÇÖÜА-ЯЁ]*$")

# Azerbaijani case and possessive endings (longest first), after a name or after an apostrophe/hyphen:
# Proxorovanın, Bakıda, Hüseynovun, BMT-nin, "Report"a.
_AZ_ENDINGS = sorted(["nın", "nin", "nun", "nün", "ın", "in", "un", "ün", "ya", "yə", "a", "ə", "da", "də", "dan",
                      "dən", "dakı", "dəki", "la", "lə", "nı", "ni", "nu", "nü", "ı", "i", "u", "ü"],
                     key=len, reverse=True)
# Russian case endings of surnames in -ов/-ев/-ин and first names: Гусейновым, Гусейнова, Шахидом.
_RU_SURNAME = re.compile(r"^(.+(?:ов|ев|ёв|ин|ын))(?:ым|ом|а|у|е|ой|ым)$")
_RU_NAME = re.compile(r"^(.+[бвгджзклмнпрстфхцчшщ])(?:ом|ем|у|а|е)$")
_RU_FEMININE = re.compile(r"^(.+[бвгдзклмнпрстфх])(?:ой|ы|е|у)$")  # Абдуллой -> Абдулла


@dataclass(frozen=True)
class Name:
    start: int
    end: int
    surface: str  # as written
    base: str  # case endings stripped
    acronym: bool


def strip_az(word: str) -> str:
    """"Proxorovanın" -> "Proxorova", "BMT-nin" -> "BMT", "Bakıda" -> "Bakı" (longest ending first,
    never leaving fewer than three letters)."""
    for sep in ("-", "'", "’"):
        if sep in word:
            head, tail = word.rsplit(sep, 1)
            if tail.lower() in _AZ_ENDINGS:
                return head
    low = word.lower()
    for e in _AZ_ENDINGS:
        if low.endswith(e) and len(word) - len(e) >= 3 and len(e) >= 2:
            return word[: -len(e)]
    return word


def strip_ru(word: str) -> str:
    """"Гусейновым" -> "Гусейнов", "Шахидом" -> "Шахид", "Вусалом" -> "Вусал"."""
    m = _RU_SURNAME.match(word) or _RU_NAME.match(word)
    if m and len(m.group(1)) >= 3:
        return m.group(1)
    f = _RU_FEMININE.match(word)
    return f.group(1) + "а" if f and len(f.group(1)) >= 3 and word.endswith("ой") else word


_RU_INSTRUMENTAL = re.compile(r"(?:ом|ем|ым|им|ой)$")


def nominative_ru(name: str) -> str:
    """A Russian name in the instrumental case back in the nominative, when every word of it ends like
    one ("Чарльзом Ричардом" -> "Чарльз Ричард", "Гусейновым" -> "Гусейнов"); any other name as it is
    (a lone "-а"/"-у" may be a nominative: "Анна", "Гага")."""
    words = name.split()
    cyrillic = [w for w in words if _CYR.search(w)]
    if not cyrillic or not all(_RU_INSTRUMENTAL.search(w) for w in cyrillic):
        return name
    return " ".join(strip_ru(w) if _CYR.search(w) else w for w in words)


def find_names(text: str, lang: str) -> list[Name]:
    """Runs of capitalised words, and acronyms, with their case endings stripped in ``base``."""
    out = []
    for m in _SPAN.finditer(text):
        # An acronym inside a run ("Ассамблеи ООН Абдуллой") separates two names.
        pieces, pos = [], m.start()
        for w in re.finditer(r"\S+", m.group()):
            if _ACRONYM.match(w.group()):
                pieces += [(pos, m.start() + w.start()), (m.start() + w.start(), m.start() + w.end())]
                pos = m.start() + w.end()
        pieces.append((pos, m.end()))
        for a, b in pieces:
            name = _name(text, a, b, lang)
            if name is not None:
                out.append(name)
    return out


def _name(text: str, a: int, b: int, lang: str) -> Name | None:
    raw = text[a:b]
    lead = len(raw) - len(raw.lstrip(" -'’"))
    surface = raw.strip(" -'’")
    if not surface:
        return None
    start = a + lead
    words = surface.split()
    acronym = all(_ACRONYM.match(w) for w in words)
    strip = strip_ru if lang == "ru" else strip_az if lang == "az" else (lambda w: w)
    base = " ".join([*words[:-1], strip(words[-1])]) if lang == "az" or acronym else " ".join(
        strip(w) for w in words)
    if lang == "az" and acronym:
        base = " ".join(strip_az(w) for w in words)
    return Name(start, start + len(surface), surface, base, acronym)


# -- transliteration: rag.text.translit ------------------------------------------------------------

_CYR = re.compile(r"[А-Яа-яЁё]")


def render_name(name: str, lang: str, source_lang: str = "az") -> str:
    """``name`` in the script of ``lang``: Cyrillic for ru, Latin for az/en; acronyms are kept. Latin
    names are read as Azerbaijani spelling unless ``source_lang`` is "en", or "ru" (a Latin name inside
    Russian text is written as in its own language: "Level 3 Communications"), then kept as written."""
    words = name.split()
    if lang == "ru":
        if source_lang == "en":
            return name
        return " ".join(w if _CYR.search(w) or _ACRONYM.match(w) else to_cyrillic(w) for w in words)
    if source_lang == "en":
        return name
    out = []
    for w in words:
        if _CYR.search(w):
            out.append(w if _ACRONYM.match(w) else to_latin(w))
        else:
            out.append(az_to_english(w) if lang == "en" and source_lang != "ru" and not _ACRONYM.match(w) else w)
    return " ".join(out)
