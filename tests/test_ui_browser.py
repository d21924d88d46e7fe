"""The web chat in a real headless Chromium, against the real pipeline (embedder, FAISS, 1.5B LLM).

What a person would do: ask about the seeds, watch the draft stream in and settle, read the evidence
sentence under the answer, click its citation and see the highlighted source; get a refusal with the
closest passages; ask while someone else is being answered and see their own question with a place in
line; upload a new document and get an answer citing it; upload a document full of HTML/JS and check
nothing of it runs. Throughout, a script in the page records every text shown *as an answer* and the
test asserts none was ever withdrawn or changed. Screenshots go to artifacts/ui/; one per interface
language to docs/screenshot-<lang>.png, and the English one to docs/screenshot.png (the README's picture).

Slow (the seed index is built in a temporary folder, then three LLM answers on 2 cores). Set
RAG_UI_TEST_URL=http://127.0.0.1:PORT to drive an already running ``rag serve`` instead (for UI work).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from rag.settings import PROJECT_ROOT
from ui.app import EXAMPLES
from ui.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = PROJECT_ROOT / "artifacts" / "ui"
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]
SERVER_START_TIMEOUT = 900  # builds the seed index first: minutes on 2 busy cores
ANSWER_TIMEOUT = 240  # one 1.5B answer is 10-30 s alone; other test suites may share the cores

SEED_QUESTION = "When is the second International Migration Review Forum?"
OPEN_QUESTION = "Who welcomed the participants of the UN Migration Network meeting?"
# One question per interface language for the screenshots (the seeds answer all three).
LANG_QUESTIONS = {
    "az": "İkinci Beynəlxalq Miqrasiya İcmalı Forumu nə vaxt keçiriləcək?",
    "ru": "Когда пройдёт второй Международный форум по обзору миграции?",
}
OFF_TOPIC = "What is the recipe for a chocolate cake with strawberries?"

# Installed before any page script: records each settled answer (.answer-final) the moment it is shown,
# so the test can check later that no settled text was ever withdrawn or changed.
SETTLED_RECORDER = r"""
window.__settled = [];
window.__settledNow = () => Array.from(document.querySelectorAll('#chatbot .answer-final'))
  .map((el) => el.textContent);
