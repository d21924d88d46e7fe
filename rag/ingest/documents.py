"""Raw files -> ``Document``: metadata, cleaning, and language sections.

Sections exist so that every chunk has exactly one language: a bilingual press release (English
followed by its Azerbaijani version) must not produce a passage that is half of each, or retrieval
and answer-language choice both go wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from rag.errors import InputError
from rag.ingest.clean import clean_text
from rag.ingest.loaders import FileRejectedError, RawDocument, iter_source_files, load_file
from rag.ingest.metadata import extract_date, extract_dateline, extract_title
from rag.langid import UNKNOWN, detect_language
from rag.types import Document, Section

log = logging.getLogger("rag.ingest")

WEB_KINDS = {"text", "markdown", "html"}  # page copies: apply the web-furniture rules
# Plain-text copies of pages may still hold tags; HTML was parsed already, so any "<script>" left in its
# text is text the page shows as words and must stay.
MARKUP_KINDS = {"text", "markdown"}
MIN_DETECT_CHARS = 40  # shorter paragraphs (headlines, datelines, bylines) are too short to trust lingua
MIXED_SHARE = 0.2  # a second language with at least this share of the text makes the document "az+en"


def build_document(raw: RawDocument) -> Document:
    """Clean one loaded file. The date is read before cleaning (see ``metadata``); raises
    ``FileRejectedError`` when nothing but boilerplate was in the file."""
    # Where a publication date stands: the file's metadata, else the page header (web copies), else
    # only a short dateline at the top (PDF, DOCX: their body dates are events, not publication).
    date = raw.date or (extract_date(raw.text) if raw.kind in WEB_KINDS else extract_dateline(raw.text))
    text = clean_text(raw.text, web=raw.kind in WEB_KINDS, markup=raw.kind in MARKUP_KINDS)
    if not text.strip():
        raise FileRejectedError(raw.source, "no text left after removing boilerplate")
    sections = _sections(text)
    chars: dict[str, int] = {}
    for s in sections:
        chars[s.lang] = chars.get(s.lang, 0) + (s.end - s.start)
    known = {k: v for k, v in chars.items() if k != UNKNOWN}
    ranked = sorted(known, key=lambda k: -known[k])
    total = sum(known.values())
    lang = "+".join(k for k in ranked if known[k] >= MIXED_SHARE * total) if ranked else UNKNOWN
    return Document(
        source=raw.source,
        path=str(raw.path),
        text=text,
        content_hash=raw.content_hash,
        title=raw.title or extract_title(text) or Path(raw.source).stem,
        date=date,
        lang=lang,
        sections=sections,
    )


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n\n"):
        if para.strip():
            spans.append((pos, pos + len(para)))
        pos += len(para) + 2
    return spans


def _sections(text: str) -> list[Section]:
    """Consecutive paragraphs of one language. A short paragraph takes the language of the next
    detected one (a headline belongs to the text below it), or of the previous one at the end
    (bylines, date lines)."""
    spans = _paragraph_spans(text)
    detected = [detect_language(text[s:e]) if e - s >= MIN_DETECT_CHARS else UNKNOWN for s, e in spans]
    if all(lang == UNKNOWN for lang in detected):  # a note made only of short lines: best effort
        detected = [detect_language(text[s:e]) for s, e in spans]
    filled = list(detected)
    following = UNKNOWN
    for i in reversed(range(len(filled))):  # short paragraphs take the next detected language...
        if filled[i] == UNKNOWN:
            filled[i] = following
        following = filled[i]
    preceding = UNKNOWN
    for i, lang in enumerate(filled):  # ...or, at the end, the previous one
        if lang == UNKNOWN:
            filled[i] = preceding
        preceding = filled[i]
    sections: list[Section] = []
    for (start, end), lang in zip(spans, filled, strict=True):
        if sections and sections[-1].lang == lang:
            sections[-1] = Section(sections[-1].start, end, lang)
        else:
            sections.append(Section(start, end, lang))
    return sections


def load_documents(paths: Sequence[Path], max_bytes: int, progress: bool = True) -> tuple[list[Document], list[str]]:
    """Load every supported file under ``paths``. A bad file becomes a warning ("skipped <source>:
    <reason>", also logged on ``rag.ingest``) and never stops the batch."""
    warnings: list[str] = []

    def warn(message: str) -> None:
        warnings.append(message)
        log.warning(message)

    files: list[tuple[Path, str]] = []
    seen_paths: set[Path] = set()
    seen_sources: set[str] = set()
    for given in paths:
        try:
            listed = iter_source_files([given])
        except InputError as exc:
            warn(f"skipped {given}: {exc.message}")
            continue
        for path, source in listed:
            if path.resolve() in seen_paths:
                continue
            seen_paths.add(path.resolve())
            if source in seen_sources:  # citations name sources, so they must be unique
                warn(f"skipped {source} ({path}): another file already uses this source name")
                continue
            seen_sources.add(source)
            files.append((path, source))

    documents: list[Document] = []
    for path, source in tqdm(files, desc="read", unit="file", disable=not progress or not files):
        try:
            documents.append(build_document(load_file(path, source, max_bytes)))
        except InputError as exc:
            warn(f"skipped {source}: {exc.message}")
        except Exception as exc:  # a parser bug on one odd file must not lose the whole batch
            log.debug("unexpected error on %s", path, exc_info=True)
            warn(f"skipped {source}: unexpected error ({type(exc).__name__}: {exc})")
    return documents, warnings
