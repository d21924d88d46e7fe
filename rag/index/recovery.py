"""Recovering a lost ``CURRENT`` pointer: the newest intact generation on disk becomes live again.

A pointer can go missing or be damaged (a restored backup without it, a bad disk block, a user
deleting the wrong file) while the generations it pointed at are intact. Treating that as "no index"
loses everything on the next write; instead the newest generation that passes every check (identity,
sizes, checksums, cross-checks) is made live again and the user is told. Generations that fail as
damaged are renamed aside (``damaged-gen-N``), never deleted: nothing proves they are superseded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from rag.index import generations
from rag.index.manifest import IndexDamagedError, Vanished, repair_fix
from rag.index.snapshot import Snapshot

log = logging.getLogger(__name__)

DAMAGED_PREFIX = "damaged-"


def pointer_lost(index_dir: Path) -> bool:
    """True when ``CURRENT`` is missing, unreadable or names no folder, yet generations exist."""
    name = generations.read_current_lenient(index_dir)
    if name is not None and (index_dir / name).is_dir():
        return False
    return bool(generations.complete_generations(index_dir))


def recover(index_dir: Path, load: Callable[[str], Snapshot]) -> Snapshot:
    """Make the newest intact generation live (under the writer lock) and return it.

    ``load(name)`` must fully verify a generation. An incompatible generation (other embedder or
    chunking) stops the search: an older one would silently drop the user's newer documents.
    """
    with generations.locked(index_dir):
        live = generations.read_current_lenient(index_dir)
        if live is not None and (index_dir / live).is_dir():
            return load(live)  # another process recovered it meanwhile
        why = "missing" if not (index_dir / generations.CURRENT).exists() else "unreadable or names no generation"
        damaged: list[str] = []
        for name in generations.complete_generations(index_dir):
            try:
                snap = load(name)
            except (IndexDamagedError, Vanished) as exc:
                log.warning("generation %s is damaged, kept aside as %s%s: %s", name, DAMAGED_PREFIX, name,
                            getattr(exc, "message", exc))
                damaged.append(name)
                continue
            for bad in damaged:
                os.rename(index_dir / bad, index_dir / f"{DAMAGED_PREFIX}{bad}")
            generations.swap_current(index_dir, name)
            log.warning("index pointer %s was %s: recovered %s, the newest intact generation "
                        "(%d documents, %d chunks)", index_dir / generations.CURRENT, why, name,
                        len(snap.docs), len(snap.chunks))
            return snap
        raise IndexDamagedError(f"Index in {index_dir}: the pointer {generations.CURRENT} is {why} and no "
                                "generation on disk is intact.", fix=repair_fix(None))
