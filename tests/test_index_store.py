"""IndexStore: persistence, incremental updates, crash safety, refusal of mismatched or corrupt indexes.

Real EmbeddingGemma, real FAISS, real bm25s. Texts are short seed sentences so the whole file embeds
a few dozen sentences; a memo under the counting wrapper keeps repeated texts from being re-run
through the model across tests (the store never sees the memo: it only sees what it asked for).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import CountingEmbedder, MemoEmbedder

from rag.errors import IndexError_
from rag.index import dense
from rag.index.manifest import manifest_digest
from rag.index.store import IndexStore
from rag.settings import PROJECT_ROOT
from rag.types import Chunk, Document, Section

CHUNKING = {"chunk_tokens": 160, "chunk_overlap_tokens": 32}

AZ = [
    "Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna hazırlıq "
    "çərçivəsində baş tutub.",
    "DMX-nin rəisi Vüsal Hüseynov 2022-ci ildə keçirilmiş ilk Beynəlxalq Miqrasiya İcmalı Forumunda fəal "
    "iştirakı barədə məlumat verib.",
]
RU = [
    "В рамках первого Международного форума по обзору миграции, проходящего в штаб-квартире ООН в "
    "Нью-Йорке, прошла встреча между начальником Государственной миграционной службы Азербайджана "
    "Вусалом Гусейновым и президентом Генеральной Ассамблеи ООН Абдуллой Шахидом.",
    "Во встрече также приняли участие постоянный представитель Азербайджанской Республики при ООН Яшар "
    "Алиев и сотрудники постоянного представительства.",
]
EN = [
    "On 31 May 2021, IOM Azerbaijan organized an online coordination meeting devoted to the update of "
    "work under UN Migration Network Azerbaijan (UNNM).",
    "Mentioning that Azerbaijan is among the first countries to develop its National UN Network on "
    "Migration, Mr. Vusal Huseynov expressed his belief that this meeting can be a platform for new ideas.",
]
EXTRA = "Qeyd edək ki, Almatı Prosesi 10 dövləti və 3 beynəlxalq təşkilatı özündə birləşdirir."


def make_doc(source: str, paragraphs: Sequence[str], lang: str, *, title: str = "") -> tuple[Document, list[Chunk]]:
    """One chunk per paragraph, ids = hash(source, text) as ingestion does."""
    text = "\n\n".join(paragraphs)
    chunks, pos = [], 0
    for i, p in enumerate(paragraphs):
        start = text.index(p, pos)
        pos = start + len(p)
        cid = hashlib.sha256(f"{source}\x00{p}".encode()).hexdigest()[:16]
        chunks.append(Chunk(id=cid, source=source, text=p, start=start, end=pos, lang=lang, ordinal=i,
                            title=title or source))
    doc = Document(source=source, path=f"/data/{source}", text=text,
                   content_hash=hashlib.sha256(text.encode()).hexdigest(), title=title or source,
                   date="2026-02-11", lang=lang, sections=[Section(0, len(text), lang)])
    return doc, chunks


@pytest.fixture(scope="module")
def memo(embedder: Any) -> MemoEmbedder:
    return MemoEmbedder(embedder)


@pytest.fixture
def counting(memo: MemoEmbedder) -> CountingEmbedder:
    return CountingEmbedder(memo)


@pytest.fixture
def index_dir(settings: Any) -> Path:
    return Path(settings.index_dir)


def three_docs() -> list[tuple[Document, list[Chunk]]]:
    return [make_doc("az.txt", AZ, "az"), make_doc("ru.txt", RU, "ru"), make_doc("en.txt", EN, "en")]


def gen_dirs(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))


def snapshot(store: IndexStore, memo: MemoEmbedder) -> dict[str, Any]:
    qv = memo.embed_queries(["Abdulla Shahid meeting in New York"])[0]
    return {
        "chunks": [c.to_dict() for c in store.chunks()],
        "docs": store.documents(),
        "dense": [(c.id, round(s, 5)) for c, s in store.search_dense(qv, 6)],
        "lexical": [(c.id, round(s, 5)) for c, s in store.search_lexical("Hüseynov forum", "az", 6)],
    }


def populated(index_dir: Path, counting: CountingEmbedder) -> IndexStore:
    store = IndexStore.open(index_dir, counting, CHUNKING)
    store.apply(three_docs(), progress=False)
    return store


# -- round trip ------------------------------------------------------------------------------------

def test_round_trip(index_dir: Path, counting: CountingEmbedder, memo: MemoEmbedder) -> None:
    assert not IndexStore.exists(index_dir)
    store = IndexStore.open(index_dir, counting, CHUNKING)
    assert len(store) == 0 and store.search_dense(np.ones(counting.dim, np.float32), 3) == []
    report = store.apply(three_docs(), progress=False)
    assert (report.added_docs, report.added_chunks, report.embedded_chunks) == (3, 6, 6)
    assert report.written and report.generation == 1 and report.index_kind == "flat"
    assert IndexStore.exists(index_dir)
    assert gen_dirs(index_dir) == ["gen-000001"]

    reopened = IndexStore.open(index_dir, counting, CHUNKING, create=False)
    assert snapshot(reopened, memo) == snapshot(store, memo)
    assert reopened.sources() == {"az.txt", "ru.txt", "en.txt"}
    assert len(reopened) == 6
    doc, chunks = make_doc("ru.txt", RU, "ru")
    assert reopened.document_text("ru.txt") == doc.text
    assert reopened.document("ru.txt") == doc
    c = reopened.chunk(chunks[1].id)
    assert doc.text[c.start : c.end] == c.text
    meta = {d["source"]: d for d in reopened.documents()}["az.txt"]
    assert meta["n_chunks"] == 2 and "text" not in meta and meta["content_hash"]
    manifest = reopened.manifest()
    assert manifest["embedder"]["fingerprint"] == counting.fingerprint
    assert manifest["chunking"] == CHUNKING and manifest["counts"]["chunks"] == 6
    # Dense search finds the Russian passage for an English question about it.
    top = reopened.search_dense(memo.embed_queries(["Abdulla Shahid meeting in New York"])[0], 1)
    assert top[0][0].id == chunks[0].id


# -- incremental -----------------------------------------------------------------------------------

def test_unchanged_reapply_writes_nothing(index_dir: Path, counting: CountingEmbedder) -> None:
    store = populated(index_dir, counting)
    current_before = (index_dir / "CURRENT").stat().st_mtime_ns
    embedded_before = len(counting.texts)
    for doc, _ in three_docs():
        assert not store.needs_update(doc.source, doc.content_hash)
    assert store.needs_update("az.txt", "other-hash") and store.needs_update("new.txt", "x")

    report = IndexStore.open(index_dir, counting, CHUNKING).apply(three_docs(), progress=False)
    assert not report.written and report.generation == 1
    assert (report.added_docs, report.updated_docs, report.added_chunks) == (0, 0, 0)
    assert len(counting.texts) == embedded_before
    assert gen_dirs(index_dir) == ["gen-000001"]
    assert (index_dir / "CURRENT").stat().st_mtime_ns == current_before
    assert not store.remove(["not-indexed.txt"]).written


def test_changed_document_replaces_chunks_and_reuses_vectors(index_dir: Path, counting: CountingEmbedder,
                                                             memo: MemoEmbedder) -> None:
    store = populated(index_dir, counting)
    old_doc, old_chunks = make_doc("az.txt", AZ, "az")
    kept_vector = store.vector(old_chunks[0].id)
    counting.texts.clear()

    new_doc, new_chunks = make_doc("az.txt", [AZ[0], EXTRA], "az")
    report = store.apply([(new_doc, new_chunks)], progress=False)
    assert (report.updated_docs, report.added_docs, report.removed_docs) == (1, 0, 0)
    assert (report.added_chunks, report.removed_chunks) == (1, 1)
    assert report.reused_vectors == 1 and report.embedded_chunks == 1
    assert counting.texts == [EXTRA]  # only the new paragraph went through the model

    reopened = IndexStore.open(index_dir, counting, CHUNKING)
    assert len(reopened) == 6
    with pytest.raises(KeyError):
        reopened.chunk(old_chunks[1].id)
    assert reopened.chunk(new_chunks[1].id).text == EXTRA
    assert np.array_equal(reopened.vector(new_chunks[0].id), kept_vector)
    assert reopened.document_text("az.txt") == new_doc.text
    assert not reopened.needs_update("az.txt", new_doc.content_hash)
    assert reopened.needs_update("az.txt", old_doc.content_hash)
    hits = reopened.search_lexical("Almatı Prosesi neçə dövləti birləşdirir", "az", 3)
    assert hits[0][0].id == new_chunks[1].id
    assert all(c.id != old_chunks[1].id for c, _ in reopened.search_lexical("fəal iştirakı 2022", "az", 6))
    assert gen_dirs(index_dir) == ["gen-000002"]


def test_removal_removes_chunks_and_vectors(index_dir: Path, counting: CountingEmbedder, memo: MemoEmbedder) -> None:
    store = populated(index_dir, counting)
    report = store.remove(["ru.txt"])
    assert report.written and (report.removed_docs, report.removed_chunks) == (1, 2)
    for s in (store, IndexStore.open(index_dir, counting, CHUNKING)):
        assert s.sources() == {"az.txt", "en.txt"} and len(s) == 4
        assert all(c.source != "ru.txt" for c in s.chunks())
        assert s.search_lexical("Абдулла Шахид", "ru", 5) == []
        qv = memo.embed_queries(["Abdulla Shahid meeting in New York"])[0]
        assert all(c.source != "ru.txt" for c, _ in s.search_dense(qv, 10))
        assert s.manifest()["counts"] == {"documents": 2, "chunks": 4, "vectors": 4}
    # Putting it back reuses nothing (its vectors are gone) and finds it again.
    counting.texts.clear()
    report = store.apply([make_doc("ru.txt", RU, "ru")], progress=False)
    assert report.added_docs == 1 and report.embedded_chunks == 2
    assert store.search_lexical("Абдулла Шахид", "ru", 1)[0][0].source == "ru.txt"


def test_renamed_file_reuses_vectors_by_text(index_dir: Path, counting: CountingEmbedder) -> None:
    store = populated(index_dir, counting)
    counting.texts.clear()
    doc, chunks = make_doc("en-renamed.txt", EN, "en")
    report = store.apply([(doc, chunks)], ["en.txt"], progress=False)
    assert (report.added_docs, report.removed_docs, report.reused_vectors) == (1, 1, 2)
    assert counting.texts == []


def test_duplicate_paragraphs_are_deduplicated_and_collisions_refused(index_dir: Path,
                                                                      counting: CountingEmbedder) -> None:
    store = IndexStore.open(index_dir, counting, CHUNKING)
    doc, chunks = make_doc("dup.txt", [AZ[0], AZ[1]], "az")
    report = store.apply([(doc, [*chunks, chunks[0]])], progress=False)
    assert report.added_chunks == 2 and len(store) == 2
    other, other_chunks = make_doc("other.txt", [EXTRA], "az")
    clash = Chunk(**{**other_chunks[0].to_dict(), "id": chunks[0].id})
    with pytest.raises(ValueError, match="collides"):
        store.apply([(other, [clash])], progress=False)
    with pytest.raises(ValueError, match="source"):
        store.apply([(other, chunks)], progress=False)


# -- crash safety ----------------------------------------------------------------------------------

def test_failure_after_first_embedding_batch_keeps_previous_index(index_dir: Path, counting: CountingEmbedder,
                                                                  memo: MemoEmbedder) -> None:
    store = IndexStore.open(index_dir, counting, CHUNKING)
    store.apply([make_doc("az.txt", AZ, "az")], progress=False)
    before = snapshot(store, memo)

    failing = CountingEmbedder(memo, batch_size=2, fail_after_batches=1)
    victim = IndexStore.open(index_dir, failing, CHUNKING)
    with pytest.raises(RuntimeError, match="injected"):
        victim.apply([make_doc("ru.txt", RU, "ru"), make_doc("en.txt", EN, "en")], progress=False)
    assert failing.batches == 1  # one batch went through the model, then the failure
    assert snapshot(victim, memo) == before  # in-memory state untouched too
    assert snapshot(IndexStore.open(index_dir, counting, CHUNKING), memo) == before
    assert gen_dirs(index_dir) == ["gen-000001"]


def test_interrupt_before_pointer_swap_keeps_previous_index(index_dir: Path, counting: CountingEmbedder,
                                                            memo: MemoEmbedder,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = populated(index_dir, counting)
    before = snapshot(store, memo)
    written: list[Path] = []
    real_write = IndexStore._write_generation

    def write_then_check(self: IndexStore, state: Any, gen: int) -> Path:
        path = real_write(self, state, gen)
        written.append(path)
        assert (path / "manifest.json").is_file()  # the new generation is complete on disk
        return path

    def interrupt(self: IndexStore, name: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(IndexStore, "_write_generation", write_then_check)
    monkeypatch.setattr(IndexStore, "_swap_current", interrupt)
    with pytest.raises(KeyboardInterrupt):
        store.remove(["ru.txt"])
    assert written and written[0].name == "gen-000002"
    monkeypatch.undo()

    assert snapshot(store, memo) == before
    assert snapshot(IndexStore.open(index_dir, counting, CHUNKING), memo) == before
    assert gen_dirs(index_dir) == ["gen-000001"]
    # And the store still works afterwards.
    assert store.remove(["ru.txt"]).generation == 2
    assert IndexStore.open(index_dir, counting, CHUNKING).sources() == {"az.txt", "en.txt"}


_CHILD = textwrap.dedent("""
    import os, sys
    import numpy as np
    from rag.index.store import IndexStore
    from rag.index.lexical import LexicalIndex
    from fakes import NoEmbedder  # same identity as the real embedder; removals never embed

    index_dir, name, fingerprint, dim, where = sys.argv[1:6]


    def die(*args, **kwargs):
        os._exit(17)  # a hard crash: no except/finally blocks run

    if where == "mid-write":
        LexicalIndex.save = die
    else:
        IndexStore._swap_current = die
    chunking = {"chunk_tokens": 160, "chunk_overlap_tokens": 32}
    store = IndexStore.open(index_dir, NoEmbedder(name, fingerprint, int(dim)), chunking)
    store.remove(["ru.txt"], progress=False)
    sys.exit(0)
