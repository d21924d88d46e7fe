"""Answers, sources, passages and document lists -> HTML, as pure functions.

Everything shown here comes from documents a user uploaded or from a language model, so all of it is
untrusted: each function escapes the text FIRST and only then adds its own markup (<mark>, citation
links, tables). Gradio's own sanitiser is a second line of defence, not the first. Keeping the
rendering pure (no Gradio, no model) lets a fast unit test pin the escaping down.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rag.present import closest, evidence
from rag.types import Answer
from ui.i18n import LABELS, t

# The answerer's citation markers: [1], [2, 3], [1; 4] (same grammar as rag.answer.verify.CITE_RE).
CITE_RE = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
CITE_HREF_RE = re.compile(r"^#?cite-(\d{1,4})-(\d{1,2})$")

CitationView = dict[str, Any]
PassageView = dict[str, Any]


def esc(text: object) -> str:
    """HTML-escape anything (None -> ""), quotes included so it is safe inside attributes too."""
    return html.escape("" if text is None else str(text), quote=True)


def esc_block(text: object) -> str:
    """Escaped text whose line breaks survive in HTML (the chat renders HTML, not markdown)."""
    return esc(text).replace("\r\n", "\n").replace("\n", "<br>")


def cite_href(turn: int, n: int) -> str:
    """The link target that identifies one citation of one answer. Gradio's sanitiser drops data-*
    attributes but keeps href, so the turn and number travel in the href."""
    return f"#cite-{turn}-{n}"


def parse_cite_href(value: str) -> tuple[int, int] | None:
    """(turn, n) from a citation link's href, or None for anything else (the value comes from the
    browser, so it is validated rather than trusted)."""
    m = CITE_HREF_RE.match((value or "").strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def render_answer(text: str, turn: int, cited: Iterable[int], lang: str = "en") -> str:
    """The final answer as chat HTML: escaped text, each known [n] a link that opens its source.

    A marker whose number has no citation (the verifier dropped it) stays plain text: a link to
    nothing would be worse than no link. Groups such as [1, 2] become one link per number.
    """
    known = set(cited)
    title = esc(t("source", lang))

    def link(m: re.Match[str]) -> str:
        nums = [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))]
        if not any(n in known for n in nums):
            return m.group(0)
        return "".join(
            f'<a href="{cite_href(turn, n)}" class="cite" title="{title} {n}">[{n}]</a>' if n in known
            else f"[{n}]"
            for n in nums
        )

    # Escaping leaves digits, brackets, commas and semicolons alone, so markers can be found after it.
    return CITE_RE.sub(link, esc_block(text.strip()))


def plain_answer(text: str) -> str:
    """An answer as history for the next turn: [n] markers removed, because they point at the previous
    turn's passages and would mislead the model about the new ones."""
    return re.sub(r"\s+([.,;:!?])", r"\1", CITE_RE.sub("", text)).strip()


