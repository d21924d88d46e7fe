"""Month names of az / ru / en and the forms they take in running text.

``MONTHS`` gives one display name per language (the Russian one in the genitive, the form dates use:
"5 мая"); the answer stage glosses dates with it and the verifier counts month names as numbers.
``MONTH_FORMS`` maps every case form a month name takes, written as ``fold_diacritics`` leaves it
(Azerbaijani "mayın", "oktyabrdan", "martadək"; Russian "май", "мая", "мае", "маю", "маем"; English names
and their abbreviations), to the month's number: the eval scorer reads dates with it.
"""

from __future__ import annotations

MONTHS: dict[str, list[str]] = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "az": ["yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr", "oktyabr",
           "noyabr", "dekabr"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
           "октября", "ноября", "декабря"],
}

EN_MONTH_ABBREVIATIONS: dict[str, int] = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                                          "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
# Case endings after an Azerbaijani month name, diacritics folded: mayın, mayda, oktyabrdan, martadək ...
AZ_MONTH_SUFFIXES = ("", "in", "un", "nin", "da", "de", "dan", "den", "a", "e", "i", "u", "dek", "dak", "adek",
                     "edek", "a-dek")


def _ru_endings(stem: str) -> tuple[str, ...]:
    """Nominative, genitive, prepositional, dative, instrumental endings of a Russian month stem."""
    if stem == "ма":
        return ("й", "я", "е", "ю", "ем")
    if stem in ("март", "август"):
        return ("", "а", "е", "у", "ом")
    return ("ь", "я", "е", "ю", "ем")


def _month_forms() -> dict[str, int]:
    forms: dict[str, int] = {}
    for i, name in enumerate(MONTHS["en"], 1):
        forms[name.lower()] = i
    forms.update(EN_MONTH_ABBREVIATIONS)
    for i, stem in enumerate(MONTHS["az"], 1):
        for suffix in AZ_MONTH_SUFFIXES:
            forms.setdefault(stem + suffix, i)
    for i, genitive in enumerate(MONTHS["ru"], 1):
        stem = genitive[:-1]  # января -> январ, мая -> ма, марта -> март
        for ending in _ru_endings(stem):
            forms[stem + ending] = i
    return forms


MONTH_FORMS: dict[str, int] = _month_forms()