new MutationObserver(() => {
  for (const text of window.__settledNow()) {
    if (!window.__settled.includes(text)) window.__settled.push(text);
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""
SEED_SOURCE = "000_e8cbea2a3f3f1870.txt"
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"rag serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(2)
    pytest.fail(f"rag serve did not answer on {url} within {SERVER_START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def chromium() -> str:
    """A missing browser is a broken environment, not a reason to skip: CI installs it."""
    if shutil.which("chromium") is None or not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `apt-get install chromium chromium-driver` "
                    "(Debian's package; `playwright install` cannot download browsers here)")
    return CHROMIUM


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``rag serve`` in a subprocess with a fresh index (it indexes the seeds on start)."""
    given = os.environ.get("RAG_UI_TEST_URL")
    if given:
        yield given.rstrip("/")
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # RAG_UI_TEST_LLM=tiny runs the plumbing-only tests fast (answer-quality assertions need the default).
    index = os.environ.get("RAG_UI_TEST_INDEX") or str(tmp_path_factory.mktemp("ui") / "index")
    env = {**os.environ, "RAG_INDEX_DIR": index, "RAG_LLM": os.environ.get("RAG_UI_TEST_LLM", "default"),
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    log = ARTIFACTS / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=PROJECT_ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            _wait_http(url, proc, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    context.add_init_script(SETTLED_RECORDER)
    pg = context.new_page()
    pg.on("dialog", lambda dialog: dialog.accept())  # the removal confirmation
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(server)
    pg.wait_for_selector("#question textarea", timeout=60_000)
    yield pg
    _shot(pg, f"last_{request.node.name}.png")  # what the page showed at the end, pass or fail
    _assert_nothing_withdrawn(pg)
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def _assert_nothing_withdrawn(page: Page) -> None:
    """Every text ever shown as a settled answer is still on the page, unchanged (a new chat clears the
    page on purpose, so the check runs per conversation: see _new_chat)."""
    settled = page.evaluate("window.__settled")
    now = page.evaluate("window.__settledNow()")
    assert all(text in now for text in settled), f"an answer was shown and then withdrawn: {settled} vs {now}"


def _new_chat(page: Page) -> None:
    _assert_nothing_withdrawn(page)
    page.click("#new-chat")
    page.wait_for_function("document.querySelectorAll('#chatbot [data-testid=\"bot\"]').length === 0")
    page.evaluate("window.__settled = []")


def _shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


# null: no draft in the bubble; true: a visible draft with a visible marker; false: a visible draft alone.
_DRAFT_STATE = """el => {
    const d = el.querySelector('.provisional .draft');
    if (!d || !d.getClientRects().length) return null;
    const c = d.closest('.provisional').querySelector('.checking');
    return !!c && c.getClientRects().length > 0;
}"""


def _ask(page: Page, question: str, turn: int) -> tuple[Locator, bool]:
    """Ask and wait for the settled answer. Returns (the answer element, whether a provisional draft
    was seen before it, i.e. the answer streamed). Until it settles, any model text must sit in the
    muted provisional block."""
    page.fill("#question textarea", question)
    page.click("#ask")
    bots = page.locator('#chatbot [data-testid="bot"]')
    streamed = False
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while time.monotonic() < deadline:
        err = page.locator("#error-box .error-box")
        if err.count():
            pytest.fail(f"the page shows an error: {err.inner_text()}")
        if bots.count() > turn:
            last = bots.nth(turn)
            if last.locator(".answer-final").count():
                return last, streamed
            # One read of the DOM: between two locator queries Gradio may replace the bubble (the draft
            # settles), and the second query would then miss a marker that was there.
            draft = last.evaluate(_DRAFT_STATE)
            if draft is not None:
                streamed = True
                assert draft, "a draft shown without its 'checking sources' marker"
        page.wait_for_timeout(200)
    pytest.fail(f"no answer to {question!r} within {ANSWER_TIMEOUT}s")


def _open_citation_of(page: Page, answer: Locator, source: str) -> bool:
    """Click the answer's citation links one by one until the source panel shows ``source``."""
    links = answer.locator("a.cite")
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href") or ""
        key = href.split("cite-", 1)[-1]
        links.nth(i).click()
        page.wait_for_selector(f'#source-panel [data-cite="{key}"]', timeout=30_000)
        if source in page.inner_text("#source-panel .src-file"):
            return True
    return False


def _upload(page: Page, path: Path) -> str:
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#upload input[type=file]", str(path))
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while time.monotonic() < deadline:
        status = page.input_value("#upload-status textarea")
        if path.name in status or "Error" in status:  # the report names the file (or why it was refused)
            page.wait_for_selector(f'#documents td:text-is("{path.name}")', timeout=30_000)
            return status
        page.wait_for_timeout(500)
    pytest.fail(f"uploading {path.name} did not finish within {ANSWER_TIMEOUT}s")


def _docx(path: Path, paragraphs: list[str]) -> Path:
    """A .docx keeps angle brackets as literal text (web-page cleaning strips tags from .txt/.html)."""
    from docx import Document

    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    doc.save(str(path))
    return path


def test_labels_language_and_empty_question(page: Page) -> None:
    """No model needed: interface language switch, and an empty question gives a message, not a crash."""
    page.get_by_label("Русский").check()
    page.wait_for_selector('#ask:text-is("Спросить")', timeout=15_000)
    assert "Ваш вопрос" in page.inner_text("#question")
    assert page.get_by_role("tab", name="Документы").count() == 1
    page.get_by_label("English").check()
    page.wait_for_selector('#ask:text-is("Ask")', timeout=15_000)
    page.locator("#examples button").nth(2).click()  # an example fills the question box
    page.wait_for_function("document.querySelector('#question textarea').value.length > 10", timeout=15_000)
    assert page.input_value("#question textarea") in EXAMPLES
    page.fill("#question textarea", "   ")
    page.click("#ask")
    page.wait_for_selector("#error-box .error-box", timeout=15_000)
    assert "empty" in page.inner_text("#error-box")
    assert "Traceback" not in page.content()
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_selector(f'#documents td:text-is("{SEED_SOURCE}")', timeout=30_000)
    _shot(page, "00_documents.png")


def test_chat_citations_uploads_and_escaping(page: Page, tmp_path: Path) -> None:
    _shot(page, "01_start.png")

    # 1. A question about the seeds (a date: answered from the evidence, final at once) carries a
    # citation that opens its source.
    answer, _ = _ask(page, SEED_QUESTION, 0)
    assert answer.locator("a.cite").count() > 0, f"no citation link in: {answer.inner_text()}"
    # The evidence sentence is under the answer without any click: quoted, with the document title.
    quote = answer.locator(".evidence .ev-quote").first
    assert quote.is_visible() and len(quote.inner_text().split()) >= 4, answer.inner_text()
    assert answer.locator(".evidence .ev-doc").first.inner_text().strip("— ").strip()
    # How it was made, between the answer and its evidence: a date is read from the sentence by rules.
    made = answer.locator(".provenance").first
    assert made.is_visible() and made.inner_text().strip() == t("made_template", "en"), answer.inner_text()
    assert _open_citation_of(page, answer, SEED_SOURCE), \
        f"no citation of {SEED_SOURCE} in: {answer.inner_text()}"
    panel = page.inner_html("#source-panel")
    assert "<mark>" in panel, "the supporting span is not highlighted"
    assert page.inner_text("#source-panel mark").strip()
    page.click("#passages-acc button, #passages-acc .label-wrap")
    page.wait_for_selector("#passages .passage", timeout=15_000)
    _shot(page, "02_answer_with_source.png")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "02_answer_with_source_view.png"))  # one screen, for the README
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ARTIFACTS / "02_answer_with_source_view.png", SCREENSHOT)
    shutil.copyfile(ARTIFACTS / "02_answer_with_source_view.png", SCREENSHOT.with_name("screenshot-en.png"))

    # The copy button copies the answer as text (the message itself is HTML).
    page.locator("#chatbot button[aria-label='Copy message']").last.click()
    page.wait_for_timeout(500)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "[" in copied and "<a" not in copied and "&lt;" not in copied, copied

    # 1b. An open question is written by the LLM: its text streams as a provisional draft, then settles.
    _new_chat(page)
    answer, streamed = _ask(page, OPEN_QUESTION, 0)
    assert streamed, f"the LLM's answer appeared all at once instead of streaming: {answer.inner_text()}"
    _assert_nothing_withdrawn(page)

    # 2. Upload a new English document and ask about it.
    lake = tmp_path / "lake_zorvan.txt"
    lake.write_text(
        "Lake Zorvan research station\n\n"
        "The Lake Zorvan research station opened on 14 March 2019. It studies the ice cover and the fish "
        "of the lake. The station was built by the fictional Institute of Northern Waters and has twelve "
        "researchers.\n",
        encoding="utf-8",
    )
    status = _upload(page, lake)
    assert "Indexed: lake_zorvan.txt" in status and "✗" not in status, status
    _shot(page, "03_uploaded.png")
    page.get_by_role("tab", name="Chat").click()
    _new_chat(page)
    answer, _ = _ask(page, "When did the Lake Zorvan research station open?", 0)
    text = answer.inner_text()
    assert "2019" in text, text
    assert _open_citation_of(page, answer, "lake_zorvan.txt"), f"lake_zorvan.txt not cited: {text}"
    assert "14 March 2019" in page.inner_text("#source-panel")
    _shot(page, "04_uploaded_doc_answer.png")

    # 3. A document full of markup: it must show as text and never run.
    evil = _docx(tmp_path / "quillon_audit.docx", [
        f"Quillon firewall audit {XSS_IMG}",
        f"The Quillon firewall audit of 2021 found the snippet {XSS_SCRIPT} in the report template "
        f"and the tag {XSS_IMG} in the page footer. Both were removed by the Quillon web team.",
        "Template text ${window.__xss=3} and {{constructor.constructor('window.__xss=4')()}} was also found.",
    ])
    status = _upload(page, evil)
    assert "quillon_audit.docx" in status and "✗" not in status, status
    docs_text = page.inner_text("#documents")
    assert XSS_IMG in docs_text, "the document title is not shown as literal text"
    page.get_by_role("tab", name="Chat").click()
    answer, _ = _ask(page, "What did the Quillon firewall audit find in the report template?", 1)
    passages = page.inner_text("#passages")
    assert XSS_SCRIPT in passages, f"the passage is not shown as literal text: {passages[:2000]}"
    if answer.locator("a.cite").count():
        assert _open_citation_of(page, answer, "quillon_audit.docx")
        assert "window.__xss" in page.inner_text("#source-panel")
    page.wait_for_timeout(1000)  # give an injected onerror time to fire
    _shot(page, "05_markup_document.png")
    assert page.evaluate("window.__xss") is None
    injected = page.evaluate(
        "document.querySelectorAll('#chatbot script, #source-panel script, #passages script, "
        "#documents script, #chatbot img[src=x], #source-panel img, #passages img, #documents img').length")
    assert injected == 0

    # 4. Remove both uploads again through the documents tab.
    page.get_by_role("tab", name="Documents").click()
    for name in ("quillon_audit.docx", "lake_zorvan.txt"):
        page.click("#remove-pick input")
        page.get_by_role("option", name=name, exact=True).click()
        page.click("#remove")
        page.wait_for_selector(f'#documents td:text-is("{name}")', state="detached", timeout=ANSWER_TIMEOUT * 1000)
        assert name in page.input_value("#upload-status textarea")
    assert SEED_SOURCE in page.inner_text("#documents")


