"""What happens when a user asks, clicks a citation, uploads or removes a document.

Kept apart from the layout (ui.app) so the logic reads top to bottom without Gradio wiring in the
way. Handlers never let an exception escape: a RagError becomes its message and fix in the page, any
other error a short note (the traceback goes to the server log only), because a traceback in a
browser helps nobody and can leak paths.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer.answerer import Done, ModelTurn, Token
from rag.errors import RagError
from rag.llm.base import Message
from rag.pipeline import validate_question
from rag.present import abstain_reason, provenance
from rag.types import Answer
from ui.bubbles import render_provisional, render_refusal, render_searching, render_settled, render_waiting
from ui.gradio_i18n import CANCELLED
from ui.i18n import t
from ui.models import RagPool
from ui.queue import Gate, Ticket
from ui.render import (
    CitationView,
    citation_views,
    closest_views,
    document_window,
    esc_block,
    parse_cite_href,
    passage_views,
    plain_answer,
    render_documents,
    render_error,
    render_passages,
    render_source,
)
from ui.uploads import delete_upload, store_uploads, stored_upload, upload_report

log = logging.getLogger("rag.ui")

ChatMessages = list[dict[str, Any]]
# Gradio finds the progress tracker by the parameter's default; track_tqdm turns the pipeline's own tqdm
# bars (reading files, embedding chunks) into the bar shown in the page.
TRACK_TQDM = gr.Progress(track_tqdm=True)
Session = dict[str, Any]
WAIT_POLL_S = 0.5  # how often a waiting question re-reads its place in line
STREAM_EVERY_S = 0.15  # at most this often a streamed draft is re-sent to the browser


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
    def __init__(self, pool: RagPool, gate: Gate | None = None) -> None:
        self.pool = pool
        self.gate = gate or Gate(1)

    @property
    def uploads_dir(self) -> Path:
        return Path(self.pool.settings.index_dir) / "uploads"

    # -- chat -------------------------------------------------------------------------------------
    def ask(self, question: str, chat: ChatMessages | None, session: Session, model: str, top_k: float,
            answer_lang: str, ui_lang: str) -> Iterator[tuple[Any, ...]]:
        """Show the question at once, wait visibly for a model turn, stream a provisional draft, then
        the settled answer. Yields (chat, question box, session, error box, passages)."""
        chat = list(chat or [])
        try:
            q = validate_question(question)
        except RagError as exc:
            _toast(exc, ui_lang)
            if chat and chat[-1].get("role") == "user" and message_text(chat[-1]) == esc_block(question.strip()):
                chat = chat[:-1]
            yield chat, question, session, error_html(exc, ui_lang), gr.skip()
            return
        turn = len(session["cites"])
        if chat and chat[-1].get("role") == "user" and message_text(chat[-1]) == esc_block(q):
            chat = chat[:-1]  # the browser already showed the question (ui.app.ECHO_JS); it is re-added here
        # The question and a "searching" bubble at once: retrieval and a typed answer read by rules run
        # beside other users' answers; only a turn of the shared model is queued (see _wait_for_model).
        chat += [{"role": "user", "content": esc_block(q)},
                 {"role": "assistant", "content": render_searching(ui_lang)}]
        yield list(chat), "", session, "", gr.skip()
        yield from self._answer(q, chat, session, turn, model, top_k, answer_lang, ui_lang)

    def _wait_for_model(self, ticket: Ticket, chat: ChatMessages, session: Session,
                        ui_lang: str) -> Iterator[tuple[Any, ...]]:
        """Wait in line for the model, showing the place and a rough wait whenever they change."""
        shown = None
        while not self.gate.wait(ticket, 0.0 if shown is None else WAIT_POLL_S):
            waiting = (self.gate.position(ticket), round(self.gate.estimate_s(ticket)))
            if waiting != shown:
                shown = waiting
                chat[-1] = {"role": "assistant", "content": render_waiting(*waiting, ui_lang)}
                yield list(chat), "", session, "", gr.skip()
        chat[-1] = {"role": "assistant", "content": render_searching(ui_lang, model=True)}
        yield list(chat), "", session, "", gr.skip()

    def _answer(self, q: str, chat: ChatMessages, session: Session, turn: int, model: str, top_k: float,
                answer_lang: str, ui_lang: str) -> Iterator[tuple[Any, ...]]:
        answer: Answer | None = None
        text = ""
        ticket: Ticket | None = None
        prepping = False
        try:
            rag = self.pool.get(model)
            language = None if answer_lang in ("", "auto") else answer_lang
            history: list[Message] = list(session["history"])
            last = 0.0
            self.gate.prep_begin()
            prepping = True
            for event in rag.ask_stream(q, history=history, language=language, top_k=max(1, int(top_k))):
                if prepping and isinstance(event, (ModelTurn, Done)):
                    self.gate.prep_end()
                    prepping = False
                if ticket is not None:
                    self.gate.yield_to_prep()  # between tokens: others' retrieval goes first
                if isinstance(event, ModelTurn) and ticket is None:
                    ticket = self.gate.enter()
                    yield from self._wait_for_model(ticket, chat, session, ui_lang)
                    self.gate.yield_to_prep()
                elif isinstance(event, Token):
                    text += event.text
                    now = time.monotonic()
                    if now - last >= STREAM_EVERY_S:  # each yield re-sends the chat; a few per second is enough
                        last = now
                        chat[-1] = {"role": "assistant", "content": render_provisional(text, ui_lang)}
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
        finally:
            if prepping:
                self.gate.prep_end()
            if ticket is not None:  # the model is free for the next in line as soon as the text is written
                self.gate.leave(ticket)

        reason = abstain_reason(answer)
        views = closest_views(answer) if reason else citation_views(answer)
        views = self._with_documents(rag, views)
        session = {
            "history": [*session["history"], {"role": "user", "content": q},
                        {"role": "assistant", "content": plain_answer(answer.answer)}],
            "cites": [*session["cites"], views],
            "opened": session.get("opened"),
        }
        if reason:
            content = render_refusal(answer.answer, reason, turn, views, ui_lang, withdrawn=bool(text.strip()))
        else:
            content = render_settled(answer.answer, turn, views, ui_lang,
                                     provenance(answer, rag.settings.llm_reads.split(",")))
        chat[-1] = {"role": "assistant", "content": content}
        passages = render_passages(passage_views(answer, max(1, int(top_k))), answer.rewritten_query, ui_lang,
                                   timings=answer.timings, model=answer.model, warnings=answer.warnings)
        yield chat, "", session, "", passages

    @staticmethod
    def _with_documents(rag: Any, views: list[CitationView]) -> list[CitationView]:
        """Each view with the document around its span, for the source panel (the passage alone when
        the document text cannot be read)."""
        texts: dict[str, str | None] = {}
        out = []
        for v in views:
            source = str(v["source"])
            if source not in texts:
                try:
                    texts[source] = rag.store.document_text(source)
                except Exception:  # an index written by an older version, or a document just removed
                    texts[source] = None
            doc = texts[source]
            out.append({**v, "context": document_window(doc, int(v["start"]), int(v["end"]))} if doc else v)
        return out

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
        A file that could not be indexed is named with the reason and its copy deleted, so it neither
        counts as "Indexed" nor comes back on a later re-ingest of the uploads folder.
        Returns (status text, documents table, remove dropdown, file input reset)."""
        if not files:
            return t("no_files", ui_lang), gr.skip(), gr.skip(), None
        settings = self.pool.settings
        max_bytes = int(settings.max_file_mb * 1024 * 1024)
        lines: list[str] = []
        failed = False
        try:
            with self.gate.turn():
                taken = [str(d.get("source")) for d in self.pool.primary.documents()]
                stored = store_uploads(files, self.uploads_dir, max_bytes, taken)
                lines += [f"✗ {r.name}: {t(r.reason, ui_lang, **r.values)}" for r in stored.rejected]
                if stored.paths:
                    progress(0, desc=t("indexing", ui_lang))
                    before = self.pool.primary.documents()
                    report = self.pool.primary.ingest(stored.paths, progress=True)
                    after = self.pool.primary.documents()
                    lines = upload_report(stored.paths, report, before, after, ui_lang) + lines
            failed = any(line.startswith("✗") for line in lines)
        except Exception as exc:
            _toast(exc, ui_lang)
            failed = True
            lines.append(f"{t('error', ui_lang)}: {exc.message if isinstance(exc, RagError) else type(exc).__name__}")
            if isinstance(exc, RagError) and exc.fix:
                lines.append(f"{t('fix', ui_lang)}: {exc.fix}")
            if not isinstance(exc, RagError):
                log.exception("ingestion from the web UI failed")
        if failed:
            gr.Warning("\n".join(line for line in lines if line.startswith("✗")) or t("no_files", ui_lang),
                       title=t("skipped", ui_lang))
        table, dropdown = self.documents(ui_lang)
        return "\n".join(lines), table, dropdown, None

    def remove_document(self, source: str | None, ui_lang: str) -> tuple[Any, Any, Any]:
        """(status, table, dropdown). The stored upload goes too, so it cannot come back by accident.
        The browser asked for confirmation first; a declined confirmation changes nothing."""
        if source == CANCELLED:
            return gr.skip(), gr.skip(), gr.skip()
        if not source:
            status = t("pick_first", ui_lang)
        else:
            try:
                with self.gate.turn():
                    doc = next((d for d in self.pool.primary.documents() if d.get("source") == source), None)
                    removed = self.pool.primary.remove(source)
                copy = stored_upload(self.uploads_dir, str(doc.get("path") or "") if doc else None)
                if removed and copy is not None:
                    copy.unlink()
                elif removed:
                    delete_upload(self.uploads_dir, source)
                status = t("removed" if removed else "not_indexed", ui_lang, source=source)
            except Exception as exc:
                _toast(exc, ui_lang)
                status = f"{t('error', ui_lang)}: {exc.message if isinstance(exc, RagError) else type(exc).__name__}"
        table, dropdown = self.documents(ui_lang)
        return status, table, dropdown


def message_text(message: dict[str, Any]) -> str:
    """A chat message's HTML, whether Gradio hands it back as a string or as a list of text parts."""
    content = message.get("content", "")
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def find_citation(session: Session, turn: int, n: int) -> CitationView | None:
    cites = session.get("cites") or []
    if not 0 <= turn < len(cites):
        return None
    return next((v for v in cites[turn] if int(v.get("n", -1)) == n), None)
