"""Follow-up questions: the retrieval query carries the previous turn, the evidence ranking the question.

``condense`` is pure logic (checked directly); the ranking check uses the real embedder on real seed
sentences, because what it guards against is the embedder's pull towards the previous turn's sentence.
"""

from __future__ import annotations

from rag.answer.evidence import EvidenceRanker, Weights
from rag.answer.language import is_abstention
from rag.retrieve.rewrite import condense
from rag.text.anaphora import leans_on_history
from rag.types import Chunk, Hit

ASKED = "Кто открыл восьмую встречу Алматинского процесса в Баку?"
ANSWERED = "Встречу открыл начальник Государственной миграционной службы Вусал Гусейнов."


def test_no_history_means_no_rewrite() -> None:
    assert condense("Кто председатель?", []) is None
    assert condense("Кто председатель?", [{"role": "assistant", "content": "Здравствуйте."}]) is None


def test_the_previous_answer_names_what_the_follow_up_refers_to() -> None:
    history = [{"role": "user", "content": "Где прошла встреча?"}, {"role": "assistant", "content": "В Баку."},
               {"role": "user", "content": ASKED}, {"role": "assistant", "content": ANSWERED}]
    q = "А что он сказал о миграционной политике?"
    got = condense(q, history, is_answer=lambda t: not is_abstention(t))  # type: ignore[arg-type]
    assert got == f"{ASKED} {ANSWERED} {q}"  # the last question, its answer, the follow-up; not older turns


def test_a_declined_answer_is_not_context() -> None:
    history = [{"role": "user", "content": "Где прошла встреча?"}, {"role": "assistant", "content": "В Баку."},
               {"role": "user", "content": ASKED},
               {"role": "assistant", "content": "В документах об этом не сказано."}]
    q = "А кто был до него?"
    got = condense(q, history, is_answer=lambda t: not is_abstention(t))  # type: ignore[arg-type]
    assert got is not None and "не сказано" not in got
    assert got == f"Где прошла встреча? {ASKED} {q}"  # the two previous questions stand in for it


def test_questions_that_point_back_lean_on_the_history() -> None:
    leaning = ["And who was the chair before that?", "What did he say about it?", "Who else took part?",
               "How long did the meeting last?", "А кто выступал вместе с ним от ООН?",
               "Какие направления в нём выделены?",
               "А сколько всего таких стран?", "Bəs birincisi nə vaxt olmuşdu?", "O, niyə bunu deyib?",
               "Bu mərkəz kimlərin təşəbbüsüdür?", "Onlardan birincisi nə deyib?", "Kim əvvəlki sədr olub?"]
    standalone = ["Who heads the State Migration Service of Azerbaijan?",
                  "Кто является начальником Государственной миграционной службы Азербайджана?",
                  "Dövlət Miqrasiya Xidmətinin rəisi kimdir?", "When did the Almaty Process hold its 8th meeting?",
                  "DMX nə vaxt yaradılıb?", "Сколько стран входит в Алматинский процесс?",
                  "Which documents were signed in 2021?"]
    assert [q for q in leaning if not leans_on_history(q)] == []
    assert [q for q in standalone if leans_on_history(q)] == []


def test_a_standalone_question_after_another_is_not_condensed() -> None:
    history = [{"role": "user", "content": ASKED}, {"role": "assistant", "content": ANSWERED}]
    assert condense("Кто возглавляет представительство МОМ в Азербайджане?", history) is None
    assert condense("А кто выступал после него?", history) == f"{ASKED} {ANSWERED} А кто выступал после него?"


def _hit(text: str, i: int) -> Hit:
    return Hit(Chunk(id=f"c{i}", source=f"{i}.txt", text=text, start=0, end=len(text), lang="az", ordinal=0),
               score=1.0, dense_score=0.6)


def test_follow_up_evidence_is_ranked_by_the_question_itself(embedder) -> None:  # type: ignore[no-untyped-def]
    opened = ("Tədbiri giriş sözü ilə açan Dövlət Miqrasiya Xidmətinin rəisi Vüsal Hüseynov qonaqları "
              "salamlayıb.")
    policy = ("Vüsal Hüseynov bildirib ki, Azərbaycan öz miqrasiya siyasətini miqrantlar üçün rahatlığın "
              "təmin edilməsi prinsipi üzərində qurub.")
    hits = [_hit(opened, 0), _hit(policy, 1)]
    question = "What is Azerbaijan's migration policy built on, according to him?"
    query = condense(question, [{"role": "user", "content": "Who opened the meeting in Baku?"},
                                {"role": "assistant", "content": "The head of the State Migration Service, "
                                 "Vusal Huseynov, opened the meeting with a welcome speech."}])
    assert query is not None
    weights = Weights(0.3, 0.0, 0.0, 0.1, 0.05)

    scores = {}
    for share in (0.0, 0.5):
        ranker = EvidenceRanker(embedder.embed_queries, embedder.embed_documents, weights, question_share=share)
        ranked = ranker.rank(question, query, hits)
        scores[share] = {x.text: x.score for x in ranked}
    assert max(scores[0.5], key=scores[0.5].__getitem__) == policy
    # The question's own share moves the sentence it asks about up against the previous turn's sentence.
    assert scores[0.5][policy] - scores[0.5][opened] > scores[0.0][policy] - scores[0.0][opened]
