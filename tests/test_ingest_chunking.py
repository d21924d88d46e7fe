"""Sentence splitting and chunking: exact spans, token budget (real EmbeddingGemma tokenizer), one
language per chunk, stable ids."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from rag.embedding import SentenceTransformerEmbedder
from rag.ingest import chunk_document, load_documents
from rag.text.sentences import split_sentences
from rag.types import Chunk, Document, Section

MAX, OVERLAP = 160, 32


def sentences(text: str, lang: str) -> list[str]:
    spans = split_sentences(text, lang)
    for start, end in spans:
        assert text[start:end] == text[start:end].strip() and text[start:end]
    return [text[start:end] for start, end in spans]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("V.Hüseynov bildirib ki, iclas keçirilib. Sonda müzakirə aparılıb.", "az",
         ["V.Hüseynov bildirib ki, iclas keçirilib.", "Sonda müzakirə aparılıb."]),
        ("Görüşdə V. Hüseynov və İ. Əliyev çıxış edib. C.ABASOV", "az",
         ["Görüşdə V. Hüseynov və İ. Əliyev çıxış edib.", "C.ABASOV"]),
        ("Kitablar, jurnallar və s. Hamısı burada. Prof. Məmmədov gəldi.", "az",
         ["Kitablar, jurnallar və s. Hamısı burada.", "Prof. Məmmədov gəldi."]),
        ("В.Гусейнов подчеркнул, т.е. отметил главное. Встреча прошла в г. Баку. Итоги подведены.", "ru",
         ["В.Гусейнов подчеркнул, т.е. отметил главное.", "Встреча прошла в г. Баку.", "Итоги подведены."]),
        # "г." after a year followed by a capital ends the sentence (or the dateline); see chunking.py
        ("21 мая 2022 г. В рамках форума прошла встреча. В 2021–2022 гг. Служба работала.", "ru",
         ["21 мая 2022 г.", "В рамках форума прошла встреча.", "В 2021–2022 гг.", "Служба работала."]),
        ("Mr. Smith met Dr. Jones at the U.N. Secretariat. Growth was 5.2 percent on 23.05.2018. "
         "See No. 5 now! Is it? «Да.» Yes.", "en",
         ["Mr. Smith met Dr. Jones at the U.N. Secretariat.", "Growth was 5.2 percent on 23.05.2018.",
          "See No. 5 now!", "Is it?", "«Да.»", "Yes."]),
        ('Dedi: "Çünki bu vacibdir". O, razılaşdı.', "az", ['Dedi: "Çünki bu vacibdir".', "O, razılaşdı."]),
        ("1. Birinci bənd\n2. İkinci bənd. Davamı burada", "az",
         ["1. Birinci bənd", "2. İkinci bənd.", "Davamı burada"]),
        ("no capital after. the period keeps it one sentence", "en",
         ["no capital after. the period keeps it one sentence"]),
        ("  \n\n ", "en", []),
    ],
)
def test_split_sentences(text: str, lang: str, expected: list[str]) -> None:
    assert sentences(text, lang) == expected


def words_count(text: str) -> int:
    return len(text.split())


def make_doc(text: str, sections: list[Section] | None = None) -> Document:
    return Document(source="t.txt", path="t.txt", text=text, content_hash="x", title="T", date="2020-01-01",
                    lang="en", sections=sections or [Section(0, len(text), "en")])


def test_packing_and_overlap_with_a_simple_counter() -> None:
    text = " ".join(f"Sentence number {i} here." for i in range(10))  # 4 "tokens" each
    chunks = chunk_document(make_doc(text), words_count, max_tokens=10, overlap_tokens=4)
    assert [c.text for c in chunks][:2] == ["Sentence number 0 here. Sentence number 1 here.",
                                            "Sentence number 1 here. Sentence number 2 here."]
    assert chunks[-1].text.endswith("Sentence number 9 here.")
    no_overlap = chunk_document(make_doc(text), words_count, max_tokens=10, overlap_tokens=0)
    assert len(no_overlap) == 5 and all(a.end < b.start for a, b in itertools.pairwise(no_overlap))


def test_chunks_stay_inside_sections() -> None:
    en = "First English sentence. Second English sentence."
    az = "Birinci cümlə. İkinci cümlə."
    text = f"{en}\n\n{az}"
    doc = make_doc(text, [Section(0, len(en), "en"), Section(len(en) + 2, len(text), "az")])
    chunks = chunk_document(doc, words_count, max_tokens=100, overlap_tokens=10)
    assert [(c.text, c.lang) for c in chunks] == [(en, "en"), (az, "az")]


def test_bad_parameters() -> None:
    with pytest.raises(ValueError):
        chunk_document(make_doc("A b."), words_count, max_tokens=4)
    with pytest.raises(ValueError):
        chunk_document(make_doc("A b."), words_count, max_tokens=20, overlap_tokens=20)


@pytest.fixture(scope="module")
def seed_docs(seeds_dir: Path) -> list[Document]:
    docs, warnings = load_documents([seeds_dir], 20_000_000, progress=False)
    assert warnings == [] and len(docs) == 5
    return docs


def check_chunks(doc: Document, chunks: list[Chunk], count: object, max_tokens: int) -> None:
    assert callable(count)
    assert chunks, doc.source
    for i, c in enumerate(chunks):
        assert doc.text[c.start : c.end] == c.text
        assert count(c.text) <= max_tokens, (doc.source, i)
        assert c.lang in ("az", "ru", "en")
        assert c.ordinal == i and c.source == doc.source and c.title == doc.title and c.date == doc.date
        inside = [s for s in doc.sections if s.start <= c.start and c.end <= s.end]
        assert len(inside) == 1 and inside[0].lang == c.lang
    assert len({c.id for c in chunks}) == len(chunks)
    # every sentence of the document is in some chunk
    for section in doc.sections:
        for s, e in split_sentences(doc.text[section.start : section.end], section.lang):
            s, e = s + section.start, e + section.start
            assert any(c.start <= s and e <= c.end for c in chunks) or all(
                any(c.start <= w and w < c.end for c in chunks) for w in range(s, e) if not doc.text[w].isspace()
            )


def test_seed_chunks(seed_docs: list[Document], embedder: SentenceTransformerEmbedder, seeds_dir: Path) -> None:
    counts = {}
    for doc in seed_docs:
        chunks = chunk_document(doc, embedder.count_tokens, MAX, OVERLAP)
        check_chunks(doc, chunks, embedder.count_tokens, MAX)
        counts[doc.source[:3]] = len(chunks)
        for a, b in itertools.pairwise(chunks):
            if b.start < a.end:  # overlap: whole trailing sentences of the previous chunk, within budget
                assert embedder.count_tokens(doc.text[b.start : a.end]) <= OVERLAP
                assert b.start in {s + sec.start for sec in doc.sections
                                   for s, _ in split_sentences(doc.text[sec.start : sec.end], sec.lang)}
    assert {c.lang for c in chunk_document(seed_docs[3], embedder.count_tokens, MAX, OVERLAP)} == {"en", "az"}
    assert all(n >= 3 for n in counts.values()), counts

    # ids are stable: a fresh load and chunking gives the same ids
    again, _ = load_documents([seeds_dir], 20_000_000, progress=False)
    for d1, d2 in zip(seed_docs, again, strict=True):
        ids1 = [c.id for c in chunk_document(d1, embedder.count_tokens, MAX, OVERLAP)]
        ids2 = [c.id for c in chunk_document(d2, embedder.count_tokens, MAX, OVERLAP)]
        assert ids1 == ids2


def test_long_sentence_is_cut_at_word_boundaries(embedder: SentenceTransformerEmbedder) -> None:
    sentence = " ".join(f"miqrasiya{i} xidməti, əməkdaşlıq" for i in range(120)) + "."
    text = f"Qısa giriş cümləsi. {sentence} Son cümlə."
    doc = make_doc(text, [Section(0, len(text), "az")])
    chunks = chunk_document(doc, embedder.count_tokens, max_tokens=40, overlap_tokens=8)
    check_chunks(doc, chunks, embedder.count_tokens, 40)
    for c in chunks:
        assert c.start == 0 or text[c.start - 1] == " "
        assert c.end == len(text) or text[c.end] == " "
    sizes = [embedder.count_tokens(c.text) for c in chunks]
    assert min(sizes[1:-1]) >= 20, sizes  # pieces of similar size, no stub of two words


def test_giant_word_is_cut_by_characters(embedder: SentenceTransformerEmbedder) -> None:
    blob = "".join(f"{i}x" for i in range(400))
    text = f"Start here. {blob} end."
    doc = make_doc(text)
    chunks = chunk_document(doc, embedder.count_tokens, max_tokens=32, overlap_tokens=0)
    check_chunks(doc, chunks, embedder.count_tokens, 32)
    assert blob in "".join(c.text for c in chunks)


def test_repeated_text_gives_one_chunk() -> None:
    text = "Same five words are here.\n\nSame five words are here."
    chunks = chunk_document(make_doc(text), words_count, max_tokens=8, overlap_tokens=0)
    assert [c.text for c in chunks] == ["Same five words are here."]  # ids stay unique within a document
