"""Source ids (rag.ingest.identity): unique, readable, stable, and no silent rename of existing ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.ingest.identity import assign_sources, under


def files(root: Path, *rels: str) -> list[tuple[Path, str]]:
    out = []
    for rel in rels:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(rel)
        out.append((p, rel))
    return out


def test_same_name_elsewhere_gets_the_shortest_free_tail(tmp_path: Path) -> None:
    a, b = files(tmp_path / "collA", "notes.txt"), files(tmp_path / "collB", "notes.txt")
    (pa, sa), = assign_sources(a, [])
    indexed = [{"source": sa, "path": str(pa)}]
    (pb, sb), = assign_sources(b, indexed)
    assert (sa, sb) == ("notes.txt", "collB/notes.txt")
    indexed.append({"source": sb, "path": str(pb)})
    # Re-ingesting either path finds its own document; a third copy goes one folder up.
    assert assign_sources(b, indexed) == [(pb, "collB/notes.txt")]
    assert assign_sources(a, indexed) == [(pa, "notes.txt")]
    c = files(tmp_path / "x" / "collB", "notes.txt")
    assert assign_sources(c, indexed)[0][1] == "x/collB/notes.txt"


def test_two_files_of_one_run_with_the_same_name(tmp_path: Path) -> None:
    both = [*files(tmp_path / "one", "a/notes.txt"), (tmp_path / "two" / "notes.txt", "notes.txt")]
    both[1][0].parent.mkdir()
    both[1][0].write_text("x")
    assert [s for _, s in assign_sources(both, [])] == ["a/notes.txt", "notes.txt"]
    dup = files(tmp_path / "p", "notes.txt") + files(tmp_path / "q", "notes.txt")
    assert [s for _, s in assign_sources(dup, [])] == ["notes.txt", "q/notes.txt"]


def test_legacy_relative_paths_keep_their_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    given = files(Path("seeds"), "001.txt")  # as `rag ingest seeds/` recorded it: path relative to cwd
    legacy = [{"source": "001.txt", "path": "seeds/001.txt"}]
    (path, source), = assign_sources(given, legacy)
    assert source == "001.txt" and os.path.isabs(path)  # same document, now recorded absolutely
    # A legacy record whose path resolves to another existing file is another document.
    other = files(tmp_path / "elsewhere", "001.txt")
    assert assign_sources(other, legacy)[0][1] == "elsewhere/001.txt"


def test_under(tmp_path: Path) -> None:
    assert under(str(tmp_path / "a" / "b.txt"), [tmp_path / "a"])
    assert not under(str(tmp_path / "ab" / "b.txt"), [tmp_path / "a"])
    assert not under("", [tmp_path])
