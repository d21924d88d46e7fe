"""The web UI's handlers and wiring with a stand-in pipeline: streaming, history, citations, errors,
uploads and removal, in well under a second. The real pipeline is exercised by test_ui_browser."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from fakes import FakeRag

from rag.errors import ModelMissingError
from rag.settings import Settings
from ui.app import build_app
from ui.gradio_i18n import CANCELLED
from ui.handlers import Handlers, new_session
from ui.models import RagPool
from ui.queue import Gate


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", llm="default", top_k=4, max_file_mb=1)


@pytest.fixture(autouse=True)
def _quiet_toasts() -> Iterator[None]:
    """gr.Warning outside a request only warns; that is expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _handlers(rag: FakeRag) -> Handlers:
    return Handlers(RagPool(rag))  # type: ignore[arg-type]


def test_ask_streams_then_renders_links_and_keeps_plain_history(settings: Settings) -> None:
    rag = FakeRag(settings)
    h = _handlers(rag)
    steps = list(h.ask("When is the forum?", [], new_session(), "default", 2, "auto", "en"))
    chat, box, session, error, passages = steps[-1]
    first_chat = steps[0][0]
    assert first_chat[0] == {"role": "user", "content": "When is the forum?"}  # the question shows at once
    assert "searching the documents" in first_chat[-1]["content"]
    drafts = [s[0][-1]["content"] for s in steps[1:-1] if "It is on" in s[0][-1]["content"]]
    assert drafts and all('class="provisional"' in d and "checking sources" in d and "answer-final" not in d
                          for d in drafts)
    assert chat[0] == {"role": "user", "content": "When is the forum?"}
    final = chat[-1]["content"]
    assert '<a href="#cite-0-1" class="cite"' in final and "cursor" not in final and "provisional" not in final
    # The evidence sentence is in the bubble itself, with its passage number and document title.
    assert 'class="evidence"' in final and "“tədbir mayın 5-8-də keçiriləcək”" in final
    assert "— Seed" in final
    assert box == "" and error == ""
    assert "0.0300" in passages and "000.txt" in passages
    assert rag.asked[0] == {"q": "When is the forum?", "history": [], "language": None, "top_k": 2}
    assert session["history"][-1] == {"role": "assistant", "content": "It is on 5-8 May."}

    # A follow-up carries the history; its citations are numbered by turn.
    steps = list(h.ask("And where?", chat, session, "default", 4, "ru", "en"))
    chat, _, session, _, _ = steps[-1]
    assert rag.asked[1]["history"] == [{"role": "user", "content": "When is the forum?"},
                                       {"role": "assistant", "content": "It is on 5-8 May."}]
    assert rag.asked[1]["language"] == "ru"
    assert 'href="#cite-1-1"' in chat[-1]["content"] and len(chat) == 4

    # Clicking [1] of the first answer shows its passage, highlighted and escaped.
    panel, session = h.open_citation(session, "en", gr.EventData(None, {"cite": "#cite-0-1"}))
    assert "<mark>tədbir mayın 5-8-də keçiriləcək</mark>" in panel
    assert "&lt;b&gt;x&lt;/b&gt;" in panel and 'data-cite="0-1"' in panel
    assert session["opened"] == [0, 1]
    gone = h.source_html({**new_session(), "opened": [0, 1]}, "en")
    assert "cleared" in gone


def test_bad_citation_click_and_empty_question_are_harmless(settings: Settings) -> None:
    h = _handlers(FakeRag(settings))
    panel, _ = h.open_citation(new_session(), "en", gr.EventData(None, {"cite": "javascript:alert(1)"}))
    assert not isinstance(panel, str)  # gr.skip(): the panel stays as it was
    (chat, box, _, error, _), = list(h.ask("   ", [], new_session(), "default", 4, "auto", "en"))
    assert chat == [] and box == "   " and "empty" in error and "Traceback" not in error


