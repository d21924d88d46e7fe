"""MilvusStore on the real Milvus Lite engine (no mock) and the real EmbeddingGemma: ingest, incremental
update, removal, refusal of another embedder or chunking, hybrid retrieval, and -- for every read --
the same answer as the local store (``IndexStore``) given the same documents.

Inputs are the short seed sentences of ``test_index_store`` (a dozen texts, embedded once per session).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import CountingEmbedder, MemoEmbedder
from test_index_store import AZ, CHUNKING, EXTRA, make_doc, three_docs

from rag.errors import IndexError_
from rag.index.milvus_schema import StoreTarget, parse_store
from rag.index.milvus_store import MilvusStore
from rag.index.store import IndexStore
from rag.retrieve.retriever import HybridRetriever
from rag.settings import PROJECT_ROOT, Settings

QUERIES = [("Hüseynov forum", "az"), ("миграционной службы", "ru"), ("UN Migration Network", "en"),
           ("Beynəlxalq Miqrasiya Forumu 2022", "")]


@pytest.fixture(scope="module")
def memo(embedder: Any) -> MemoEmbedder:
    return MemoEmbedder(embedder)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[StoreTarget]:
    t = parse_store(f"milvus://{tmp_path}/index.db")
    yield t
    from milvus_lite import server_manager_instance

    server_manager_instance.release_server(t.uri)


def both(tmp_path: Path, target: StoreTarget, memo: MemoEmbedder) -> tuple[IndexStore, MilvusStore, CountingEmbedder]:
    counting = CountingEmbedder(memo)
    local = IndexStore.open(tmp_path / "local", CountingEmbedder(memo), CHUNKING)
    local.apply(three_docs(), progress=False)
    milvus = MilvusStore.open(target, counting, CHUNKING)
    milvus.apply(three_docs(), progress=False)
    return local, milvus, counting


def assert_same_reads(local: IndexStore, milvus: MilvusStore, memo: MemoEmbedder) -> None:
    """Every read the product makes returns what the local store returns."""
    assert len(milvus) == len(local)
    assert milvus.sources() == local.sources()
    assert milvus.chunks() == sorted(local.chunks(), key=lambda c: (c.source, c.ordinal, c.id))
    strip = [{k: v for k, v in d.items() if k != "ingested_at"} for d in local.documents()]
    assert [{k: v for k, v in d.items() if k != "ingested_at"} for d in milvus.documents()] == strip
    for source in local.sources():
        assert milvus.document(source) == local.document(source)
        chunks = local.document_chunks(source)
        assert chunks and [c.source for c in chunks] == [source] * len(chunks)
        assert [c.ordinal for c in chunks] == sorted(c.ordinal for c in chunks)
        assert milvus.document_chunks(source) == chunks
    assert local.document_chunks("absent.txt") == milvus.document_chunks("absent.txt") == []
    qv = memo.embed_queries(["Abdulla Shahid meeting in New York"])[0]
    dense_l, dense_m = local.search_dense(qv, 6), milvus.search_dense(qv, 6)
    assert [c.id for c, _ in dense_m] == [c.id for c, _ in dense_l]
    assert np.allclose([s for _, s in dense_m], [s for _, s in dense_l], atol=1e-5)
    off_l, off_m = local.language_offsets(qv), milvus.language_offsets(qv)
    assert off_m.keys() == off_l.keys()
    assert all(abs(off_m[k] - off_l[k]) < 1e-5 for k in off_l)
    for query, lang in QUERIES:
        assert [c.id for c, _ in milvus.search_lexical(query, lang, 6)] == \
            [c.id for c, _ in local.search_lexical(query, lang, 6)], query


def test_ingest_returns_full_payload_like_the_local_store(tmp_path: Path, target: StoreTarget,
                                                           memo: MemoEmbedder) -> None:
    local, milvus, counting = both(tmp_path, target, memo)
    assert len(milvus) == 6 and len(counting.texts) == 6
    assert_same_reads(local, milvus, memo)
    assert any(milvus.search_lexical(q, lang, 6) for q, lang in QUERIES)  # the comparison is not vacuous
    reopened = MilvusStore.open(target, CountingEmbedder(memo), CHUNKING, create=False)
    assert_same_reads(local, reopened, memo)


def test_incremental_update_embeds_only_new_text(tmp_path: Path, target: StoreTarget, memo: MemoEmbedder) -> None:
    local, milvus, counting = both(tmp_path, target, memo)
    gen = milvus.generation
    assert not milvus.apply(three_docs(), progress=False).written
    assert milvus.generation == gen and len(counting.texts) == 6
    changed = make_doc("az.txt", [*AZ, EXTRA], "az")
    assert milvus.needs_update("az.txt", changed[0].content_hash)
    report = milvus.apply([changed], progress=False)
    local.apply([changed], progress=False)
    assert (report.updated_docs, report.added_chunks, report.embedded_chunks, report.reused_vectors) == (1, 1, 1, 2)
    assert counting.texts[6:] == [EXTRA] and milvus.generation == gen + 1
    assert not milvus.needs_update("az.txt", changed[0].content_hash)
    assert_same_reads(local, milvus, memo)  # including the updated per-language means


def test_removal_by_source(tmp_path: Path, target: StoreTarget, memo: MemoEmbedder) -> None:
    local, milvus, _ = both(tmp_path, target, memo)
    report = milvus.remove(["ru.txt", "not-indexed.txt"])
    local.remove(["ru.txt"])
    assert (report.removed_docs, report.removed_chunks) == (1, 2)
    assert "ru.txt" not in milvus.sources() and len(milvus) == 4
    with pytest.raises(KeyError):
        milvus.document("ru.txt")
    assert "ru" not in milvus.language_offsets(memo.embed_queries(["миграция"])[0])
    assert not milvus.search_lexical("миграционной службы", "ru", 6)
    assert_same_reads(local, milvus, memo)


def test_other_embedder_or_chunking_is_refused(target: StoreTarget, memo: MemoEmbedder) -> None:
    with pytest.raises(IndexError_, match="No index"):
        MilvusStore.open(target, CountingEmbedder(memo), CHUNKING, create=False)
    MilvusStore.open(target, CountingEmbedder(memo), CHUNKING).apply(three_docs()[:1], progress=False)
    with pytest.raises(IndexError_, match="not comparable; rebuild") as err:
        MilvusStore.open(target, CountingEmbedder(memo, fingerprint="another-model"), CHUNKING)
    assert err.value.fix == f"rag ingest --rebuild /data --store milvus://{target.uri}"  # where the docs came from
    with pytest.raises(IndexError_, match="chunking"):
        MilvusStore.open(target, CountingEmbedder(memo), {**CHUNKING, "chunk_tokens": 99})
    fresh = MilvusStore.open(target, CountingEmbedder(memo, fingerprint="another-model"), CHUNKING, fresh=True)
    assert len(fresh) == 0  # --rebuild replaces the collection


def test_hybrid_search_finds_the_passage_across_languages(tmp_path: Path, target: StoreTarget,
                                                          memo: MemoEmbedder) -> None:
    local, milvus, _ = both(tmp_path, target, memo)
    settings = Settings()
    question = "When will the second International Migration Review Forum take place?"  # en -> az passage
    hits = HybridRetriever(milvus, memo, settings).search(question, 3)
    assert hits[0].chunk.text == AZ[0] and hits[0].chunk.lang == "az"
    assert hits[0].dense_score is not None and hits[0].chunk.start == 0 and hits[0].chunk.title == "az.txt"
    expected = HybridRetriever(local, memo, settings).search(question, 3)
    assert [h.chunk.id for h in hits] == [h.chunk.id for h in expected]


def test_past_exact_index_max_the_dense_index_becomes_hnsw_and_bm25_keeps_its_index(
        tmp_path: Path, target: StoreTarget, memo: MemoEmbedder) -> None:
    """The switch to HNSW on the real engine. Milvus Lite's ``drop_index("vector")`` drops every index of
    the collection (rag.index.milvus_writes._switch_to_hnsw says why), which once also took the BM25
    index and its k1 with it; and a failed switch used to leave the exact index with only a warning."""
    local, flat, _ = both(tmp_path, target, memo)  # a flat Milvus store: the reference for BM25 scores
    assert flat.index_kind == "flat"
    lexical_flat = {q: [(c.id, s) for c, s in flat.search_lexical(q, lang, 6)] for q, lang in QUERIES}
    flat.close()
    other = parse_store(f"milvus://{tmp_path}/hnsw.db")
    try:
        milvus = MilvusStore.open(other, CountingEmbedder(memo), CHUNKING, exact_index_max=4)
        report = milvus.apply(three_docs(), progress=False)  # 6 chunks > 4
        assert report.index_kind == "hnsw" and milvus.index_kind == "hnsw"
        assert "hnsw_refused" not in milvus.config
        client = milvus.client
        kinds = {client.describe_index("rag_chunks", n)["field_name"]: client.describe_index("rag_chunks", n)
                 for n in client.list_indexes("rag_chunks")}
        assert kinds["vector"]["index_type"] == "HNSW" and kinds["vector"]["metric_type"] == "IP"
        assert kinds["sparse"]["index_type"] == "SPARSE_INVERTED_INDEX" and kinds["sparse"]["metric_type"] == "BM25"
        assert_same_reads(local, milvus, memo)  # dense ids and scores as the local store's (HNSW finds all 6)
        for q, lang in QUERIES:  # the same BM25 scores as before the switch (k1 1.5 kept, not the default)
            got = [(c.id, s) for c, s in milvus.search_lexical(q, lang, 6)]
            assert [i for i, _ in got] == [i for i, _ in lexical_flat[q]], q
            assert np.allclose([s for _, s in got], [s for _, s in lexical_flat[q]], rtol=1e-5), q
        qv = memo.embed_queries(["When will the second International Migration Review Forum take place?"])[0]
        assert milvus.search_dense(qv, 1)[0][0].text == AZ[0]
        milvus.apply([make_doc("az.txt", [*AZ, EXTRA], "az")], progress=False)  # writes after the switch
        assert milvus.index_kind == "hnsw" and len(milvus) == 7
        milvus.close()
        reopened = MilvusStore.open(other, CountingEmbedder(memo), CHUNKING, create=False, exact_index_max=4)
        assert reopened.index_kind == "hnsw" and reopened.search_dense(qv, 1)[0][0].text == AZ[0]
        reopened.close()
    finally:
        from milvus_lite import server_manager_instance

        server_manager_instance.release_server(other.uri)


def test_milvus_lite_logs_no_traceback_for_its_missing_timestamp_call(target: StoreTarget, memo: MemoEmbedder,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Creating the collections and reading with a query iterator make pymilvus call ``AllocTimestamp``,
    which Milvus Lite does not implement; its in-process gRPC server logged a traceback for each call."""
    with caplog.at_level(logging.ERROR):
        store = MilvusStore.open(target, CountingEmbedder(memo), CHUNKING)
        store.apply(three_docs(), progress=False)
        assert len(store.all_rows("rag_chunks", 'id != ""', ["id"])) == 6
    assert not [r for r in caplog.records if r.exc_info or "not implemented" in r.getMessage().lower()]
    logging.getLogger("grpc._server").error("another server error")  # the filter lets other errors through
    assert [r.getMessage() for r in caplog.records] == ["another server error"]


