"""The web chat: layout, event wiring and ``serve``.

Every question enters its handler at once (so it shows in the asker's chat immediately) and then
waits in ui.queue.Gate for a model turn, showing its place in line and an estimate in the interface
language. The gate admits one turn at a time for the in-process model (two generations would halve
each other's speed on 2 cores) or as many as an LLM server has parallel slots. ``serve`` loads the
embedder, the index and the LLM before it listens, so the first visitor does not pay for loading.
Nothing leaves the machine: no share links, analytics off.
"""

from __future__ import annotations

import logging
import os

import gradio as gr

from rag.pipeline import RAG
from rag.settings import Settings
from ui.gradio_i18n import CONFIRM_REMOVE_JS, gradio_i18n, language_js
from ui.handlers import Handlers, new_session
from ui.i18n import DEFAULT_UI_LANG, LANG_CHOICES, t
from ui.models import RagPool
from ui.queue import Gate
from ui.render import render_documents, render_passages, render_source
from ui.uploads import ALLOWED_SUFFIXES

# Example questions shown under the chat, one set per seed topic and language.
EXAMPLES = [
    "When is the second International Migration Review Forum?",
    "Who welcomed the participants of the UN Migration Network Azerbaijan meeting?",
    "Как Генассамблея ООН оценила работу Азербайджана в сфере миграции?",
    "Almatı Prosesinin 8-ci görüşü harada keçirilib?",
    "Dövlət Miqrasiya Xidməti hansı təşkilatlarla məsləhətləşmələr aparıb?",
]

# Runs once in the browser when the source panel mounts. Citation links live inside chat messages,
# which Gradio renders itself, so one capturing listener on the document catches clicks on them and
# hands the link's href ("#cite-<turn>-<n>") to the panel's click event; the page never navigates.
# Chat copy buttons copy a message's source, which for us is HTML: the clipboard gets its text instead.
CITE_JS = r"""
window.__ragCiteTrigger = trigger;
if (!window.__ragUiInstalled) {
  window.__ragUiInstalled = true;
  document.addEventListener('click', (e) => {
    const el = e.target instanceof Element ? e.target.closest('a.cite, a[href^="#cite-"]') : null;
    if (!el) return;
    e.preventDefault();
    e.stopPropagation();
    window.__ragCiteTrigger('click', {cite: el.getAttribute('href') || ''});
    const panel = document.getElementById('source-panel');
    if (panel) panel.scrollIntoView({block: 'nearest', behavior: 'smooth'});
  }, true);
  // Whenever the source panel changes, scroll its highlighted span into the middle of the text box.
  const host = document.getElementById('source-panel');
  if (host) {
    new MutationObserver(() => {
      const mark = host.querySelector('.src-text mark, .src-text .near');
      const box = host.querySelector('.src-text');
      if (mark && box && box.dataset.scrolled !== mark.textContent) {
        box.dataset.scrolled = mark.textContent;
        box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3);
      }
    }).observe(host, {childList: true, subtree: true});
  }
  const clip = navigator.clipboard;
  if (clip && clip.writeText) {
    const write = clip.writeText.bind(clip);
    const ours = /<br>|class="cite"|class="cursor"|&(lt|gt|amp|quot|#x27);/;
    clip.writeText = (text) => {
      if (typeof text === 'string' && ours.test(text)) {
        const doc = new DOMParser().parseFromString(text.replace(/<br>/g, '\n'), 'text/html');
        doc.querySelectorAll('.cursor').forEach((n) => n.remove());
        text = doc.body.textContent || '';
      }
      return write(text);
    };
  }
}
"""

# Escaped exactly like ui.render.esc_block, so the handler recognises (and replaces) the echoed message.
ECHO_JS = r"""
(q, chat) => {
  const text = (q || '').trim();
  // One output: Gradio reads a returned array as the list of outputs, so the chat is wrapped once more.
  if (!text || text.length > 2000) return [chat];
  const esc = text.replace(/\r\n/g, '\n').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/\n/g, '<br>');
  return [[...(chat || []), {role: 'user', content: [{type: 'text', text: esc}]}]];
}
"""