def test_pipeline_errors_show_message_and_fix_and_restore_the_question(settings: Settings) -> None:
    rag = FakeRag(settings, error=ModelMissingError("model 'fast' is not provisioned", fix="rag models pull fast"))
    h = _handlers(rag)
    steps = list(h.ask("When?", [], new_session(), "default", 4, "auto", "ru"))
    chat, box, session, error, _ = steps[-1]
    assert chat == [] and box == "When?" and session["history"] == []
    assert "not provisioned" in error and "rag models pull fast" in error and "Ошибка" in error

    rag.error = RuntimeError("secret /path/in/traceback")
    chat, _, _, error, _ = list(h.ask("When?", [], new_session(), "default", 4, "auto", "en"))[-1]
    assert "RuntimeError" in error and "/path/in" not in error


def test_upload_copies_checks_and_ingests_then_remove(settings: Settings, tmp_path: Path) -> None:
    rag = FakeRag(settings)
    h = _handlers(rag)
    good = tmp_path / "My notes.txt"
    good.write_text("Lake Zorvan research station opened on 14 March 2019.")
    bad = tmp_path / "virus.exe"
    bad.write_bytes(b"MZ")
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    status, table, dropdown, reset = h.add_documents([str(good), str(bad), str(big)], "en",
                                                     progress=lambda *a, **k: None)  # type: ignore[arg-type]
    stored = settings.index_dir / "uploads" / "My_notes.txt"
    assert rag.ingested == [stored] and stored.read_text().startswith("Lake Zorvan")
    assert "Indexed: My_notes.txt (3 passages)." in status and "ingest:" not in status
    assert "virus.exe" in status and "unsupported" in status and "too large" in status
    assert "My_notes.txt" in table and "Seed &lt;i&gt;t&lt;/i&gt;" in table
    assert dropdown["choices"] and reset is None

    status, table, _ = h.remove_document("My_notes.txt", "en")
    assert "Removed" in status and "My_notes.txt" not in table and not stored.exists()
    status, _, _ = h.remove_document(None, "az")
    assert status == "Əvvəlcə sənəd seçin."


def test_build_app_wires_everything(settings: Settings) -> None:
    demo = build_app(FakeRag(settings), settings)  # type: ignore[arg-type]
    assert isinstance(demo, gr.Blocks)
    ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
    assert {"chatbot", "question", "ask", "new-chat", "source-panel", "passages", "upload", "documents",
            "remove", "ui-lang", "model", "top-k", "answer-lang"} <= ids


def test_model_pool_makes_one_rag_per_model_sharing_index_and_embedder(settings: Settings,
                                                                      tmp_path: Path) -> None:
    """Real RAG objects (no LLM is loaded: only the index and the embedder are touched)."""
    from rag.pipeline import RAG

    doc = tmp_path / "docs" / "a.txt"
    doc.parent.mkdir()
    doc.write_text("The library opens on 14 April after repairs.", encoding="utf-8")
    primary = RAG(settings)
    primary.ingest([doc], progress=False)
    pool = RagPool(primary)
    assert pool.get("default") is primary and pool.get("no-such-model") is primary
    fast = pool.get("fast")
    assert fast is not primary and fast.settings.llm == "fast"
    assert fast.settings.index_dir == settings.index_dir
    assert fast.embedder is primary.embedder and fast.store is primary.store
    assert pool.get("fast") is fast
    # A document added through either is seen by both (one index, not two copies).
    other = tmp_path / "docs" / "b.txt"
    other.write_text("The museum received 300 new paintings.", encoding="utf-8")
    fast.ingest([other], progress=False)
    assert {d["source"] for d in primary.documents()} == {"a.txt", "b.txt"}
    assert primary.remove("a.txt") and [d["source"] for d in fast.documents()] == ["b.txt"]


