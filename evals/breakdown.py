"""Per question type and per answer path: where the answer stage gains and loses.

The report (``evals.report``) groups by the dataset's tags; this groups by what the product itself
decided: the question kind it read from the question words (``Answer.kind``: date, number, person, ...,
"open") and how the answer was made (``Answer.path``: "template" = the typed fact alone, "llm" = the
LLM's sentence, "declined"), and by the fixed dev / held-out split of the seed questions
(``evals/split.py``); and the missed rows by cause (``evals.misses``: the evidence never reached the
answer stage, or which later step failed), which needs the dataset named in the run's report.json.
Reads a run directory written by ``rag eval`` (scores.jsonl next to predictions.jsonl, or passed
separately):

    python -m evals.breakdown evals/runs/DIR [--predictions evals/runs/DIR/predictions.jsonl]

and writes breakdown.md there.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.misses import CAUSES, count_causes
from evals.split import split_of


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _row(name: str, scores: Sequence[Mapping[str, Any]]) -> list[str]:
    ans = [s for s in scores if s["answerable"]]
    un = [s for s in scores if not s["answerable"]]
    correct = sum(bool(s.get("correct")) for s in ans)
    f1 = [float(s.get("f1") or 0.0) for s in ans]

    def share(k: int, n: int) -> str:
        return f"{k / n:.2f} ({k}/{n})" if n else "–"

    return [name, str(len(scores)), share(correct, len(ans)), f"{100 * sum(f1) / len(f1):.0f}" if f1 else "–",
            share(sum(bool(s["declined"]) for s in ans), len(ans)),
            share(sum(bool(s["declined"]) for s in un), len(un))]


def table(groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    head = ["group", "n", "accuracy (answerable)", "token F1", "answerable declined", "unanswerable declined"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_row(k, v)) + " |" for k, v in groups.items() if v]
    return "\n".join(lines)


def group(scores: Iterable[Mapping[str, Any]], key: Any) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for s in scores:
        out[str(key(s))].append(s)
    return dict(sorted(out.items()))


def causes_table(by_cause: Mapping[str, Sequence[str]]) -> str:
    """Missed rows per cause, by split, with the ids (so a reader can open the rows)."""
    lines = ["| cause | dev | held-out | all | rows |", "|---|---|---|---|---|"]
    for cause in CAUSES:
        ids = list(by_cause.get(cause, []))
        n = {sp: sum(split_of(i) == sp for i in ids) for sp in ("dev", "heldout")}
        lines.append(f"| {cause} | {n['dev']} | {n['heldout']} | {len(ids)} | {', '.join(ids)} |")
    return "\n".join(lines)


def _misses(run_dir: Path, scores: Sequence[Mapping[str, Any]], preds: Mapping[str, Mapping[str, Any]],
            dataset: Path | None) -> list[str]:
    """The "by cause" section; empty when the run's report.json or dataset is not at hand."""
    report = run_dir / "report.json"
    meta = json.loads(report.read_text(encoding="utf-8")).get("meta", {}) if report.exists() else {}
    path = dataset or (Path(meta["dataset"]["path"]) if meta.get("dataset", {}).get("path") else None)
    if path is None or not path.exists():
        return []
    rows = {str(r["id"]): r for r in _read_jsonl(path)}
    by_cause = count_causes(scores, preds, rows, meta.get("settings", {}))
    return ["## Missed rows by cause", "",
            "`evals/misses.py`: wrong or declined answerable rows and answered unanswerable ones; "
            "\"evidence not given\" = no evidence sentence the answer stage had holds the gold evidence.", "",
            causes_table(by_cause), ""]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--predictions", type=Path, default=None)
    ap.add_argument("--dataset", type=Path, default=None,
                    help="the questions (default: the dataset named in the run's report.json)")
    args = ap.parse_args(argv)
    scores = _read_jsonl(args.run_dir / "scores.jsonl")
    preds = {str(p["id"]): p for p in _read_jsonl(args.predictions or args.run_dir / "predictions.jsonl")}
    for s in scores:
        p = preds.get(str(s["id"]), {})
        s["kind"] = p.get("kind") or "open"
        s["path"] = "declined" if s["declined"] else (p.get("path") or "?")
    md = ["# Breakdown by question kind, answer path and split", "",
          "Kind and path are the product's own (Answer.kind / Answer.path); split = evals/split.py.", "",
          "## By question kind", "", table(group(scores, lambda s: s["kind"])), "",
          "## By answer path", "", table(group(scores, lambda s: s["path"])), "",
          "## By split", "", table(group(scores, lambda s: split_of(str(s["id"])) or "none")), "",
          *_misses(args.run_dir, scores, preds, args.dataset)]
    text = "\n".join(md)
    (args.run_dir / "breakdown.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
