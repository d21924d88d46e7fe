"""One ingestion run: files -> documents -> chunks -> one new version of the store, with its report.

Kept apart from ``rag.pipeline`` (which owns the models and the store's life) and above ``rag.ingest``
(files -> chunks) and ``rag.index`` (the store), which it joins, so that the rules of
what a run indexes, skips, keeps and removes read in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from rag.errors import InputError
from rag.index.base import ApplyReport, Store
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import build_document
from rag.ingest.identity import absolute, assign_sources, under
from rag.ingest.loaders import RawDocument, iter_source_files, load_file
from rag.settings import Settings
from rag.types import Chunk, Document

log = logging.getLogger("rag.ingest")  # the logger name users filter ingestion warnings by


@dataclass
class IngestReport:
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # hidden files and folders, deliberately not read
    unchanged: int = 0
    # "<source>: same content as <indexed source>": a copy of a document already indexed from another
    # path (a second clone of the project, the same file in two folders) is not indexed twice, which
    # would put the same passage twice among the hits. Counted in ``accepted``: its text is searchable.
    duplicates: list[str] = field(default_factory=list)
    accepted: int = 0  # files that are in the index after this run (new, changed, unchanged or duplicate)

    def nothing_indexed(self) -> bool:
        """Every file given was rejected (or there were none): the command failed."""
        return self.accepted == 0

    apply: ApplyReport | None = None
    languages: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        a = self.apply
        chunks = a.added_chunks if a else 0
        langs = ", ".join(f"{k}:{v}" for k, v in sorted(self.languages.items())) or "-"
        rate = chunks / self.seconds if self.seconds and chunks else 0.0
        parts = [
            f"{self.files} files",
            f"{self.unchanged} unchanged",
            *([f"{len(self.duplicates)} already indexed under another name"] if self.duplicates else []),
            f"{len(self.skipped)} skipped",
            *([f"{len(self.ignored)} hidden ignored"] if self.ignored else []),
            f"+{a.added_docs if a else 0} new / {a.updated_docs if a else 0} changed / "
            f"-{a.removed_docs if a else 0} removed documents",
            f"+{chunks} / -{a.removed_chunks if a else 0} chunks",
            f"languages {langs}",
            f"{self.seconds:.1f}s",
            f"{rate:.1f} chunks/s",
        ]
        if a and a.index_kind:
            parts.append(f"index {a.index_kind}")
        return "ingest: " + ", ".join(parts)


def ingest_files(store: Store, paths: Sequence[Path], settings: Settings, count_tokens: Callable[[str], int],
                 report: IngestReport, *, sync: bool = False, progress: bool = True) -> None:
    """Read, clean and chunk every file under ``paths`` and apply them to ``store`` in one version:
    unchanged files are skipped before parsing, a copy of an indexed document is not indexed twice,
    and with ``sync`` documents whose files are gone from under ``paths`` are removed."""
    indexed = store.documents()
    files = assign_sources(iter_source_files([Path(p) for p in paths], report.ignored), indexed)
    report.files = len(files)
    upserts: list[tuple[Document, list[Chunk]]] = []
    seen: set[str] = set()
    known = {d["source"] for d in indexed}
    by_hash = {str(d["content_hash"]): str(d["source"]) for d in indexed}
    copies: list[tuple[RawDocument, str]] = []  # (new file, the indexed document with its content)
    for path, source in tqdm(files, desc="read", unit="file", disable=not progress):
        seen.add(source)
        try:
            raw = load_file(path, source, int(settings.max_file_mb * 1024 * 1024))
            if not store.needs_update(source, raw.content_hash):
                report.unchanged += 1
                report.accepted += 1
                continue
            twin = by_hash.get(raw.content_hash)
            if twin is not None and source not in known:
                copies.append((raw, twin))  # decided below, once --sync's removals are known
                continue
            _add(raw, upserts, report, settings, count_tokens)
            by_hash[raw.content_hash] = source
        except InputError as exc:
            report.skipped.append(f"{source}: {exc.message}")
            log.warning("skipped %s: %s", source, exc.message)
            continue
    roots = [Path(absolute(p)) for p in paths]
    removals = sorted(d["source"] for d in indexed  # nothing was written since it was read
                      if d["source"] not in seen and under(str(d.get("path") or ""), roots)) if sync else []
    for raw, twin in copies:
        if twin in removals:  # a renamed or moved file: its old document goes, so index it anew
            try:
                _add(raw, upserts, report, settings, count_tokens)
            except InputError as exc:
                report.skipped.append(f"{raw.source}: {exc.message}")
            continue
        report.duplicates.append(f"{raw.source}: same content as {twin}")
        report.accepted += 1
    if upserts or removals:
        report.apply = store.apply(upserts, removals, progress=progress)


def _add(raw: RawDocument, upserts: list[tuple[Document, list[Chunk]]], report: IngestReport, settings: Settings,
         count_tokens: Callable[[str], int]) -> None:
    """Clean and chunk one loaded file into ``upserts``; raises ``InputError`` when it has no text."""
    doc = build_document(raw)
    chunks = chunk_document(doc, count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    for c in chunks:
        report.languages[c.lang] = report.languages.get(c.lang, 0) + 1
    upserts.append((doc, chunks))
    report.accepted += 1
