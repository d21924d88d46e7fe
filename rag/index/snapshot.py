"""One generation's contents in memory (``Snapshot``) and its files on disk.

Files of a generation folder::

    manifest.json      format, embedder identity, chunking settings, kind, counts, file sizes
    chunks.jsonl       Chunk.to_dict() per line; line i <-> vector row i <-> lexical row i
    vectors.npy        float32 (n, dim), L2-normalised: lets us rebuild FAISS and reuse vectors
    faiss.index        only for "hnsw" (an exact flat index is rebuilt from vectors.npy in ms)
    documents.json     per source: hash, title, date, lang, path, sections, chunk ids, text
    lexical/           LexicalIndex (token lists + bm25s matrix)

Loading cross-checks the files against each other (counts, ids, dimensions) and the store checks
their sha256 against the manifest, so a damaged file, or one from another generation, is refused
rather than served. Every failure here is an ``IndexDamagedError``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag.index import dense
from rag.index.lexical import LexicalIndex, LexicalVersionError
from rag.index.manifest import IndexDamagedError, Manifest, Vanished, check_checksums, check_files, read_manifest
from rag.types import Chunk, Document, Section

log = logging.getLogger(__name__)

CHUNKS = "chunks.jsonl"
VECTORS = "vectors.npy"
FAISS_INDEX = "faiss.index"
DOCUMENTS = "documents.json"
LEXICAL = "lexical"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Snapshot:
    """One immutable version of the index; a store reads its snapshot once per search, so a commit
    that swaps it mid-search never mixes two generations."""

    generation: int
    chunks: list[Chunk]
    vectors: np.ndarray
    docs: dict[str, dict[str, Any]]
    lexical: LexicalIndex
    faiss_index: Any
    kind: str
    created_at: str
    updated_at: str
    row_of: dict[str, int] = field(default_factory=dict)
    lang_means: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.row_of = {c.id: i for i, c in enumerate(self.chunks)}
        self.lang_means = dense.language_means(self.chunks, self.vectors)

    @classmethod
    def empty(cls, dim: int, generation: int) -> Snapshot:
        t = now()
        return cls(generation=generation, chunks=[], vectors=np.zeros((0, dim), dtype=np.float32), docs={},
                   lexical=LexicalIndex([], [], []), faiss_index=dense.build_faiss(
                       np.zeros((0, dim), dtype=np.float32), "flat"),
                   kind="flat", created_at=t, updated_at=t)


def doc_record(doc: Document, chunks: Sequence[Chunk], ingested_at: str) -> dict[str, Any]:
    """What documents.json keeps per document."""
    return {
        "source": doc.source,
        "path": doc.path,
        "content_hash": doc.content_hash,
        "title": doc.title,
        "date": doc.date,
        "lang": doc.lang,
        "sections": [[s.start, s.end, s.lang] for s in doc.sections],
        "chunk_ids": [c.id for c in chunks],
        "ingested_at": ingested_at,
        "text": doc.text,
    }


def record_document(rec: dict[str, Any]) -> Document:
    return Document(source=rec["source"], path=rec["path"], text=rec["text"],
                    content_hash=rec["content_hash"], title=rec["title"], date=rec["date"],
                    lang=rec["lang"], sections=[Section(s, e, lang) for s, e, lang in rec["sections"]])


def write_files(snap: Snapshot, folder: Path) -> None:
    """Write every data file of ``snap`` into ``folder`` (the manifest is written by the caller)."""
    with open(folder / CHUNKS, "w", encoding="utf-8") as f:
        for c in snap.chunks:
            f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
    np.save(folder / VECTORS, snap.vectors, allow_pickle=False)
    docs = [snap.docs[s] for s in sorted(snap.docs)]
    (folder / DOCUMENTS).write_text(json.dumps({"documents": docs}, ensure_ascii=False), encoding="utf-8")
    if snap.kind == "hnsw":
        faiss.write_index(snap.faiss_index, str(folder / FAISS_INDEX))
    snap.lexical.save(folder / LEXICAL)


def load_files(gen_dir: Path, manifest: Manifest, generation: int, dim: int, where: str) -> Snapshot:
    """Read and cross-check the data files of one generation; ``IndexError_`` on anything inconsistent."""
    try:
        return _load(gen_dir, manifest, generation, dim, where)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        # Anything structurally unexpected in our own files (wrong types, missing keys).
        raise IndexDamagedError(f"Index in {where} is corrupt: {gen_dir.name} is malformed ({exc!r}).",
                          fix=manifest.damage_fix) from exc


def _load(gen_dir: Path, manifest: Manifest, generation: int, dim: int, where: str) -> Snapshot:
    fix, kind, counts = manifest.damage_fix, manifest.kind, manifest.counts
    try:
        with open(gen_dir / CHUNKS, encoding="utf-8") as f:
            chunks = [Chunk.from_dict(json.loads(line)) for line in f if line.strip()]
        vectors = np.load(gen_dir / VECTORS, allow_pickle=False)
        doc_list = json.loads((gen_dir / DOCUMENTS).read_text(encoding="utf-8"))["documents"]
        docs = {d["source"]: d for d in doc_list}
        faiss_index = faiss.read_index(str(gen_dir / FAISS_INDEX)) if kind == "hnsw" else None
    except FileNotFoundError as exc:
        if not gen_dir.exists():
            raise Vanished() from None
        raise IndexDamagedError(f"Index in {where} is corrupt: {exc.filename} is missing.", fix=fix) from exc
    except MemoryError as exc:  # a damaged header can claim an absurd array size
        raise IndexDamagedError(f"Index in {where} is corrupt: {gen_dir.name} is malformed ({exc!r}).",
                                fix=fix) from exc
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexDamagedError(f"Index in {where} is corrupt: cannot read {gen_dir.name} ({exc}).",
                          fix=fix) from exc
    n = len(chunks)
    problems = []
    if vectors.dtype != np.float32 or vectors.ndim != 2 or vectors.shape[1] != dim:
        problems.append(f"vectors have shape {vectors.shape} {vectors.dtype}")
    if vectors.shape[0] != n:
        problems.append(f"{vectors.shape[0]} vectors for {n} chunks")
    if counts.get("chunks") != n or counts.get("documents") != len(docs):
        problems.append(f"manifest counts {counts} != {n} chunks, {len(docs)} documents")
    if kind not in ("flat", "hnsw"):
        problems.append(f"unknown index kind {kind!r}")
    if faiss_index is not None and faiss_index.ntotal != n:
        problems.append(f"FAISS holds {faiss_index.ntotal} vectors for {n} chunks")
    ids = {c.id for c in chunks}
    if len(ids) != n or any(cid not in ids for d in docs.values() for cid in d["chunk_ids"]):
        problems.append("documents and chunks disagree")
    if problems:
        raise IndexDamagedError(f"Index in {where} is corrupt: {'; '.join(problems)}.", fix=fix)
    if faiss_index is None:
        faiss_index = dense.build_faiss(vectors, "flat")
    try:
        lexical = LexicalIndex.load(gen_dir / LEXICAL)
    except LexicalVersionError:
        log.warning("lexical index was built by another tokenizer version; re-tokenising in memory "
                    "(the next ingest saves it)")
        lexical = LexicalIndex.build((c.id, c.text, c.lang) for c in chunks)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexDamagedError(f"Index in {where} is corrupt: lexical index unreadable ({exc}).", fix=fix) from exc
    if lexical.ids != [c.id for c in chunks]:
        raise IndexDamagedError(f"Index in {where} is corrupt: lexical rows and chunks disagree.", fix=fix)
    return Snapshot(generation=generation, chunks=chunks, vectors=vectors, docs=docs, lexical=lexical,
                    faiss_index=faiss_index, kind=kind, created_at=manifest.raw.get("created_at", ""),
                    updated_at=manifest.raw.get("updated_at", ""))


def read_documents(gen_dir: Path, where: str) -> list[Document]:
    """The documents (full texts) of one generation, checked against the manifest's size and sha256 of
    ``documents.json`` only: enough to rebuild every other file when those are damaged."""
    manifest = read_manifest(gen_dir, where)
    only = Manifest(raw=manifest.raw, kind=manifest.kind, counts=manifest.counts,
                    files={k: v for k, v in manifest.files.items() if k == DOCUMENTS},
                    source_dirs=manifest.source_dirs,
                    checksums={k: v for k, v in manifest.checksums.items() if k == DOCUMENTS})
    if DOCUMENTS not in only.files:
        raise IndexDamagedError(f"Index in {where}: {gen_dir.name} lists no {DOCUMENTS}.", fix=manifest.damage_fix)
    check_files(gen_dir, only, where)
    check_checksums(gen_dir, only, where)
    try:
        records = json.loads((gen_dir / DOCUMENTS).read_text(encoding="utf-8"))["documents"]
        return [record_document(r) for r in records]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexDamagedError(f"Index in {where} is corrupt: {gen_dir.name}/{DOCUMENTS} is unreadable ({exc}).",
                                fix=manifest.damage_fix) from exc
