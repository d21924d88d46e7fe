"""The assistant's chat bubble in each of its states, as HTML: waiting in the queue, searching, a
provisional draft, the settled answer with its evidence, and a refusal with the closest passages.

The rule the states enforce: nothing is ever shown *as an answer* and then withdrawn. Until
verification ends, the model's text sits in a muted ``provisional`` block headed "checking sources…";
only the settled answer uses ``answer-final``, and it never changes afterwards. Everything from
documents or the model is escaped first (see ui.render).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ui.i18n import t
from ui.render import cite_href, esc, esc_block, render_answer

CitationView = dict[str, Any]


def render_waiting(position: int, seconds: float, lang: str) -> str:
    """A question waiting for the model: its place in line and a rough wait, never a frozen page."""
    return (f'<div class="turn-wait" data-position="{position}"><span class="spinner"></span> '
            f'{esc(t("queue_wait", lang, n=position, s=max(1, round(seconds))))}</div>')


def render_searching(lang: str, *, model: bool = False) -> str:
    """Retrieval is running (``model`` False), or the model's turn has started and its first tokens
    are on the way (True)."""
    return (f'<div class="provisional"><div class="checking"><span class="spinner"></span> '
            f'{esc(t("writing" if model else "searching", lang))}</div></div>')


def render_provisional(text: str, lang: str) -> str:
    """The model's draft while it is written: muted, marked as not yet checked, no citation links."""
    return (f'<div class="provisional"><div class="checking"><span class="spinner"></span> '
            f'{esc(t("checking", lang))}</div><div class="draft">{esc_block(text.lstrip())}'
            ' <span class="cursor">▌</span></div></div>')


def _cut(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def render_settled(text: str, turn: int, views: Sequence[Mapping[str, Any]], lang: str, made: str | None = None) -> str:
    """The verified answer, how it was made (``made``: a ``rag.present.provenance`` key), then each
    supporting sentence quoted in its own language with its passage number and document title, so a
    wrong answer can be seen at a glance without a click."""
    answer = render_answer(text, turn, [int(v["n"]) for v in views], lang)
    note = f'<p class="provenance {esc(made)}">{esc(t(made, lang))}</p>' if made else ""
    rows = []
    for v in views:
        rows.append(
            f'<div class="evidence-row"><a href="{cite_href(turn, int(v["n"]))}" class="cite">[{esc(v["n"])}]</a> '
            f'<span class="ev-quote">\u201c{esc(_cut(v.get("quote") or "", 400))}\u201d</span> '
            f'<span class="ev-doc">— {esc(v.get("title") or v.get("source"))}</span></div>')
    evidence = (f'<div class="evidence"><div class="ev-label">{esc(t("evidence", lang))}</div>{"".join(rows)}</div>'
                if rows else "")
    return f'<div class="answer-final">{answer}</div>{note}{evidence}'


def render_refusal(text: str, reason: str, turn: int, views: Sequence[Mapping[str, Any]], lang: str,
                   *, withdrawn: bool = False) -> str:
    """A declined question: the plain refusal, why (in the interface language), and the closest
    passages as links that open them in the source panel."""
    notes = [t(reason, lang)]
    if withdrawn:
        notes.insert(0, t("withdrawn", lang))
    parts = [f'<div class="answer-final refusal">{esc_block(text)}</div>']
    parts += [f'<p class="refusal-reason">{esc(n)}</p>' for n in notes]
    if views:
        items = "".join(
            f'<li><a href="{cite_href(turn, int(v["n"]))}" class="cite closest-link">'
            f'{esc(v.get("title") or v.get("source"))}</a>: '
            f'<span class="closest-text">{esc(_cut(v.get("text") or "", 220))}</span></li>'
            for v in views)
        parts.append(f'<div class="closest"><div class="ev-label">{esc(t("closest", lang))}</div>'
                     f"<ol>{items}</ol></div>")
    return "".join(parts)
