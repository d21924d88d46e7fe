"""Fact first (rag.answer.shorten): the checked answer sentence cut to what the question did not say,
and the check that an answer's added names occur in its cited passages. Pure text rules: answers as the
1.5B model wrote them to seed questions (the cc69dcf eval run, in git history)."""

from __future__ import annotations

import pytest

from rag.answer.gates import agreed_fact
from rag.answer.name_spans import name_as_written
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
    # A relative clause after the fact says more about it; it is not the fact.
    ("Who was the first quarterback to take two teams to more than one Super Bowl?",
     "The first quarterback to take two teams to more than one Super Bowl was Peyton Manning, who played for"
     " the Denver Broncos and the Indianapolis Colts [1].",
     "Peyton Manning [1]."),
    ("Кто был последним премьер-министром ГДР?",
     "Последним премьер-министром ГДР был Lothar de Maizière, который был потом министром [1].",
     "Lothar de Maizière [1]."),
    # English inflections of the question's verb echo it ("heads" / "headed").
    ("Who heads the State Migration Service?",
     "The State Migration Service is headed by Vusal Huseynov [1].", "Vusal Huseynov [1]."),
    # "Как фамилия …" asks for a name, not a manner.
    ("Как фамилия игрока, который забрал мяч у Ньютона?",
     "Мяч у Ньютона забрал игрок Miller [1].", "Miller [1]."),
    # An irregular past form echoes the question's base form ("sing" / "sang", "write" / "wrote").
    ("What did Lady Gaga sing?", "Lady Gaga sang the national anthem [1].", "National anthem [1]."),
    ("What did J. K. Rowling write?", "J. K. Rowling wrote Harry Potter [1].", "Harry Potter [1]."),
    # An initial is part of the name, not a one-letter function word ("в", "a") to trim off.
    ("Кто возглавляет службу?", "Службу возглавляет В. Гусейнов [1].", "В. Гусейнов [1]."),
    ("Who heads the service?", "The service is headed by V. Huseynov, who spoke first [1].", "V. Huseynov [1]."),
    ("Кто был последним премьер-министром?", "Последним премьер-министром был Л. де Мезьер [1].",
     "Л. де Мезьер [1]."),
    # "How often / как часто" asks for a frequency, not a manner: the sentence is cut like any other.
    ("How often do Parliament elections take place?",
     "Parliament elections take place every five years [1].", "Every five years [1]."),
    ("Как часто проводится Форум?", "Форум проводится раз в четыре года [1].", "Раз в четыре года [1]."),
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
    ("How did the agency find the men?", "The agency found the men by checking Sky TV bills [1].", ""),
    ("Как Ньютон потерял мяч?", "Ньютон потерял мяч после удара защитника [1].", ""),
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


def test_an_initial_does_not_end_the_head_before_a_relative_clause() -> None:
    """"A. B. Smith founded …" is one sentence (an initial is no full stop), so the words before ", which"
    are cut on their own; read with the clause, which names Smith again, the new words lie in two places
    and nothing would be cut."""
    assert fact_first("A. B. Smith founded Acme Corp, which Smith still runs today [1].",
                      "Which company did A. B. Smith found?") == "Acme Corp [1]."


def test_a_relative_clause_that_holds_the_answer_is_not_cut_away() -> None:
    """Only the words before the clause are tried first; when they say nothing new, the whole sentence
    is read as before."""
    assert fact_first("Energiprojekt AB, which is based in Sweden [1].", "Where is Energiprojekt AB based?") \
        == "Sweden [1]."
    # Two sentences before the marker are never the head: the first alone is not what was cited.
    assert fact_first("The share in German was 100%. This is said in the passage, which quotes it [1].",
                      "What portion of the statement was in German?") is None


def test_a_name_before_a_clause_about_it_is_the_answer_to_a_name_question() -> None:
    """"Name, appointed by … / назначенный … / who …" answers a who-question with the name, even when the
    sentence echoes nothing of the question; an initial ("E.") does not end the sentence."""
    q = "Who is the first administrator of the Federal Energy Office?"
    assert fact_first("William E. Simon, appointed by President Nixon in 1973 [1].", q, "person") \
        == "William E. Simon [1]."
    # Also when the sentence first turns the question into a statement: the new words end at the clause.
    assert fact_first("The first administrator of the Federal Energy Office was William E. Simon, appointed by "
                      "President Nixon in 1973 [1].", q, "person") == "William E. Simon [1]."
    assert fact_first("Уильям Саймон, назначенный Никсоном в 1973 году [1].", "Кто был первым главой ведомства?",
                      "person") == "Уильям Саймон [1]."
    assert fact_first("Gottfried Semper, who was born in Hamburg [1].", "Which architect designed it?", "person") \
        == "Gottfried Semper [1]."
    # A capitalised word after the comma is a name going on, not a participle.
    assert fact_first("Дубай, Объединённые Арабские Эмираты [1].", "Где находится штаб?", "place") != "Дубай [1]."
    # A participle phrase is cut only after a name: "… принцип …, основанный на …" is no name.
    short = fact_first("В 100 года до теории эволюции был разработан принцип сукцессии, основанный на трудах "
                       "William Smith [1].", "За 100 лет до чьей теории эволюции был разработан принцип сукцессии?")
    assert short != "Года [1]." and (short is None or "William Smith" in short), short
    # Not for a question that asks what someone did: the clause is the answer there.
    assert fact_first("Lady Gaga, who sang the national anthem [1].", "What did Lady Gaga do?", "") \
        != "Lady Gaga [1]."
    # The name the question already gives is no answer.
    assert fact_first("Vusal Huseynov, appointed in 2021 [1].", "Who is Vusal Huseynov?", "person") \
        == "Appointed in 2021 [1]."


def test_a_name_is_given_as_the_answer_spells_it() -> None:
    """The copied name and the model's sentence agree when only the vowels of a transliteration differ;
    the model's spelling of the name is kept ("Peyton Manning", not the rules' "Peyton Menning")."""
    long = "The first quarterback to do it was Peyton Manning, who played for two teams [1]."
    assert agreed_fact(long, "Peyton Menning", "Пейтон Мэннинг", 6, "en") == "Peyton Manning"
    assert name_as_written("Gottfried Semper drew the museum.", "Готфрид Земпер") == "Gottfried Semper"
    assert name_as_written("В 1891 году химик Джеймс Девар получил его.", "James Dewar") == "Джеймс Девар"
    # A name left in the other script (an English name for a Russian asker) is given as the answer writes it.
    assert agreed_fact("Жидкий кислород получил химик Джеймс Девар [1].", "James Dewar", "James Dewar", 6, "ru") \
        == "Джеймс Девар"
    # A name copied in the asker's own script is kept as copied, not in the answer's case form.
    assert agreed_fact("Доклад представили в Азербайджане [1].", "Азербайджан", "Азербайджан", 6, "ru") == "Азербайджан"
    # Another name, or the name only in a later sentence, is no agreement.
    assert agreed_fact(long, "John Elway", "Джон Элвей", 6, "en") is None
    assert agreed_fact("It was Tom Brady [1]. Then Peyton Manning came [1].", "Peyton Menning", "Пейтон Мэннинг", 6,
                       "en") is None
