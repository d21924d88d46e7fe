"""Remove web-page furniture (navigation, footers, widgets, teasers) while keeping every body sentence.

The rules are general shapes, never strings copied from particular pages: a legal footer, a
"|"-separated menu, a run of short label lines outside the article, a lone template identifier, a
paragraph that is only a truncated copy of text that follows. Each rule looks at a line *and* at where
it sits: short label lines are only dropped before the first or after the last body paragraph, so a
short list inside an article survives.

Output: one paragraph per line of input, paragraphs separated by exactly one blank line ("\\n\\n"),
whitespace collapsed inside lines.

``web=False`` (PDF, DOCX) applies only the rules that cannot hurt a real document: whitespace,
separator lines, legal footers, repeated lines (running page headers) and truncated duplicates. Tables
and short lists are common there and look exactly like menus.
"""

from __future__ import annotations

import html
import re

from rag.ingest.metadata import find_dates

_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCRIPT_BLOCK = re.compile(r"<(script|style|noscript)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>", re.S)
_WS = re.compile(r"\s+")

_SEPARATOR = re.compile(r"^[-–—_=*~#.•·+]{3,}$")
_NO_ALNUM = re.compile(r"^[\W_]*$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")

_LEGAL = re.compile(
    r"©|\(c\)\s*\d{4}|\bcopyright\s*(?:©|\(c\))?\s*\d{4}|all rights reserved|"
    r"bütün hüquqlar(?:ı)? (?:qorunur|qorunmuşdur|qorunub)|все права защищены|müəllif hüquqları qorunur",
    re.I,
)
_WIDGET = re.compile(
    r"(?<!\w)(?:print(?: this (?:page|article))?|print version|share(?: this)?|tweet|"
    r"çap et|çap versiyası|çap|paylaş|печать|распечатать|версия для печати|поделиться)(?!\w)",
    re.I,
)
_MENU_SPLIT = re.compile(r"\s*\|\s*|\s+[•·»›]\s+")
_TEMPLATE_ID = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$")  # "newsPhoto": a template variable leaked as text
_PLACEHOLDER = re.compile(
    r"^(?:img|image|photo|foto|фото|şəkil|picture|thumbnail|"
    r"\S+\.(?:jpe?g|png|gif|webp|svg|bmp)|\[(?:image|img|photo|фото|şəkil)[^\]]*\])$",
    re.I,
)
_URL_LINE = re.compile(
    r"^(?:https?://\S+|www\.\S+|[\w-]+(?:\.[\w-]+)*\."
    r"(?:az|ru|com|org|net|info|gov|edu|int|io|co|uk|us|tv|news|media)(?:/\S*)?)$",
    re.I,
)
_LIST_ITEM = re.compile(r"^(?:[-*•–]\s|\d{1,3}[.)]\s)")
_UPPER = "A-ZА-ЯЁƏÜÖŞÇĞİ"
_BYLINE = re.compile(rf"^(?:(?:[{_UPPER}]\.\s?){{1,2}}[{_UPPER}][\w'’-]+|(?:by|author|müəllif|автор)\b.*)$", re.I)