CSS = """
#source-panel .src-panel { font-size: 0.95em; }
#source-panel mark, .src-text mark { background: #ffe066; color: #000; padding: 0 2px; border-radius: 2px; }
.src-head { margin: 0 0 .4em 0; font-size: 1.05em; }
#source-panel table.src-meta { border: none !important; margin: 0 0 .4em 0; width: auto; }
#source-panel table.src-meta tr { border: none !important; background: none !important; }
#source-panel table.src-meta th, #source-panel table.src-meta td { border: none !important;
  padding: 1px 14px 1px 0 !important; text-align: left; vertical-align: top; background: none !important; }
#source-panel table.src-meta th { font-weight: 600; white-space: nowrap; opacity: .75; }
#passages { max-height: 40em; overflow: auto; }
.src-text { border-left: 3px solid #e0b000; margin: .6em 0; padding: .3em .8em; max-height: 28em; overflow: auto;
  position: relative; }
.src-text .near { background: #eef3ff; }
.provisional { opacity: .55; font-style: italic; }
.provisional .checking { font-size: .85em; font-style: normal; opacity: .9; margin-bottom: .2em; }
.turn-wait { opacity: .75; font-size: .95em; }
.spinner { display: inline-block; width: .8em; height: .8em; border: 2px solid currentColor;
  border-right-color: transparent; border-radius: 50%; animation: rag-spin 1s linear infinite;
  vertical-align: -.1em; margin-right: .3em; opacity: .7; }
@keyframes rag-spin { to { transform: rotate(360deg); } }
.evidence { margin-top: .5em; padding: .35em .6em; border-left: 3px solid #e0b000; font-size: .9em;
  background: rgba(224, 176, 0, .07); }
.provenance { margin: .3em 0 0; font-size: .8em; opacity: .7; font-style: italic; }
.provenance.made_llm_unread { opacity: .9; color: #a15c00; }
.ev-label { font-weight: 600; font-size: .85em; opacity: .75; margin-bottom: .15em; }
.evidence-row { margin: .15em 0; }
.ev-doc { opacity: .75; }
.refusal-reason { margin: .3em 0; font-size: .92em; opacity: .85; }
.closest { margin-top: .4em; font-size: .9em; }
.closest ol { margin: .2em 0 0 1.2em; padding: 0; }
.closest-text { opacity: .8; }
.src-support, .src-note { font-size: .9em; opacity: .8; }
a.cite { text-decoration: none; font-weight: 600; cursor: pointer; padding: 0 1px; }
a.cite:hover { text-decoration: underline; }
.error-box { border: 1px solid #d33; background: #fff0f0; color: #700; padding: .5em .8em; border-radius: 6px; }
.doc-table { width: 100%; border-collapse: collapse; }
.doc-table th, .doc-table td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
.doc-list { max-height: 30em; overflow: auto; }
.passage { margin-bottom: .8em; }
.passage-head { font-size: .9em; opacity: .85; }
.passage-text { font-size: .9em; }
.cursor { opacity: .6; }
"""


def _model_choices(pool: RagPool, lang: str) -> list[tuple[str, str]]:
    names = {"fast": t("model_fast", lang), "default": t("model_default", lang)}
    return [(names.get(c, c), c) for c in pool.choices()]


def _answer_lang_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(f"lang_{code}", lang), code) for code in ("auto", "az", "ru", "en")]


