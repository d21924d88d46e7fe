"""The on-disk ``Store``: documents, chunks, FAISS vectors and BM25 in one directory of generations.

Pieces: ``generations`` (pointer, lock, atomic publication), ``manifest`` (identity and file checks),
``snapshot`` (the files of one generation), ``dense`` (FAISS), ``lexical`` (BM25), ``diff`` (what an
update changes). This class ties them together: open the live generation, answer reads from an
in-memory snapshot, and publish a new generation per change.

Each commit rewrites everything (O(index size)); for the corpora this product targets (tens of
thousands of chunks) that costs seconds, far less than embedding, and buys simplicity.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from rag.embedding import Embedder
from rag.errors import IndexError_
from rag.index import dense, diff, generations, recovery
from rag.index import manifest as mf
from rag.index.base import ApplyReport, Upsert, chunking_of
from rag.index.generations import gen_name, gen_number, read_current, read_current_lenient, rebuild_fix
from rag.index.snapshot import Snapshot, load_files, record_document, write_files
from rag.settings import Settings
from rag.types import Chunk, Document

_DEFAULT_EXACT_MAX = Settings.exact_index_max


class IndexStore:
    """Documents + chunks + dense and lexical indexes, loaded fully in memory, published atomically.

    Implements ``rag.index.base.Store``.
    """

    def __init__(self, index_dir: Path, embedder: Embedder, chunking: dict[str, Any], state: Snapshot,
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
        """An index was written here: a pointer, or generations whose pointer was lost (recovered on open)."""
        index_dir = Path(index_dir)
        return (index_dir / generations.CURRENT).is_file() or bool(generations.complete_generations(index_dir))

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
        state: Snapshot | None = None
        for attempt in range(3):
            if not fresh and recovery.pointer_lost(index_dir):
                state = recovery.recover(index_dir, lambda n: cls._load_generation(index_dir, n, embedder, chunking))
                break
            name = read_current_lenient(index_dir) if fresh else read_current(index_dir)
            if name is None or fresh:
                if name is None and not create:
                    raise IndexError_(f"No index in {index_dir}.", fix="rag ingest PATH")
                state = Snapshot.empty(embedder.dim, gen_number(name) if name else 0)
                break
            try:
                state = cls._load_generation(index_dir, name, embedder, chunking)
                break
            except mf.Vanished:
                # A concurrent writer published a newer generation and deleted ours mid-load.
                if attempt == 2 or read_current(index_dir) == name:
                    raise IndexError_(f"Index in {index_dir} is corrupt: files of {name} are missing.",
                                      fix=rebuild_fix(None)) from None
        assert state is not None
        store = cls(index_dir, embedder, chunking, state, exact_index_max=exact_index_max)
        store._fresh = fresh
        generations.clean_leftovers(index_dir)
        return store

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder, *, create: bool = True,
                      fresh: bool = False) -> IndexStore:
        return cls.open(settings.index_dir, embedder, chunking_of(settings), create=create, fresh=fresh,
                        exact_index_max=settings.exact_index_max)

    @staticmethod
    def _load_generation(index_dir: Path, name: str, embedder: Embedder, chunking: dict[str, Any]) -> Snapshot:
        """Load one generation after checking its identity, sizes and checksums.

        The checksums are computed in a second thread while this one parses the files (hashing releases
        the GIL), so verifying every byte adds little to the open time (bench/retrieval_latency.py, load
        column). A checksum failure wins over any parse error it caused: it names the damaged file.
        """
        gen_dir = index_dir / name
        if not gen_dir.is_dir():
            raise mf.Vanished()
        where = str(index_dir)
        manifest = mf.read_manifest(gen_dir, where)
        mf.check_compatible(manifest.raw, embedder, chunking, where, manifest.fix)
        mf.check_files(gen_dir, manifest, where)
        with ThreadPoolExecutor(max_workers=1) as pool:
            verified = pool.submit(mf.check_checksums, gen_dir, manifest, where)
            try:
                snap = load_files(gen_dir, manifest, gen_number(name), embedder.dim, where)
            except BaseException:
                verified.result()  # raises the checksum error if there is one
                raise
            verified.result()
        return snap

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
        return record_document(self._doc(source))

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

    def document_chunks(self, source: str) -> list[Chunk]:
        st = self._state
        doc = st.docs.get(source)
        return [] if doc is None else [st.chunks[st.row_of[cid]] for cid in doc["chunk_ids"]]

    def vector(self, chunk_id: str) -> np.ndarray:
        st = self._state
        return np.array(st.vectors[st.row_of[chunk_id]])

    def manifest(self) -> dict[str, Any]:
        return self._manifest(self._state, files={})

    # -- searching --------------------------------------------------------------------------------

    def search_dense(self, query_vec: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """Top ``k`` chunks by inner product with an L2-normalised query vector (= cosine)."""
        st = self._state
        return dense.search(st.faiss_index, st.kind, st.chunks, self.embedder.dim, query_vec, k)

    def language_offsets(self, query_vec: np.ndarray) -> dict[str, float]:
        """The query's similarity to each chunk language's mean vector (see ``HybridRetriever``)."""
        return dense.offsets(self._state.lang_means, query_vec)

    def search_lexical(self, query: str, lang: str, k: int, *, min_coverage: float | None = None
                       ) -> list[tuple[Chunk, float]]:
        """Top ``k`` chunks by BM25 (see ``rag.index.lexical`` for how the query is tokenised)."""
        st = self._state
        return [(st.chunks[st.row_of[cid]], score)
                for cid, score in st.lexical.search(query, lang, k, min_coverage=min_coverage)]

    # -- writing ----------------------------------------------------------------------------------

    def remove(self, sources: Sequence[str], *, progress: bool = False) -> ApplyReport:
        return self.apply([], sources, progress=progress)

    def apply(self, upserts: Sequence[Upsert], removals: Sequence[str] = (), *,
              progress: bool = True) -> ApplyReport:
        """Add or replace documents (with their chunks) and remove others, in one atomic commit.

        A document whose content hash and chunk ids are unchanged is skipped; if nothing changes,
        nothing is written. Only chunk texts not already in the index are embedded.
        """
        with self._write_lock:
            t0 = time.perf_counter()
            old = self._state
            change = diff.plan(old, upserts, removals, self.embedder, self.exact_index_max, progress=progress)
            if change is None:
                return ApplyReport(seconds=time.perf_counter() - t0, index_kind=old.kind,
                                   generation=old.generation)
            self._commit(change.snapshot)
            change.report.generation = change.snapshot.generation
            change.report.seconds = time.perf_counter() - t0
            return change.report

    def _manifest(self, state: Snapshot, files: dict[str, int]) -> dict[str, Any]:
        dirs = sorted({str(Path(d["path"]).parent) for d in state.docs.values() if d.get("path")})
        manifest: dict[str, Any] = {
            "format_version": mf.FORMAT_VERSION,
            "generation": state.generation,
            "embedder": mf.embedder_record(self.embedder),
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
            manifest["hnsw"] = dense.hnsw_params()
        return manifest

    def _commit(self, state: Snapshot) -> None:
        index_dir = self.index_dir
        with generations.locked(index_dir):
            live = read_current_lenient(index_dir) if self._fresh else read_current(index_dir)
            live_gen = gen_number(live) if live else 0
            if live_gen != self._base_generation and not self._fresh:
                raise IndexError_(f"The index in {index_dir} was changed by another process while this "
                                  "one was working; nothing was written.", fix="run the command again")
            gen = max([live_gen, *generations.generations_on_disk(index_dir)]) + 1
            state.generation = gen
            final = index_dir / gen_name(gen)
            try:
                self._write_generation(state, gen)
                self._swap_current(final.name)
            except BaseException:
                # Before the pointer swap the old generation is still live: drop the partial new one.
                if read_current_lenient(index_dir) != final.name:
                    generations.rmtree_quiet(index_dir / f"{final.name}.tmp")
                    generations.rmtree_quiet(final)
                raise
            self._state = state
            self._base_generation = gen
            self._fresh = False
            generations.remove_superseded(index_dir, keep=final.name)

    def _write_generation(self, state: Snapshot, gen: int) -> Path:
        """Write every file of generation ``gen`` under a .tmp name, fsync, rename; return the folder."""
        tmp = generations.new_tmp_folder(self.index_dir, gen)
        write_files(state, tmp)
        manifest = self._manifest(state, mf.file_sizes(tmp))
        manifest["sha256"] = mf.checksums_of(tmp, manifest["files"])
        manifest[mf.SELF_SUM] = mf.manifest_digest(manifest)
        (tmp / mf.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        return generations.seal(tmp)

    def _swap_current(self, name: str) -> None:
        """The commit point (a method so crash tests can interrupt exactly here)."""
        generations.swap_current(self.index_dir, name)
