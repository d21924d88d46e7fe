"""The manifest of a generation: what built it, what it holds, and which files (of what size) it has.

Why refuse mismatches instead of adapting: vectors from another embedder (or chunks cut with other
settings) silently produce wrong neighbours; the user is told the exact command to rebuild. Any store
backend records the same embedder identity and chunking and checks them with ``check_compatible``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.embedding import Embedder
from rag.errors import IndexError_
from rag.index.generations import rebuild_fix

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class Vanished(Exception):
    """The generation being loaded was deleted under us (a newer one was published meanwhile)."""


@dataclass(frozen=True)
class Manifest:
    """The fields of ``manifest.json`` that loading relies on (``raw`` keeps everything)."""

    raw: dict[str, Any]
    kind: str
    counts: dict[str, Any]
    files: dict[str, Any]
    source_dirs: list[str] | None

    @property
    def fix(self) -> str:
        return rebuild_fix(self.source_dirs)


def embedder_record(embedder: Embedder) -> dict[str, Any]:
    return {"name": embedder.name, "fingerprint": embedder.fingerprint, "dim": embedder.dim}


def read_manifest(gen_dir: Path, where: str) -> Manifest:
    """Parse ``gen_dir/manifest.json``; ``IndexError_`` when it is missing or malformed, ``Vanished``
    when the whole generation disappeared (a concurrent writer superseded it)."""
    name = gen_dir.name
    try:
        raw = json.loads((gen_dir / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("manifest is not an object")
        source_dirs = raw.get("source_dirs") or None
        if source_dirs is not None and not all(isinstance(d, str) for d in source_dirs):
            source_dirs = None
        missing = [key for key in ("format_version", "embedder") if key not in raw]
        if missing:
            raise KeyError(missing[0])
        kind, counts, files = raw["index_kind"], raw["counts"], raw["files"]
        if not all(isinstance(x, dict) for x in (raw["embedder"], counts, files)):
            raise ValueError("embedder, counts and files must be objects")
    except FileNotFoundError:
        if not gen_dir.exists():
            raise Vanished() from None
        raise IndexError_(f"Index in {where} is corrupt: {name}/{MANIFEST} is missing.",
                          fix=rebuild_fix(None)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexError_(f"Index in {where} is corrupt: cannot read {name}/{MANIFEST} ({exc}).",
                          fix=rebuild_fix(None)) from exc
    return Manifest(raw=raw, kind=kind, counts=counts, files=files, source_dirs=source_dirs)


def check_compatible(recorded: dict[str, Any], embedder: Embedder, chunking: dict[str, Any],
                     where: str, fix: str) -> None:
    """Refuse an index whose format, embedder (fingerprint, dim) or chunking differ from the current
    ones: its vectors or chunk boundaries would not match what queries and new documents get."""
    version = recorded.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexError_(f"Index in {where} has format {version}; this version reads "
                          f"format {FORMAT_VERSION}.", fix=fix)
    emb = recorded.get("embedder") or {}
    if emb.get("fingerprint") != embedder.fingerprint or emb.get("dim") != embedder.dim:
        raise IndexError_(
            f"Index in {where} was built with embedder {emb.get('name')!r} (fingerprint "
            f"{emb.get('fingerprint')}, dim {emb.get('dim')}); the current embedder is "
            f"{embedder.name!r} (fingerprint {embedder.fingerprint}, dim {embedder.dim}). "
            "Its vectors are not comparable; rebuild the index.", fix=fix)
    if recorded.get("chunking") != chunking:
        raise IndexError_(f"Index in {where} was built with chunking {recorded.get('chunking')}; "
                          f"the current settings are {chunking}. Rebuild the index or restore those "
                          "settings.", fix=fix)


def check_files(gen_dir: Path, manifest: Manifest, where: str) -> None:
    """Every file the manifest lists exists with the recorded size (a truncated copy is refused)."""
    for fname, size in manifest.files.items():
        path = gen_dir / fname
        try:
            actual = path.stat().st_size
        except FileNotFoundError:
            if not gen_dir.exists():
                raise Vanished() from None
            raise IndexError_(f"Index in {where} is corrupt: {gen_dir.name}/{fname} is missing.",
                              fix=manifest.fix) from None
        if actual != size:
            raise IndexError_(f"Index in {where} is corrupt: {gen_dir.name}/{fname} has {actual} bytes, "
                              f"expected {size}.", fix=manifest.fix)


def file_sizes(folder: Path) -> dict[str, int]:
    """Relative path -> size of every file under ``folder`` (what the manifest records)."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}
