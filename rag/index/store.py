"""The on-disk index: documents, chunks, their vectors (FAISS) and the BM25 index, in one directory.

Layout::

    index_dir/
      CURRENT              name of the live generation, e.g. "gen-000007" (replaced atomically)
      LOCK                 flock()ed by a writer while it publishes a generation
      gen-000007/
        manifest.json      format, embedder identity, chunking settings, kind, counts, file sizes
        chunks.jsonl       Chunk.to_dict() per line; line i <-> vector row i <-> lexical row i
        vectors.npy        float32 (n, dim), L2-normalised: lets us rebuild FAISS and reuse vectors
        faiss.index        only for "hnsw" (an exact flat index is rebuilt from vectors.npy in ms)
        documents.json     per source: hash, title, date, lang, path, sections, chunk ids, text
        lexical/           LexicalIndex (token lists + bm25s matrix)

Why generations instead of updating files in place: a commit writes a complete new folder under a
``.tmp`` name, fsyncs it, renames it, and only then swaps ``CURRENT`` with ``os.replace``. Until that
one atomic rename the previous generation is untouched and is what every reader loads, so Ctrl-C,
a crash or a full disk at any point leaves a consistent index. Leftovers are removed on next open.
Each commit rewrites everything (O(index size)); for the corpora this product targets (tens of
thousands of chunks) that costs seconds, far less than embedding, and buys simplicity.

Why refuse mismatches instead of adapting: vectors from another embedder (or chunks cut with other
settings) silently produce wrong neighbours; the user is told the exact command to rebuild.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag.embedding import Embedder
from rag.errors import IndexError_
from rag.index.lexical import LexicalIndex, LexicalVersionError
from rag.settings import Settings
from rag.types import Chunk, Document, Section

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = "LOCK"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.npy"
FAISS_INDEX = "faiss.index"
DOCUMENTS = "documents.json"
LEXICAL = "lexical"

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96  # recall ~0.99 at M=32 for 10^4..10^6 vectors; raised to k when k is larger

_GEN_RE = re.compile(r"^gen-(\d{6,})(\.tmp)?$")
_DEFAULT_EXACT_MAX = Settings.exact_index_max


def chunking_of(settings: Settings) -> dict[str, int]:
    """The chunking settings an index records; chunks cut differently must not be mixed in one index."""
    return {"chunk_tokens": settings.chunk_tokens, "chunk_overlap_tokens": settings.chunk_overlap_tokens}


@dataclass
class ApplyReport:
    """What one ``IndexStore.apply`` did (printed by ``rag ingest``, asserted by tests)."""

    added_docs: int = 0
    updated_docs: int = 0
    removed_docs: int = 0
    added_chunks: int = 0  # chunk ids new to the index
    removed_chunks: int = 0  # chunk ids no longer in the index
    reused_vectors: int = 0  # chunks of changed documents whose text was already embedded
    seconds: float = 0.0
    index_kind: str = "flat"
    embedded_chunks: int = 0  # texts actually sent to the embedder
    written: bool = False  # False when nothing changed (no new generation)
    generation: int = 0  # generation live after the call (0: nothing on disk)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _State:
    """One immutable snapshot of the index; searches read ``IndexStore._state`` once, so a commit that
    swaps it mid-search never mixes two generations."""

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
        # Mean document vector per chunk language: the retriever subtracts the query's similarity to it
        # (see HybridRetriever). One pass over the vectors per generation; cheap even at 100k chunks.
        by_lang: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            by_lang.setdefault(c.lang, []).append(i)
        if len(self.vectors) == len(self.chunks):
            self.lang_means = {lang: np.asarray(self.vectors[rows].mean(axis=0), dtype=np.float32)
                               for lang, rows in by_lang.items()}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _gen_name(gen: int) -> str:
    return f"gen-{gen:06d}"


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            _fsync_path(Path(dirpath) / name)
        _fsync_path(Path(dirpath))


def _rmtree_quiet(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _read_current(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexError_(f"Cannot read {index_dir / CURRENT}: {exc}", fix=_rebuild_fix(None)) from exc
    if not _GEN_RE.match(name) or name.endswith(".tmp"):
        raise IndexError_(f"Index pointer {index_dir / CURRENT} is corrupt ({name[:40]!r}).",
                          fix=_rebuild_fix(None))
    return name


def _read_current_lenient(index_dir: Path) -> str | None:
    """Like ``_read_current`` but a corrupt pointer reads as "no index" (for rebuilds and cleanup)."""
    try:
        return _read_current(index_dir)
    except IndexError_:
        return None


def _rebuild_fix(source_dirs: Sequence[str] | None) -> str:
    where = " ".join(source_dirs) if source_dirs else "PATH"
    return f"rag ingest --rebuild {where}"


def _empty_faiss(dim: int) -> Any:
    return faiss.IndexFlatIP(dim)


def _build_faiss(vectors: np.ndarray, kind: str, *, base: Any = None, base_rows: int = 0) -> Any:
    """Exact inner product up to the threshold, HNSW above it.

    With ``base`` (an HNSW index over the first ``base_rows`` rows, unchanged) only the new rows are
    inserted into a copy -- appending is the common incremental case and HNSW construction is the
    slow part of a large commit. The copy keeps the live index untouched until the commit succeeds.
    """
    dim = vectors.shape[1]
    index: Any
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return index
    if base is not None and base_rows <= len(vectors):
        index = faiss.deserialize_index(faiss.serialize_index(base))
        if len(vectors) > base_rows:
            index.add(vectors[base_rows:])
        return index
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    if len(vectors):
        index.add(vectors)
    return index


def _dedupe_chunks(chunks: Sequence[Chunk]) -> list[Chunk]:
    """Chunk ids hash (source, text), so a paragraph repeated inside one document yields one id twice;
    the index keeps the first occurrence (same text, so retrieval loses nothing)."""
    seen: set[str] = set()
    out: list[Chunk] = []
    for c in chunks:
        if c.id not in seen:
            seen.add(c.id)
            out.append(c)
    return out


def _doc_record(doc: Document, chunks: Sequence[Chunk], ingested_at: str) -> dict[str, Any]:
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


class IndexStore:
    """Documents + chunks + dense and lexical indexes, loaded fully in memory, published atomically."""

    def __init__(self, index_dir: Path, embedder: Embedder, chunking: dict[str, Any], state: _State,
                 *, exact_index_max: int = _DEFAULT_EXACT_MAX) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.chunking = dict(chunking)
        self.exact_index_max = exact_index_max
        self._state = state
        self._base_generation = state.generation  # what CURRENT named when we loaded (lost-update guard)
        self._fresh = False  # a rebuild: replaces whatever is there, even a corrupt index
        self._write_lock = threading.Lock()

    # -- opening ----------------------------------------------------------------------------------

    @staticmethod
    def exists(index_dir: Path) -> bool:
        return (Path(index_dir) / CURRENT).is_file()

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder, chunking: dict[str, Any], *, create: bool = True,
             fresh: bool = False, exact_index_max: int = _DEFAULT_EXACT_MAX) -> IndexStore:
        """Load the live generation of ``index_dir``.

        ``create``: an absent index opens empty (written on the first ``apply``) instead of raising.
        ``fresh``: ignore the existing index (not even validated) and start empty; the first commit
        replaces it atomically, so an interrupted ``--rebuild`` keeps the old index.
        """
        index_dir = Path(index_dir)
        chunking = json.loads(json.dumps(chunking))  # normalise (tuples, key order) as stored
        state: _State | None = None
        for attempt in range(3):
            name = _read_current_lenient(index_dir) if fresh else _read_current(index_dir)
            if name is None or fresh:
                if name is None and not create:
                    raise IndexError_(f"No index in {index_dir}.", fix="rag ingest PATH")
                gen = int(_GEN_RE.match(name).group(1)) if name else 0  # type: ignore[union-attr]
                state = cls._empty_state(embedder.dim, gen)
                break
            try:
                state = cls._load_generation(index_dir, name, embedder, chunking)
                break
            except _Vanished:
                # A concurrent writer published a newer generation and deleted ours mid-load.
                if attempt == 2 or _read_current(index_dir) == name:
                    raise IndexError_(f"Index in {index_dir} is corrupt: files of {name} are missing.",
                                      fix=_rebuild_fix(None)) from None
        assert state is not None
        store = cls(index_dir, embedder, chunking, state, exact_index_max=exact_index_max)
        store._fresh = fresh
        store._clean_leftovers()
        return store

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder, *, create: bool = True,
                      fresh: bool = False) -> IndexStore:
        return cls.open(settings.index_dir, embedder, chunking_of(settings), create=create, fresh=fresh,
                        exact_index_max=settings.exact_index_max)

    @staticmethod
    def _empty_state(dim: int, generation: int) -> _State:
        now = _now()
        return _State(generation=generation, chunks=[], vectors=np.zeros((0, dim), dtype=np.float32),
                      docs={}, lexical=LexicalIndex([], [], []), faiss_index=_empty_faiss(dim),
                      kind="flat", created_at=now, updated_at=now)

    @classmethod
    def _load_generation(cls, index_dir: Path, name: str, embedder: Embedder,
                         chunking: dict[str, Any]) -> _State:
        try:
            return cls._load_generation_checked(index_dir, name, embedder, chunking)
        except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
            # Anything structurally unexpected in our own files (wrong types, missing keys).
            raise IndexError_(f"Index in {index_dir} is corrupt: {name} is malformed ({exc!r}).",
                              fix=_rebuild_fix(None)) from exc

    @classmethod
    def _load_generation_checked(cls, index_dir: Path, name: str, embedder: Embedder,
                                 chunking: dict[str, Any]) -> _State:
        gen_dir = index_dir / name
        if not gen_dir.is_dir():
            raise _Vanished()
        try:
            manifest = json.loads((gen_dir / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("manifest is not an object")
            source_dirs = manifest.get("source_dirs") or None
            if source_dirs is not None and not all(isinstance(d, str) for d in source_dirs):
                source_dirs = None
            version = manifest["format_version"]
            emb = manifest["embedder"]
            kind = manifest["index_kind"]
            counts = manifest["counts"]
            files = manifest["files"]
            if not all(isinstance(x, dict) for x in (emb, counts, files)):
                raise ValueError("embedder, counts and files must be objects")
        except FileNotFoundError:
            if not gen_dir.exists():
                raise _Vanished() from None
            raise IndexError_(f"Index in {index_dir} is corrupt: {name}/{MANIFEST} is missing.",
                              fix=_rebuild_fix(None)) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexError_(f"Index in {index_dir} is corrupt: cannot read {name}/{MANIFEST} ({exc}).",
                              fix=_rebuild_fix(None)) from exc
        fix = _rebuild_fix(source_dirs)
        if version != FORMAT_VERSION:
            raise IndexError_(f"Index in {index_dir} has format {version}; this version reads "
                              f"format {FORMAT_VERSION}.", fix=fix)
        if emb.get("fingerprint") != embedder.fingerprint or emb.get("dim") != embedder.dim:
            raise IndexError_(
                f"Index in {index_dir} was built with embedder {emb.get('name')!r} (fingerprint "
                f"{emb.get('fingerprint')}, dim {emb.get('dim')}); the current embedder is "
                f"{embedder.name!r} (fingerprint {embedder.fingerprint}, dim {embedder.dim}). "
                "Its vectors are not comparable; rebuild the index.", fix=fix)
        if manifest.get("chunking") != chunking:
            raise IndexError_(f"Index in {index_dir} was built with chunking {manifest.get('chunking')}; "
                              f"the current settings are {chunking}. Rebuild the index or restore those "
                              "settings.", fix=fix)
        for fname, size in files.items():
            path = gen_dir / fname
            try:
                actual = path.stat().st_size
            except FileNotFoundError:
                if not gen_dir.exists():
                    raise _Vanished() from None
                raise IndexError_(f"Index in {index_dir} is corrupt: {name}/{fname} is missing.",
                                  fix=fix) from None
            if actual != size:
                raise IndexError_(f"Index in {index_dir} is corrupt: {name}/{fname} has {actual} bytes, "
                                  f"expected {size}.", fix=fix)
        try:
            with open(gen_dir / CHUNKS, encoding="utf-8") as f:
                chunks = [Chunk.from_dict(json.loads(line)) for line in f if line.strip()]
            vectors = np.load(gen_dir / VECTORS, allow_pickle=False)
            doc_list = json.loads((gen_dir / DOCUMENTS).read_text(encoding="utf-8"))["documents"]
            docs = {d["source"]: d for d in doc_list}
            faiss_index = faiss.read_index(str(gen_dir / FAISS_INDEX)) if kind == "hnsw" else None
        except FileNotFoundError as exc:
            if not gen_dir.exists():
                raise _Vanished() from None
            raise IndexError_(f"Index in {index_dir} is corrupt: {exc.filename} is missing.", fix=fix) from exc
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexError_(f"Index in {index_dir} is corrupt: cannot read {name} ({exc}).",
                              fix=fix) from exc
        n = len(chunks)
        problems = []
        if vectors.dtype != np.float32 or vectors.ndim != 2 or vectors.shape[1] != embedder.dim:
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
            raise IndexError_(f"Index in {index_dir} is corrupt: {'; '.join(problems)}.", fix=fix)
        if faiss_index is None:
            faiss_index = _build_faiss(vectors, "flat")
        try:
            lexical = LexicalIndex.load(gen_dir / LEXICAL)
        except LexicalVersionError:
            log.warning("lexical index was built by another tokenizer version; re-tokenising in memory "
                        "(the next ingest saves it)")
            lexical = LexicalIndex.build((c.id, c.text, c.lang) for c in chunks)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexError_(f"Index in {index_dir} is corrupt: lexical index unreadable ({exc}).",
                              fix=fix) from exc
        if lexical.ids != [c.id for c in chunks]:
            raise IndexError_(f"Index in {index_dir} is corrupt: lexical rows and chunks disagree.", fix=fix)
        gen = int(_GEN_RE.match(name).group(1))  # type: ignore[union-attr]
        return _State(generation=gen, chunks=chunks, vectors=vectors, docs=docs, lexical=lexical,
                      faiss_index=faiss_index, kind=kind, created_at=manifest.get("created_at", ""),
                      updated_at=manifest.get("updated_at", ""))

    # -- reading ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._state.chunks)

    @property
    def generation(self) -> int:
        return self._state.generation

    @property
    def index_kind(self) -> str:
        return self._state.kind

    def sources(self) -> set[str]:
        return set(self._state.docs)

    def documents(self) -> list[dict[str, Any]]:
        """Metadata of every document (no text), sorted by source."""
        out = []
        for source in sorted(self._state.docs):
            rec = {k: list(v) if isinstance(v, list) else v
                   for k, v in self._state.docs[source].items() if k != "text"}
            rec["n_chunks"] = len(rec["chunk_ids"])
            out.append(rec)
        return out

    def document(self, source: str) -> Document:
        rec = self._doc(source)
        return Document(source=rec["source"], path=rec["path"], text=rec["text"],
                        content_hash=rec["content_hash"], title=rec["title"], date=rec["date"],
                        lang=rec["lang"], sections=[Section(s, e, lang) for s, e, lang in rec["sections"]])

    def document_text(self, source: str) -> str:
        """The cleaned text that chunk offsets (and citation spans) refer to."""
        return str(self._doc(source)["text"])

    def _doc(self, source: str) -> dict[str, Any]:
        try:
            return self._state.docs[source]
        except KeyError:
            raise KeyError(f"no document {source!r} in the index") from None

    def needs_update(self, source: str, content_hash: str) -> bool:
        rec = self._state.docs.get(source)
        return rec is None or rec["content_hash"] != content_hash

    def chunk(self, chunk_id: str) -> Chunk:
        st = self._state
        try:
            return st.chunks[st.row_of[chunk_id]]
        except KeyError:
            raise KeyError(f"no chunk {chunk_id!r} in the index") from None

    def chunks(self) -> list[Chunk]:
        return list(self._state.chunks)

    def vector(self, chunk_id: str) -> np.ndarray:
        st = self._state
        return np.array(st.vectors[st.row_of[chunk_id]])

    def manifest(self) -> dict[str, Any]:
        return self._manifest(self._state, files={})

    # -- searching --------------------------------------------------------------------------------

    def search_dense(self, query_vec: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """Top ``k`` chunks by inner product with an L2-normalised query vector (= cosine)."""
        st = self._state
        if k <= 0 or not st.chunks:
            return []
        q = np.ascontiguousarray(np.asarray(query_vec, dtype=np.float32).reshape(1, -1))
        if q.shape[1] != self.embedder.dim:
            raise ValueError(f"query vector has dim {q.shape[1]}, index has {self.embedder.dim}")
        k = min(k, len(st.chunks))
        if st.kind == "hnsw":
            # Per-call parameters (not index.hnsw.efSearch) so concurrent searches don't race.
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))  # type: ignore[attr-defined]
            scores, rows = st.faiss_index.search(q, k, params=params)
        else:
            scores, rows = st.faiss_index.search(q, k)
        return [(st.chunks[int(r)], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]

    def language_offsets(self, query_vec: np.ndarray) -> dict[str, float]:
        """The query's similarity to each chunk language's mean vector (see ``HybridRetriever``)."""
        q = np.asarray(query_vec, dtype=np.float32).reshape(-1)
        return {lang: float(mean @ q) for lang, mean in self._state.lang_means.items()}

    def search_lexical(self, query: str, lang: str, k: int, *, min_coverage: float | None = None
                       ) -> list[tuple[Chunk, float]]:
        """Top ``k`` chunks by BM25 (see ``rag.index.lexical`` for how the query is tokenised)."""
        st = self._state
        return [(st.chunks[st.row_of[cid]], score)
                for cid, score in st.lexical.search(query, lang, k, min_coverage=min_coverage)]

    # -- writing ----------------------------------------------------------------------------------

    def remove(self, sources: Sequence[str], *, progress: bool = False) -> ApplyReport:
        return self.apply([], sources, progress=progress)

    def apply(self, upserts: Sequence[tuple[Document, list[Chunk]]], removals: Sequence[str] = (), *,
              progress: bool = True) -> ApplyReport:
        """Add or replace documents (with their chunks) and remove others, in one atomic commit.

        A document whose content hash and chunk ids are unchanged is skipped; if nothing changes,
        nothing is written. Only chunk texts not already in the index are embedded.
        """
        with self._write_lock:
            return self._apply(upserts, removals, progress=progress)

    def _apply(self, upserts: Sequence[tuple[Document, list[Chunk]]], removals: Sequence[str], *,
               progress: bool) -> ApplyReport:
        t0 = time.perf_counter()
        old = self._state
        seen: set[str] = set()
        for doc, chunks in upserts:
            if doc.source in seen:
                raise ValueError(f"document {doc.source!r} given twice in one apply")
            seen.add(doc.source)
            for c in chunks:
                if c.source != doc.source:
                    raise ValueError(f"chunk {c.id} has source {c.source!r}, document is {doc.source!r}")
        removed_sources = {s for s in removals if s in old.docs and s not in seen}
        changes: list[tuple[Document, list[Chunk], bool]] = []
        for doc, chunks in upserts:
            unique = _dedupe_chunks(chunks)
            rec = old.docs.get(doc.source)
            if (rec is not None and rec["content_hash"] == doc.content_hash
                    and rec["chunk_ids"] == [c.id for c in unique]):
                continue
            changes.append((doc, unique, rec is not None))
        if not changes and not removed_sources:
            return ApplyReport(seconds=time.perf_counter() - t0, index_kind=old.kind,
                               generation=old.generation)

        replaced = removed_sources | {doc.source for doc, _, existed in changes if existed}
        keep_rows = [i for i, c in enumerate(old.chunks) if c.source not in replaced]
        new_chunks = [c for _, chunks, _ in changes for c in chunks]
        kept_ids = {old.chunks[i].id for i in keep_rows}
        new_ids: set[str] = set()
        for c in new_chunks:
            if c.id in kept_ids or c.id in new_ids:
                raise ValueError(f"chunk id {c.id} ({c.source!r}) collides with another document's chunk")
            new_ids.add(c.id)

        # Vectors: reuse by exact text (covers unchanged chunk ids), embed each new text once.
        old_row_by_text: dict[str, int] = {}
        for i, c in enumerate(old.chunks):
            old_row_by_text.setdefault(c.text, i)
        to_embed: dict[str, int] = {}
        for c in new_chunks:
            if c.text not in old_row_by_text and c.text not in to_embed:
                to_embed[c.text] = len(to_embed)
        dim = self.embedder.dim
        fresh_vecs = np.zeros((0, dim), dtype=np.float32)
        if to_embed:
            fresh_vecs = np.asarray(self.embedder.embed_documents(list(to_embed), progress=progress),
                                    dtype=np.float32)
            if fresh_vecs.shape != (len(to_embed), dim):
                raise ValueError(f"embedder returned shape {fresh_vecs.shape}, expected ({len(to_embed)}, "
                                 f"{dim})")
        reused = 0
        new_rows = np.zeros((len(new_chunks), dim), dtype=np.float32)
        for j, c in enumerate(new_chunks):
            if c.text in old_row_by_text:
                new_rows[j] = old.vectors[old_row_by_text[c.text]]
                reused += 1
            else:
                new_rows[j] = fresh_vecs[to_embed[c.text]]
        chunks_all = [old.chunks[i] for i in keep_rows] + new_chunks
        vectors_all = np.ascontiguousarray(np.vstack([old.vectors[keep_rows], new_rows]), dtype=np.float32)

        now = _now()
        docs = {s: r for s, r in old.docs.items() if s not in replaced}
        for doc, chunks, _ in changes:
            docs[doc.source] = _doc_record(doc, chunks, now)
        lexical = LexicalIndex.build(((c.id, c.text, c.lang) for c in chunks_all), previous=old.lexical)
        kind = "flat" if len(chunks_all) <= self.exact_index_max else "hnsw"
        append_only = len(keep_rows) == len(old.chunks)
        base = old.faiss_index if (kind == "hnsw" and old.kind == "hnsw" and append_only) else None
        faiss_index = _build_faiss(vectors_all, kind, base=base, base_rows=len(old.chunks))
        state = _State(generation=old.generation, chunks=chunks_all, vectors=vectors_all, docs=docs,
                       lexical=lexical, faiss_index=faiss_index, kind=kind,
                       created_at=old.created_at, updated_at=now)
        self._commit(state)

        old_ids = set(old.row_of)
        all_new_ids = set(state.row_of)
        return ApplyReport(
            added_docs=sum(1 for *_, existed in changes if not existed),
            updated_docs=sum(1 for *_, existed in changes if existed),
            removed_docs=len(removed_sources),
            added_chunks=len(all_new_ids - old_ids),
            removed_chunks=len(old_ids - all_new_ids),
            reused_vectors=reused,
            seconds=time.perf_counter() - t0,
            index_kind=kind,
            embedded_chunks=len(to_embed),
            written=True,
            generation=state.generation,
        )

    def _manifest(self, state: _State, files: dict[str, int]) -> dict[str, Any]:
        dirs = sorted({str(Path(d["path"]).parent) for d in state.docs.values() if d.get("path")})
        manifest: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "generation": state.generation,
            "embedder": {"name": self.embedder.name, "fingerprint": self.embedder.fingerprint,
                         "dim": self.embedder.dim},
            "chunking": self.chunking,
            "index_kind": state.kind,
            "counts": {"documents": len(state.docs), "chunks": len(state.chunks),
                       "vectors": int(state.vectors.shape[0])},
            "created_at": state.created_at,
            "updated_at": state.updated_at,
            "source_dirs": dirs[:3],  # for the "rag ingest --rebuild ..." hint in error messages
            "files": files,
        }
        if state.kind == "hnsw":
            manifest["hnsw"] = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION,
                                "efSearch": HNSW_EF_SEARCH}
        return manifest

    @contextlib.contextmanager
    def _locked(self, *, blocking: bool = True) -> Iterator[bool]:
        """Inter-process writer lock; yields False when ``blocking`` is off and another holds it."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _commit(self, state: _State) -> None:
        with self._locked():
            live = _read_current_lenient(self.index_dir) if self._fresh else _read_current(self.index_dir)
            live_gen = int(_GEN_RE.match(live).group(1)) if live else 0  # type: ignore[union-attr]
            if live_gen != self._base_generation and not self._fresh:
                raise IndexError_(f"The index in {self.index_dir} was changed by another process while this "
                                  "one was working; nothing was written.", fix="run the command again")
            gen = max([live_gen, *self._generations_on_disk()]) + 1
            state.generation = gen
            final = self.index_dir / _gen_name(gen)
            try:
                self._write_generation(state, gen)
                self._swap_current(final.name)
            except BaseException:
                # Before the pointer swap the old generation is still live: drop the partial new one.
                if _read_current_lenient(self.index_dir) != final.name:
                    _rmtree_quiet(self.index_dir / f"{final.name}.tmp")
                    _rmtree_quiet(final)
                raise
            self._state = state
            self._base_generation = gen
            self._fresh = False
            self._remove_generations(keep=final.name)

    def _generations_on_disk(self) -> list[int]:
        out = []
        for p in self.index_dir.iterdir():
            m = _GEN_RE.match(p.name)
            if m:
                out.append(int(m.group(1)))
        return out

    def _write_generation(self, state: _State, gen: int) -> Path:
        """Write every file of generation ``gen`` under a .tmp name, fsync, rename; return the folder."""
        final = self.index_dir / _gen_name(gen)
        tmp = self.index_dir / f"{final.name}.tmp"
        _rmtree_quiet(tmp)
        tmp.mkdir(parents=True)
        with open(tmp / CHUNKS, "w", encoding="utf-8") as f:
            for c in state.chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / VECTORS, state.vectors, allow_pickle=False)
        docs = [state.docs[s] for s in sorted(state.docs)]
        (tmp / DOCUMENTS).write_text(json.dumps({"documents": docs}, ensure_ascii=False), encoding="utf-8")
        if state.kind == "hnsw":
            faiss.write_index(state.faiss_index, str(tmp / FAISS_INDEX))
        state.lexical.save(tmp / LEXICAL)
        files = {p.relative_to(tmp).as_posix(): p.stat().st_size
                 for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = self._manifest(state, files)
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(tmp)
        os.rename(tmp, final)
        _fsync_path(self.index_dir)
        return final

    def _swap_current(self, name: str) -> None:
        """The commit point: after this ``os.replace`` readers see generation ``name``."""
        tmp = self.index_dir / f"{CURRENT}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.index_dir / CURRENT)
        _fsync_path(self.index_dir)

    def _remove_generations(self, *, keep: str) -> None:
        for p in self.index_dir.iterdir():
            if _GEN_RE.match(p.name) and p.name != keep:
                _rmtree_quiet(p)
        with contextlib.suppress(FileNotFoundError):
            (self.index_dir / f"{CURRENT}.tmp").unlink()

    def _clean_leftovers(self) -> None:
        """Remove what an interrupted writer left (``.tmp`` folders, unpublished or superseded
        generations) -- but only when no writer is active, since its ``.tmp`` folder is in use."""
        if not self.index_dir.is_dir():
            return
        live = _read_current_lenient(self.index_dir)
        if live is None and not any(_GEN_RE.match(p.name) for p in self.index_dir.iterdir()):
            return
        if live is None and (self.index_dir / CURRENT).exists():
            return  # corrupt pointer: leave everything for the user (or a --rebuild) to sort out
        with self._locked(blocking=False) as got:
            if got and _read_current_lenient(self.index_dir) == live:
                self._remove_generations(keep=live or "")


class _Vanished(Exception):
    """The generation being loaded was deleted under us (a newer one was published meanwhile)."""
