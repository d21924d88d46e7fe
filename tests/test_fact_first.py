"""Fact first (rag.answer.shorten): the checked answer sentence cut to what the question did not say,
and the check that an answer's added names occur in its cited passages. Pure text rules: answers as the
1.5B model wrote them to seed questions (the cc69dcf eval run, in git history)."""

from __future__ import annotations

import pytest

from rag.answer.shorten import fact_first, unfound_names


@pytest.mark.parametrize(("question", "answer", "short"), [
    ("In what format was the Global Compact discussion held right after the Almaty Process meeting?",
     "The Global Compact discussion was held in a hybrid format right after the Almaty Process meeting [1].",
     "Hybrid [1]."),
    ("В каком городе состоялась 8-я встреча высокопоставленных лиц Алматинского процесса?",
     "В городе Bakı состоялась 8-я встреча высокопоставленных лиц Алматинского процесса [1].", "Bakı [1]."),
    # Azerbaijani case endings and a bracket kept whole.
    ("Furio De Angeles hansı təşkilatı təmsil edir?",
     "Furio De Angeles təşkilatı QAK (Qaçqınlar üzrə Ali Komissarlığının) təmsil edir [1].",
     "QAK (Qaçqınlar üzrə Ali Komissarlığının) [1]."),
    # A name is new as a whole even when one of its words shares a stem with the question ("təşkil").
    ("Onlayn koordinasiya iclasını hansı qurum təşkil edib?",
     "Onlayn koordinasiya iclasını Beynəlxalq Miqrasiya Təşkilatı təşkil edib [2].",
     "Beynəlxalq Miqrasiya Təşkilatı [2]."),
    # Only the first sentence is cut; the model's second sentence goes.
    ("Кто возглавляет Государственную миграционную службу?",
     "Государственную миграционную службу возглавляет Вусал Гусейнов [1]. Он выступил на форуме [2].",
     "Вусал Гусейнов [1]."),
    # An English noun phrase keeps its article.
    ("Which entities have powers of amendment and veto?",
     "The European Parliament and the Council have powers of amendment and veto [1].",
     "The European Parliament and the Council [1]."),
])
def test_answer_is_cut_to_the_new_words(question: str, answer: str, short: str) -> None:
    assert fact_first(answer, question) == short


@pytest.mark.parametrize(("question", "answer", "kind"), [
    # why / how: the sentence is the answer
    ("Why did Vusal Huseynov thank the President of the UN General Assembly?",
     "Vusal Huseynov thanked him for his support [1].", ""),
    ("Почему принцип общегосударственного подхода важен?",
     "Потому что миграция носит трансграничный характер [1].", ""),
    ("O, niyə çoxtərəfli yanaşmanın vacib olduğunu deyib?", "Çünki miqrasiya qlobal məsələdir [1].", ""),
    # yes / no keeps its sentence
    ("Is Pakistan one of the countries taking part in the Almaty Process?",
     "Yes, Pakistan is one of the countries taking part in the Almaty Process [1].", "yesno"),
    # new words in two places: no single stretch is the fact
    ("Who spoke at the meeting?", "Anna Prokhorova spoke at the meeting about remittances [1].", ""),
    # no echo of the question at all: nothing to cut
    ("Who heads the mission?", "Vladimir Gjorgjiev [1].", ""),
    # no citation: not a checked answer
    ("Who heads the mission?", "The mission is headed by Vladimir Gjorgjiev.", ""),
])
def test_sentence_stays_where_it_is_the_answer(question: str, answer: str, kind: str) -> None:
    assert fact_first(answer, question, kind) is None


def test_long_new_stretch_is_not_cut() -> None:
    q = "What did the participants discuss?"
    a = ("The participants discuss the labour market access of refugees, social security, housing, education and "
         "health care in Azerbaijan [1].")
    assert fact_first(a, q) is None  # more than max_words new content words
    assert fact_first(a, q, max_words=20, max_share=1.0) is not None


PASSAGE = ("Tədbirdə Dövlət Miqrasiya Xidmətinin rəisi Vüsal Hüseynov, BMT-nin Azərbaycandakı rezident "
           "əlaqələndiricisi Vladimir Qyorqiyev çıxış edib. Forum 2026-cı ilin mayında keçiriləcək.")


@pytest.mark.parametrize(("question", "answer"), [
    ("Who spoke at the event?", "Vusal Huseynov spoke at the event [1]."),  # az spelling in the passage
    ("Кто выступил на мероприятии?", "Выступил Вюсал Гусейнов [1]."),  # Cyrillic against Latin
    ("When will the Forum be held?", "The Forum will be held in May 2026 [1]."),  # a number the passage has
    ("What happened at the event?", "speeches were given [1]."),  # adds no name: nothing to check
])
def test_added_names_found_in_the_passage(question: str, answer: str) -> None:
    assert unfound_names(answer, question, [PASSAGE]) is None


@pytest.mark.parametrize(("question", "answer", "invented"), [
    ("In which city will the Forum be held?", "The Forum will be held in Moscow [1].", ["Moscow"]),
    ("Who spoke at the event?", "Lars Yohan Lönnbak spoke at the event [1].", ["Lars", "Yohan", "Lönnbak"]),
    ("When will the Forum be held?", "The Forum will be held in 2021 [1].", ["2021"]),
])
def test_added_names_in_no_passage_are_reported(question: str, answer: str, invented: list[str]) -> None:
    assert unfound_names(answer, question, [PASSAGE]) == invented


def test_english_spelling_of_a_transliterated_name_is_found() -> None:
    # latin_skeleton reads "c" the Azerbaijani way (dzh); English "Arctic" is still "Арктике".
    assert unfound_names("They drilled in the Arctic [1].", "Where did they drill?",
                         ["Компании искали нефть, например, в Арктике."]) is None
