"""Files on disk -> raw text, one format at a time, with a clear reason whenever a file is refused.

Loaders only extract text; deciding what is boilerplate is ``clean``'s job. They never guess
silently: anything they cannot turn into real text (binary, corrupt, scanned PDF...) is refused with
a ``FileRejectedError`` so the batch can report it and carry on.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import InputError
from rag.ingest.file_meta import FileMeta, clean_title, html_meta, iso_date, pdf_meta

if TYPE_CHECKING:
    from docx.table import Table

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = {".txt", ".md", ".html", ".htm", ".pdf", ".docx"}
KINDS = {".txt": "text", ".md": "markdown", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}


class FileRejectedError(InputError):
    """A file that cannot be indexed. The message is the reason alone, because every caller already
    names the file ("skipped <source>: <reason>"); ``source`` is kept for callers that need it."""

    def __init__(self, source: str, reason: str, fix: str | None = None) -> None:
        super().__init__(reason, fix)
        self.source = source
        self.reason = reason


@dataclass
class RawDocument:
    path: Path
    source: str
    text: str
    content_hash: str  # sha256 hex of the raw bytes
    kind: str  # "text" | "markdown" | "html" | "pdf" | "docx"
    title: str = ""  # from the file's own metadata (HTML <title>, PDF/DOCX properties), when it has one
    date: str | None = None  # ISO publication date from the file's metadata, when it has one


def iter_source_files(paths: Sequence[Path], ignored: list[str] | None = None) -> list[tuple[Path, str]]:
    """Expand files and folders into (path, source name), deterministic order, no duplicates.

    Source names are what users see in citations, so they are short but unique within a folder:
    the bare file name for a file given directly, the POSIX path relative to the folder otherwise.
    Unsupported files inside folders are listed too, so the user hears why they were not indexed.
    Hidden files and folders (".git", editor swap files) are skipped, and named in ``ignored`` (when
    given) so the user hears about them too; a missing path raises.
    """
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(path: Path, source: str) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append((path, source))

    for given in paths:
        given = Path(given)
        if given.is_dir():
            found: list[tuple[str, Path]] = []
            for root, dirnames, filenames in os.walk(given):
                rel_root = Path(root).relative_to(given)
                if ignored is not None:
                    ignored += [f"{(rel_root / d).as_posix()}/: hidden folder" for d in sorted(dirnames)
                                if d.startswith(".")]
                    ignored += [f"{(rel_root / n).as_posix()}: hidden file" for n in sorted(filenames)
                                if n.startswith(".")]
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if name.startswith("."):
                        continue
                    p = Path(root) / name
                    if p.is_file():
                        found.append((p.relative_to(given).as_posix(), p))
            for rel, p in sorted(found):
                add(p, rel)
        elif given.exists():
            add(given, given.name)
        else:
            raise InputError(f"no such file or folder: {given}", fix="check the path")
    return out


def load_file(path: Path, source: str, max_bytes: int) -> RawDocument:
    """Read one file; raises ``FileRejectedError`` (an ``InputError``) with the reason it cannot be used."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        what = f"'{suffix}'" if suffix else "(no extension)"
        raise FileRejectedError(source, f"unsupported file type {what}",
                                fix=f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise FileRejectedError(source, "not a regular file")
        if size > max_bytes:
            raise FileRejectedError(source, f"too large ({_mib(size)}; the limit is {_mib(max_bytes)} "
                                            "(RAG_MAX_FILE_MB))",
                                    fix="raise RAG_MAX_FILE_MB (a number of MiB) or split the file")
        data = path.read_bytes()
    except PermissionError:
        raise FileRejectedError(source, "unreadable (permission denied)") from None
    except OSError as exc:
        raise FileRejectedError(source, f"unreadable ({exc.strerror or exc})") from None
    if len(data) > max_bytes:  # grew between stat and read
        raise FileRejectedError(source, f"too large ({_mib(len(data))}; the limit is {_mib(max_bytes)} "
                                        "(RAG_MAX_FILE_MB))",
                                fix="raise RAG_MAX_FILE_MB (a number of MiB) or split the file")
    if not data.strip():
        raise FileRejectedError(source, "empty file")

    kind = KINDS[suffix]
    meta = FileMeta()
    if suffix in TEXT_SUFFIXES:
        text = _decode_text(data, source)
    elif suffix in HTML_SUFFIXES:
        text = _html_text(data, source)
        meta = html_meta(data)
    elif suffix == ".pdf":
        text, meta = _pdf_text(data, source)
    else:
        text, meta = _docx_text(data, source)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise FileRejectedError(source, "no text in file")
    return RawDocument(path=path, source=source, text=text, content_hash=hashlib.sha256(data).hexdigest(),
                       kind=kind, title=meta.title, date=meta.date)


def _mib(n: int) -> str:
    """Sizes in the unit the limit is set in (``Settings.max_file_mb`` counts MiB): "20 MiB", "20.3 MiB"."""
    if n < 100 * 1024:
        return f"{n} bytes"
    return f"{n / 2**20:.1f}".removesuffix(".0") + " MiB"


# --- plain text -----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _decode_text(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM: NULs are expected there
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileRejectedError(source, "binary or corrupt UTF-16 text") from None
    if b"\x00" in data:
        raise FileRejectedError(source, "binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Legacy Russian files are the one non-UTF-8 case we expect; cp1251 decodes almost any byte
        # string, so accept it only when the result actually reads like text.
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            text = ""
        if not _looks_like_text(text):
            raise FileRejectedError(source, "not UTF-8 text (binary file or unknown encoding)",
                                    fix="convert the file to UTF-8") from None
    if len(_CONTROL.findall(text[:20_000])) > 0.01 * max(1, len(text[:20_000])):
        raise FileRejectedError(source, "binary file (control characters), not text")
    return text


def _looks_like_text(text: str) -> bool:
    if not text or _CONTROL.search(text):
        return False
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 0.5 * len(text.replace(" ", "").replace("\n", "")):
        return False
    cyrillic_or_ascii = sum(1 for ch in letters if ch.isascii() or "\u0400" <= ch <= "\u04ff")
    return cyrillic_or_ascii >= 0.95 * len(letters)


# --- HTML -----------------------------------------------------------------------------------------

_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
              "svg", "iframe", "button", "select")
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
               "section", "article", "blockquote", "pre", "dd", "dt", "figcaption", "main", "td", "th"}


