"""Number words of az / ru / en in the forms they take in running text, and the endings glued to digits.

The same count reaches a reader as "13", "thirteen", "тринадцати" or "on üç", the same ordinal as "4th",
"4-го", "четвертого" or "dördüncü". ``NUMBER_WORDS`` maps every such word (Latin words with diacritics
folded by ``fold_diacritics``; Russian in the common case forms) to its value; ``TENS_WORDS`` are the ones
that combine with a following unit ("thirty-three", "тридцать три", "otuz üç"), ``HUNDRED_WORDS`` and
``RU_HUNDREDS`` the hundreds ("two hundred", "двести"); ``NUMBER_SUFFIXES`` are the
case and ordinal endings written after digits ("4th", "4-го", "2022-ci", "5-8-də").
"""

from __future__ import annotations

_EN_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
             "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
_EN_ORD = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
           "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
           "eighteenth", "nineteenth", "twentieth"]
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90}
# Azerbaijani, diacritics folded (üç -> uc, beş -> bes). "on" (10) is also an English preposition: see _tokens.
AZ_UNITS = {"bir": 1, "iki": 2, "uc": 3, "dord": 4, "bes": 5, "alti": 6, "yeddi": 7, "sekkiz": 8, "doqquz": 9}
_AZ_TENS = {"iyirmi": 20, "otuz": 30, "qirx": 40, "elli": 50, "altmis": 60, "yetmis": 70, "seksen": 80,
            "doxsan": 90}
_AZ_ORD = {"birinci": 1, "ikinci": 2, "ucuncu": 3, "dorduncu": 4, "besinci": 5, "altinci": 6, "yeddinci": 7,
           "sekkizinci": 8, "doqquzuncu": 9, "onuncu": 10, "iyirminci": 20}
_RU_SOFT = ["пять", "шесть", "семь", "восемь", "девять", "десять", "одиннадцать", "двенадцать", "тринадцать",
            "четырнадцать", "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать",
            "двадцать", "тридцать"]
_RU_SOFT_VALUES = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30]
_RU_ORD_STEMS = {"перв": 1, "втор": 2, "трет": 3, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7, "восьм": 8,
                 "девят": 9, "десят": 10}
_RU_ADJ_ENDINGS = ("ый", "ий", "ой", "ая", "яя", "ое", "ее", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем",
                   "ые", "ие", "ых", "их", "ыми", "ими", "ую", "юю", "ей", "ья", "ье", "ьего", "ьей", "ьему",
                   "ьим", "ьем", "ьи", "ьих", "ьими", "ью")
ROMAN = {"ii": 2, "iii": 3, "iv": 4, "vi": 6, "vii": 7, "viii": 8, "ix": 9}


def _ru_numbers() -> tuple[dict[str, int], dict[str, int]]:
    """(cardinal and ordinal forms -> value, tens forms -> value), in the common case forms."""
    words: dict[str, int] = {}
    for w in ("один", "одна", "одно", "одного", "одной", "одному", "одним", "одном", "одну"):
        words[w] = 1
    for w in ("два", "две", "двух", "двум", "двумя"):
        words[w] = 2
    for w in ("три", "трех", "трем", "тремя"):
        words[w] = 3
    for w in ("четыре", "четырех", "четырем", "четырьмя"):
        words[w] = 4
    for w, v in zip(_RU_SOFT, _RU_SOFT_VALUES, strict=True):
        words.update({w: v, w[:-1] + "и": v, w + "ю": v})
    words.update({"восьми": 8, "восемью": 8, "восьмью": 8})
    stems = dict(_RU_ORD_STEMS)
    for w, v in zip(_RU_SOFT, _RU_SOFT_VALUES, strict=True):
        if v > 10:
            stems[w[:-1]] = v  # одиннадцат-ый ... тридцат-ый
    for stem, v in stems.items():
        for ending in _RU_ADJ_ENDINGS:
            words.setdefault(stem + ending, v)
    tens = {"двадцать": 20, "двадцати": 20, "тридцать": 30, "тридцати": 30, "сорок": 40, "сорока": 40,
            "пятьдесят": 50, "пятидесяти": 50, "шестьдесят": 60, "шестидесяти": 60, "семьдесят": 70,
            "семидесяти": 70, "восемьдесят": 80, "восьмидесяти": 80, "девяносто": 90, "девяноста": 90}
    words.update(tens)
    return words, tens


_RU_WORDS, _RU_TENS = _ru_numbers()
NUMBER_WORDS: dict[str, int] = {
    **{w: i + 1 for i, w in enumerate(_EN_UNITS)},
    **{w: i + 1 for i, w in enumerate(_EN_ORD)},
    **_EN_TENS,
    **AZ_UNITS,
    **_AZ_TENS,
    **_AZ_ORD,
    **_RU_WORDS,
}
TENS_WORDS = {**_EN_TENS, **_AZ_TENS, **_RU_TENS}
# Hundreds: en / az multiply the unit before them ("two hundred", "iki yüz"; az "yüz" alone is also
# "face", so only after a unit); Russian writes each hundred as one word (nominative / accusative).
HUNDRED_WORDS = {"hundred", "yuz"}
RU_HUNDREDS = {"сто": 100, "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
               "семьсот": 700, "восемьсот": 800, "девятьсот": 900}

# Endings glued to a number ("4th", "4-го", "2022-ci", "5-8-də"): dropped so "4-го" == "4th" == "4".
NUMBER_SUFFIXES = {
    "st", "nd", "rd", "th", "s",
    "й", "я", "е", "го", "ого", "его", "му", "ому", "ему", "м", "ом", "ем", "х", "ых", "их", "ми", "ю", "ая", "ое",
    "ой", "ый", "ий", "ые", "ти", "и", "ть", "тью", "ью",
    "ci", "cu", "nci", "ncu", "inci", "unci", "uncu", "da", "de", "dan", "den", "ta", "te", "tan", "ten", "a", "e",
    "ya", "ye", "i", "u", "yi", "yu", "in", "un", "nin", "nun", "dek", "dak", "lar", "ler", "larda", "lerde",
}
