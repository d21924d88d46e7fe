"""What happens when a user asks, clicks a citation, uploads or removes a document.

Kept apart from the layout (ui.app) so the logic reads top to bottom without Gradio wiring in the
way. Handlers never let an exception escape: a RagError becomes its message and fix in the page, any
other error a short note (the traceback goes to the server log only), because a traceback in a
browser helps nobody and can leak paths.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer.answerer import Done, Token
from rag.errors import RagError
from rag.llm.base import Message
from rag.pipeline import validate_question
from rag.types import Answer
from ui.i18n import t
from ui.models import RagPool
from ui.render import (
    CitationView,
    citation_views,
    esc_block,
    parse_cite_href,
    passage_views,
    plain_answer,
    render_answer,
    render_documents,
    render_error,
    render_passages,
    render_source,
    render_streaming,
)
from ui.uploads import delete_upload, store_uploads

log = logging.getLogger("rag.ui")

ChatMessages = list[dict[str, str]]
# Gradio finds the progress tracker by the parameter's default; track_tqdm turns the pipeline's own tqdm
# bars (reading files, embedding chunks) into the bar shown in the page.
TRACK_TQDM = gr.Progress(track_tqdm=True)
Session = dict[str, Any]


def new_session() -> Session:
    """Per-browser-tab state: plain-text history for the model, and each answer's citations by turn."""
    return {"history": [], "cites": [], "opened": None}


def error_html(exc: BaseException, lang: str) -> str:
    if isinstance(exc, RagError):
        return render_error(exc.message, exc.fix, lang)
    log.exception("unexpected error in the web UI", exc_info=exc)
    return render_error(t("internal_error", lang, kind=type(exc).__name__), None, lang)


def _toast(exc: BaseException, lang: str) -> None:
    """A short toast as well as the error box: the box may be scrolled out of view."""
    message = exc.message if isinstance(exc, RagError) else t("internal_error", lang, kind=type(exc).__name__)
    gr.Warning(message, title=t("error", lang))


