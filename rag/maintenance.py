"""``rag index verify | repair | rebuild``: check an index, and bring a damaged one back without the
original files.

Every generation keeps the cleaned text of each document (``documents.json``, with its own sha256), so
when vectors, chunks or the BM25 files are damaged -- or the embedder or chunking settings changed --
the index can be rebuilt from those texts: re-chunked and re-embedded, same sources, same chunk ids.
A damaged generation is renamed aside (``damaged-gen-N``), not deleted.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from rag.errors import IndexError_
from rag.index import generations, recovery
from rag.index.backends import index_exists, open_store
from rag.index.base import ApplyReport
from rag.index.manifest import IndexDamagedError, read_manifest
from rag.index.milvus_schema import parse_store
from rag.index.snapshot import read_documents
from rag.ingest.chunking import chunk_document
from rag.pipeline import RAG
from rag.types import Document


@dataclass
class Outcome:
    """What a maintenance verb found or did, as the lines the CLI prints."""

    message: str
    changed: bool = False


def _local_only(rag: RAG) -> None:
    if parse_store(rag.settings.store).is_milvus:
        raise IndexError_("rag index verify/repair/rebuild check the local index; a Milvus store keeps its "
                          "own data integrity", fix="run it without --store (RAG_STORE), or re-ingest with "
                          "`rag ingest --rebuild PATH` to rebuild the Milvus collections")


def verify(rag: RAG) -> Outcome:
    """Open the index with every check (identity, sizes, sha256 of every file, cross-checks); raises
    ``IndexError_`` with a fix when anything fails."""
    _local_only(rag)
    settings = rag.settings
    if not index_exists(settings):
        raise IndexError_(f"No index in {settings.index_dir}.", fix=f"rag ingest {settings.seeds_dir}")
    rag.reset_store()
    store = open_store(settings, rag.embedder, create=False)
    live = generations.read_current(settings.index_dir)
    assert live is not None
    manifest = read_manifest(settings.index_dir / live, str(settings.index_dir))
    n_docs = len(store.sources())
    if manifest.checksums:
        sums = f"all {len(manifest.checksums)} files match their sha256"
    else:
        sums = "no checksums recorded (written by an older version; `rag index rebuild` records them)"
    aside = sorted(p.name for p in settings.index_dir.iterdir() if p.name.startswith(recovery.DAMAGED_PREFIX))
    lines = [f"ok: {settings.index_dir} {live}: {n_docs} documents, {len(store)} chunks; {sums}"]
    if aside:
        lines.append(f"note: kept aside after damage: {', '.join(aside)} (delete them once you no longer need them)")
    return Outcome("\n".join(lines))


def repair(rag: RAG, *, progress: bool = True) -> Outcome:
    """Nothing when the index is intact (a lost pointer is recovered by opening it); otherwise rebuild
    from the documents of the newest generation whose ``documents.json`` is intact."""
    try:
        outcome = verify(rag)
    except IndexDamagedError as exc:
        return _rebuild_from_stored(rag, reason=exc.message, progress=progress)
    return Outcome(outcome.message + "\nnothing to repair")


def rebuild(rag: RAG, *, progress: bool = True) -> Outcome:
    """Re-chunk and re-embed every stored document with the current settings (e.g. after changing the
    embedder or the chunk size) -- no source files needed."""
    return _rebuild_from_stored(rag, reason=None, progress=progress)


def _rebuild_from_stored(rag: RAG, *, reason: str | None, progress: bool) -> Outcome:
    _local_only(rag)
    settings = rag.settings
    index_dir = settings.index_dir
    candidates = generations.complete_generations(index_dir)
    live = generations.read_current_lenient(index_dir)
    if live in candidates:
        candidates.remove(live)
        candidates.insert(0, live)
    if not candidates:
        raise IndexError_(f"No index in {index_dir} to rebuild.", fix=f"rag ingest {settings.seeds_dir}")
    problems: list[str] = []
    for name in candidates:
        try:
            docs = read_documents(index_dir / name, str(index_dir))
        except IndexError_ as exc:
            problems.append(exc.message)
            continue
        lines = []
        if reason:
            lines.append(f"damaged: {reason}")
            aside = index_dir / f"{recovery.DAMAGED_PREFIX}{name}"
            if not aside.exists():
                # Hard links, before the rebuild: the publish that supersedes the generation removes
                # it, and an interrupted rebuild must still find it where it was.
                shutil.copytree(index_dir / name, aside, copy_function=os.link)
                lines.append(f"kept the damaged generation as {aside.name} (delete it once you no longer need it)")
        report = _reindex(rag, docs, progress=progress)
        lines.append(f"rebuilt from the {len(docs)} documents stored in {name}: {report.added_chunks} chunks "
                     f"re-embedded, now generation {report.generation}")
        return Outcome("\n".join(lines), changed=True)
    raise IndexDamagedError(f"Index in {index_dir} cannot be rebuilt from its own files: "
                            + "; ".join(problems), fix=generations.rebuild_fix(_source_dirs(index_dir, candidates)))


def _source_dirs(index_dir: Path, names: list[str]) -> list[str] | None:
    for name in names:
        try:
            return read_manifest(index_dir / name, str(index_dir)).source_dirs
        except IndexError_:
            continue
    return None


def _reindex(rag: RAG, docs: list[Document], *, progress: bool) -> ApplyReport:
    """A fresh generation holding ``docs``, chunked and embedded with the current settings; published
    atomically (the old generation serves until then)."""
    s = rag.settings
    rag.reset_store()
    store = open_store(s, rag.embedder, fresh=True)
    upserts = [(doc, chunk_document(doc, rag.embedder.count_tokens, s.chunk_tokens, s.chunk_overlap_tokens))
               for doc in docs]
    report = store.apply(upserts, progress=progress)
    rag.reset_store()
    return report
