""""When was the article published?" is answered from the article's dateline, on the real seeds: the
ingested date, the dateline sentence found among the document's chunks (also when retrieval did not
bring that chunk), the date written in the asker's language, no LLM involved; an article with no
dateline is declined."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import ScriptedLLM

from rag.answer.candidates import question_kind
from rag.answer.evidence import EvidenceRanker
from rag.answer.grounded import GroundedAnswerer
from rag.answer.published import asks_publication_date, find_dateline
from rag.ingest import chunk_document, load_documents
from rag.settings import Settings
from rag.types import Chunk, Hit


def test_publication_questions_in_three_languages() -> None:
    for q in ("When was the news about the working group meeting published?",
              "Когда была опубликована новость о встрече с Абдуллой Шахидом?",
              "İşçi qrupun iclası barədə xəbər nə vaxt dərc olunub?",
              "When did the article about the forum come out?", "Когда вышла новость о встрече в Баку?",
              "Forum barədə məqalə nə vaxt çıxıb?"):
        assert asks_publication_date(q, question_kind(q)), q
    for q in ("When was the Road Map document approved?", "Когда пройдёт второй форум?",
              "Who published the Road Map?", "Когда вышел закон о миграции?",
              "When did the delegation come out of the meeting?"):
        assert not asks_publication_date(q, question_kind(q)), q


@pytest.fixture(scope="module")
def seed_chunks(seeds_dir: Path, embedder) -> dict[str, list[Chunk]]:  # type: ignore[no-untyped-def]
    docs, _ = load_documents([seeds_dir], 20_000_000, progress=False)
    return {d.source: chunk_document(d, embedder.count_tokens, 160, 32) for d in docs}


def _answerer(embedder, chunks: dict[str, list[Chunk]]) -> tuple[GroundedAnswerer, ScriptedLLM]:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM("It was published in 1999 [1].")
    ranker = EvidenceRanker(embedder.embed_queries, embedder.embed_documents)
    return GroundedAnswerer(llm, Settings(), ranker, embed_docs=embedder.embed_documents,
                            document_chunks=lambda source: chunks[source]), llm


def test_dateline_is_found_in_the_document_even_when_not_retrieved(embedder, seed_chunks) -> None:  # type: ignore[no-untyped-def]
    source = next(s for s in seed_chunks if s.startswith("004_"))
    chunks = seed_chunks[source]
    iso = chunks[0].date
    assert iso == "2018-05-23"
    line = find_dateline(chunks, iso)
    assert line is not None and "23.05.2018" in line.chunk.text[line.start:line.end]
    # Retrieval brought only body chunks that do not hold the dateline.
    body = [c for c in chunks if c.id != line.chunk.id and "23.05.2018" not in c.text][:2]
    assert body
    answerer, llm = _answerer(embedder, seed_chunks)
    hits = [Hit(chunk=c, score=1.0, dense_score=0.6) for c in body]
    a = answerer.answer("Qaçqın statusu verilmiş şəxslərin inteqrasiyası üzrə işçi qrupun iclası barədə xəbər nə vaxt "
                        "dərc olunub?", hits)
    assert a.answer == "2018-ci il mayın 23-də [1]." and a.path == "template" and not a.abstained
    assert a.citations[0].chunk_id == line.chunk.id and "23.05.2018" in a.citations[0].quote
    assert a.evidence[0].used and a.evidence[0].n == 1
    assert llm.messages == []
    en = answerer.answer("When was the news about the refugee integration working group meeting published?", hits)
    assert en.answer == "23 May 2018 [1]."


def test_article_without_a_dateline_is_declined(embedder, seed_chunks) -> None:  # type: ignore[no-untyped-def]
    source = next(s for s in seed_chunks if s.startswith("001_"))  # the Almaty Process article has no date
    chunks = seed_chunks[source]
    assert all(c.date is None for c in chunks)
    answerer, llm = _answerer(embedder, seed_chunks)
    a = answerer.answer("When was the news about the Almaty Process meeting in Baku published?",
                        [Hit(chunk=c, score=1.0, dense_score=0.6) for c in chunks[:3]])
    assert a.abstained and a.citations == [] and llm.messages == []
    assert "no publication date" in a.warnings[-1]