def _html_text(data: bytes, source: str) -> str:
    if b"\x00" in data:
        raise FileRejectedError(source, "binary file (contains NUL bytes), not HTML")
    import trafilatura

    try:
        text = trafilatura.extract(data, include_comments=False, favor_recall=True, include_tables=True,
                                   deduplicate=False, with_metadata=False)
    except Exception:  # trafilatura gives up on odd markup in many ways; the fallback below is the answer
        text = None
    if text and text.strip():
        return text
    # Short pages (a few paragraphs) fall below trafilatura's minimum content size: strip tags instead.
    return _strip_html(data, source)


def _strip_html(data: bytes, source: str) -> str:
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        raise FileRejectedError(source, f"unparseable HTML ({exc})") from None
    for el in list(root.iter(*_DROP_TAGS, etree.Comment)):
        if el.getparent() is not None:
            el.drop_tree()
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if el.text and tag not in ("head", "title"):
            parts.append(el.text)
        for child in el:
            walk(child)
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(root)
    return "\n".join(line.strip() for line in "".join(parts).split("\n") if line.strip())


# --- PDF ------------------------------------------------------------------------------------------


def _pdf_text(data: bytes, source: str) -> tuple[str, FileMeta]:
    from pypdf import PdfReader

    # pypdf logs repairs ("EOF marker not found") without naming the file; we report the outcome ourselves.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileRejectedError(source, "encrypted PDF (password required)")
        pages = list(reader.pages)
    except FileRejectedError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise FileRejectedError(source, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    texts: list[str] = []
    failures = 0
    for page in pages:
        try:
            texts.append(_reflow(page.extract_text() or ""))
        except Exception:
            failures += 1
    if pages and failures == len(pages):
        raise FileRejectedError(source, "corrupt PDF (no page could be read)")
    text = "\n\n".join(t for t in texts if t.strip())
    if not text.strip():
        raise FileRejectedError(source, "PDF has no extractable text (scanned images?)",
                                fix="run OCR on it first (e.g. ocrmypdf) and add the result")
    return text, pdf_meta(reader)


_PARA_END = re.compile(r"[.!?:…»\"”)]$")


def _reflow(page_text: str) -> str:
    """PDF lines are visual lines, not paragraphs. Join them; a paragraph ends at a blank line, at a
    line clearly shorter than the page's usual width (a heading, or the last line of a paragraph),
    or at a somewhat short line that finishes a sentence."""
    lines = [ln.strip() for ln in page_text.split("\n")]
    widths = [len(ln) for ln in lines if len(ln) > 20]
    typical = statistics.median(widths) if widths else 0
    paras: list[str] = []
    cur = ""
    for ln in lines:
        if not ln:
            if cur:
                paras.append(cur)
                cur = ""
            continue
        if not cur:
            cur = ln
        elif cur.endswith("-") and cur[-2:-1].isalpha() and ln[:1].islower():
            cur += ln  # keep the hyphen: "well-known" must survive, "migra-tion" is the lesser evil
        else:
            cur += " " + ln
        if len(ln) < 0.6 * typical or (_PARA_END.search(ln) and len(ln) < 0.8 * typical):
            paras.append(cur)
            cur = ""
    if cur:
        paras.append(cur)
    return "\n\n".join(paras)


# --- DOCX -----------------------------------------------------------------------------------------


def _docx_text(data: bytes, source: str) -> tuple[str, FileMeta]:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_rows(block))
            else:
                lines.append(block.text)
    except Exception as exc:  # zip, XML and package errors all mean the same thing to the user
        raise FileRejectedError(source, f"corrupt or unreadable DOCX ({type(exc).__name__}: {exc})") from None
    text = "\n".join(ln.strip() for ln in lines if ln.strip())
    if not text:
        raise FileRejectedError(source, "DOCX has no text")
    props = document.core_properties
    return text, FileMeta(clean_title(props.title or ""), iso_date(props.created))


def _table_rows(table: Table) -> list[str]:
    """One line per row, cells joined by " | ", so a row's facts stay together in one passage.
    Merged cells appear once per row, not once per grid column."""
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            nested = [r for t in cell.tables for r in _table_rows(t)]
            own = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            value = " ".join(x for x in [own, *nested] if x)
            if value:
                cells.append(value)
        if cells:
            rows.append(" | ".join(cells))
    return rows