def build_app(rag: RAG, settings: Settings) -> gr.Blocks:
    """The whole page around one (primary) RAG; ``settings`` gives the panel's initial values."""
    pool = RagPool(rag)
    h = Handlers(pool, Gate(model_slots(settings)))
    lang0 = DEFAULT_UI_LANG
    max_mb = f"{settings.max_file_mb:g}"

    with gr.Blocks(title=t("title", lang0), analytics_enabled=False) as demo:
        session = gr.State(new_session())
        with gr.Row():
            title = gr.Markdown(f"## {t('title', lang0)}")
            ui_lang = gr.Radio(LANG_CHOICES, value=lang0, label=t("ui_lang", lang0), elem_id="ui-lang",
                               scale=0, min_width=420)
        intro = gr.Markdown(t("intro", lang0))
        with gr.Tabs():
            with gr.Tab(t("tab_chat", lang0), id="chat-tab") as chat_tab, gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label=t("chat", lang0), elem_id="chatbot", height=520,
                        # We escape every message ourselves and emit HTML; markdown and LaTeX would
                        # reinterpret document text ("$5", "*"), so both are off. Gradio still sanitises.
                        render_markdown=False, sanitize_html=True, latex_delimiters=[], allow_tags=False,
                        buttons=["copy", "copy_all"], feedback_options=None,
                    )
                    error_box = gr.HTML("", elem_id="error-box", js_on_load=None)
                    with gr.Row():
                        question = gr.Textbox(label=t("question", lang0), placeholder=t("question_ph", lang0),
                                              elem_id="question", scale=6, lines=1, max_lines=4,
                                              autofocus=True)
                        with gr.Column(scale=1, min_width=120):
                            ask_btn = gr.Button(t("ask", lang0), variant="primary", elem_id="ask")
                            new_btn = gr.Button(t("new_chat", lang0), elem_id="new-chat", size="sm")
                    examples = gr.Dataset(components=[gr.Textbox(visible=False)], samples=[[q] for q in EXAMPLES],
                                          label=t("examples", lang0), elem_id="examples")
                    with gr.Accordion(t("passages", lang0), open=False, elem_id="passages-acc") as passages_acc:
                        passages = gr.HTML(render_passages([], None, lang0), elem_id="passages", js_on_load=None)
                with gr.Column(scale=2):
                    source_title = gr.Markdown(f"### {t('source', lang0)}")
                    source = gr.HTML(render_source(None, lang0), elem_id="source-panel", js_on_load=CITE_JS)
                    with gr.Accordion(t("settings", lang0), open=False, elem_id="settings-acc") as settings_acc:
                        model = gr.Radio(_model_choices(pool, lang0), value=settings.llm if settings.llm in
                                         pool.choices() else "default", label=t("model", lang0),
                                         elem_id="model")
                        top_k = gr.Slider(1, 8, value=settings.top_k, step=1, label=t("top_k", lang0),
                                          elem_id="top-k")
                        answer_lang = gr.Radio(_answer_lang_choices(lang0), value=settings.answer_language,
                                               label=t("answer_lang", lang0), elem_id="answer-lang")
            with gr.Tab(t("tab_docs", lang0), id="docs-tab") as docs_tab:
                upload = gr.File(label=t("upload", lang0, mb=max_mb), file_count="multiple",
                                 file_types=list(ALLOWED_SUFFIXES), elem_id="upload")
                status = gr.Textbox(label=t("status", lang0), lines=4, interactive=False, elem_id="upload-status")
                docs = gr.HTML(render_documents([], lang0), elem_id="documents", js_on_load=None)
                with gr.Row():
                    remove_pick = gr.Dropdown([], label=t("remove_pick", lang0), elem_id="remove-pick", scale=3)
                    remove_btn = gr.Button(t("remove", lang0), variant="stop", elem_id="remove", scale=1)

        # -- events ---------------------------------------------------------------------------------
        ask_inputs = [question, chatbot, session, model, top_k, answer_lang, ui_lang]
        ask_outputs = [chatbot, question, session, error_box, passages]
        for trigger in (ask_btn.click, question.submit):
            # The browser shows the question the instant it is sent (however busy the server is); the
            # handler then takes over the turn without a Gradio queue limit and waits in our gate, whose
            # place in line and estimate it shows in the interface language (Gradio's would be English).
            trigger(None, [question, chatbot], [chatbot], js=ECHO_JS, queue=False).then(
                h.ask, ask_inputs, ask_outputs, concurrency_limit=None, show_progress="hidden")
        examples.click(lambda sample: sample[0], examples, question, queue=False)
        new_btn.click(
            lambda lang: ([], "", new_session(), "", render_passages([], None, lang), render_source(None, lang)),
            [ui_lang], [chatbot, question, session, error_box, passages, source], queue=False)
        source.click(h.open_citation, [session, ui_lang], [source, session], queue=False)

        upload.upload(h.add_documents, [upload, ui_lang], [status, docs, remove_pick, upload],
                      concurrency_id="model", concurrency_limit=1)
        remove_btn.click(h.remove_document, [remove_pick, ui_lang], [status, docs, remove_pick],
                         concurrency_id="model", concurrency_limit=1, js=CONFIRM_REMOVE_JS)
        demo.load(None, None, [ui_lang], js=language_js())
        demo.load(h.documents, [ui_lang], [docs, remove_pick])
        ui_lang.change(None, [ui_lang], None, js="(lang) => { window.__ragSetLocale && window.__ragSetLocale(lang); }")

        def relabel(lang: str, sess: dict) -> tuple:
            """Every label in the picked language; the panels re-render their own texts too."""
            return (
                gr.update(value=f"## {t('title', lang)}"),
                gr.update(label=t("ui_lang", lang)),
                gr.update(value=t("intro", lang)),
                gr.update(label=t("tab_chat", lang)),
                gr.update(label=t("tab_docs", lang)),
                gr.update(label=t("chat", lang)),
                gr.update(label=t("question", lang), placeholder=t("question_ph", lang)),
                gr.update(value=t("ask", lang)),
                gr.update(value=t("new_chat", lang)),
                gr.update(label=t("examples", lang)),
                gr.update(label=t("passages", lang)),
                gr.update(value=f"### {t('source', lang)}"),
                h.source_html(sess, lang),
                gr.update(label=t("settings", lang)),
                gr.update(label=t("model", lang), choices=_model_choices(pool, lang)),
                gr.update(label=t("top_k", lang)),
                gr.update(label=t("answer_lang", lang), choices=_answer_lang_choices(lang)),
                gr.update(label=t("upload", lang, mb=max_mb)),
                gr.update(label=t("status", lang)),
                gr.update(label=t("remove_pick", lang)),
                gr.update(value=t("remove", lang)),
            )

        ui_lang.change(
            relabel, [ui_lang, session],
            [title, ui_lang, intro, chat_tab, docs_tab, chatbot, question, ask_btn, new_btn, examples,
             passages_acc, source_title, source, settings_acc, model, top_k, answer_lang, upload, status,
             remove_pick, remove_btn],
            queue=False,
        ).then(h.documents, [ui_lang], [docs, remove_pick])
    return demo