class Handlers:
    def __init__(self, pool: RagPool) -> None:
        self.pool = pool

    @property
    def uploads_dir(self) -> Path:
        return Path(self.pool.settings.index_dir) / "uploads"

    # -- chat -------------------------------------------------------------------------------------
    def ask(self, question: str, chat: ChatMessages | None, session: Session, model: str, top_k: float,
            answer_lang: str, ui_lang: str) -> Iterator[tuple[Any, ...]]:
        """Stream one answer. Yields (chat, question box, session, error box, passages)."""
        chat = list(chat or [])
        try:
            q = validate_question(question)
        except RagError as exc:
            _toast(exc, ui_lang)
            yield chat, question, session, error_html(exc, ui_lang), gr.skip()
            return
        turn = len(session["cites"])
        chat += [{"role": "user", "content": esc_block(q)},
                 {"role": "assistant", "content": render_streaming("")}]
        yield list(chat), "", session, "", gr.skip()

        answer: Answer | None = None
        try:
            rag = self.pool.get(model)
            # One request at a time uses the model (concurrency limit 1), so per-request settings can
            # be set on the shared object without another user seeing them mid-answer.
            rag.settings.top_k = max(1, int(top_k))
            text = ""
            language = None if answer_lang in ("", "auto") else answer_lang
            history: list[Message] = list(session["history"])
            for event in rag.ask_stream(q, history=history, language=language):
                if isinstance(event, Token):
                    text += event.text
                    chat[-1] = {"role": "assistant", "content": render_streaming(text)}
                    yield list(chat), "", session, "", gr.skip()
                elif isinstance(event, Done):
                    answer = event.answer
            if answer is None:
                raise RuntimeError("the answer stream ended without a result")
        except Exception as exc:
            _toast(exc, ui_lang)
            # Drop the half-made turn and give the question back, so retrying is one click.
            yield chat[:-2], q, session, error_html(exc, ui_lang), gr.skip()
            return

        views = citation_views(answer)
        session = {
            "history": [*session["history"], {"role": "user", "content": q},
                        {"role": "assistant", "content": plain_answer(answer.answer)}],
            "cites": [*session["cites"], views],
            "opened": session.get("opened"),
        }
        chat[-1] = {"role": "assistant",
                    "content": render_answer(answer.answer, turn, [v["n"] for v in views], ui_lang)}
        passages = render_passages(passage_views(answer, rag.settings.top_k), answer.rewritten_query, ui_lang,
                                   timings=answer.timings, model=answer.model, warnings=answer.warnings)
        yield chat, "", session, "", passages

    def open_citation(self, session: Session, ui_lang: str, evt: gr.EventData) -> tuple[str, Session]:
        """A click on [n] in an answer: show that citation's passage with its support highlighted."""
        data = getattr(evt, "_data", None)
        href = str(data.get("cite", "")) if isinstance(data, dict) else ""
        key = parse_cite_href(href)
        if key is None:
            return gr.skip(), session
        session = {**session, "opened": list(key)}
        return self.source_html(session, ui_lang), session

    def source_html(self, session: Session, ui_lang: str) -> str:
        opened = session.get("opened")
        if not opened:
            return render_source(None, ui_lang)
        turn, n = int(opened[0]), int(opened[1])
        view = find_citation(session, turn, n)
        return render_source(view, ui_lang, gone=view is None, key=f"{turn}-{n}")

    # -- documents ---------------------------------------------------------------------------------
    def documents(self, ui_lang: str) -> tuple[str, Any]:
        """(table HTML, dropdown update listing the removable sources)."""
        try:
            docs = self.pool.primary.documents()
        except Exception as exc:
            return error_html(exc, ui_lang), gr.update(choices=[], value=None)
        sources = [str(d.get("source")) for d in docs]
        return render_documents(docs, ui_lang), gr.update(choices=sources, value=None)

    def add_documents(self, files: list[str] | None, ui_lang: str,
                      progress: gr.Progress = TRACK_TQDM) -> tuple[Any, ...]:
        """Upload -> checked copies in the uploads folder -> ingestion with a progress bar -> report.
        Returns (status text, documents table, remove dropdown, file input reset)."""
        if not files:
            return t("no_files", ui_lang), gr.skip(), gr.skip(), None
        settings = self.pool.settings
        max_bytes = int(settings.max_file_mb * 1024 * 1024)
        lines: list[str] = []
        try:
            taken = [str(d.get("source")) for d in self.pool.primary.documents()]
            stored = store_uploads(files, self.uploads_dir, max_bytes, taken)
            for r in stored.rejected:
                lines.append(f"✗ {r.name}: {t(r.reason, ui_lang, **r.values)}")
            if stored.paths:
                progress(0, desc=t("indexing", ui_lang))
                report = self.pool.primary.ingest(stored.paths, progress=True)
                lines.insert(0, t("added", ui_lang, names=", ".join(p.name for p in stored.paths)))
                lines.insert(1, report.summary())
                lines += [f"✗ {s}" for s in report.skipped]
            if stored.rejected or not stored.paths:
                gr.Warning("\n".join(lines) or t("no_files", ui_lang), title=t("skipped", ui_lang))
        except Exception as exc:
            _toast(exc, ui_lang)
            lines.append(f"{t('error', ui_lang)}: {exc.message if isinstance(exc, RagError) else type(exc).__name__}")
            if isinstance(exc, RagError) and exc.fix:
                lines.append(f"{t('fix', ui_lang)}: {exc.fix}")
            if not isinstance(exc, RagError):
                log.exception("ingestion from the web UI failed")
        table, dropdown = self.documents(ui_lang)
        return "\n".join(lines), table, dropdown, None

    def remove_document(self, source: str | None, ui_lang: str) -> tuple[str, str, Any]:
        """(status, table, dropdown). The stored upload goes too, so it cannot come back by accident."""
        if not source:
            status = t("pick_first", ui_lang)
        else:
            try:
                removed = self.pool.primary.remove(source)
                if removed:
                    delete_upload(self.uploads_dir, source)
                status = t("removed" if removed else "not_indexed", ui_lang, source=source)
            except Exception as exc:
                _toast(exc, ui_lang)
                status = f"{t('error', ui_lang)}: {exc.message if isinstance(exc, RagError) else type(exc).__name__}"
        table, dropdown = self.documents(ui_lang)
        return status, table, dropdown


def find_citation(session: Session, turn: int, n: int) -> CitationView | None:
    cites = session.get("cites") or []
    if not 0 <= turn < len(cites):
        return None
    return next((v for v in cites[turn] if int(v.get("n", -1)) == n), None)
