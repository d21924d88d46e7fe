"""Fact first and the added-names check, replayed on stored answers: what they change, row by row.

Both steps run after the LLM (``rag.answer.shorten``), on its checked answer, so their effect on a
finished eval run is exact without running the model again: every stored LLM-path answer (and the long
form of an answer the later copy step cut, which fact first now sees first) is cut with
``fact_first`` and declined when ``unfound_names`` finds none of its added names in its cited passages,
then re-scored with the eval's own matchers (accuracy, token F1). This is how the rules
were chosen on the dev half of the seed questions (odd ids, ``evals/split.py``) before the end-to-end run.

    .venv/bin/python bench/fact_first.py evals/reports/<run>/ [--split dev|heldout] [--show]
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
from rag.answer.gates import SHORTENED
from rag.answer.shorten import fact_first, unfound_names
from rag.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", type=Path, help="an eval report folder with predictions.jsonl and scores.jsonl")
    ap.add_argument("--split", choices=["dev", "heldout"], default=None, help="seed questions of one half only")
    ap.add_argument("--show", action="store_true", help="print every answer that changes")
    args = ap.parse_args()
    s = Settings.load()
    preds = {p["id"]: p for p in map(json.loads, (args.report / "predictions.jsonl").read_text().splitlines())}
    rows = [json.loads(line) for line in (args.report / "scores.jsonl").read_text().splitlines()]
    # per group: n answerable, right before/after, F1 before/after, unanswerable, of those declined after
    agg: dict[str, list[float]] = defaultdict(lambda: [0.0] * 7)
    cut = declined = 0
    for r in rows:
        if args.split and split_of(r["id"]) != args.split:
            continue
        p = preds[r["id"]]
        old = new = p["answer"]
        gone = False
        cut_by_copy = p.get("path") == "extract" and p.get("written") and \
            SHORTENED in p.get("warnings", [])
        if cut_by_copy:  # fact first runs before the copy: a cut of the long form now comes first
            short = fact_first(p["written"], p["question"], p.get("kind", ""), max_words=s.fact_first_max_words)
            if short:
                new, cut = short, cut + 1
        if p.get("path") == "llm":
            short = fact_first(old, p["question"], p.get("kind", ""), max_words=s.fact_first_max_words)
            if short:
                new, cut = short, cut + 1
            if s.check_added_names and unfound_names(old, p["question"], [c["text"] for c in p["citations"]]):
                new, gone, declined = "", True, declined + 1
        if args.show and new != old:
            mark = "" if not r["answerable"] else (
                "  " if accuracy(old, r["gold"]) == accuracy(new, r["gold"]) else "!!")
            print(f"{mark:2} {r['id']} | {p['question'][:70]}\n     was: {old[:140]}\n     now: {new or '(declined)'}")
        for group in (p.get("language") or "?", "all"):
            t = agg[group]
            if r["answerable"]:
                t[0] += 1
                t[1] += accuracy(old, r["gold"])
                t[2] += accuracy(new, r["gold"]) if not gone else 0
                t[3] += token_f1(old, r["gold"])
                t[4] += token_f1(new, r["gold"]) if not gone else 0
            else:
                t[5] += 1
                t[6] += (r["declined"] or gone)
    print(f"{cut} answers cut to their fact, {declined} declined for names no cited passage has\n")
    print("| group | answerable | accuracy before → after | token F1 before → after | unanswerable declined after |")
    print("|---|---|---|---|---|")
    for group, (n, a0, a1, f0, f1, nu, du) in sorted(agg.items()):
        if n:
            un = f"{du:.0f} / {nu:.0f}" if nu else "–"
            print(f"| {group} | {n:.0f} | {a0 / n:.3f} → {a1 / n:.3f} | {f0 / n:.3f} → {f1 / n:.3f} | {un} |")


if __name__ == "__main__":
    main()
