"""Uploaded files -> safely named copies under ``<index_dir>/uploads/``, ready to ingest.

The browser's file picker and Gradio's size limit are conveniences a client can bypass, so type and
size are checked again here. The file name becomes the document's source name (shown in every
citation), so it is cleaned of paths and odd characters but keeps letters of any script: a user who
uploads "Miqrasiya_hesabatı.pdf" should see that name back, not "Miqrasiya_hesabat_.pdf".
"""

from __future__ import annotations

import hashlib
import re
import shutil
import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ui.i18n import t

ALLOWED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
MAX_NAME_CHARS = 120
_ALLOWED_PUNCT = set("._-")


@dataclass
class Rejected:
    """A file refused before ingestion; ``reason`` is a key of ui.i18n plus its format values."""

    name: str
    reason: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class StoredUploads:
    paths: list[Path] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def safe_filename(name: str) -> str:
    """A file name with no directory part and only letters (any script), ASCII digits and ``._-``.

    Anything else (spaces, slashes, control characters, emoji) becomes "_"; leading dots are dropped
    so an upload can never become a hidden file (which folder ingestion would skip); the result is
    never empty and is at most MAX_NAME_CHARS long, extension kept.
    """
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    cleaned = "".join(
        ch if (ch.isalpha() or ch in string.digits or ch in _ALLOWED_PUNCT) else "_" for ch in base
    )
    cleaned = re.sub(r"_{2,}", "_", cleaned).lstrip("._-")
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot:
        stem, suffix = cleaned, ""
    suffix = suffix.lower()
    stem = stem.strip("._-") or "document"
    ext = f".{suffix}" if suffix else ""
    return stem[: max(1, MAX_NAME_CHARS - len(ext))] + ext


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _target(dest_dir: Path, name: str, digest: str, taken: set[str]) -> tuple[Path, bool]:
    """(where to store, whether an identical copy is already there).

    The same bytes uploaded again reuse their file, so ingestion reports "unchanged" instead of adding
    a duplicate. Different bytes never overwrite another file, and never take the name of a document
    already indexed from elsewhere (the seeds): they get "-2", "-3"... instead.
    """
    path = Path(name)
    stem, ext = path.stem, path.suffix
    for i in range(1, 10_000):
        candidate = name if i == 1 else f"{stem}-{i}{ext}"
        target = dest_dir / candidate
        if target.exists():
            if target.is_file() and _digest(target) == digest:
                return target, True
            continue
        if candidate in taken:
            continue
        return target, False
    raise RuntimeError(f"no free file name for {name} in {dest_dir}")


def store_uploads(files: Iterable[str | Path], dest_dir: Path, max_bytes: int,
                  taken_sources: Sequence[str] = ()) -> StoredUploads:
    """Check and copy each uploaded file into ``dest_dir``; refused files are listed with a reason."""
    out = StoredUploads()
    taken = set(taken_sources)
    for given in files:
        src = Path(given)
        name = safe_filename(src.name)
        suffix = Path(name).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            out.rejected.append(Rejected(src.name, "rejected_type", {"ext": suffix or "(none)"}))
            continue
        try:
            size = src.stat().st_size
        except OSError:
            out.rejected.append(Rejected(src.name, "rejected_empty"))
            continue
        if size > max_bytes:
            out.rejected.append(Rejected(src.name, "rejected_size", {
                "size": f"{size / 2**20:.1f}", "mb": f"{max_bytes / 2**20:g}"}))
            continue
        if size == 0:
            out.rejected.append(Rejected(src.name, "rejected_empty"))
            continue
        dest_dir.mkdir(parents=True, exist_ok=True)
        target, same = _target(dest_dir, name, _digest(src), taken)
        if not same:
            shutil.copyfile(src, target)
        taken.add(target.name)
        out.paths.append(target)
    return out


def delete_upload(dest_dir: Path, source: str) -> bool:
    """Remove the stored copy of an uploaded document (after it left the index), so it does not come
    back on a re-ingest of the uploads folder. Only plain names directly inside ``dest_dir`` qualify."""
    if source != safe_filename(source):
        return False
    path = dest_dir / source
    if path.is_file():
        path.unlink()
        return True
    return False


# The loaders' reasons (English, for logs and the CLI) -> a plain sentence in the interface language.
_SKIP_KEYS = (("encrypted", "skip_encrypted"), ("corrupt", "skip_corrupt"), ("unreadable", "skip_corrupt"),
              ("no extractable text", "skip_no_text"), ("no text", "skip_no_text"), ("has no text", "skip_no_text"),
              ("binary", "skip_binary"), ("not utf-8", "skip_binary"), ("boilerplate", "skip_boilerplate"),
              ("empty", "rejected_empty"))


def skip_reason(reason: str, lang: str) -> str:
    lowered = reason.lower()
    key = next((k for needle, k in _SKIP_KEYS if needle in lowered), "skip_other")
    return t(key, lang)


def upload_report(paths: Sequence[Path], report: Any, before: Sequence[dict[str, Any]],
                  after: Sequence[dict[str, Any]], lang: str) -> list[str]:
    """Human lines for one upload: which files were indexed (under which name, how many passages),
    which were already there unchanged, and which were not indexed and why. Documents are matched by
    their file path (the index's identity), so a name the index had to make unique is still found.
    A file that was not indexed is deleted again."""
    def by_path(docs: Sequence[dict[str, Any]]) -> dict[str, str]:
        return {str(Path(str(d["path"])).resolve()): str(d["source"]) for d in docs if d.get("path")}

    old, new = by_path(before), by_path(after)
    reasons = {}
    for line in report.skipped:
        name, _, reason = str(line).partition(": ")
        reasons[name] = reason
    twins = {}  # uploaded copies of documents already indexed under another name
    for line in getattr(report, "duplicates", []):
        name, _, rest = str(line).partition(": same content as ")
        twins[name] = rest
    apply = getattr(report, "apply", None)
    chunks = int(getattr(apply, "added_chunks", 0)) if apply else 0
    added: list[str] = []
    same: list[str] = []
    lines: list[str] = []
    failed: list[str] = []
    for p in paths:
        key = str(p.resolve())
        if key in new:
            (same if key in old else added).append(new[key])
            continue
        twin = _by_file_name(twins, p)
        if twin is not None:
            same.append(twin)
            if p.is_file():
                p.unlink()  # the indexed document holds this text already
            continue
        reason = _by_file_name(reasons, p) or ""
        failed.append(f"✗ {p.name}: {skip_reason(reason, lang)}")
        if p.is_file():
            p.unlink()
    if added:
        lines.append(t("upload_indexed", lang, names=", ".join(added), chunks=chunks))
    if same:
        lines.append(t("upload_unchanged", lang, names=", ".join(same)))
    return lines + failed


def _by_file_name(by_source: dict[str, str], path: Path) -> str | None:
    """The entry of the report line whose source names ``path``'s file (a source may carry a folder)."""
    return next((v for n, v in by_source.items() if n == path.name or n.endswith("/" + path.name)), None)


def stored_upload(dest_dir: Path, doc_path: str | None) -> Path | None:
    """The uploaded copy behind a document, if its file lies directly in ``dest_dir``."""
    if not doc_path:
        return None
    path = Path(doc_path).resolve()
    return path if path.parent == dest_dir.resolve() and path.is_file() else None
