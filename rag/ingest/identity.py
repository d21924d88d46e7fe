"""Which document a file is: a source id that cannot collide, and stays readable.

A document is identified by where its file is (its absolute path, recorded in the index). Its source
id -- what ``rag documents`` lists and citations show -- is the file's path relative to the folder that
was ingested (``notes.txt``, ``2024/report.pdf``). When another document already holds that name, the
new file gets the shortest tail of its absolute path that is free (``collB/notes.txt``): two folders
with a ``notes.txt`` each are two documents, and re-ingesting the same path updates its document.

Existing names are never changed (citations and evaluation sets refer to them). Indexes written before
paths were absolute recorded the path as given on the command line; such a document is taken to be the
file of the same name when its recorded path points at that file, or no longer resolves from here (then
nothing tells them apart, and updating it is what the earlier versions did); its path is recorded
absolutely on that update.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def absolute(path: str | Path) -> str:
    return str(Path(path).resolve())


def assign_sources(files: Sequence[tuple[Path, str]], documents: Iterable[dict[str, Any]]
                   ) -> list[tuple[Path, str]]:
    """(absolute path, source id) for each (path, folder-relative name) from ``iter_source_files``."""
    by_path: dict[str, str] = {}
    legacy: dict[str, str] = {}  # source -> recorded relative path
    taken: set[str] = set()
    for d in documents:
        source, recorded = d["source"], str(d.get("path") or "")
        taken.add(source)
        if os.path.isabs(recorded):
            by_path[recorded] = source
        else:
            legacy[source] = recorded
    out: list[tuple[Path, str]] = []
    for path, rel in files:
        ap = absolute(path)
        source = by_path.get(ap)
        if source is None and rel in legacy and _legacy_match(legacy[rel], ap):
            source = rel
            del legacy[rel]
        if source is None:
            source = _free_name(rel, Path(ap), taken)
        taken.add(source)
        by_path[ap] = source
        out.append((Path(ap), source))
    return out


def _legacy_match(recorded: str, ap: str) -> bool:
    if not recorded:
        return True
    resolved = Path(recorded).resolve()
    return str(resolved) == ap or not resolved.exists()


def _free_name(rel: str, ap: Path, taken: set[str]) -> str:
    if rel not in taken:
        return rel
    parts = ap.parts
    for k in range(len(Path(rel).parts) + 1, len(parts) + 1):
        candidate = "/".join(p for p in parts[-k:] if p != "/")
        if candidate not in taken:
            return candidate
    return str(ap)


def under(path: str, roots: Sequence[Path]) -> bool:
    """Whether the document recorded at ``path`` lives under one of the ingested folders (for --sync)."""
    p = Path(absolute(path)) if path else None
    return p is not None and any(p == r or r in p.parents for r in roots)
