"""rag.text on sentences of the seed articles: case and diacritic folding (Azerbaijani dotted and
dotless i), transliteration both ways, the one sentence splitter, month and number words."""

from __future__ import annotations

import pytest

from rag.text.fold import fold_diacritics, has_cyrillic, lower_any, lower_text
from rag.text.months import MONTH_FORMS, MONTHS
from rag.text.numbers import NUMBER_SUFFIXES, NUMBER_WORDS
from rag.text.sentences import sentence_window, split_sentences
from rag.text.translit import az_to_english, latin_skeleton, to_cyrillic, to_latin

# From seeds/000_* (az), 001_* (az), 002_* (ru), 003_* (en), 004_* (az).
AZ = ("Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna hazırlıq "
      "çərçivəsində baş tutub.")
AZ_CAPS = "İRAN, İTALİYA VƏ QIRĞIZISTAN"
RU = "В.Гусейнов подчеркнул, что Азербайджан участвует в Форуме в качестве одной из 33 стран."
EN = "Mentioning that Azerbaijan is among the first countries, Mr. Vusal Huseynov expressed his belief."


def test_azerbaijani_dotted_and_dotless_i() -> None:
    # az: "I" is dotless ı, "İ" is i; en/ru: "I" is i; str.lower alone would leave "i" + U+0307.
    assert lower_text(AZ_CAPS, "az") == "iran, italiya və qırğızıstan"
    assert lower_text("IRAN", "en") == "iran"
    assert "\u0307" in "İcmalı".lower() and lower_text("İcmalı", "az") == "icmalı"
    assert lower_any("İcmalı Forumuna") == "icmalı forumuna"
    # Folding makes both rules meet: dotless ı and dotted i are one letter afterwards.
    assert fold_diacritics(lower_text("QIRĞIZISTAN", "az")) == fold_diacritics(lower_text("QIRĞIZISTAN", "en"))
    assert fold_diacritics("qırğızıstan") == "qirgizistan"


def test_fold_diacritics_is_letter_by_letter_and_keeps_cyrillic() -> None:
    assert fold_diacritics(lower_any(AZ)).startswith("bildirilib ki, tedbir mayin 5-8-de kecirilecek ikinci")
    assert fold_diacritics("hüseynov") == fold_diacritics("huseynov") == "huseynov"
    assert fold_diacritics("ещё йод") == "еще йод"  # й must not become и
    # A sentence mixing scripts folds its Latin words too (the scorer folds whole answers).
    assert fold_diacritics("гусейнов (hüseynov)") == "гусейнов (huseynov)"
    assert has_cyrillic(RU) and not has_cyrillic(AZ)


def test_transliteration_both_ways() -> None:
    assert to_latin("Гусейнов") == "Guseynov"
    assert to_latin("Вусал Гусейнов") == "Vusal Guseynov"
    assert to_latin("Алматинский процесс") == "Almatinskiy protsess"
    assert to_cyrillic("Guseynov") == "Гусейнов"
    assert to_cyrillic("Vüsal") == "Вусал"
    assert to_cyrillic("Almatı") == "Алматы"
    assert to_cyrillic("Qırğızıstan") == "Гыргызыстан"  # az letters spelled the Russian way first
    assert to_cyrillic(to_latin("Гусейнов")) == "Гусейнов"
    # Russian conventions for az names: h -> г, c -> дж; "İ" leaves no combining dot behind.
    assert to_cyrillic("Vüsal Hüseynov") == "Вусал Гусейнов"
    assert to_cyrillic("İcmalı") == "Иджмалы"
    assert to_latin("Щукин") == "Shchukin" and to_latin("IT-индустрии") == "IT-industrii"
    assert az_to_english("Məmmədov") == "Mammadov" and az_to_english("Hacıyev") == "Hajiyev"


def test_latin_skeleton_matches_a_name_across_scripts_and_cases() -> None:
    assert latin_skeleton("Гусейнов") == latin_skeleton("Hüseynov") == latin_skeleton("Huseynov")
    assert latin_skeleton("Гусейновым").startswith(latin_skeleton("Hüseynov"))
    assert latin_skeleton("Вусал") == latin_skeleton("Vüsal")
    assert latin_skeleton("İcmalı") == latin_skeleton("icmali")
    assert latin_skeleton("Пётр") == latin_skeleton("Петр") and latin_skeleton("Щукин") == "shukin"


def sentences(text: str, lang: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, lang)]