def test_milvus_lite_file_is_refused_to_a_second_process(target: StoreTarget, memo: MemoEmbedder) -> None:
    """Milvus Lite runs in one process and locks its file: a second process gets a clear error."""
    MilvusStore.open(target, CountingEmbedder(memo), CHUNKING)
    code = ("from rag.index.milvus_schema import parse_store\nfrom rag.index.milvus_store import client_for\n"
            f"client_for(parse_store('milvus://{target.uri}'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert proc.returncode != 0
    assert "another rag process has it open" in proc.stderr and "milvus_lite server" in proc.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_processes_share_one_milvus_server(tmp_path: Path, memo: MemoEmbedder) -> None:
    """The server path (``--store http://...``): the engine in its own process, this process writing,
    another process reading what was written -- what several ``rag serve`` replicas do."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "srv"),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                writer = MilvusStore.open(parse_store(url), CountingEmbedder(memo), CHUNKING)
                break
            except IndexError_:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        writer.apply(three_docs(), progress=False)
        code = (
            "from fakes import NoEmbedder\n"
            "from rag.index.milvus_schema import parse_store\n"
            "from rag.index.milvus_store import MilvusStore\n"
            f"identity = NoEmbedder({memo.name!r}, {memo.fingerprint!r}, {memo.dim})\n"
            f"s = MilvusStore.open(parse_store({url!r}), identity, {CHUNKING!r}, create=False)\n"
            "print(len(s), sorted(s.sources()), [c.source for c, _ in s.search_lexical('Hüseynov forum', 'az', 3)])\n")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "tests")])}
        readers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, cwd=PROJECT_ROOT, env=env) for _ in range(2)]
        for r in readers:
            out, err = r.communicate(timeout=120)
            assert r.returncode == 0, err
            assert out.strip() == "6 ['az.txt', 'en.txt', 'ru.txt'] ['az.txt']"
        writer.remove(["az.txt"])
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                              cwd=PROJECT_ROOT, env=env)
        assert proc.stdout.strip() == "4 ['en.txt', 'ru.txt'] []", proc.stderr
        writer.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_pipeline_runs_on_milvus_through_the_store_setting(tmp_path: Path, target: StoreTarget, memo: MemoEmbedder,
                                                           base_settings: Settings) -> None:
    """``--store milvus://...`` end to end below the LLM: ingest a folder, skip it unchanged, retrieve."""
    from rag.pipeline import RAG

    folder = tmp_path / "docs"
    folder.mkdir()
    for doc, _ in three_docs():
        (folder / doc.source).write_text(doc.text, encoding="utf-8")
    rag = RAG(base_settings.replace(store=f"milvus://{target.uri}", index_dir=tmp_path / "unused"))
    rag.__dict__["embedder"] = memo  # the session's embedder (cached_property slot)
    assert not rag.index_exists()
    first = rag.ingest([folder], progress=False)
    assert first.apply is not None and first.apply.added_docs == 3
    assert rag.ingest([folder], progress=False).unchanged == 3
    assert rag.index_exists() and not (tmp_path / "unused").exists()  # nothing written to the local index dir
    _, hits, _ = rag.retrieve("When will the second International Migration Review Forum take place?")
    assert hits[0].chunk.source == "az.txt" and hits[0].chunk.text.startswith("Bildirilib")
    assert rag.remove("ru.txt") and {d["source"] for d in rag.documents()} == {"az.txt", "en.txt"}
