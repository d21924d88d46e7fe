"""Time to the first *useful* text: a provisional draft settled when verification ends, or verified
sentences released one by one as they complete?

Both ways never show a user unchecked text as an answer; they differ in when checked text first
appears. One real streaming run per question (in-process model, seed questions) records when each
token arrived. Then, from the same run:
- provisional: something appears at the first token (muted, "checking sources…"); the useful text
  is the settled answer, at the end of generation plus verification;
- sentence release: the first useful text is the first complete answer sentence whose citation
  verifies, at the moment its last token arrived plus the measured time to verify it. An answer the
  whole-answer checks later decline (answer type missing, no supported citation overall) would have
  released a sentence that must then be withdrawn: counted as "would retract".

    flock /tmp/rag-heavy.lock python bench/first_useful_text.py --limit 12
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    SEEDS_QA,
    command_line,
    finish_machine_info,
    machine_info,
    machine_md,
    md_table,
    percentile,
    read_jsonl,
    write_results,
)

from rag.answer.answerer import Done, Token
from rag.answer.verify import verify
from rag.pipeline import RAG
from rag.settings import Settings
from rag.text.sentences import split_sentences


def sentence_ends(text: str) -> list[int]:
    """Character offsets where a complete sentence of ``text`` ends (its final punctuation), by the
    product's sentence splitter (rag.text.sentences)."""
    return [e for s, e in split_sentences(text, "unknown") if text[s:e].rstrip("\"'”’»)]")[-1:] in ".!?…"]


def one(rag: RAG, question: str) -> dict[str, Any]:
    captured: dict[str, Any] = {}
    answerer = rag.answerer
    finish = answerer._finish

    def spy(result: Any, raw: str, given: list[Any], t0: float) -> Any:
        captured["given"] = given
        return finish(result, raw, given, t0)

    answerer._finish = spy  # type: ignore[method-assign]
    arrivals: list[tuple[float, int]] = []  # (seconds since ask, length of the text so far)
    text = ""
    t0 = time.perf_counter()
    answer = None
    try:
        for event in rag.ask_stream(question):
            if isinstance(event, Token):
                text += event.text
                arrivals.append((time.perf_counter() - t0, len(text)))
            elif isinstance(event, Done):
                answer = event.answer
    finally:
        answerer._finish = finish  # type: ignore[method-assign]
    settled = time.perf_counter() - t0
    assert answer is not None
    row: dict[str, Any] = {"question": question, "abstained": answer.abstained,
                           "first_token": arrivals[0][0] if arrivals else None, "settled": settled,
                           "sentence_release": None, "would_retract": False}
    given = captured.get("given") or []
    for end in sentence_ends(text):
        at = next((t for t, n in arrivals if n >= end), settled)
        v0 = time.perf_counter()
        checked = verify(text[:end], given, threshold=answerer.support_threshold, similarity=answerer.similarity,
                         question=question)
        took = time.perf_counter() - v0
        if checked.citations:
            row["sentence_release"] = at + took
            row["would_retract"] = answer.abstained
            break
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--limit", type=int, default=12)
    ap.add_argument("--llm", default="default")
    ap.add_argument("--index", type=Path)
    args = ap.parse_args()
    settings = Settings.load(llm=args.llm, index_dir=args.index)
    rag = RAG(settings)
    rag.ensure_index(progress=False)
    rag.warm_up()
    rows = [r for r in read_jsonl(SEEDS_QA) if not r.get("history")]
    picked = [r for r in rows if r["id"].endswith(("1", "4", "7"))][: args.limit]  # fixed spread over languages
    info = machine_info()
    results = [one(rag, r["question"]) for r in picked]
    info = finish_machine_info(info)

    def p50(key: str, subset: list[dict[str, Any]]) -> float | None:
        vals = [r[key] for r in subset if r[key] is not None]
        return round(percentile(vals, 50), 2) if vals else None

    answered = [r for r in results if not r["abstained"]]
    summary = {
        "questions": len(results),
        "answered": len(answered),
        "first_token_p50": p50("first_token", results),
        "settled_p50_answered": p50("settled", answered),
        "sentence_release_p50_answered": p50("sentence_release", answered),
        "sentence_release_earlier_by_p50": round(percentile(
            [r["settled"] - r["sentence_release"] for r in answered if r["sentence_release"] is not None], 50), 2)
        if any(r["sentence_release"] is not None for r in answered) else None,
        "would_retract": sum(r["would_retract"] for r in results),
    }
    md = [f"# First useful text: provisional draft vs verified sentences ({args.llm} model)", "",
          f"Command: `{command_line()}`", "", machine_md(info), "",
          md_table(list(summary), [list(summary.values())]), "",
          md_table(["question", "declined", "first token (s)", "settled (s)", "first verified sentence (s)",
                    "would retract"],
                   [[r["question"][:60], r["abstained"], r["first_token"], r["settled"], r["sentence_release"],
                     r["would_retract"]] for r in results])]
    write_results("first_useful_text", {"command": command_line(), "machine": info, "summary": summary,
                                        "rows": results}, "\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