@pytest.mark.parametrize(("text", "lang", "expected"), [
    # Initials: the regex splitter the verifier used to have cut these after "V." / "В.".
    ("Azərbaycanın siyasətini qeyd edən V.Hüseynov şəraitin yaradıldığını diqqətə çatdırıb. "
     "V.Hüseynov bildirib ki, iclas keçirilib.", "az",
     ["Azərbaycanın siyasətini qeyd edən V.Hüseynov şəraitin yaradıldığını diqqətə çatdırıb.",
      "V.Hüseynov bildirib ki, iclas keçirilib."]),
    ("Поблагодарил президента Генассамблеи ООН. В.Гусейнов подчеркнул, что Азербайджан участвует.", "ru",
     ["Поблагодарил президента Генассамблеи ООН.", "В.Гусейнов подчеркнул, что Азербайджан участвует."]),
    # "г." after a year closes the dateline; elsewhere ("в г. Баку") it is an abbreviation.
    ("21 мая 2022 г. 16:49", "ru", ["21 мая 2022 г.", "16:49"]),
    ("Встреча прошла в г. Баку. Итоги подведены.", "ru", ["Встреча прошла в г. Баку.", "Итоги подведены."]),
    (EN + " The UNNM interlinks the priority areas.", "en",
     [EN, "The UNNM interlinks the priority areas."]),
    ("In his speech Mr. Gulam Isaczai highlighted the importance of cooperation.", "unknown",
     ["In his speech Mr. Gulam Isaczai highlighted the importance of cooperation."]),
    ("525.Az\n23.05.2018 çap et", "az", ["525.Az", "23.05.2018 çap et"]),
])
def test_one_splitter_knows_abbreviations(text: str, lang: str, expected: list[str]) -> None:
    assert sentences(text, lang) == expected


def test_sentence_window() -> None:
    spans = split_sentences("Bu barədə DMX-dən məlumat verilib. " + AZ + " Sonda müzakirə aparılıb.", "az")
    assert len(spans) == 3
    assert sentence_window(spans, 0) == (spans[0][0], spans[1][1])
    assert sentence_window(spans, 1) == (spans[0][0], spans[2][1])
    assert sentence_window(spans, 2) == (spans[1][0], spans[2][1])


@pytest.mark.parametrize(("form", "month"), [
    ("mayın", 5), ("mayda", 5), ("oktyabrın", 10), ("fevral", 2), ("fevraldan", 2), ("martadek", 3),
    ("мая", 5), ("май", 5), ("мае", 5), ("маем", 5), ("марта", 3), ("марте", 3), ("августом", 8),
    ("февраля", 2), ("феврале", 2), ("may", 5), ("sept", 9), ("december", 12),
])
def test_month_words_in_their_case_forms(form: str, month: int) -> None:
    assert MONTH_FORMS[fold_diacritics(form)] == month


def test_month_table_is_parallel() -> None:
    assert all(len(names) == 12 for names in MONTHS.values())
    for i in range(12):
        forms = {MONTH_FORMS[fold_diacritics(MONTHS[lang][i].lower())] for lang in MONTHS}
        assert forms == {i + 1}


@pytest.mark.parametrize(("word", "value"), [
    ("thirteen", 13), ("fourth", 4), ("тринадцати", 13), ("третьей", 3), ("четвертого", 4), ("тридцати", 30),
    ("uc", 3), ("ucuncu", 3), ("otuz", 30), ("ikinci", 2),
])
def test_number_words(word: str, value: int) -> None:
    assert NUMBER_WORDS[word] == value


def test_endings_glued_to_numbers() -> None:
    # "4-го", "4th", "2022-ci", "5-8-də" (diacritics folded)
    assert {"го", "th", "ci", fold_diacritics("də")} <= NUMBER_SUFFIXES


def test_rag_text_is_the_bottom_layer() -> None:
    """rag.text imports nothing else of rag, so every layer (and evals) can use it without a cycle."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    # The package root (rag/__init__.py) loads rag.settings for every importer; measured from after it.
    probe = ("import json, pkgutil, sys, importlib, rag\n"
             "before = set(sys.modules)\n"
             "import rag.text\n"
             "names = [m.name for m in pkgutil.walk_packages(rag.text.__path__, 'rag.text.')]\n"
             "[importlib.import_module(n) for n in names]\n"
             "print(json.dumps({'names': names, 'loaded': sorted(m for m in set(sys.modules) - before"
             " if m.startswith('rag.') and not m.startswith('rag.text'))}))")
    root = Path(__file__).resolve().parent.parent
    out = json.loads(subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True,
                                    check=True).stdout)
    assert {"rag.text.fold", "rag.text.sentences", "rag.text.translit"} <= set(out["names"])
    assert out["loaded"] == []
