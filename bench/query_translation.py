"""Would translating the question help retrieval? Context recall with LLM-translated queries.

The idea: a question in one language finds passages in another less
well than passages in its own, so translate the question into the other two languages with the local
LLM, search with all three, and fuse the three ranked lists by reciprocal rank. This measures it
without answering: for every answerable seed question it reports how often the row's evidence quote
reaches the prompt (as ``bench/context_recall.py``) and how often it is in the top 4 whole chunks.

    nice -n 19 .venv/bin/python bench/query_translation.py --llm fast,default --weights 0,0.5,1

Weight 0 is the product as it is (the translations are made but not used). The translations are
saved with the results, and ``--reuse`` reads them back instead of calling the model again, so the
retrieval side can be re-measured in a minute. Any GGUF path or ``--llm-url`` server works as ``--llm``
too, which is how a stronger translator would be tried.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    RESULTS_DIR,
    SEEDS_QA,
    command_line,
    finish_machine_info,
    machine_info,
    md_table,
    read_jsonl,
    write_results,
)
from context_recall import Case, run

from rag.answer.context import SentenceWindowSelector
from rag.answer.language import NAMES, question_language
from rag.llm.base import LLM, Message
from rag.llm.factory import load_llm
from rag.pipeline import RAG
from rag.retrieve.rewrite import condense
from rag.settings import Settings
from rag.types import Hit

RESULTS = "query_translation"


def translate(llm: LLM, text: str, target: str) -> str:
    messages: list[Message] = [
        {"role": "system", "content": f"You are a translator. Translate the user's question into {NAMES[target]}. "
                                      "Keep names, numbers and dates. Reply with the translated question only."},
        {"role": "user", "content": text},
    ]
    return "".join(llm.stream_chat(messages, max_tokens=100, stop=["\n"])).strip()


def fuse(lists: list[list[Hit]], weight: float, rrf_k: int, k: int) -> list[Hit]:
    """RRF over the original query's list (weight 1) and the translations' lists (``weight``)."""
    score: dict[str, float] = {}
    best: dict[str, Hit] = {}
    for li, hits in enumerate(lists):
        w = 1.0 if li == 0 else weight
        for rank, h in enumerate(hits, start=1):
            score[h.chunk.id] = score.get(h.chunk.id, 0.0) + w / (rrf_k + rank)
            if h.chunk.id not in best or (h.dense_score or 0.0) > (best[h.chunk.id].dense_score or 0.0):
                best[h.chunk.id] = h
    return [best[c] for c in sorted(score, key=lambda c: -score[c])][:k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", default="fast,default", help="comma-separated translator models")
    ap.add_argument("--weights", default="0,0.5,1", help="comma-separated RRF weights of the translated lists")
    ap.add_argument("--reuse", action="store_true", help=f"read translations from {RESULTS_DIR / RESULTS}.json")
    args = ap.parse_args()
    info = machine_info()
    settings = Settings.load()
    rag = RAG(settings)
    e = rag.embedder
    selector = SentenceWindowSelector(e.embed_queries, e.embed_documents, e.count_tokens,
                                      budget_tokens=settings.context_tokens,
                                      language_offsets=rag.store.language_offsets,
                                      centering=settings.language_centering, window_weight=settings.window_weight)
    retriever = rag.retriever
    old: dict[str, Any] = {}
    old_seconds: dict[str, list[float]] = {}
    if args.reuse:
        saved = json.loads((RESULTS_DIR / f"{RESULTS}.json").read_text(encoding="utf-8"))
        old, old_seconds = saved.get("translations", {}), saved.get("seconds", {})
    rows = [r for r in read_jsonl(SEEDS_QA) if r.get("answerable") and r.get("evidence")]
    queries = [condense(r["question"], r.get("history") or []) or r["question"] for r in rows]
    translations: dict[str, dict[str, list[str]]] = {}
    seconds: dict[str, list[float]] = {}
    results = []
    for name in args.llm.split(","):
        cached = old.get(name, {})
        llm = None if cached else load_llm(settings.replace(llm=name))
        translations[name], seconds[name] = {}, list(old_seconds.get(name, [])) if cached else []
        for r, q in zip(rows, queries, strict=True):
            if r["id"] in cached:
                translations[name][r["id"]] = cached[r["id"]]
                continue
            assert llm is not None
            t0 = time.perf_counter()
            lang = question_language(r["question"])
            translations[name][r["id"]] = [translate(llm, q, t) for t in NAMES if t != lang]
            seconds[name].append(time.perf_counter() - t0)
        for weight in map(float, args.weights.split(",")):
            cases: list[Case] = []
            for r, q in zip(rows, queries, strict=True):
                lists = [retriever.search(q, settings.retrieve_depth)]
                if weight > 0:
                    lists += [retriever.search(t, settings.retrieve_depth) for t in translations[name][r["id"]]]
                cases.append((r, q, fuse(lists, weight, settings.rrf_k, settings.retrieve_depth)))
            # The same counting as bench/context_recall.py; a budget of 100000 shows the whole chunks.
            shown = run(cases, selector, e.count_tokens, settings.top_k, settings.context_tokens, 1,
                        selector.rank_prior, settings.window_weight)
            whole = run(cases, selector, e.count_tokens, settings.top_k, 100_000, 1, selector.rank_prior,
                        settings.window_weight)
            res = {"llm": name, "weight": weight, "n": shown["n"],
                   **{k: shown[k] for k in ("evidence", "evidence_same", "evidence_cross")},
                   "whole_top_k": whole["evidence"],
                   "translate_s_p50": round(statistics.median(seconds[name]), 2) if seconds[name] else None}
            print(res, flush=True)
            results.append(res)
    cols = ["llm", "weight", "n", "evidence", "evidence_same", "evidence_cross", "whole_top_k", "translate_s_p50"]
    md = ["# Context recall with LLM-translated queries (seed questions, answerable)", "",
          f"Command: `{command_line()}`", "",
          "weight = RRF weight of the two translated queries' lists (0 = not used); evidence = the row's evidence "
          "quote is in the selected text; whole_top_k = it is in the top_k whole chunks; translate_s_p50 = seconds "
          "to translate one question into both other languages (kept from the run that made them when reused).", "",
          md_table(cols, [[r[c] for c in cols] for r in results])]
    write_results(RESULTS, {"machine": finish_machine_info(info), "results": results, "translations": translations,
                                "seconds": seconds},
                  "\n".join(md))


if __name__ == "__main__":
    main()
