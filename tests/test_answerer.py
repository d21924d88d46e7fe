"""The answer stage's decisions after generation, with a scripted LLM (the real model is in
test_end_to_end.py) and the real embedder judging support."""

from __future__ import annotations

import pytest
from fakes import ScriptedLLM

from rag.answer.answerer import Answerer
from rag.settings import Settings
from rag.types import Chunk, Hit

AZ = ("Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna hazırlıq "
      "çərçivəsində baş tutub. Tədbirdə Dövlət Miqrasiya Xidmətinin rəisi Vüsal Hüseynov çıxış edib.")


@pytest.fixture
def passages() -> list[Hit]:
    return [Hit(Chunk(id="c0", source="000.txt", text=AZ, start=0, end=len(AZ), lang="az", ordinal=0), score=1.0,
                dense_score=0.5)]


def _answer(reply: str, question: str, hits: list[Hit], sim) -> object:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM(reply)
    return Answerer(llm, Settings(), similarity=sim).answer(question, hits)


def test_when_question_answered_with_a_date_is_kept(passages, sim) -> None:  # type: ignore[no-untyped-def]
    a = _answer("The second forum takes place on 5-8 May [1].", "When is the second forum?", passages, sim)
    assert not a.abstained, a.warnings  # type: ignore[attr-defined]
    assert a.citations[0].source == "000.txt"  # type: ignore[attr-defined]


def test_when_question_answered_without_a_date_is_declined(passages, sim) -> None:  # type: ignore[no-untyped-def]
    # A cited, supported sentence that does not say when: not an answer to "when".
    a = _answer("Vüsal Hüseynov spoke at the event [1].", "When is the second forum?", passages, sim)
    assert a.abstained  # type: ignore[attr-defined]
    assert any("gives no date" in w for w in a.warnings)  # type: ignore[attr-defined]


def test_who_question_is_not_held_to_a_type(passages, sim) -> None:  # type: ignore[no-untyped-def]
    a = _answer("Vüsal Hüseynov spoke at the event [1].", "Who spoke at the event?", passages, sim)
    assert not a.abstained, a.warnings  # type: ignore[attr-defined]


def test_question_is_repeated_after_the_passages(passages, sim) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM("NONE")
    a = Answerer(llm, Settings(), similarity=sim).answer("When is the second forum?", passages)
    assert a.abstained
    user = llm.messages[-1]["content"]
    assert user.index("Passages:") < user.rindex("Question: When is the second forum?")
    assert user.count("When is the second forum?") == 2


def test_weak_retrieval_is_declined_without_calling_the_model(passages, sim) -> None:  # type: ignore[no-untyped-def]
    weak = [Hit(h.chunk, score=h.score, dense_score=0.12) for h in passages]
    llm = ScriptedLLM("The forum is on 5-8 May [1].")
    a = Answerer(llm, Settings(), similarity=sim).answer("What is the boiling point of mercury?", weak)
    assert a.abstained
    assert llm.messages == []  # the model never saw a prompt
    strong = [Hit(h.chunk, score=h.score, dense_score=0.5) for h in passages]
    assert not Answerer(llm, Settings(), similarity=sim).answer("When is the forum?", strong).abstained


def test_question_is_not_repeated_for_models_that_copy_passages(passages, sim) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM("NONE")
    Answerer(llm, Settings(), similarity=sim, repeat_question=False).answer("When is the second forum?", passages)
    assert llm.messages[-1]["content"].count("When is the second forum?") == 1


def test_who_answer_is_cut_to_the_name_and_keeps_its_citation(passages, sim) -> None:  # type: ignore[no-untyped-def]
    a = _answer("Vüsal Hüseynov spoke at the event [1].", "Who spoke at the event?", passages, sim)
    assert a.answer == "Vüsal Hüseynov [1]."  # type: ignore[attr-defined]
    assert a.written == "Vüsal Hüseynov spoke at the event [1]."  # type: ignore[attr-defined]
    assert [c.n for c in a.citations] == [1]  # type: ignore[attr-defined]


def test_answer_naming_what_no_passage_names_is_declined(passages, sim) -> None:  # type: ignore[no-untyped-def]
    # Close in meaning to the passage (it repeats the question about it), but the city is invented.
    a = _answer("The second International Migration Review Forum will be held in Moscow [1].",
                "In which city will the second International Migration Review Forum be held?", passages, sim)
    assert a.abstained  # type: ignore[attr-defined]
    assert any("Moscow" in w and "no cited passage" in w for w in a.warnings)  # type: ignore[attr-defined]


def test_name_found_in_another_script_is_not_invented(passages, sim) -> None:  # type: ignore[no-untyped-def]
    a = _answer("На мероприятии выступил Вюсал Гусейнов [1].", "Кто выступил на мероприятии?", passages, sim)
    assert not a.abstained, a.warnings  # type: ignore[attr-defined]
    assert a.answer == "Вюсал Гусейнов [1]."  # type: ignore[attr-defined]


def test_an_answer_that_writes_the_question_out_again_is_declined(passages, sim) -> None:  # type: ignore[no-untyped-def]
    # Seen in the chat after a few turns: the model "corrected" the question and went on with passage
    # words that verification alone would have let through (the names are in the passage).
    question = "Who spoke at the event in Baku?"
    reply = ("Your sentence has a few mistakes. Here is the corrected one: Who spoke at the event in Baku? "
             "At the event Vüsal Hüseynov spoke [1].")
    a = _answer(reply, question, passages, sim)
    assert a.abstained  # type: ignore[attr-defined]
    assert any("question out again" in w for w in a.warnings)  # type: ignore[attr-defined]
    # The same answer without the restated question stands.
    assert not _answer("At the event Vüsal Hüseynov spoke [1].", question, passages, sim).abstained  # type: ignore[attr-defined]