""")


@pytest.mark.parametrize(("where", "leftover"), [("mid-write", "gen-000002.tmp"),
                                                 ("before-swap", "gen-000002")])
def test_hard_crash_leaves_previous_index_and_leftovers_are_cleaned(
        where: str, leftover: str, index_dir: Path, counting: CountingEmbedder, memo: MemoEmbedder) -> None:
    store = populated(index_dir, counting)
    before = snapshot(store, memo)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "tests")])}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(index_dir), counting.name, counting.fingerprint,
                           str(counting.dim), where], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 17, proc.stderr
    assert gen_dirs(index_dir) == ["gen-000001", leftover]
    assert (index_dir / "CURRENT").read_text().strip() == "gen-000001"

    reopened = IndexStore.open(index_dir, counting, CHUNKING)
    assert snapshot(reopened, memo) == before
    assert gen_dirs(index_dir) == ["gen-000001"]  # leftovers removed on open
    assert reopened.remove(["ru.txt"]).generation == 2


def test_fresh_rebuild_replaces_old_index_only_on_commit(index_dir: Path, counting: CountingEmbedder,
                                                         memo: MemoEmbedder) -> None:
    store = populated(index_dir, counting)
    before = snapshot(store, memo)
    fresh = IndexStore.open(index_dir, counting, CHUNKING, fresh=True)
    assert len(fresh) == 0
    assert snapshot(IndexStore.open(index_dir, counting, CHUNKING), memo) == before  # not yet replaced
    fresh.apply([make_doc("en.txt", EN, "en")], progress=False)
    assert IndexStore.open(index_dir, counting, CHUNKING).sources() == {"en.txt"}
    assert gen_dirs(index_dir) == ["gen-000002"]


def test_concurrent_writer_is_detected(index_dir: Path, counting: CountingEmbedder) -> None:
    populated(index_dir, counting)
    a = IndexStore.open(index_dir, counting, CHUNKING)
    b = IndexStore.open(index_dir, counting, CHUNKING)
    a.remove(["ru.txt"])
    with pytest.raises(IndexError_, match="another process"):
        b.remove(["en.txt"])
    assert IndexStore.open(index_dir, counting, CHUNKING).sources() == {"az.txt", "en.txt"}


# -- refusal ---------------------------------------------------------------------------------------

def test_other_embedder_or_chunking_is_refused(index_dir: Path, counting: CountingEmbedder, memo: MemoEmbedder) -> None:
    populated(index_dir, counting)
    other = CountingEmbedder(memo, fingerprint="0123456789abcdef")
    with pytest.raises(IndexError_) as err:
        IndexStore.open(index_dir, other, CHUNKING)
    assert "--rebuild" in str(err.value) and "0123456789abcdef" in err.value.message
    assert err.value.fix == "rag ingest --rebuild /data"  # names where the documents came from
    with pytest.raises(IndexError_, match="dim"):
        IndexStore.open(index_dir, CountingEmbedder(memo, dim=256), CHUNKING)
    with pytest.raises(IndexError_, match="chunking") as err:
        IndexStore.open(index_dir, counting, {**CHUNKING, "chunk_tokens": 256})
    assert "--rebuild" in str(err.value)
    # A rebuild (fresh) is allowed with the new settings and replaces the old index.
    IndexStore.open(index_dir, counting, {**CHUNKING, "chunk_tokens": 256}, fresh=True).apply(
        [make_doc("en.txt", EN, "en")], progress=False)
    assert len(IndexStore.open(index_dir, counting, {**CHUNKING, "chunk_tokens": 256})) == 2


def live_dir(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def test_corrupt_manifest_is_a_clear_error(index_dir: Path, counting: CountingEmbedder) -> None:
    populated(index_dir, counting)
    (live_dir(index_dir) / "manifest.json").write_text("{not json")
    with pytest.raises(IndexError_, match="corrupt") as err:
        IndexStore.open(index_dir, counting, CHUNKING)
    assert "--rebuild" in str(err.value)
    (live_dir(index_dir) / "manifest.json").write_text('{"format_version": 1}')
    with pytest.raises(IndexError_, match="corrupt"):
        IndexStore.open(index_dir, counting, CHUNKING)
    (live_dir(index_dir) / "manifest.json").write_text("[]")
    with pytest.raises(IndexError_, match="corrupt"):
        IndexStore.open(index_dir, counting, CHUNKING)


def test_missing_file_is_a_clear_error(index_dir: Path, counting: CountingEmbedder) -> None:
    populated(index_dir, counting)
    (live_dir(index_dir) / "chunks.jsonl").unlink()
    with pytest.raises(IndexError_, match=r"corrupt.*chunks\.jsonl.*missing"):
        IndexStore.open(index_dir, counting, CHUNKING)


def test_vector_count_mismatch_is_a_clear_error(index_dir: Path, counting: CountingEmbedder) -> None:
    populated(index_dir, counting)
    gen = live_dir(index_dir)
    vectors = np.load(gen / "vectors.npy")
    np.save(gen / "vectors.npy", vectors[:-1])
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["files"]["vectors.npy"] = (gen / "vectors.npy").stat().st_size  # a consistent-looking lie
    manifest["sha256"]["vectors.npy"] = hashlib.sha256((gen / "vectors.npy").read_bytes()).hexdigest()
    manifest["manifest_sha256"] = manifest_digest(manifest)
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexError_, match="5 vectors for 6 chunks"):
        IndexStore.open(index_dir, counting, CHUNKING)


def test_truncated_file_and_bad_pointer_are_clear_errors(index_dir: Path, counting: CountingEmbedder) -> None:
    populated(index_dir, counting)
    path = live_dir(index_dir) / "documents.json"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(IndexError_, match=r"documents\.json has"):
        IndexStore.open(index_dir, counting, CHUNKING)
    (index_dir / "CURRENT").write_text("../../etc")
    with pytest.raises(IndexError_, match="pointer"):
        IndexStore.open(index_dir, counting, CHUNKING)
    # "rag ingest --rebuild" (fresh) recovers from any of this.
    IndexStore.open(index_dir, counting, CHUNKING, fresh=True).apply([make_doc("en.txt", EN, "en")],
                                                                     progress=False)
    recovered = IndexStore.open(index_dir, counting, CHUNKING)
    assert recovered.sources() == {"en.txt"}
    assert gen_dirs(index_dir) == [f"gen-{recovered.generation:06d}"]


def test_missing_index_without_create(index_dir: Path, counting: CountingEmbedder) -> None:
    with pytest.raises(IndexError_, match="No index") as err:
        IndexStore.open(index_dir, counting, CHUNKING, create=False)
    assert err.value.fix and err.value.fix.startswith("rag ingest")


# -- approximate index ------------------------------------------------------------------------------

def test_hnsw_above_threshold(index_dir: Path, counting: CountingEmbedder, memo: MemoEmbedder) -> None:
    store = IndexStore.open(index_dir, counting, CHUNKING, exact_index_max=3)
    report = store.apply(three_docs(), progress=False)
    assert report.index_kind == "hnsw" and store.index_kind == "hnsw"
    assert (live_dir(index_dir) / "faiss.index").is_file()
    ru_id = make_doc("ru.txt", RU, "ru")[1][0].id
    qv = memo.embed_queries(["Abdulla Shahid meeting in New York"])[0]
    assert store.search_dense(qv, 1)[0][0].id == ru_id
    assert len(store.search_dense(qv, 50)) == 6

    reopened = IndexStore.open(index_dir, counting, CHUNKING, exact_index_max=3)
    assert reopened.manifest()["index_kind"] == "hnsw"
    assert reopened.manifest()["hnsw"]["M"] == dense.HNSW_M
    assert [c.id for c, _ in reopened.search_dense(qv, 6)] == [c.id for c, _ in store.search_dense(qv, 6)]
    # Append-only update extends the HNSW graph; a removal rebuilds it; both stay correct.
    reopened.apply([make_doc("extra.txt", [EXTRA], "az")], progress=False)
    assert len(reopened) == 7 and reopened.index_kind == "hnsw"
    assert reopened.search_dense(qv, 1)[0][0].id == ru_id
    reopened.remove(["az.txt", "en.txt", "extra.txt"])  # 2 chunks left: below the threshold again
    assert reopened.index_kind == "flat" and len(reopened) == 2
    assert reopened.search_dense(qv, 1)[0][0].id == ru_id


def test_index_cut_by_older_text_rules_is_refused(index_dir: Path, counting: CountingEmbedder) -> None:
    """An index made before the cleaning / chunking rules changed holds other texts and spans: refused
    with the rebuild command, not answered from."""
    from rag.index.base import chunking_of
    from rag.ingest.chunking import TEXT_RULES_VERSION
    from rag.settings import Settings

    current = chunking_of(Settings())
    assert current["text_rules"] == TEXT_RULES_VERSION
    IndexStore.open(index_dir, counting, {**current, "text_rules": TEXT_RULES_VERSION - 1}).apply(
        three_docs(), progress=False)
    with pytest.raises(IndexError_, match="chunking") as err:
        IndexStore.open(index_dir, counting, current)
    assert "--rebuild" in str(err.value)