def test_refusal_gives_reason_and_clickable_closest_passages(settings: Settings) -> None:
    h = _handlers(FakeRag(settings, abstain=True))
    steps = list(h.ask("Who chaired it before?", [], new_session(), "default", 4, "auto", "ru"))
    chat, _, session, _, _ = steps[-1]
    final = chat[-1]["content"]
    assert "The documents do not say." in final and 'class="answer-final refusal"' in final
    assert "ни в одном из них нет того, о чём спрошено" in final  # the reason, in the interface language
    assert "Черновик отозван" in final  # a draft was streamed, so the withdrawal is explained
    assert 'href="#cite-0-1" class="cite closest-link"' in final and "Seed" in final
    panel, _ = h.open_citation(session, "ru", gr.EventData(None, {"cite": "#cite-0-1"}))
    assert "Bildirilib ki" in panel and "<mark>" not in panel and "ответа в нём нет" in panel


def test_waiting_question_shows_at_once_with_position(settings: Settings) -> None:
    """While another turn holds the model, a new question appears in the chat at once, then its place in
    line once it needs the model."""
    gate = Gate(1, first_estimate_s=30)
    h = Handlers(RagPool(FakeRag(settings)), gate)  # type: ignore[arg-type]
    busy = gate.enter()
    steps = h.ask("When is the forum?", [], new_session(), "default", 4, "auto", "az")
    chat = next(steps)[0]
    assert chat[0]["content"] == "When is the forum?" and "sənədlərdə axtarılır" in chat[-1]["content"]
    chat = next(steps)[0]
    assert 'data-position="1"' in chat[-1]["content"] and "növbədə 1-cisiniz" in chat[-1]["content"]
    assert "30 san" in chat[-1]["content"]
    assert gate.load() == (1, 1)
    gate.leave(busy)
    rest = list(steps)
    assert any("model parçaları oxuyur" in s[0][-1]["content"] for s in rest)  # its turn started
    assert "answer-final" in rest[-1][0][-1]["content"] and gate.load() == (0, 0)


def test_answer_that_needs_no_model_does_not_queue(settings: Settings) -> None:
    """A typed answer read by rules is settled while another user holds the model."""
    gate = Gate(1, first_estimate_s=30)
    h = Handlers(RagPool(FakeRag(settings, needs_model=False)), gate)  # type: ignore[arg-type]
    busy = gate.enter()
    steps = list(h.ask("When is the forum?", [], new_session(), "default", 4, "auto", "en"))
    assert not any("data-position" in s[0][-1]["content"] for s in steps)
    assert "answer-final" in steps[-1][0][-1]["content"] and gate.load() == (1, 0)
    assert gate.yield_to_prep(0.2) < 0.1  # its work before the model is over: the model is not held back
    gate.leave(busy)


def test_failed_upload_is_not_reported_as_indexed_and_its_copy_is_removed(settings: Settings,
                                                                         tmp_path: Path) -> None:
    h = _handlers(FakeRag(settings))
    broken = tmp_path / "random_binary.pdf"
    broken.write_bytes(b"%PDF-broken" + bytes(range(256)))
    status, _, _, _ = h.add_documents([str(broken)], "en", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert "Indexed" not in status and "✗ random_binary.pdf: the file is damaged" in status
    assert not (settings.index_dir / "uploads" / "random_binary.pdf").exists()


def test_declined_confirmation_removes_nothing(settings: Settings) -> None:
    rag = FakeRag(settings)
    status, _, _ = _handlers(rag).remove_document(CANCELLED, "en")
    assert [d["source"] for d in rag.docs] == ["000.txt"]
    assert not isinstance(status, str)  # gr.skip(): nothing changes on the page


def test_a_question_the_browser_already_shows_is_not_doubled(settings: Settings) -> None:
    h = _handlers(FakeRag(settings))
    echoed = [{"role": "user", "content": [{"type": "text", "text": "When &amp; where?"}]}]
    chat = list(h.ask("When & where?", echoed, new_session(), "default", 4, "auto", "en"))[-1][0]
    assert [m["role"] for m in chat] == ["user", "assistant"] and chat[0]["content"] == "When &amp; where?"