def clean_text(text: str, *, web: bool = True, markup: bool | None = None) -> str:
    """Cleaned text: paragraphs joined by one blank line. ``web`` selects the page-furniture rules;
    ``markup`` (default: same as ``web``) strips leftover tags and entities, which only a text copy
    of a page can hold: text extracted from parsed HTML shows "<script>" only where the page does."""
    text = _CONTROL.sub("", _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    if web if markup is None else markup:
        text = _TAG.sub(" ", _SCRIPT_BLOCK.sub(" ", html.unescape(text)))
    paras: list[str] = []
    for raw in text.split("\n"):
        line = _WS.sub(" ", _SPACES.sub(" ", raw)).strip()
        if line:
            kept = _clean_line(line, web)
            if kept:
                paras.append(kept)
    paras = _drop_teasers(paras)
    paras = _drop_repeats(paras)
    if web:
        paras = _drop_edge_furniture(paras)
    return "\n\n".join(paras)


def _clean_line(line: str, web: bool) -> str | None:
    """The line as it should appear, or ``None`` to drop it. Separator lines ("-----") are dropped
    too: every line is already its own paragraph, so the break they mark is kept anyway."""
    if _SEPARATOR.match(line) or _NO_ALNUM.match(line):
        return None
    if len(line) <= 200 and _LEGAL.search(line) and (len(line) <= 120 or "©" in line):
        return None
    if not web:
        return line
    if len(line) <= 80 and _WIDGET.search(line):
        rest = _WS.sub(" ", _WIDGET.sub(" ", line)).strip()
        if _NO_ALNUM.match(rest):
            return None
        if not any(ch.isalpha() for ch in rest):
            line = rest  # "23.05.2018  print  print" -> the date survives, the widget goes
    if _is_menu(line) or _TEMPLATE_ID.match(line) or _PLACEHOLDER.match(line) or _URL_LINE.match(line):
        return None
    if not any(ch.isalpha() for ch in line) and not find_dates(line):
        return None  # a lone time stamp, page number or counter
    return line


def _is_menu(line: str) -> bool:
    items = [i for i in _MENU_SPLIT.split(line) if i]
    if len(items) < 2:
        return False
    if any(len(i) > 40 or len(i.split()) > 5 or _SENTENCE_END.search(i) for i in items):
        return False
    return len(items) >= 3 or all(len(i.split()) <= 2 and not any(c.isdigit() for c in i) for i in items)


def _drop_teasers(paras: list[str]) -> list[str]:
    """Drop a leading paragraph that is only a truncated copy of what follows: news sites put
    "title + first 300 characters of the body, cut mid-word" above the article. Nothing is lost,
    because by definition the full text is still there."""
    drop: set[int] = set()
    for i, p in enumerate(paras[:10]):
        candidates = [p.rstrip(" .…")]
        candidates += [p[len(t) + 1 :] for t in paras[:i] if p.startswith(t + " ")]
        if any(len(c) >= 100 and _continues_later(c, paras, i) for c in candidates):
            drop.add(i)
    return [p for i, p in enumerate(paras) if i not in drop]


def _continues_later(prefix: str, paras: list[str], i: int) -> bool:
    head = prefix[:20]
    for j in range(i + 1, len(paras)):
        if paras[j] == paras[i] or not (paras[j].startswith(head) or head.startswith(paras[j])):
            continue
        acc, k = paras[j], j
        while len(acc) < len(prefix) and k + 1 < len(paras):
            k += 1
            acc += " " + paras[k]
        if acc.startswith(prefix):
            return True
    return False


def _drop_repeats(paras: list[str]) -> list[str]:
    """A line repeated verbatim (headline shown twice, running PDF header) is kept once, where it
    first appears. Short lines are exempt: "Yes" twice in a table is data, not furniture."""
    seen: set[str] = set()
    out: list[str] = []
    for p in paras:
        if len(p) >= 20:
            if p in seen:
                continue
            seen.add(p)
        out.append(p)
    return out


def _is_body(p: str) -> bool:
    return len(p.split()) >= 8 and (len(p) >= 80 or bool(_SENTENCE_END.search(p)))


def _is_label(p: str) -> bool:
    """A short line with no sentence shape and no numbers: a menu item, rubric or outlet name."""
    return (len(p) <= 40 and len(p.split()) <= 5 and not _SENTENCE_END.search(p)
            and not any(ch.isdigit() for ch in p) and not _BYLINE.match(p))


def _drop_edge_furniture(paras: list[str]) -> list[str]:
    """Outside the article body (before its first or after its last real paragraph) drop runs of
    three or more label lines (menus, outlet lists; the line just above the body is left alone, it is
    where a short headline sits) and, after the body, any single label line
    ("Latest news", widget captions). List items ("- ...", "1. ...") after the body are kept: they
    are how extracted HTML lists and Markdown render real content."""
    body = [i for i, p in enumerate(paras) if _is_body(p)]
    if not body:
        return paras
    first, last = body[0], body[-1]
    drop: set[int] = set()
    run: list[int] = []
    for i in [*range(first - 1), -1]:  # the line right above the body is the headline slot: kept
        if i >= 0 and _is_label(paras[i]):
            run.append(i)
            continue
        if len(run) >= 3:
            drop.update(run)
        run = []
    for i in range(last + 1, len(paras)):
        if _is_label(paras[i]) and not _LIST_ITEM.match(paras[i]):
            drop.add(i)
    return [p for i, p in enumerate(paras) if i not in drop]