def test_refusal_shows_reason_and_closest_passages(page: Page) -> None:
    answer, _ = _ask(page, OFF_TOPIC, 0)
    assert answer.locator(".answer-final.refusal").count() == 1, answer.inner_text()
    assert answer.locator(".refusal-reason").first.is_visible()
    links = answer.locator(".closest a.cite")
    assert links.count() >= 1, answer.inner_text()
    key = (links.first.get_attribute("href") or "").split("cite-", 1)[-1]
    links.first.click()
    page.wait_for_selector(f'#source-panel [data-cite="{key}"]', timeout=30_000)
    assert page.inner_text("#source-panel .src-text").strip()
    _shot(page, "06_refusal.png")


def test_second_user_sees_their_question_while_the_first_is_answered(browser: Browser, server: str) -> None:
    pages = []
    for _ in range(2):
        ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
        ctx.add_init_script(SETTLED_RECORDER)
        pg = ctx.new_page()
        pg.goto(server)
        pg.wait_for_selector("#question textarea", timeout=60_000)
        pages.append(pg)
    first, second = pages
    # The first user's question is written by the LLM (a typed date would be final at once, with no
    # provisional draft to wait for); the second user's arrives while it is being written.
    first.fill("#question textarea", OPEN_QUESTION)
    first.click("#ask")
    first.wait_for_selector('#chatbot [data-testid="bot"] .provisional', timeout=60_000)
    second.fill("#question textarea", SEED_QUESTION)
    t0 = time.monotonic()
    second.click("#ask")
    second.wait_for_selector('#chatbot [data-testid="user"]', timeout=10_000)
    # Then their place in line, a draft, or (a typed answer needs no model turn) the settled answer.
    second.wait_for_selector('#chatbot [data-testid="bot"] .turn-wait, #chatbot [data-testid="bot"] .provisional, '
                             '#chatbot [data-testid="bot"] .answer-final', timeout=10_000)
    visible_after = time.monotonic() - t0
    first_settled = first.locator("#chatbot .answer-final").count() > 0
    wait_text = second.locator('#chatbot [data-testid="bot"]').first.inner_text()
    _shot(second, "07_second_user_waiting.png")
    assert "Migration Review Forum" in second.inner_text('#chatbot [data-testid="user"]')
    assert visible_after < 2.0, f"the second question took {visible_after:.1f}s to appear"
    # With a free LLM slot the second question starts at once; otherwise it shows its place in line.
    if not first_settled and second.locator('#chatbot .turn-wait').count():
        assert "in line" in wait_text, wait_text
    for pg in pages:
        pg.wait_for_selector("#chatbot .answer-final", timeout=ANSWER_TIMEOUT * 1000)
        _assert_nothing_withdrawn(pg)
        pg.context.close()


