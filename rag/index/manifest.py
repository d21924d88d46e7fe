"""The manifest of a generation: what built it, what it holds, and which files (of what size) it has.

Why refuse mismatches instead of adapting: vectors from another embedder (or chunks cut with other
settings) silently produce wrong neighbours; the user is told the exact command to rebuild. Any store
backend records the same embedder identity and chunking and checks them with ``check_compatible``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.embedding import Embedder
from rag.errors import IndexError_
from rag.index.generations import rebuild_fix

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def repair_fix(source_dirs: Sequence[str] | None = None) -> str:
    """``rag index repair`` restores the newest intact generation or rebuilds from the stored texts."""
    return f"rag index repair  (or re-index the files: {rebuild_fix(source_dirs)})"


REPAIR_FIX = repair_fix()
HASH_BLOCK = 4 << 20
SELF_SUM = "manifest_sha256"


class IndexDamagedError(IndexError_):
    """A generation's files are not what was written (wrong size or checksum, unparsable): the data
    must not be served. Distinct from an index built with other settings, which is intact."""


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
    checksums: dict[str, str]  # relative path -> sha256 hex; empty for indexes written before them

    @property
    def fix(self) -> str:
        """For an index built with other settings: rebuild from the files."""
        return rebuild_fix(self.source_dirs)

    @property
    def damage_fix(self) -> str:
        return repair_fix(self.source_dirs)


def manifest_digest(raw: dict[str, Any]) -> str:
    """sha256 of the manifest without its own checksum field (canonical JSON): the manifest guards
    every other file, so it guards itself too."""
    body = {k: v for k, v in raw.items() if k != SELF_SUM}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


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
        recorded = raw.get(SELF_SUM)
        if recorded is not None and recorded != manifest_digest(raw):
            raise IndexDamagedError(f"Index in {where} is damaged: {name}/{MANIFEST} does not match its own "
                                    "checksum.", fix=REPAIR_FIX)
        checksums = raw.get("sha256") or {}
        if not all(isinstance(x, dict) for x in (raw["embedder"], counts, files, checksums)):
            raise ValueError("embedder, counts, files and sha256 must be objects")
    except FileNotFoundError:
        if not gen_dir.exists():
            raise Vanished() from None
        raise IndexDamagedError(f"Index in {where} is corrupt: {name}/{MANIFEST} is missing.",
                                fix=REPAIR_FIX) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexDamagedError(f"Index in {where} is corrupt: cannot read {name}/{MANIFEST} ({exc}).",
                                fix=REPAIR_FIX) from exc
    return Manifest(raw=raw, kind=kind, counts=counts, files=files, source_dirs=source_dirs,
                    checksums={str(k): str(v) for k, v in checksums.items()})


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
            raise IndexDamagedError(f"Index in {where} is corrupt: {gen_dir.name}/{fname} is missing.",
                                    fix=manifest.damage_fix) from None
        if actual != size:
            raise IndexDamagedError(f"Index in {where} is corrupt: {gen_dir.name}/{fname} has {actual} bytes, "
                                    f"expected {size}.", fix=manifest.damage_fix)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks (hashlib releases the GIL on large blocks, so hashing in a
    thread overlaps with parsing the files in the main thread)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


def checksums_of(folder: Path, names: Iterable[str]) -> dict[str, str]:
    return {name: sha256_file(folder / name) for name in names}


def check_checksums(gen_dir: Path, manifest: Manifest, where: str) -> None:
    """Every file matches the sha256 recorded when it was written: damage that keeps the size (zeroed
    or flipped bytes) is refused before any answer comes from it. Indexes written before checksums
    were recorded have none to check (sizes and cross-checks still apply)."""
    for fname, expected in sorted(manifest.checksums.items()):
        try:
            actual = sha256_file(gen_dir / fname)
        except FileNotFoundError:
            if not gen_dir.exists():
                raise Vanished() from None
            raise IndexDamagedError(f"Index in {where} is corrupt: {gen_dir.name}/{fname} is missing.",
                                    fix=manifest.damage_fix) from None
        except OSError as exc:
            raise IndexDamagedError(f"Index in {where} is damaged: {gen_dir.name}/{fname} cannot be read "
                                    f"({exc}).", fix=manifest.damage_fix) from exc
        if actual != expected:
            raise IndexDamagedError(f"Index in {where} is damaged: {gen_dir.name}/{fname} does not match the "
                                    f"checksum recorded when it was written (sha256 {expected[:12]}..., "
                                    f"now {actual[:12]}...).", fix=manifest.damage_fix)


def file_sizes(folder: Path) -> dict[str, int]:
    """Relative path -> size of every file under ``folder`` (what the manifest records)."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}
