"""Chat users as real browser pages: what each person sees, timed in the page itself.

Used by ``bench/chat_load.py --client browser``. Every user is a page of one headless Chromium (the
product's own page, with its question echo and its queue bubbles). All pages press "Ask" at the same
wall-clock instant (a timer set in each page), and a MutationObserver in the page notes when
- the question shows in the user's chat (``visible``),
- the server's first bubble for it shows: searching, a place in line, a draft or the answer (``ack``),
- the first draft text, or the settled answer when nothing is drafted (``first_token``),
- the settled answer (``answer``),
each in seconds after the click. Nothing is read through Gradio's client, whose own round trip (0.6 s for
one user and 0.9-1.0 s for eight on a one-line echo app, measured while the 2 cores were busy building
llama.cpp) is not what a person waits for.
"""

from __future__ import annotations

import html
import time
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]

# Installed in each page: times (ms after the click) of what the user sees, for the question ``q``.
WATCH = r"""
([q, at]) => {
  const t = {};
  const since = () => (Date.now() - at) / 1000;
  const look = () => {
    if (Date.now() < at) return;
    const chat = document.querySelector('#chatbot');
    if (!chat) return;
    const users = Array.from(chat.querySelectorAll('[data-testid="user"]'));
    if (t.visible === undefined && users.some((u) => u.textContent.includes(q))) t.visible = since();
    const bot = chat.querySelector('[data-testid="bot"]');
    if (!bot) return;
    if (t.ack === undefined && bot.querySelector('.checking, .turn-wait, .provisional, .answer-final'))
      t.ack = since();
    if (t.first_token === undefined && bot.querySelector('.draft, .answer-final')) t.first_token = since();
    if (t.answer === undefined && bot.querySelector('.answer-final')) {
      t.answer = since();
      t.declined = !!bot.querySelector('.refusal');
    }
  };
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
  window.__timing = t;
  setTimeout(() => document.querySelector('#ask').click(), Math.max(0, at - Date.now()));
}
"""


def run_browsers(url: str, questions: list[str], timeout_s: float = 900.0) -> list[dict[str, Any]]:
    """One page per question, all asking at once; returns each page's timings (seconds after the click)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages = []
            for q in questions:
                ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
                page = ctx.new_page()
                page.goto(url)
                page.wait_for_selector("#question textarea", timeout=120_000)
                page.fill("#question textarea", q)
                pages.append(page)
            at_ms = int(time.time() * 1000) + 2000  # every page clicks at this instant
            for page, q in zip(pages, questions, strict=True):
                page.evaluate(WATCH, [html.unescape(q), at_ms])
            deadline = time.monotonic() + timeout_s
            timings: list[dict[str, Any]] = [{} for _ in pages]
            while time.monotonic() < deadline:
                timings = [page.evaluate("window.__timing") for page in pages]
                if all("answer" in t for t in timings):
                    break
                pages[0].wait_for_timeout(500)
            return timings
        finally:
            browser.close()
