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

from rag.types import Answer
from ui.i18n import t

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


def render_streaming(text: str) -> str:
    """The answer while it is still being generated: escaped, no links yet (the verifier has not
    decided which citations stand), with a cursor so the user sees it is not finished."""
    return esc_block(text.lstrip()) + ' <span class="cursor">▌</span>'


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


def citation_views(answer: Answer) -> list[CitationView]:
    """What the source panel needs for each citation, as plain data (kept in per-session state).

    Citations carry no date or language, so those come from the retrieved chunk they name.
    """
    chunks = {h.chunk.id: h.chunk for h in answer.passages}
    views: list[CitationView] = []
    for c in answer.citations:
        chunk = chunks.get(c.chunk_id)
        views.append({
            "n": c.n,
            "source": c.source,
            "title": chunk.title if chunk else "",
            "date": chunk.date if chunk else None,
            "lang": chunk.lang if chunk else "",
            "text": c.text,
            "quote": c.quote,
            "verified": c.verified,
            "support": c.support,
        })
    return views


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
    body, found = highlight(str(view.get("text", "")), str(view.get("quote", "")))
    support = float(view.get("support") or 0.0)
    verdict = t("verified" if view.get("verified") else "unverified", lang)
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
        f'<p class="src-support">{esc(verdict)} ({support:.2f})</p>'
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
                    + ", ".join(f"{esc(k)} {float(v):.1f}s" for k, v in timings.items()))
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
