"""Generation storage: the ``CURRENT`` pointer, the writer lock, atomic publication and cleanup.

Layout of an index directory::

    index_dir/
      CURRENT        name of the live generation, e.g. "gen-000007" (replaced atomically)
      LOCK           flock()ed by a writer while it publishes a generation
      gen-000007/    one complete, immutable set of index files (see ``rag.index.snapshot``)

Why generations instead of updating files in place: a commit writes a complete new folder under a
``.tmp`` name, fsyncs it, renames it, and only then swaps ``CURRENT`` with ``os.replace``. Until that one
atomic rename the previous generation is untouched and is what every reader loads, so Ctrl-C, a crash
or a full disk at any point leaves a consistent index.

This module knows nothing about what is inside a generation; it moves folders and pointers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from rag.errors import IndexError_

CURRENT = "CURRENT"
LOCK = "LOCK"

GEN_RE = re.compile(r"^gen-(\d{6,})(\.tmp)?$")


def gen_name(gen: int) -> str:
    return f"gen-{gen:06d}"


def gen_number(name: str) -> int:
    m = GEN_RE.match(name)
    if not m:
        raise ValueError(f"not a generation name: {name!r}")
    return int(m.group(1))


def rebuild_fix(source_dirs: Sequence[str] | None) -> str:
    """The command that replaces a broken or incompatible index."""
    where = " ".join(source_dirs) if source_dirs else "PATH"
    return f"rag ingest --rebuild {where}"


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fsync_path(Path(dirpath) / name)
        fsync_path(Path(dirpath))


def rmtree_quiet(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def read_current(index_dir: Path) -> str | None:
    """The live generation's folder name; None when there is no pointer. A pointer that exists but
    cannot be read or names no generation raises ``IndexError_``."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexError_(f"Cannot read {index_dir / CURRENT}: {exc}", fix=rebuild_fix(None)) from exc
    if not GEN_RE.match(name) or name.endswith(".tmp"):
        raise IndexError_(f"Index pointer {index_dir / CURRENT} is corrupt ({name[:40]!r}).",
                          fix=rebuild_fix(None))
    return name


def read_current_lenient(index_dir: Path) -> str | None:
    """Like ``read_current`` but a corrupt pointer reads as "no pointer"."""
    try:
        return read_current(index_dir)
    except IndexError_:
        return None


def generations_on_disk(index_dir: Path) -> list[int]:
    """Numbers of every ``gen-*`` folder, published or not (``.tmp`` included), unsorted."""
    if not index_dir.is_dir():
        return []
    return [int(m.group(1)) for p in index_dir.iterdir() if (m := GEN_RE.match(p.name))]


def complete_generations(index_dir: Path) -> list[str]:
    """Names of renamed (not ``.tmp``) generation folders, newest first: candidates for recovery."""
    if not index_dir.is_dir():
        return []
    names = [p.name for p in index_dir.iterdir()
             if p.is_dir() and GEN_RE.match(p.name) and not p.name.endswith(".tmp")]
    return sorted(names, key=gen_number, reverse=True)


@contextlib.contextmanager
def locked(index_dir: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Inter-process writer lock; yields False when ``blocking`` is off and another process holds it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
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


def new_tmp_folder(index_dir: Path, gen: int) -> Path:
    """An empty ``gen-N.tmp`` folder for a writer to fill (any older leftover of that name is dropped)."""
    tmp = index_dir / f"{gen_name(gen)}.tmp"
    rmtree_quiet(tmp)
    tmp.mkdir(parents=True)
    return tmp


def seal(tmp: Path) -> Path:
    """fsync a filled ``.tmp`` folder and rename it to its final name; return that path."""
    final = tmp.with_name(tmp.name.removesuffix(".tmp"))
    fsync_tree(tmp)
    os.rename(tmp, final)
    fsync_path(tmp.parent)
    return final


def swap_current(index_dir: Path, name: str) -> None:
    """The commit point: after this ``os.replace`` readers see generation ``name``."""
    tmp = index_dir / f"{CURRENT}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index_dir / CURRENT)
    fsync_path(index_dir)


def remove_superseded(index_dir: Path, *, keep: str) -> None:
    """Drop generations proven superseded: called only while holding the lock, with ``keep`` the
    generation ``CURRENT`` names. Older generations were replaced by it; newer ones (and ``.tmp``
    folders) are commits that never reached the pointer swap."""
    if not keep:
        return
    for p in index_dir.iterdir():
        if GEN_RE.match(p.name) and p.name != keep:
            rmtree_quiet(p)
    with contextlib.suppress(FileNotFoundError):
        (index_dir / f"{CURRENT}.tmp").unlink()


def clean_leftovers(index_dir: Path) -> None:
    """Remove what an interrupted writer left -- only when ``CURRENT`` names a live generation (without
    a pointer nothing is proven superseded) and no writer is active (its ``.tmp`` folder is in use)."""
    if not index_dir.is_dir():
        return
    live = read_current_lenient(index_dir)
    if live is None or not (index_dir / live).is_dir():
        return
    with locked(index_dir, blocking=False) as got:
        if got and read_current_lenient(index_dir) == live:
            remove_superseded(index_dir, keep=live)
