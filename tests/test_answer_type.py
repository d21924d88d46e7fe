"""Expected answer types from question words of az / ru / en, and the surface test on sentences."""

from __future__ import annotations

import pytest

from rag.answer.answer_type import answers_type, expected_type, holds


@pytest.mark.parametrize(("question", "kind"), [
    ("When does the library open?", "date"),
    ("In what year was the bridge built?", "date"),
    ("Когда откроется библиотека?", "date"),
    ("В каком году построили мост?", "date"),
    ("Kitabxana nə vaxt açılacaq?", "date"),
    ("Körpü hansı ildə tikilib?", "date"),
    ("How many people live there?", "number"),
    ("Сколько человек там живёт?", "number"),
    ("Orada neçə nəfər yaşayır?", "number"),
    ("Who opened the exhibition?", "person"),
    ("Кто открыл выставку?", "person"),
    ("Sərgini kim açıb?", "person"),
    ("Where was the exhibition held?", "place"),
    ("Где прошла выставка?", "place"),
    ("Sərgi harada keçirilib?", "place"),
    # A person named by their role: "which president", "какой химик", "hansı prezident".
    ("Which architect designed the library?", "person"),
    ("Какой химик открыл этот газ?", "person"),
    ("Какого немецкого архитектора пригласили?", "person"),
    ("Nazir hansı prezidentlə görüşüb?", "person"),
    # ... but not the office or body of that role.
    ("Какого представительства сотрудники приехали?", None),
    ("Hansı nazirlik tədbiri təşkil edib?", None),
    ("Which general assembly session was it?", None),
    ("Why was the exhibition closed?", None),
    ("Что обсуждали на встрече?", None),
    ("Görüşdə nə müzakirə olunub?", None),
])
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


def test_kimi_meaning_as_is_not_a_person_question() -> None:
    # "kimi" is also the az postposition "as/like": it must not make every such question a "who".
    assert expected_type("Bu sənəd necə bir sənəd kimi təqdim olunur?") is None


@pytest.mark.parametrize(("sentence", "has_date"), [
    ("Tədbir aprelin 14-də keçiriləcək.", True),
    ("Выставка откроется 14 апреля.", True),
    ("The library reopens on 14 April.", True),
    ("It reopens on April 14.", True),
    ("The report is dated 03.02.2024.", True),
    ("The bridge was built in 1998.", True),
    ("It reopens in April.", True),
    ("Выставка пройдёт в мае.", True),
    ("Sərgi mayda keçiriləcək.", True),
    ("The library has 300 new books.", False),
    ("Nothing here is a date.", False),
])
def test_date_sentences(sentence: str, has_date: bool) -> None:
    assert holds("date", sentence) is has_date


@pytest.mark.parametrize(("sentence", "has_number"), [
    ("Библиотека получила 300 книг.", True),
    ("Three museums took part.", True),
    ("It was the third meeting.", True),
    ("Это была третья встреча.", True),
    ("Встреча третьей рабочей группы.", True),
    ("Bu, işçi qrupunun üçüncü iclasıdır.", True),
    ("The museum took part.", False),
    # Words that merely begin like number words are not numbers.
    ("The minister attended only once.", False),
    ("Семинар прошёл в столице.", False),
    ("Onun birgə təşkilatçılığı ilə.", False),
])
def test_number_sentences(sentence: str, has_number: bool) -> None:
    assert holds("number", sentence) is has_number


@pytest.mark.parametrize(("question", "answer", "missing"), [
    ("When is the forum?", "The forum is on 5-8 May [1].", None),
    ("When is the forum?", "The forum is held in New York [1].", "date"),
    ("Сколько стран участвует?", "Участвуют 13 стран [2].", None),
    # The citation marker's digit is no number of the answer.
    ("Сколько стран участвует?", "Участвуют страны региона [2].", "number"),
    ("Who opened it?", "It was opened in the morning [1].", None),  # names are not checked
])
def test_answers_type(question: str, answer: str, missing: str | None) -> None:
    assert answers_type(question, answer) == missing
