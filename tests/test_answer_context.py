"""Context selection on real seed sentences with the real embedder: the answer sentence is kept, the
budget holds, and repeated passages are not embedded again."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from fakes import SentenceCounter

from rag.answer.context import SentenceWindowSelector
from rag.embedding import SentenceTransformerEmbedder
from rag.types import Chunk, Hit

# Sentences of seeds/000 (az) and seeds/002 (ru), four to a passage, the answer sentence in the middle.
AZ = ("Dövlət Miqrasiya Xidməti, Beynəlxalq Miqrasiya Təşkilatı və BMT-nin rezident əlaqələndiricisi Ofisinin "
      "birgə təşkilatçılığı ilə çoxtərəfli məsləhətləşmələr aparılıb. Bu barədə \"Report\"a DMX-dən məlumat "
      "verilib. Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna "
      "hazırlıq çərçivəsində baş tutub. Müvafiq dövlət orqanlarının nümayəndələrinin iştirakı ilə keçirilən "
      "məsləhətləşmələrin əsas məqsədi Qlobal Paktın prinsiplərinin müzakirəsi olub.")
RU = ("В рамках первого Международного форума по обзору миграции прошла встреча начальника ГМС с президентом "
      "Генеральной Ассамблеи ООН Абдуллой Шахидом. На встрече также принял участие постоянный представитель "
      "Азербайджана при ООН Яшар Алиев. Начальник службы поблагодарил президента за поддержку. Было отмечено, "
      "что Азербайджан является одной из 33 стран-первопроходцев.")


def hit(text: str, lang: str, n: int) -> Hit:
    return Hit(chunk=Chunk(id=f"c{n}", source=f"{lang}.txt", text=text, start=0, end=len(text), lang=lang,
                           ordinal=0), score=1.0 / (1 + n))


@pytest.fixture
def selector(embedder: SentenceTransformerEmbedder) -> tuple[SentenceWindowSelector, SentenceCounter]:
    counting = SentenceCounter(embedder)
    sel = SentenceWindowSelector(embedder.embed_queries, counting.embed_documents, embedder.count_tokens,
                                 budget_tokens=60, neighbours=0)
    return sel, counting


@pytest.mark.parametrize(("question", "must_have"), [
    ("When is the second International Migration Review Forum?", "mayın 5-8-də"),
    ("Who was Azerbaijan's permanent representative to the UN at the meeting?", "Яшар Алиев"),
])
def test_cross_lingual_answer_sentence_is_selected(selector, question: str, must_have: str) -> None:
    sel, _ = selector
    picked = sel(question, [hit(AZ, "az", 0), hit(RU, "ru", 1)])
    shown = " ".join(text for _, text in picked)
    assert must_have in shown
    assert len(shown) < len(AZ) + len(RU)  # a selection, not everything


def test_budget_is_respected_and_passages_keep_retrieval_order(selector, embedder) -> None:
    sel, _ = selector
    picked = sel("Qlobal Pakt məsləhətləşmələri", [hit(AZ, "az", 0), hit(RU, "ru", 1)])
    assert sum(embedder.count_tokens(text) for _, text in picked) <= sel.budget
    ids = [h.chunk.id for h, _ in picked]
    assert ids == sorted(ids)


def test_sentence_vectors_are_cached_across_questions(selector) -> None:
    sel, counting = selector
    hits = [hit(AZ, "az", 0), hit(RU, "ru", 1)]
    first = sel("When is the second forum?", hits)
    after_first = counting.embedded
    assert after_first == 8  # four sentences a passage
    second = sel("When is the second forum?", hits)
    sel("Who met Abdulla Shahid?", hits)
    assert counting.embedded == after_first  # nothing embedded again
    assert second == first


def test_vector_cache_embeds_only_new_texts_and_drops_the_least_recent() -> None:
    from rag.embedding import VectorCache

    asked: list[list[str]] = []

    def embed(texts: Sequence[str]) -> np.ndarray:
        asked.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts])

    cache = VectorCache(embed, max_items=2)
    assert cache(["a", "bb", "a"]).tolist() == [[1.0, 1.0], [2.0, 1.0], [1.0, 1.0]]
    cache(["a", "ccc"])  # "bb" is now the least recent and is dropped
    cache(["a", "bb"])
    assert asked == [["a", "bb"], ["ccc"], ["bb"]]



def test_window_weight_scores_sentences_with_their_neighbours_and_caches_them(embedder) -> None:
    """With ``window_weight`` each sentence is also scored read with its neighbours (a sentence alone
    often lacks its subject: "It will be held on 5-8 May"). The windows are embedded once, like the
    sentences, and the answer sentence is still the one shown."""
    counting = SentenceCounter(embedder)
    sel = SentenceWindowSelector(embedder.embed_queries, counting.embed_documents, embedder.count_tokens,
                                 budget_tokens=60, neighbours=0, window_weight=0.7)
    hits = [hit(AZ, "az", 0), hit(RU, "ru", 1)]
    picked = sel("When is the second International Migration Review Forum?", hits)
    assert "mayın 5-8-də" in " ".join(text for _, text in picked)
    assert counting.embedded == 16  # 8 sentences + 8 windows (the first and last of a passage have one neighbour)
    sel("Who was Azerbaijan's permanent representative to the UN?", hits)
    assert counting.embedded == 16