@pytest.mark.parametrize("lang, label, ask, drop", [
    ("az", "Azərbaycanca", "Soruş", "Faylı bura atın"),
    ("ru", "Русский", "Спросить", "Перетащите файл сюда"),
], ids=["az", "ru"])
def test_interface_language_everywhere_and_remembered(page: Page, lang: str, label: str, ask: str,
                                                      drop: str) -> None:
    page.get_by_label(label).check()
    page.wait_for_selector(f'#ask:text-is("{ask}")', timeout=15_000)
    # Gradio's own strings follow (the upload box), and the choice survives a reload.
    tabs = page.locator('button[role="tab"]')
    tabs.nth(1).click()
    page.wait_for_function(f"document.querySelector('#upload').innerText.includes({drop!r})", timeout=15_000)
    page.reload()
    page.wait_for_selector(f'#ask:text-is("{ask}")', timeout=30_000)
    assert page.evaluate("document.documentElement.lang") == lang
    page.locator('button[role="tab"]').nth(0).click()
    answer, _ = _ask(page, LANG_QUESTIONS[lang], 0)
    links = answer.locator("a.cite")
    if links.count():
        links.first.click()
        page.wait_for_selector("#source-panel .src-text", timeout=30_000)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOT.with_name(f"screenshot-{lang}.png")))
