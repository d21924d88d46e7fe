"""``rag ask`` output: a provisional stream on a terminal, then only what stands.

On a TTY the model's tokens appear at once, dimmed and labelled "checking sources…", and are erased
when verification ends; the verified answer is then printed once. Piped output (or ``--json``) gets
only the verified answer, so nothing read from stdout is ever taken back.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from typing import TextIO

from rag.present import abstain_reason, closest, evidence, phrase, provenance
from rag.types import Answer

DIM, RESET, ERASE_LINE = "\x1b[2m", "\x1b[0m", "\x1b[2K"


class ProvisionalLine:
    """Dimmed preview text that can be wiped off the terminal again."""

    def __init__(self, out: TextIO, lang: str) -> None:
        self.out = out
        self.label = f"({phrase('checking', lang)}) "
        self.text = ""
        self.shown = False

    def add(self, piece: str) -> None:
        if not self.shown:
            self.out.write(DIM + self.label)
            self.shown = True
        self.text += piece
        self.out.write(piece.replace("\n", " "))
        self.out.flush()

    def clear(self) -> None:
        """Move back over every row the preview took and erase them."""
        if not self.shown:
            return
        width = max(20, shutil.get_terminal_size((80, 24)).columns)
        rows = (len(self.label) + len(self.text.replace("\n", " ")) - 1) // width + 1
        self.out.write(RESET + "\r" + ERASE_LINE)
        for _ in range(rows - 1):
            self.out.write("\x1b[1A" + ERASE_LINE)
        self.out.flush()
        self.shown = False


def format_answer(answer: Answer, *, withdrawn: bool = False, reads: Sequence[str] = ("en", "ru")) -> str:
    """The verified answer as plain text: the answer, how it was made (``rag.present.provenance``; ``reads``
    = the languages the model reads), then each evidence sentence quoted with its passage number and
    document title; a refusal with its reason and the closest passages."""
    lang = answer.language
    lines = [answer.answer]
    made = provenance(answer, reads)
    if made is not None:
        lines.append(f"({phrase(made, lang)})")
    if answer.citations:
        lines.append("")
        for ev in evidence(answer):
            lines.append(f"[{ev.n}] {ev.title} ({ev.source}): \u201c{_cut(ev.quote, 300)}\u201d")
        return "\n".join(lines)
    reason = abstain_reason(answer)
    if reason:
        if withdrawn:
            lines.append(phrase("withdrawn", lang))
        lines.append(phrase(reason, lang))
        near = closest(answer)
        if near:
            lines += ["", f"{phrase('closest', lang)}:"]
            for i, h in enumerate(near, 1):
                lines.append(f"  {i}. {h.chunk.title or h.chunk.source} ({h.chunk.source}): {_cut(h.chunk.text, 160)}")
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def is_tty(stream: TextIO = sys.stdout) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
