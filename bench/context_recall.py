"""Does the evidence reach the prompt? Context recall of the sentence selector, without the LLM.

The answer eval showed the model cannot answer what it is not shown: the gold source is retrieved
for ~90% of answerable seed questions, yet the sentence holding the answer reached the prompt far less
often. This measures that directly and fast (no LLM), so selection settings can be compared on all
124 answerable rows instead of a 38-row answer eval.

For every answerable row of evals/datasets/seeds_qa.jsonl (follow-ups condensed as ``RAG.retrieve``
does) it retrieves with the product's ``HybridRetriever`` over the default index, runs the product's
``SentenceWindowSelector`` on the top ``k`` hits with a token budget, and reports:

  evidence   share of rows whose ``evidence`` quote is in the selected text (>= 80% of its words),
             also for same-language and cross-lingual questions
  answer     share of rows where one of the accepted ``answers`` appears in the selected text
  tokens     mean embedder tokens of the selected text (what the LLM must read, before headers)

    nice -n 19 .venv/bin/python bench/context_recall.py --k 1,2,4,8,20 --budget 260,350,100000

(a budget of 100000 shows whole chunks: how often the evidence is in the top-k chunks at all.)
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    SEEDS_QA,
    command_line,
    finish_machine_info,
    machine_info,
    md_table,
    read_jsonl,
    write_results,
)

from rag.answer.context import SentenceWindowSelector
from rag.pipeline import RAG
from rag.retrieve.rewrite import condense
from rag.settings import Settings
from rag.types import Hit

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def evidence_in(evidence: str | list[str], context: str, share: float = 0.8) -> bool:
    """A row may quote several pieces of evidence (a list answer); all of them must be shown."""
    want = words(" ".join(evidence) if isinstance(evidence, list) else evidence)
    have = set(words(context))
    return bool(want) and sum(w in have for w in want) / len(want) >= share


def answer_in(answers: list[str], context: str) -> bool:
    folded = " ".join(words(context))
    return any(" ".join(words(a)) and f" {' '.join(words(a))} " in f" {folded} " for a in answers)


Case = tuple[dict[str, Any], str, list[Hit]]  # row, retrieval query, hits


def run(cases: list[Case], selector: SentenceWindowSelector, count_tokens: Callable[[str], int], k: int,
        budget: int, neighbours: int, prior: float, window: float) -> dict[str, Any]:
    # One selector for every setting, so its sentence-vector cache is kept.
    selector.budget, selector.neighbours = budget, neighbours
    selector.rank_prior, selector.window_weight = prior, window
    found: dict[str, list[bool]] = {"all": [], "same-language": [], "cross-lingual": []}
    ans = tokens = 0
    for row, query, hits in cases:
        text = "\n".join(t for _, t in selector(query, hits[:k]))
        ok = evidence_in(row["evidence"], text)
        found["all"].append(ok)
        found["cross-lingual" if "cross-lingual" in row.get("tags", []) else "same-language"].append(ok)
        ans += answer_in(row["answers"], text)
        tokens += count_tokens(text)
    n = len(cases)
    return {"k": k, "budget": budget, "neighbours": neighbours, "prior": prior, "window": window, "n": n,
            "evidence": round(sum(found["all"]) / n, 3),
            "evidence_same": round(sum(found["same-language"]) / max(1, len(found["same-language"])), 3),
            "evidence_cross": round(sum(found["cross-lingual"]) / max(1, len(found["cross-lingual"])), 3),
            "answer": round(ans / n, 3), "tokens": round(tokens / n, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", default="4,8", help="comma-separated numbers of top hits given to the selector")
    ap.add_argument("--budget", default="260,350", help="comma-separated token budgets")
    ap.add_argument("--neighbours", default="1")
    ap.add_argument("--prior", default="0.02", help="comma-separated weights of the passage-rank prior")
    ap.add_argument("--window", default=None,
                    help="comma-separated weights of the sentence-with-neighbours score (default: the setting's)")
    args = ap.parse_args()
    info = machine_info()
    rag = RAG(Settings.load())
    e = rag.embedder  # caches query vectors, so selection reuses retrieval's
    selector = SentenceWindowSelector(e.embed_queries, e.embed_documents, e.count_tokens,
                                      language_offsets=rag.store.language_offsets,
                                      centering=rag.settings.language_centering,
                window_weight=rag.settings.window_weight)
    retriever = rag.retriever
    cases: list[Case] = []
    for r in read_jsonl(SEEDS_QA):
        if r.get("answerable") and r.get("evidence"):
            query = condense(r["question"], r.get("history") or []) or r["question"]
            cases.append((r, query, retriever.search(query, rag.settings.retrieve_depth)))
    windows = [float(w) for w in (args.window or str(rag.settings.window_weight)).split(",")]
    results = []
    for k in map(int, args.k.split(",")):
        for budget in map(int, args.budget.split(",")):
            for nb in map(int, args.neighbours.split(",")):
                for prior in map(float, args.prior.split(",")):
                    for window in windows:
                        res = run(cases, selector, rag.embedder.count_tokens, k, budget, nb, prior, window)
                        print(res, flush=True)
                        results.append(res)
    cols = ["k", "budget", "neighbours", "prior", "window", "n", "evidence", "evidence_same", "evidence_cross",
            "answer", "tokens"]
    md = ["# Context recall of the sentence selector (seed questions, answerable)", "",
          f"Command: `{command_line()}`", "",
          "evidence = the row's evidence quote is in the selected text (>= 80% of its words); "
          "answer = an accepted answer string is in it; tokens = embedder tokens of the selected text.", "",
          md_table(cols, [[r[c] for c in cols] for r in results])]
    write_results("context_recall", {"machine": finish_machine_info(info), "results": results}, "\n".join(md))


if __name__ == "__main__":
    main()
