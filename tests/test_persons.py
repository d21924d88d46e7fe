"""People read from real seed sentences by the role beside their name (rag.answer.persons), with the real
embedder comparing an Azerbaijani role with questions in all three languages; a person whose role does
not match the question is left to the LLM."""

from __future__ import annotations

from fakes import ScriptedLLM

from rag.answer.candidates import extract
from rag.answer.evidence import EvidenceRanker, Sentence
from rag.answer.grounded import GroundedAnswerer
from rag.answer.persons import lower_stems, person_words, question_without_who, role_phrase
from rag.settings import Settings
from rag.text.names import find_names
from rag.types import Chunk, Hit

# Sentences copied from seeds/000 and seeds/003.
AZ_TWO = ("BMqT-nin Gürcüstandakı Nümayəndəliyinin, həmçinin regionda koordinasiya funksiyalarına malik ölkə "
          "ofisinin rəhbəri Lars Yohan Lönnbak və BMT-nin Azərbaycandakı müvəqqəti rezident-əlaqələndiricisi "
          "İqor Qarafuliç Miqrasiya üzrə Qlobal Paktın qlobal miqrasiya idarəçiliyində rolunu və bu istiqamətdə "
          "Azərbaycanın əldə etdiyi nailiyyətlərin beynəlxalq əməkdaşlıq müstəvisində əhəmiyyətini vurğulayıblar.")
AZ_THREE = ("Tədbirin açılış mərasimində BMT-nin Azərbaycandakı Rezident Koordinatoru Qulam İshaqzai, BMqT-nin "
            "Azərbaycan nümayəndəliyinin rəhbəri Vladimir Qyorqiyev və Dövlət Miqrasiya Xidmətinin rəisi Vüsal "
            "Hüseynov çıxış etdilər.")


def _hit(text: str) -> Hit:
    return Hit(Chunk(id="000.txt", source="000.txt", text=text, start=0, end=len(text), lang="az", ordinal=0),
               score=1.0, dense_score=0.6)


def _people(text: str) -> list[str]:
    return [p[2] for n in find_names(text, "az") if (p := person_words(n, lower_stems(text))) is not None]


def test_people_are_told_from_institutions_and_common_nouns() -> None:
    # "Miqrasiya" is written in lower case in the same sentence: a common noun, not part of the name.
    assert _people(AZ_TWO) == ["Lars Yohan Lönnbak", "İqor Qarafuliç"]
    assert _people(AZ_THREE) == ["Qulam İshaqzai", "Vladimir Qyorqiyev", "Vüsal Hüseynov"]
    # "BMqT-nin Gürcüstandakı", "Dövlət Miqrasiya Xidmətinin", "Rezident Koordinatoru Qulam …" are not people.


def test_the_role_phrase_is_the_apposition_before_the_name() -> None:
    start = AZ_THREE.index("Vladimir")
    assert role_phrase(AZ_THREE, start, start + len("Vladimir Qyorqiyev")) == \
        "BMqT-nin Azərbaycan nümayəndəliyinin rəhbəri"
    en = "The meeting was opened by Vusal Huseynov, Chief of State Migration Service."
    start = en.index("Vusal")
    assert role_phrase(en, start, start + len("Vusal Huseynov")) == "Chief of State Migration Service."
    assert question_without_who("Кто возглавляет ГМС?") == "возглавляет ГМС?"


def test_the_person_whose_role_matches_the_question_wins(embedder) -> None:  # type: ignore[no-untyped-def]
    hits = [_hit(AZ_THREE)]
    ranked = [Sentence(0, 0, len(AZ_THREE), AZ_THREE, score=0.5)]
    for lang, question, expected in [
        ("en", "Who heads the IOM office in Azerbaijan?", "Vladimir"),
        ("ru", "Кто возглавляет Государственную миграционную службу?", "Вусал Гусейнов"),
        ("az", "BMT-nin Azərbaycandakı Rezident Koordinatoru kimdir?", "Qulam İshaqzai"),
    ]:
        got = extract("person", question, lang, ranked, hits, embedder.embed_documents)
        assert got[0].text.startswith(expected), (question, [(c.text, c.agreement) for c in got])
        assert got[0].agreement > max(c.agreement for c in got[1:])


def test_person_read_by_role_or_left_to_the_llm(embedder) -> None:  # type: ignore[no-untyped-def]
    ranker = EvidenceRanker(embedder.embed_queries, embedder.embed_documents)
    settings = Settings()

    def answerer(reply: str) -> tuple[GroundedAnswerer, ScriptedLLM]:
        llm = ScriptedLLM(reply)
        return GroundedAnswerer(llm, settings, ranker, embed_docs=embedder.embed_documents), llm

    typed, llm = answerer("Somebody else [1].")
    a = typed.answer("Azərbaycanda BMT-nin müvəqqəti rezident-əlaqələndiricisi kimdir?", [_hit(AZ_TWO)])
    assert a.path == "template" and a.answer == "İqor Qarafuliç [1].", a
    assert a.citations and a.citations[0].quote == AZ_TWO
    assert llm.messages == []
    # Nobody in the sentence is introduced by what the question asks: the LLM reads the passages.
    open_q, llm = answerer("The documents do not say.")
    b = open_q.answer("Who wrote the novel about the migration of birds?", [_hit(AZ_TWO)])
    assert b.path != "template" and llm.messages