def find_quote(passage: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` sits in ``passage``: exactly, else ignoring case and runs of white space
    (chunking and cleaning may re-flow lines). None when it cannot be found."""
    quote = (quote or "").strip()
    if not quote or not passage:
        return None
    i = passage.find(quote)
    if i >= 0:
        return i, i + len(quote)
    norm_chars: list[str] = []
    index: list[int] = []
    prev_space = False
    for pos, ch in enumerate(passage):
        if ch.isspace():
            if prev_space:
                continue
            prev_space = True
            norm_chars.append(" ")
        else:
            prev_space = False
            norm_chars.append(ch.lower())
        index.append(pos)
    needle = re.sub(r"\s+", " ", quote).lower()
    j = "".join(norm_chars).find(needle)
    if j < 0:
        return None
    return index[j], index[j + len(needle) - 1] + 1


def highlight(passage: str, quote: str) -> tuple[str, bool]:
    """The passage as HTML with the supporting quote in <mark>; (html, whether it was found).

    The three pieces are escaped separately and the <mark> added between them, so a quote can never
    open or close markup of its own.
    """
    span = find_quote(passage, quote)
    if span is None:
        return esc_block(passage), False
    s, e = span
    return (f"{esc_block(passage[:s])}<mark>{esc_block(passage[s:e])}</mark>{esc_block(passage[e:])}",
            True)


def highlight_span(text: str, start: int, end: int, *, mark: bool = True) -> tuple[str, bool]:
    """``text`` as HTML with [start, end) in <mark> (or in a plain span when ``mark`` is False)."""
    if not 0 <= start < end <= len(text):
        return esc_block(text), False
    tag = ("<mark>", "</mark>") if mark else ('<span class="near">', "</span>")
    return f"{esc_block(text[:start])}{tag[0]}{esc_block(text[start:end])}{tag[1]}{esc_block(text[end:])}", True


def citation_views(answer: Answer) -> list[CitationView]:
    """What the chat and the source panel need for each citation, as plain data (kept in per-session
    state): the evidence sentence (never a bare date: see rag.present) and its span in the document.

    Citations carry no date or language, so those come from the retrieved chunk they name.
    """
    chunks = {h.chunk.id: h.chunk for h in answer.passages}
    found = {e.n: e for e in evidence(answer)}
    views: list[CitationView] = []
    for c in answer.citations:
        chunk = chunks.get(c.chunk_id)
        ev = found.get(c.n)
        views.append({
            "n": c.n,
            "source": c.source,
            "title": chunk.title if chunk else "",
            "date": chunk.date if chunk else None,
            "lang": chunk.lang if chunk else "",
            "text": c.text,
            "quote": ev.quote if ev else c.quote,
            "start": ev.start if ev else c.start,
            "end": ev.end if ev else c.end,
            "verified": c.verified,
            "support": c.support,
        })
    return views


def closest_views(answer: Answer, k: int = 3) -> list[CitationView]:
    """The passages closest to a declined question, numbered 1..k like citations so the same links
    open them in the source panel (nothing is highlighted: nothing in them answers the question)."""
    return [{
        "n": i,
        "source": h.chunk.source,
        "title": h.chunk.title,
        "date": h.chunk.date,
        "lang": h.chunk.lang,
        "text": h.chunk.text,
        "quote": "",
        "start": h.chunk.start,
        "end": h.chunk.end,
        "closest": True,
    } for i, h in enumerate(closest(answer, k), 1)]


def document_window(doc_text: str, start: int, end: int, chars: int = 1500) -> dict[str, Any]:
    """The document around a span: about ``chars`` characters either side, cut at paragraph (else
    sentence, else word) boundaries so the panel never starts or ends mid-sentence."""
    start, end = max(0, min(start, len(doc_text))), max(0, min(end, len(doc_text)))
    lo, hi = max(0, start - chars), min(len(doc_text), end + chars)
    if lo > 0:  # start after the first paragraph or sentence break inside the window
        cuts = [i for i in (doc_text.find("\n\n", lo, start), doc_text.find(". ", lo, start)) if i >= 0]
        lo = min(cuts) + 2 if cuts else lo
    if hi < len(doc_text):  # end at the last break inside it
        cuts = [i for i in (doc_text.rfind("\n\n", end, hi), doc_text.rfind(". ", end, hi)) if i >= 0]
        hi = max(cuts) + 1 if cuts else hi
    return {"text": doc_text[lo:hi], "start": start - lo, "end": end - lo,
            "head": lo > 0, "tail": hi < len(doc_text)}


def passage_views(answer: Answer, top_k: int) -> list[PassageView]:
    """The retrieval result as plain data, marking which passages the model actually read."""
    return [{
        "rank": i + 1,
        "score": h.score,
        "source": h.chunk.source,
        "lang": h.chunk.lang,
        "date": h.chunk.date,
        "text": h.chunk.text,
        "given": i < top_k,
    } for i, h in enumerate(answer.passages)]


def _meta_row(label: str, value: object) -> str:
    return f"<tr><th>{esc(label)}</th><td>{esc(value) if value not in (None, '') else '—'}</td></tr>"


def render_source(view: Mapping[str, Any] | None, lang: str = "en", *, gone: bool = False,
                  key: str = "") -> str:
    """The source panel: file name, title, date, language, and the passage with its support marked.
    ``key`` ("<turn>-<n>") is written into the markup so scripts and tests can tell which citation
    the panel shows."""
    if view is None:
        key = "source_gone" if gone else "source_hint"
        return f'<div class="src-panel src-empty"><p>{esc(t(key, lang))}</p></div>'
    context = view.get("context")
    if isinstance(context, Mapping):
        body, found = highlight_span(str(context["text"]), int(context["start"]), int(context["end"]),
                                     mark=not view.get("closest"))
        body = ("… " if context.get("head") else "") + body + (" …" if context.get("tail") else "")
    else:
        body, found = highlight(str(view.get("text", "")), str(view.get("quote", "")))
    found = found or bool(view.get("closest"))
    support = float(view.get("support") or 0.0)
    verdict = t("closest_note" if view.get("closest") else "verified" if view.get("verified") else "unverified",
                lang)
    note = "" if found else f'<p class="src-note">{esc(t("no_highlight", lang))}</p>'
    return (
        f'<div class="src-panel" data-cite="{esc(key)}">'
        f'<h3 class="src-head"><span class="src-n">[{esc(view.get("n"))}]</span> '
        f'<span class="src-file">{esc(view.get("source"))}</span></h3>'
        '<table class="src-meta">'
        + _meta_row(t("file", lang), view.get("source"))
        + _meta_row(t("doc_title", lang), view.get("title"))
        + _meta_row(t("date", lang), view.get("date"))
        + _meta_row(t("language", lang), view.get("lang"))
        + "</table>"
        f'<p class="src-support">{esc(verdict)}{"" if view.get("closest") else f" ({support:.2f})"}</p>'
        f'<blockquote class="src-text">{body}</blockquote>{note}'
        "</div>"
    )


def render_passages(passages: Sequence[Mapping[str, Any]], rewritten: str | None, lang: str = "en",
                    *, timings: Mapping[str, float] | None = None, model: str = "",
                    warnings: Sequence[str] = ()) -> str:
    """The "retrieved passages" accordion: the rewritten query, each passage with its score, and the
    answer's timings and warnings (useful when an answer looks wrong: was the right text retrieved?)."""
    if not passages and not rewritten:
        return f'<div class="passages"><p>{esc(t("passages_none", lang))}</p></div>'
    parts = ['<div class="passages">']
    if rewritten:
        parts.append(f'<p class="rewritten"><b>{esc(t("rewritten", lang))}:</b> {esc(rewritten)}</p>')
    info = []
    if model:
        info.append(f"{esc(t('model_used', lang))}: {esc(model)}")
    if timings:
        info.append(f"{esc(t('timings', lang))}: "
                    + ", ".join(f"{esc(t('t_' + k, lang) if 't_' + k in LABELS else k)} {float(v):.1f}s"
                                for k, v in timings.items()))
    if info:
        parts.append(f'<p class="answer-info">{" · ".join(info)}</p>')
    if warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
        parts.append(f'<details class="answer-notes"><summary>{esc(t("notes", lang))}</summary>'
                     f"<ul>{items}</ul></details>")
    parts.append("<ol class='passage-list'>")
    for p in passages:
        given = f' <span class="given">· {esc(t("given_to_model", lang))}</span>' if p.get("given") else ""
        parts.append(
            f'<li class="passage"><div class="passage-head"><b>{esc(p.get("source"))}</b> · '
            f'{esc(t("score", lang))} {float(p.get("score") or 0.0):.4f} · {esc(p.get("lang"))}'
            f'{" · " + esc(p.get("date")) if p.get("date") else ""}{given}</div>'
            f'<div class="passage-text">{esc_block(p.get("text"))}</div></li>'
        )
    parts.append("</ol></div>")
    return "".join(parts)


def render_documents(docs: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    """The indexed-documents table. Titles come from the documents themselves, hence escaped."""
    if not docs:
        return f'<div class="doc-list"><p>{esc(t("no_docs", lang))}</p></div>'
    head = "".join(f"<th>{esc(t(k, lang))}</th>" for k in ("file", "doc_title", "date", "language"))
    rows = "".join(
        f"<tr><td>{esc(d.get('source'))}</td><td>{esc(d.get('title'))}</td>"
        f"<td>{esc(d.get('date') or '')}</td><td>{esc(d.get('lang') or '')}</td></tr>"
        for d in docs
    )
    count = esc(t("doc_count", lang, n=len(docs)))
    return (f'<div class="doc-list"><p>{count}</p><table class="doc-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


def render_error(message: str, fix: str | None, lang: str = "en") -> str:
    """A readable error box (what went wrong, and how to fix it) — never a traceback."""
    fix_html = f'<p class="error-fix"><b>{esc(t("fix", lang))}:</b> <code>{esc(fix)}</code></p>' if fix else ""
    return (f'<div class="error-box" role="alert"><p><b>{esc(t("error", lang))}:</b> {esc(message)}</p>'
            f"{fix_html}</div>")
