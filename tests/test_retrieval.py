"""Tokenisation rules, the BM25 index, and hybrid (dense + lexical, RRF) retrieval across az/ru/en.

The cross-lingual checks use sentences from seeds/ with the real EmbeddingGemma embedder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import TwoLanguageStore

from rag.index import lexical
from rag.index.lexical import LexicalIndex, lower_text, query_tokens, tokenize
from rag.index.store import IndexStore, chunking_of
from rag.retrieve import HybridRetriever, Retriever
from rag.settings import Settings
from rag.types import Chunk, Document, Section

# -- tokenisation ----------------------------------------------------------------------------------


def test_lowercasing_follows_azerbaijani_i_rules() -> None:
    assert lower_text("İSTANBUL", "az") == "istanbul"
    assert lower_text("Istanbul", "az") == "ıstanbul"  # dotless in Azerbaijani / Turkish
    assert lower_text("Istanbul", "en") == "istanbul"
    assert lower_text("İSTANBUL", "en") == "istanbul"  # not "i̇stanbul" (i + combining dot) as str.lower
    assert lower_text("İSTANBUL", "ru") == "istanbul"
    assert lower_text("ИСТАНБУЛ", "az") == "истанбул"


def test_az_and_en_rules_meet_after_folding() -> None:
    # "IRAN" is "ıran" under az rules and "iran" under en rules; folding makes them one term.
    assert tokenize("IRAN", "az") == tokenize("İran", "az") == tokenize("iran", "az") == ["iran"]
    # A query typed in Latin capitals matches an az passage whatever language it is guessed to be.
    passage = set(tokenize("İSTANBUL şəhərində", "az"))
    for guess in ("az", "en", "ru"):
        assert passage & set(query_tokens("ISTANBUL", guess))


def test_diacritics_are_folded() -> None:
    assert tokenize("Vüsal Hüseynov üçün çıxış", "az") == tokenize("Vusal Huseynov ucun cixis", "az")
    assert tokenize("Ещё ёлка", "ru") == tokenize("Еще елка", "ru")
    assert tokenize("café", "en") == tokenize("cafe", "en")


def test_russian_stemming() -> None:
    assert tokenize("миграции", "ru") == tokenize("миграция", "ru") == tokenize("Миграцию", "ru")
    assert tokenize("встречи", "ru") == tokenize("встреча", "ru")
    # Cyrillic is stemmed as Russian even in a passage or query guessed to be another language.
    assert tokenize("миграции", "en") == tokenize("миграция", "ru")


def test_english_stemming_and_stopwords() -> None:
    assert tokenize("The meetings of the Forum", "en") == ["meet", "forum"]
    assert tokenize("и в на миграции", "ru") == tokenize("миграции", "ru")
    assert tokenize("və ilə bu forum", "az") == ["forum"]


def test_azerbaijani_inflections_conflate() -> None:
    for family in (["forum", "Forumuna", "Forumunda"], ["miqrasiya", "miqrasiyanın", "Miqrasiyası"],
                   ["status", "statusu"], ["qaçqın", "qaçqınların"], ["keçirilib", "keçiriləcək"],
                   ["Hüseynov", "Hüseynovun", "Huseynov"]):
        assert len({tuple(tokenize(w, "az")) for w in family}) == 1, family


def test_numbers_are_kept() -> None:
    assert tokenize("mayın 5-8-də, 2026-cı il", "az") == ["mayin", "5", "8", "2026"]
    assert "2021" in tokenize("On 31 May 2021", "en") and "31" in tokenize("On 31 May 2021", "en")


def test_query_tokens_union_all_languages() -> None:
    q = query_tokens("meeting with Абдуллой Шахидом", "en")
    assert {"meet", "абдулл", "шахид"} <= set(q)
    assert q == sorted(set(q))  # deterministic
    assert query_tokens("", "az") == [] and query_tokens("the of и и", "en") == []


# -- lexical index ---------------------------------------------------------------------------------

ROWS = [
    ("a", "Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna "
          "hazırlıq çərçivəsində baş tutub.", "az"),
    ("b", "Во встрече также приняли участие постоянный представитель Азербайджанской Республики при ООН "
          "Яшар Алиев.", "ru"),
    ("c", "On 31 May 2021, IOM Azerbaijan organized an online coordination meeting.", "en"),
]


def test_lexical_index_round_trip_and_token_reuse(tmp_path: Path) -> None:
    index = LexicalIndex.build(ROWS)
    assert index.search("Forum nə vaxt keçiriləcək?", "az", 3)[0][0] == "a"
    assert index.search("Яшар Алиев", "ru", 3)[0][0] == "b"
    assert index.search("coordination meetings", "en", 3)[0][0] == "c"
    assert index.search("zzz qqq", "en", 3) == [] and index.search("forum", "az", 0) == []
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    for q in ("Forum nə vaxt keçiriləcək?", "Яшар Алиев", "coordination meeting 2021"):
        assert loaded.search(q, "en", 3) == index.search(q, "en", 3)
    grown = LexicalIndex.build([*ROWS, ("d", "Almatı Prosesi 10 dövləti birləşdirir.", "az")], previous=loaded)
    assert grown.reused == 3 and len(grown) == 4
    assert grown.search("Almatı prosesi", "az", 1)[0][0] == "d"
    empty = LexicalIndex.build([])
    assert empty.search("forum", "az", 3) == []
    empty.save(tmp_path / "empty")
    assert len(LexicalIndex.load(tmp_path / "empty")) == 0


def test_stale_tokenizer_version_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    LexicalIndex.build(ROWS).save(tmp_path / "lex")
    monkeypatch.setattr(lexical, "TOKENIZER_VERSION", lexical.TOKENIZER_VERSION + 1)
    with pytest.raises(lexical.LexicalVersionError):
        LexicalIndex.load(tmp_path / "lex")


# Azerbaijani questions over the seed paragraphs (some typed without diacritics), and a phrase that
# only the right paragraph contains. This is the measurement behind lexical.AZ_PREFIX, kept small.
AZ_QUESTIONS = [
    ("Beynəlxalq Miqrasiya İcmalı Forumu nə vaxt keçiriləcək?", "mayın 5-8-də"),
    ("Almatı Prosesinə neçə dövlət daxildir?", "10 dövləti və 3"),
    ("Qaçqınların inteqrasiyası üçün Yol xəritəsində hansı sahələr müəyyənləşdirilib?", "dörd əsas sahə"),
    ("Regional Təlim Mərkəzi haqqında təqdimatı kim edib?", "İradə Bağırlı"),
    ("Nəticə protokolunda nə razılaşdırıldı?", "Sonda Nəticə Protokolu"),
    ("Anna Proxorova hansı mövzuda çıxış edib?", "Anna Proxorovanın"),
    ("Heydər Əliyev ilinə həsr olunmuş çıxış", "Heydər Əliyev İli"),
    ("miqrantlar ucun rahatliq ve reqemsallasma", "miqrantlar üçün rahatlığın"),
    ("MOBİLAZE layihəsinin koordinatoru", "MOBİLAZE"),
    ("işçi qrupunun əvvəlki iclaslarının mövzuları", "indiyə qədər DMX"),
    ("Lars Yohan Lonnbak ne vurgulayib", "Lars Yohan"),
    ("Vusal Huseynov qonaqlari salamlayaraq ne bildirdi", "qonaqları salamayaraq"),
    ("hibrid formatda müzakirələr", "hibrid formatda"),
    ("Miqrasiya Xidmətinin rəisinin işçi qrupa dəstəyi", "daim dəstək verəcək"),
]


def _paragraph_lang(p: str) -> str:
    if any("\u0400" <= ch <= "\u04ff" for ch in p):
        return "ru"
    return "az" if any(ch in "əƏ" for ch in p) else "en"


def _seed_paragraphs(seeds_dir: Path) -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted(seeds_dir.glob("*.txt")):
        for i, p in enumerate(path.read_text(encoding="utf-8").split("\n")):
            if len(p.strip()) >= 40:
                rows.append((f"{path.name}:{i}", p.strip(), _paragraph_lang(p)))
    return rows


def _mrr(index: LexicalIndex, texts: dict[str, str]) -> float:
    total = 0.0
    for q, phrase in AZ_QUESTIONS:
        # Raw BM25 ranking (no coverage filter): this measures the stemming, not the filter.
        ranked = [cid for cid, _ in index.search(q, "az", 10, min_coverage=0.0)]
        rank = next((i for i, cid in enumerate(ranked, 1) if phrase in texts[cid]), None)
        total += 1 / rank if rank else 0.0
    return total / len(AZ_QUESTIONS)


def test_azerbaijani_prefix_stemming_beats_none(seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _seed_paragraphs(seeds_dir)
    texts = {cid: t for cid, t, _ in rows}
    stemmed = _mrr(LexicalIndex.build(rows), texts)
    monkeypatch.setattr(lexical, "AZ_PREFIX", 10_000)  # no truncation = no Azerbaijani stemming
    unstemmed = _mrr(LexicalIndex.build(rows), texts)
    print(f"az lexical MRR@10: 5-letter prefix {stemmed:.3f}, no stemming {unstemmed:.3f}")
    assert stemmed >= 0.8, stemmed
    assert stemmed > unstemmed + 0.05, (stemmed, unstemmed)


# -- hybrid retrieval ------------------------------------------------------------------------------

PASSAGES: dict[str, tuple[str, str]] = {
    "az_forum": ("az", "Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı "
                       "Forumuna hazırlıq çərçivəsində baş tutub."),
    "az_almaty": ("az", "Qeyd edək ki, Almatı Prosesi 10 dövləti və 3 beynəlxalq təşkilatı özündə birləşdirir."),
    "az_refugees": ("az", "Dövlət Miqrasiya Xidmətində (DMX) Azərbaycanda qaçqın statusu verilmiş əcnəbilərin "
                          "inteqrasiyası və sosial müdafiəsi məsələləri ilə bağlı fəaliyyət göstərən işçi qrupun "
                          "iclası keçirilib."),
    "az_remittances": ("az", "“Almatı Prosesi regionunda miqrasiya və pul köçürmələri inkişaf vasitəsi kimi” "
                             "mövzusunda tədqiqatçı xanım Anna Proxorovanın da çıxışı dinlənilib."),
    "ru_shahid": ("ru", "В рамках первого Международного форума по обзору миграции, проходящего в штаб-квартире "
                        "ООН в Нью-Йорке, прошла встреча между начальником Государственной миграционной службы "
                        "Азербайджана Вусалом Гусейновым и президентом Генеральной Ассамблеи ООН Абдуллой "
                        "Шахидом."),
    "ru_aliyev": ("ru", "Во встрече также приняли участие постоянный представитель Азербайджанской Республики "
                        "при ООН Яшар Алиев и сотрудники постоянного представительства."),
    "en_online": ("en", "On 31 May 2021, IOM Azerbaijan organized an online coordination meeting devoted to the "
                        "update of work under UN Migration Network Azerbaijan (UNNM) and discussions on "
                        "interlinkage of UNNM work with the implementation of UNSDCF (2021-2025)."),
    "en_attendees": ("en", "Representatives of local UN agencies, diplomatic representations of foreign states "
                           "operating in the country, as well as responsible employees of the relevant "
                           "authorities, NGOs, academia attended the meeting."),
}

CROSS_LINGUAL = [
    ("en", "When will the second International Migration Review Forum take place?", "az_forum"),
    ("en", "How many countries does the Almaty Process bring together?", "az_almaty"),
    ("ru", "Сколько государств объединяет Алматинский процесс?", "az_almaty"),
    ("az", "Vüsal Hüseynov BMT Baş Assambleyasının sədri Abdulla Şahidlə harada görüşüb?", "ru_shahid"),
    ("az", "BMT-nin Miqrasiya Şəbəkəsinin onlayn koordinasiya görüşü nə vaxt keçirilib?", "en_online"),
    ("az", "Görüşdə kimlər iştirak edib: yerli BMT agentlikləri, diplomatlar, QHT-lər?", "en_attendees"),
]


def _doc(key: str) -> tuple[Document, list[Chunk]]:
    lang, text = PASSAGES[key]
    source = f"{key}.txt"
    cid = hashlib.sha256(f"{source}\x00{text}".encode()).hexdigest()[:16]
    chunk = Chunk(id=cid, source=source, text=text, start=0, end=len(text), lang=lang, ordinal=0)
    doc = Document(source=source, path=f"/seeds/{source}", text=text,
                   content_hash=hashlib.sha256(text.encode()).hexdigest(), lang=lang,
                   sections=[Section(0, len(text), lang)])
    return doc, [chunk]


@pytest.fixture(scope="module")
def hybrid_store(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> IndexStore:
    settings = Settings(index_dir=tmp_path_factory.mktemp("hybrid") / "index")
    store = IndexStore.from_settings(settings, embedder)
    store.apply([_doc(k) for k in PASSAGES], progress=False)
    return store


def _retriever(store: IndexStore, embedder: Any, mode: Any = "hybrid", **overrides: Any) -> HybridRetriever:
    return HybridRetriever(store, embedder, Settings().replace(**overrides), mode=mode)


def _source_key(hit: Any) -> str:
    return str(hit.chunk.source).removesuffix(".txt")


@pytest.mark.parametrize(("lang", "question", "expected"), CROSS_LINGUAL,
                         ids=[f"{lang}->{exp}" for lang, _, exp in CROSS_LINGUAL])
def test_cross_lingual_hybrid_top1(hybrid_store: IndexStore, embedder: Any, lang: str, question: str,
                                   expected: str) -> None:
    hits = _retriever(hybrid_store, embedder).search(question, 3, lang=lang)
    assert hits, "no hits"
    assert _source_key(hits[0]) == expected, [(_source_key(h), h.to_dict()) for h in hits]


@pytest.mark.xfail(strict=False, reason="EmbeddingGemma ranks the az refugee passage low for Russian "
                   "questions about refugees (qaçqın); lexical search cannot bridge the languages")
def test_known_weak_spot_ru_question_about_az_refugees(hybrid_store: IndexStore, embedder: Any) -> None:
    hits = _retriever(hybrid_store, embedder).search(
        "Какие вопросы обсуждала рабочая группа по интеграции беженцев?", 3, lang="ru")
    assert _source_key(hits[0]) == "az_refugees"


def test_hits_carry_ranks_and_rrf_scores(hybrid_store: IndexStore, embedder: Any) -> None:
    r = _retriever(hybrid_store, embedder, rrf_k=60, dense_weight=1.0, lexical_weight=0.5)
    retriever: Retriever = r  # HybridRetriever satisfies the protocol
    hits = retriever.search("Встреча Гусейнова с Абдуллой Шахидом в Нью-Йорке", 8, lang="ru")
    assert len(hits) == 8 and _source_key(hits[0]) == "ru_shahid"
    for h in hits:
        expected = 0.0
        if h.dense_rank is not None:
            assert h.dense_score is not None and -1.0 <= h.dense_score <= 1.0001
            expected += 1.0 / (60 + h.dense_rank)
        if h.lexical_rank is not None:
            assert h.lexical_score is not None and h.lexical_score > 0
            expected += 0.5 / (60 + h.lexical_rank)
        assert h.score == pytest.approx(expected)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].dense_rank == 1 and hits[0].lexical_rank is not None
    # Deterministic: the same query gives the same list.
    assert [h.to_dict() for h in hits] == [h.to_dict() for h in retriever.search(
        "Встреча Гусейнова с Абдуллой Шахидом в Нью-Йорке", 8, lang="ru")]


def test_modes(hybrid_store: IndexStore, embedder: Any) -> None:
    q = "Яшар Алиев"
    dense = _retriever(hybrid_store, embedder, mode="dense").search(q, 4)
    assert all(h.lexical_rank is None and h.dense_rank is not None for h in dense)
    lex = _retriever(hybrid_store, embedder, mode="lexical").search(q, 4)
    assert lex and all(h.dense_rank is None for h in lex) and _source_key(lex[0]) == "ru_aliyev"
    assert len(lex) == 1  # only passages sharing a term
    # In hybrid mode a zero weight switches that side off entirely.
    dense_only = _retriever(hybrid_store, embedder, lexical_weight=0.0).search(q, 4)
    assert [h.chunk.id for h in dense_only] == [h.chunk.id for h in dense]
    assert _retriever(hybrid_store, embedder).search("   ", 4) == []
    assert _retriever(hybrid_store, embedder).search(q, 0) == []
    with pytest.raises(ValueError):
        HybridRetriever(hybrid_store, embedder, Settings(), mode="semantic")  # type: ignore[arg-type]


def test_lexical_matches_names_across_languages(hybrid_store: IndexStore) -> None:
    # An English question quoting a Cyrillic name: the union tokenisation stems it as Russian.
    hits = hybrid_store.search_lexical("meeting with Абдуллой Шахид", "en", 3)
    assert hits[0][0].source == "ru_shahid.txt"
    # Azerbaijani typed without diacritics still finds the passage.
    hits = hybrid_store.search_lexical("Almati Prosesi dovletleri", "az", 3)
    assert hits[0][0].source == "az_almaty.txt"


def test_empty_store_returns_nothing(tmp_path: Path, embedder: Any) -> None:
    store = IndexStore.open(tmp_path / "idx", embedder, chunking_of(Settings()))
    assert HybridRetriever(store, embedder, Settings()).search("anything", 3) == []


def test_language_centering_reranks_across_languages_only() -> None:
    store = TwoLanguageStore()
    plain = HybridRetriever(store, None, Settings().replace(language_centering=0.0))  # type: ignore[arg-type]
    centred = HybridRetriever(store, None, Settings().replace(language_centering=0.5))  # type: ignore[arg-type]
    assert [c.id for c, _ in plain._dense(None, 3)] == ["en1", "en2", "az1"]  # type: ignore[arg-type]
    ranked = centred._dense(None, 3)  # type: ignore[arg-type]
    # 0.55 - 0.5*0.20 = 0.45 beats 0.62 - 0.5*0.40 = 0.42; the English pair keeps its own order.
    assert [c.id for c, _ in ranked] == ["az1", "en1", "en2"]
    assert [round(s, 2) for _, s in ranked] == [0.55, 0.62, 0.60]  # raw cosines are reported


def test_index_keeps_one_mean_vector_per_chunk_language(hybrid_store: IndexStore, embedder: Any) -> None:
    q = embedder.embed_queries(["When is the forum?"])[0]
    offsets = hybrid_store.language_offsets(q)
    assert set(offsets) == {c.lang for c in hybrid_store.chunks()}
    az = np.stack([hybrid_store.vector(c.id) for c in hybrid_store.chunks() if c.lang == "az"]).mean(axis=0)
    assert abs(offsets["az"] - float(az @ q)) < 1e-5
