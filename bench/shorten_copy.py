"""Fact first by copying, replayed on stored answers with the real LLM: what the copy step changes.

``GroundedAnswerer._shorten`` asks the LLM to copy, from the readable evidence sentences an answer cites,
the phrase that answers, and cuts the long answer to it when the answer's first sentence carries that
phrase (``rag.answer.gates.agreed_fact``). Every stored answer of an eval run that step ran on (left
long: "the answer was not shortened"; or cut: then from its long form, ``Answer.written``) is offered
again, once with the copy prompt given the question and evidence, once showing the model its own longer
answer too, and as the product does it (the first, then the second when the first disagrees), and
re-scored with the eval's matchers. The evidence sentences are the stored ones of the cited passages
(for a cut answer, of the passage its phrase was copied from); the product also requires each to be
close to the question by itself, which the stored prediction does not record, so the offer differs a
little from a run's.

    .venv/bin/python bench/shorten_copy.py evals/reports/<run>/ [--show]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.metrics import accuracy, token_f1
from evals.split import split_of
from rag.answer.extract import as_answer, copy_answer
from rag.answer.gates import NOT_SHORTENED, SHORTENED, agreed_fact
from rag.pipeline import RAG
from rag.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", type=Path, help="an eval report folder with predictions.jsonl and scores.jsonl")
    ap.add_argument("--show", action="store_true", help="print every answer offered")
    args = ap.parse_args()
    s = Settings.load()
    llm = RAG(s).llm
    readable = s.llm_reads.split(",")
    scores = {r["id"]: r for r in map(json.loads, (args.report / "scores.jsonl").read_text().splitlines())}
    # (half, variant) -> [rows, right, F1 sum]
    agg: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for line in (args.report / "predictions.jsonl").read_text().splitlines():
        p = json.loads(line)
        warned = p.get("warnings", [])
        if NOT_SHORTENED in warned:
            long = p["answer"]
        elif p.get("written") and SHORTENED in warned:
            long = p["written"]  # shortened in the run: the long answer it was cut from
        else:
            continue
        cited = {c["chunk_id"] for c in p["citations"]}
        offered = [(e["text"], e["lang"]) for e in p["evidence"] if e["chunk_id"] in cited and e["lang"] in readable]
        if not offered:
            continue
        gold = scores[p["id"]]["gold"]
        half: str = split_of(p["id"]) or "all"
        out = {"stored": p["answer"]}
        tries: dict[str | None, str | None] = {}
        for given in (None, long):
            got = copy_answer(llm, p["question"], p["language"], offered, [], given)
            tries[given] = got and agreed_fact(long, got[1], got[2], s.fact_first_max_words, p["language"])
        for variant, fact in (("copy", tries[None]), ("copy shown the answer", tries[long]),
                              ("the product: copy, then shown the answer", tries[None] or tries[long])):
            out[variant] = as_answer(fact, 1) if fact else long
        if args.show:
            print(f"{p['id']} | {p['question'][:80]}")
        for variant, text in out.items():
            a = agg[(half, variant)]
            a[0] += 1
            a[1] += accuracy(text, gold)
            a[2] += token_f1(text, gold)
            if args.show and (variant == "stored" or text != p["answer"]):
                print(f"   {variant}: {text[:120]}")
    print("| half | variant | long answers offered | right | token F1 (mean) |")
    print("|---|---|---|---|---|")
    for (group, variant), (n, right, f1) in sorted(agg.items()):
        print(f"| {group} | {variant} | {int(n)} | {int(right)} | {f1 / n:.3f} |")


if __name__ == "__main__":
    main()