def model_slots(settings: Settings) -> int:
    """How many answers may be generated at once: the LLM server's parallel slots (``llm_slots``), else
    1 (the in-process model: two generations would halve each other's speed)."""
    return max(1, int(getattr(settings, "llm_slots", 0) or 0))


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, warm: bool = True) -> None:
    """Index the seeds if there is no index yet, load every model, then serve the chat until interrupted."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    # The LLM runs in a llama-server child (settings.llm_slots parallel slots): a model fault cannot take
    # the chat down, and as many answers as there are slots are generated together.
    rag = RAG(settings, llm_slots=settings.llm_slots)
    rag.ensure_index(progress=True)
    if warm:
        took = rag.warm_up()
        logging.getLogger("rag.ui").warning("warm-up done: %s", ", ".join(f"{k} {v:.1f}s" for k, v in took.items()))
    demo = build_app(rag, settings)
    demo.queue(default_concurrency_limit=max(1, settings.llm_slots))
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        max_file_size=f"{settings.max_file_mb:g}mb",  # Gradio refuses bigger uploads; uploads.py re-checks
        css=CSS,
        ssr_mode=False,  # server-side rendering would need Node.js; the page works without it
        mcp_server=False,
        show_error=False,
        i18n=gradio_i18n(),
        footer_links=[],
    )
