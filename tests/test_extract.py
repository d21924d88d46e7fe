"""The copy-then-translate rescue (rag/answer/extract.py): what counts as a copied phrase and as a
faithful translation is logic, checked here directly; tests/test_typed_answers.py-style end-to-end runs
with the real LLM are in tests/test_extract_llm.py."""

from __future__ import annotations

from fakes import ScriptedLLM

from rag.answer.extract import as_answer, copy_answer, is_name, parse_copied, translation_ok
from rag.text.names import nominative_ru

SENTENCES = [
    "The Broncos defeated the Pittsburgh Steelers in the divisional round, 23–16.",
    "Then Anderson scored on a 2-yard touchdown run.",
]


def test_a_phrase_counts_only_when_it_is_in_the_evidence_as_written() -> None:
    got = parse_copied("Anderson [2]", SENTENCES)
    assert got is not None and got.phrase == "Anderson" and got.index == 1
    # The number the model gives is only a hint: the phrase is looked up in every sentence.
    got = parse_copied("the Pittsburgh Steelers [2]", SENTENCES)
    assert got is not None and got.index == 0
    assert parse_copied("[1] Pittsburgh  Steelers.", SENTENCES) is not None  # number first, spacing, full stop
    assert parse_copied("Питтсбург Стилерз [1]", SENTENCES) is None  # a translation is not a copy
    assert parse_copied("the Denver Broncos [1]", SENTENCES) is None  # words the sentence does not have
    assert parse_copied("NONE", SENTENCES) is None
    assert parse_copied("", SENTENCES) is None


def test_a_phrase_cut_off_inside_a_word_is_no_copy() -> None:
    """A reply stopped by the token limit ends inside a word; a case ending of up to two letters is
    still the same word (the model may copy a Russian noun in its nominative)."""
    ru = ["Азербайджан определен Сетью ООН по вопросам миграции как страна-первопроходец."]
    assert parse_copied("Сетью ООН по вопросам м [1]", ru) is None
    assert parse_copied("Сетью ООН по вопросам миграции [1]", ru) is not None
    assert parse_copied("Азербайджан определен Сетью ООН [1]", ru) is not None
    assert parse_copied("страна-первопроход [1]", ru) is not None  # + "ец" at the phrase's end
    assert parse_copied("ерайджан [1]", ru) is None  # not from a word's start


def test_a_translation_keeps_numbers_and_names_and_the_askers_script() -> None:
    assert translation_ok("the 2-yard touchdown run", "пробег на 2 ярда", "ru")
    assert not translation_ok("the 2-yard touchdown run", "пробег на 3 ярда", "ru")  # a changed number
    assert not translation_ok("Pittsburgh Steelers", "Pittsburgh Steelers", "ru")  # not in Cyrillic
    assert not translation_ok("the engineer", "инженер Анна Берг", "ru")  # a name the phrase lacks
    assert translation_ok("Нью-Йорк", "New York", "en")
    assert not translation_ok("Нью-Йорк", "New York.\nIt is a city.", "en")


def test_the_answer_is_the_phrase_with_its_citation() -> None:
    assert as_answer("the engineer Anna Berg", 1) == "The engineer Anna Berg [1]."
    assert as_answer("«Страны-первопроходцы»", 2) == "Страны-первопроходцы [2]."


def test_names_are_told_from_phrases() -> None:
    for name in ("Thomas Reed", "Furio De Angelis", "Нью-Йорк", "Super Bowl 50", "IOM"):
        assert is_name(name), name
    for phrase in ("red and white", "the engineer Thomas Reed", "1920", "бесщупальцевые гребневики"):
        assert not is_name(phrase), phrase


def test_a_phrase_that_only_repeats_the_question_is_no_answer() -> None:
    from rag.answer.shorten import asks_for_sentence, repeats_question

    question = "What was Norman Cantor's theory about the plague?"
    assert repeats_question("Norman Cantor", question)
    assert repeats_question("Норман Кантор", question)  # across scripts, English c read as k
    assert not repeats_question("a combination of anthrax and other pandemics", question)
    assert not repeats_question("Anderson", "Какой игрок ввел мяч в игру?")
    assert asks_for_sentence("Почему Пристли принадлежит приоритет?") and not asks_for_sentence("Кто это?")


def test_a_russian_name_in_the_instrumental_is_given_in_the_nominative() -> None:
    """"Чарльзом Ричардом" copied for an English asker is "Charlz Richard", not "Charlzom Richardom"; a
    name that may be a nominative ("Леди Гага") is left as it is."""
    ru = ["Индикатор был разработан Чарльзом Ричардом для Чарльза Портера."]
    warnings: list[str] = []
    got = copy_answer(ScriptedLLM("Чарльзом Ричардом [1]"), "Who developed the indicator?", "en", [(ru[0], "ru")],
                      warnings)
    assert got == (0, "Charlz Richard", "Чарльзом Ричардом"), warnings
    assert nominative_ru("Абдуллой Шахидом") == "Абдулла Шахид"
    assert nominative_ru("Леди Гага") == "Леди Гага" and nominative_ru("Анна Берг") == "Анна Берг"


def test_a_foreign_title_is_given_as_written_not_translated() -> None:
    """A phrase with none of its sentence's own letters (a German hymn title in a Russian sentence) is a
    quote: the LLM is not asked to translate it (it wrote "Новое песня мы поднимаем")."""
    ru = ["Его первый гимн «Ein neues Lied wir heben an» был посвящён мученикам."]
    llm = ScriptedLLM("Ein neues Lied wir heben an [1]")
    got = copy_answer(llm, "What was the title of his first hymn?", "en", [(ru[0], "ru")], [])
    assert got == (0, "Ein neues Lied wir heben an", "Ein neues Lied wir heben an")
    assert llm.messages[0]["content"].startswith("You copy")  # the last call was the copy: no translation


def test_shortening_shows_the_model_its_own_answer() -> None:
    """To shorten, the copy is asked for the phrase the model's longer answer gives (so it does not copy
    another name the sentence also has); a rescue, which has no answer, is asked the question alone."""
    sentence = "In 1998 Internet2 partnered with Qwest and in 2006 with Level 3 Communications."
    llm = ScriptedLLM("Qwest [1]")
    long = "Internet2 partnered with Qwest in 1998 to build its first network [1]."
    got = copy_answer(llm, "Who did Internet2 partner with?", "en", [(sentence, "en")], [], long)
    assert got == (0, "Qwest", "Qwest")
    prompt = llm.messages[-1]["content"]
    assert "A longer answer: Internet2 partnered with Qwest in 1998 to build its first network." in prompt
    assert "[1]" not in prompt.split("A longer answer:")[1]  # its citation markers are not shown
    copy_answer(llm, "Who did Internet2 partner with?", "en", [(sentence, "en")], [])
    assert "A longer answer" not in llm.messages[-1]["content"]
