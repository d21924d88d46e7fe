"""Aggregate per-row scores into the eval report: report.json, report.md, scores.jsonl and two plots.

Why so many slices: the product's hard cases are specific (cross-lingual questions, dates, follow-ups,
questions the corpus cannot answer), and an overall accuracy hides a regression in any one of them.
Every metric is therefore computed the same way for the whole set, per question language, for
same-language vs cross-lingual rows, per tag and (external sets) per question->corpus direction.

A metric that is undefined for a slice (no unanswerable rows, no citations, no timings) is ``None`` —
reported as "–" — rather than 0, so it cannot be mistaken for a real zero.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.scoring import score_row
from rag.settings import PROJECT_ROOT

Metrics = dict[str, float | int | None]

LANG_ORDER = ("az", "ru", "en")
SETTINGS = ("same-language", "cross-lingual")
KEY_METRICS = ("n", "accuracy", "accuracy_in_language", "token_f1", "abstention_precision", "abstention_recall",
               "language_match", "recall@5", "mrr", "citation_precision", "citation_recall", "latency_total_p50",
               "latency_total_p95")
RATE_METRICS = {"accuracy", "accuracy_in_language", "token_f1", "list_item_recall", "abstention_precision",
                "abstention_recall", "answerable_declined_rate", "unanswerable_declined_rate", "language_match",
                "recall@1", "recall@3", "recall@5", "mrr", "citation_precision", "citation_recall"}


# --------------------------------------------------------------------------------------------------
# Scoring rows
# --------------------------------------------------------------------------------------------------


def score_rows(rows: Iterable[Mapping[str, Any]], predictions: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """Per-row scores for rows that have both gold ``answers`` and a prediction, with enough of the
    question and prediction attached to read a failure without opening two files."""
    scores = []
    for row in rows:
        pred = predictions.get(str(row.get("id")))
        if pred is None or "answers" not in row:
            continue
        s = score_row(row, pred)
        s.update(
            question=row.get("question", ""),
            history_turns=len(row.get("history") or []),
            gold=list(row.get("answers") or []),
            gold_sources=list(row.get("sources") or []),
            prediction=pred.get("answer", ""),
            abstained=bool(pred.get("abstained")),
            citation_sources=[c.get("source") for c in pred.get("citations") or []],
            retrieved_sources=[p.get("source") for p in (pred.get("passages") or [])[:5]],
            model=pred.get("model", ""),
        )
        scores.append(s)
    return scores


# --------------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------------


def _mean(values: Iterable[float | int | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _percentile(values: Iterable[float | None], q: float) -> float | None:
    import numpy as np

    vals = [float(v) for v in values if v is not None]
    return round(float(np.percentile(vals, q)), 3) if vals else None


def aggregate(scores: Sequence[Mapping[str, Any]]) -> Metrics:
    """All metrics over one slice of rows."""
    answerable = [s for s in scores if s["answerable"]]
    unanswerable = [s for s in scores if not s["answerable"]]
    declined = [s for s in scores if s["declined"]]
    correct = [s for s in answerable if s["correct"]]
    with_sources = [s for s in answerable if s.get("gold_sources", True)]
    true_declines = sum(1 for s in unanswerable if s["declined"])
    n_citations = sum(s["n_citations"] for s in answerable)
    return {
        "n": len(scores),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "accuracy": _mean(s["correct"] for s in answerable),
        # A right name copied inside a passage-language answer scores as accurate; the asker may not
        # be able to read it. This counts only answers that are right and in the asker's language.
        "accuracy_in_language": _mean(bool(s["correct"] and s["language_ok"]) for s in answerable),
        "token_f1": _mean(s["f1"] for s in answerable),
        "list_item_recall": _mean(s["list_recall"] for s in answerable),
        "abstention_precision": _ratio(true_declines, len(declined)),
        "abstention_recall": _ratio(true_declines, len(unanswerable)),
        "answerable_declined_rate": _ratio(sum(1 for s in answerable if s["declined"]), len(answerable)),
        "unanswerable_declined_rate": _ratio(true_declines, len(unanswerable)),
        "language_match": _mean(s["language_ok"] for s in scores),
        "recall@1": _mean(s["rank"] is not None and s["rank"] <= 1 for s in with_sources),
        "recall@3": _mean(s["rank"] is not None and s["rank"] <= 3 for s in with_sources),
        "recall@5": _mean(s["rank"] is not None and s["rank"] <= 5 for s in with_sources),
        "mrr": _mean(1.0 / s["rank"] if s["rank"] else 0.0 for s in with_sources),
        "citation_precision": _ratio(sum(s["supported_citations"] for s in answerable), n_citations),
        "citation_recall": _ratio(sum(1 for s in correct if s["supported_citations"] > 0), len(correct)),
        "latency_first_token_p50": _percentile((s["first_token"] for s in scores), 50),
        "latency_first_token_p95": _percentile((s["first_token"] for s in scores), 95),
        "latency_total_p50": _percentile((s["total"] for s in scores), 50),
        "latency_total_p95": _percentile((s["total"] for s in scores), 95),
        "prompt_tokens_mean": _mean(s["prompt_tokens"] for s in scores),
        "generated_tokens_mean": _mean(s["generated_tokens"] for s in scores),
    }


def _groups(scores: Sequence[Mapping[str, Any]], key: str, order: Sequence[str] = ()) -> dict[str, Metrics]:
    names = sorted({str(s[key]) for s in scores if s.get(key) is not None})
    ordered = [n for n in order if n in names] + [n for n in names if n not in order]
    return {name: aggregate([s for s in scores if str(s.get(key)) == name]) for name in ordered}


def _badness(s: Mapping[str, Any]) -> float:
    """How wrong a row is, for the "worst questions" table: wrong answers by how far off (token F1),
    wrongly declined answerable rows, and answered unanswerable rows."""
    if not s["answerable"]:
        return 0.0 if s["declined"] else 1.0
    if s["correct"]:
        return 0.0
    return 1.0 if s["declined"] else 1.0 - 0.5 * float(s["f1"] or 0.0)


def worst(scores: Sequence[Mapping[str, Any]], k: int = 10) -> list[dict[str, Any]]:
    bad = sorted((s for s in scores if _badness(s) > 0), key=lambda s: -_badness(s))
    return [{
        "id": s["id"], "lang": s["lang"], "setting": s["setting"], "tags": s["tags"], "question": s["question"],
        "gold": s["gold"][:6], "prediction": s["prediction"], "abstained": s["declined"],
        "citation_sources": s["citation_sources"], "gold_sources": s["gold_sources"],
        "retrieved_sources": s["retrieved_sources"], "f1": s["f1"],
    } for s in bad[:k]]


# --------------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------------


def _answering_commits(run_meta: Mapping[str, Any]) -> str | None:
    """The commit(s) whose code produced the predictions (a resumed run may span several); older
    metadata has none, and the report then names the checkout that scores."""
    commits = [s.get("git_commit") for s in run_meta.get("sessions") or [] if s.get("answered")]
    distinct = list(dict.fromkeys(c for c in commits if c))
    return ", ".join(distinct) or None


def git_commit() -> str | None:
    """HEAD of the checkout this code runs from, "+dirty" when there are uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "python": platform.python_version()}


def build_report(scores: Sequence[Mapping[str, Any]], *, rows: Sequence[Mapping[str, Any]],
                 predictions: Mapping[str, Mapping[str, Any]], dataset: Path | str,
                 run_meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    run_meta = run_meta or {}
    settings = run_meta.get("settings") or {}
    ids = {str(r.get("id")) for r in rows}
    answered = [p for k, p in predictions.items() if k in ids]
    by_lang_setting = {
        lang: {st: aggregate([s for s in scores if s["lang"] == lang and s["setting"] == st]) for st in SETTINGS}
        for lang in [x for x in LANG_ORDER if any(s["lang"] == x for s in scores)]
    }
    report: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "dataset": {
                "path": str(dataset),
                "rows": len(rows),
                "predicted": len(answered),
                "scored": len(scores),
                "unscored": sum(1 for r in rows if "answers" not in r and str(r.get("id")) in predictions),
                "missing_predictions": sum(1 for r in rows if str(r.get("id")) not in predictions),
            },
            "models": {
                "llm": sorted({str(p.get("model")) for p in answered if p.get("model")}),
                "embedder": settings.get("embedder"),
            },
            "settings": settings,
            "machine": machine(),
            "git_commit": _answering_commits(run_meta) or git_commit(),
            "peak_memory_mb": run_meta.get("peak_memory_mb"),
        },
        "overall": aggregate(scores),
        "by_language": _groups(scores, "lang", LANG_ORDER),
        "by_setting": _groups(scores, "setting", SETTINGS),
        "by_language_setting": by_lang_setting,
        "by_tag": {t: aggregate([s for s in scores if t in s["tags"]])
                   for t in sorted({t for s in scores for t in s["tags"]})},
        "worst": worst(scores),
    }
    directions = _groups(scores, "direction")
    if directions:
        report["by_direction"] = directions
    return report


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


def _fmt(value: Any, metric: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if metric in RATE_METRICS:
            return f"{value:.3f}"
        return f"{value:.2f}"
    return str(value)


def _columns(report: Mapping[str, Any]) -> list[tuple[str, Metrics]]:
    cols: list[tuple[str, Metrics]] = [("all", report["overall"])]
    cols += list(report["by_language"].items())
    cols += list(report["by_setting"].items())
    return cols


def _table(columns: Sequence[tuple[str, Metrics]], metrics: Sequence[str], markdown: bool) -> str:
    header = ["metric", *[name for name, _ in columns]]
    body = [[m, *[_fmt(col.get(m), m) for _, col in columns]] for m in metrics]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
                     for r in [header, *body])


def headline(report: Mapping[str, Any]) -> str:
    """The terminal summary: key metrics for all rows, per language and same/cross-lingual."""
    meta = report["meta"]
    ds = meta["dataset"]
    top = (f"{ds['path']}: {ds['scored']} scored of {ds['rows']} rows"
           f" ({ds['missing_predictions']} without prediction); llm {', '.join(meta['models']['llm']) or '?'};"
           f" peak memory {_fmt(meta.get('peak_memory_mb'))} MB")
    return top + "\n" + _table(_columns(report), KEY_METRICS, markdown=False)


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Mapping[str, Any]) -> str:
    meta = report["meta"]
    ds = meta["dataset"]
    all_metrics = list(report["overall"])
    out = [
        f"# Eval report: {Path(ds['path']).name}",
        "",
        f"- date (UTC): {meta['date']}",
        f"- dataset: `{ds['path']}` — {ds['rows']} rows, {ds['predicted']} predicted, {ds['scored']} scored,"
        f" {ds['unscored']} without gold, {ds['missing_predictions']} without prediction",
        f"- models: llm {', '.join(meta['models']['llm']) or '?'}; embedder {meta['models']['embedder'] or '?'}",
        f"- machine: {meta['machine']['platform']}, {meta['machine']['cpu_count']} CPUs,"
        f" Python {meta['machine']['python']}",
        f"- git commit: {meta['git_commit'] or '?'}",
        f"- peak memory: {_fmt(meta.get('peak_memory_mb'))} MB",
        "",
        "Accuracy, token F1, retrieval and citation metrics are over answerable rows; abstention precision /"
        " recall treat *should abstain* (unanswerable) as the positive class; latencies are seconds.",
        "",
        "## All metrics: overall, per question language, same-language vs cross-lingual",
        "",
        _table(_columns(report), all_metrics, markdown=True),
        "",
    ]
    for lang, by_setting in report["by_language_setting"].items():
        cols = [(lang, report["by_language"][lang]),
                *[(f"{lang} {st}", m) for st, m in by_setting.items()]]
        out += [f"## {lang}", "", _table(cols, all_metrics, markdown=True), ""]
    out += ["## Same-language vs cross-lingual", "",
            _table(list(report["by_setting"].items()), all_metrics, markdown=True), ""]
    if report.get("by_direction"):
        out += ["## Per direction (question -> corpus)", "",
                _table(list(report["by_direction"].items()), KEY_METRICS, markdown=True), ""]
    tag_metrics = ("n", "accuracy", "accuracy_in_language", "token_f1", "answerable_declined_rate",
                   "unanswerable_declined_rate", "language_match", "recall@5", "citation_precision")
    out += ["## Per tag", "", _table(list(report["by_tag"].items()), tag_metrics, markdown=True), ""]
    out += ["## Plots", "", "![accuracy by language](accuracy_by_language.png)", "",
            "![latency](latency.png)", ""]
    out += ["## Worst questions", "",
            "| id | question | gold | prediction | declined | cited | retrieved (top 5) |",
            "|---|---|---|---|---|---|---|"]
    if not report["worst"]:
        out.append("| – | (no wrong answers) | | | | | |")
    for w in report["worst"]:
        out.append("| " + " | ".join(_md_escape(x) for x in (
            w["id"], w["question"], "; ".join(w["gold"]) or "(unanswerable)", w["prediction"][:300],
            _fmt(w["abstained"]), ", ".join(s for s in w["citation_sources"] if s) or "–",
            ", ".join(s for s in w["retrieved_sources"] if s) or "–")) + " |")
    return "\n".join(out) + "\n"


def plot_accuracy(report: Mapping[str, Any], path: Path) -> None:
    """Grouped bars: accuracy per question language, same-language vs cross-lingual side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = list(report["by_language_setting"])
    groups = [*langs, "all"]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.38
    for j, setting in enumerate(SETTINGS):
        vals: list[float] = []
        ns: list[int] = []
        for g in groups:
            m = report["by_setting"].get(setting, {}) if g == "all" else report["by_language_setting"][g][setting]
            vals.append(float(m.get("accuracy") or 0.0))
            ns.append(int(m.get("n_answerable") or 0))
        xs = [i + (j - 0.5) * width for i in range(len(groups))]
        bars = ax.bar(xs, vals, width, label=setting)
        for bar, n in zip(bars, ns, strict=True):
            ax.annotate(f"n={n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=8)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 1.25)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("accuracy (answerable rows)")
    ax.set_title("Accuracy by question language")
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_latency(scores: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Histograms of total and first-token latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    total = [float(s["total"]) for s in scores if s.get("total") is not None]
    first = [float(s["first_token"]) for s in scores if s.get("first_token") is not None]
    fig, ax = plt.subplots(figsize=(7, 4))
    if total or first:
        import numpy as np

        bins = [float(b) for b in np.histogram_bin_edges(total + first, bins=20)]  # shared: comparable
        if total:
            ax.hist(total, bins=bins, alpha=0.6, label=f"total (n={len(total)})")
        if first:
            ax.hist(first, bins=bins, alpha=0.6, label=f"first token (n={len(first)})")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no timings in the predictions", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("seconds")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(report: Mapping[str, Any], scores: Sequence[Mapping[str, Any]], out_dir: Path) -> list[Path]:
    """report.json, report.md, scores.jsonl, accuracy_by_language.png, latency.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / n for n in ("report.json", "report.md", "scores.jsonl", "accuracy_by_language.png",
                                   "latency.png")]
    paths[0].write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    paths[1].write_text(render_markdown(report), encoding="utf-8")
    paths[2].write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in scores), encoding="utf-8")
    plot_accuracy(report, paths[3])
    plot_latency(scores, paths[4])
    return paths


# --------------------------------------------------------------------------------------------------
# Comparing runs
# --------------------------------------------------------------------------------------------------


def _flatten(report: Mapping[str, Any]) -> dict[str, float]:
    flat: dict[str, float] = {}
    sections: list[tuple[str, Mapping[str, Any]]] = [("overall", report.get("overall") or {})]
    for group in ("by_language", "by_setting", "by_direction"):
        for name, metrics in (report.get(group) or {}).items():
            sections.append((name, metrics))
    for prefix, metrics in sections:
        for k, v in metrics.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                flat[f"{prefix}.{k}"] = float(v)
    mem = (report.get("meta") or {}).get("peak_memory_mb")
    if isinstance(mem, int | float):
        flat["meta.peak_memory_mb"] = float(mem)
    return flat


def compare(old_report: Mapping[str, Any], new_report: Mapping[str, Any]) -> str:
    """Metric by metric, old -> new and the difference; changed metrics first."""
    old, new = _flatten(old_report), _flatten(new_report)
    keys = [k for k in new if k in old] + [k for k in new if k not in old] + [k for k in old if k not in new]
    changed, same = [], []
    for k in keys:
        a, b = old.get(k), new.get(k)
        if a is not None and b is not None and abs(a - b) < 1e-9:
            same.append(k)
            continue
        delta = f"{b - a:+.3f}" if a is not None and b is not None else "n/a"
        metric = k.split(".", 1)[1]
        changed.append(f"{k:<42} {_fmt(a, metric):>10} {_fmt(b, metric):>10} {delta:>9}")
    old_meta, new_meta = old_report.get("meta") or {}, new_report.get("meta") or {}
    head = [f"compare: {old_meta.get('git_commit') or '?'} ({old_meta.get('date', '?')}) -> "
            f"{new_meta.get('git_commit') or '?'} ({new_meta.get('date', '?')})"]
    old_ds, new_ds = old_meta.get("dataset") or {}, new_meta.get("dataset") or {}
    if (old_ds.get("path"), old_ds.get("scored")) != (new_ds.get("path"), new_ds.get("scored")):
        head.append(f"warning: different row sets: {old_ds.get('path')} ({old_ds.get('scored')} scored) vs "
                    f"{new_ds.get('path')} ({new_ds.get('scored')} scored)")
    if not changed:
        return "\n".join([*head, f"no metric changed ({len(same)} compared)"])
    table = [f"{'metric':<42} {'old':>10} {'new':>10} {'delta':>9}", *changed]
    return "\n".join([*head, *table, f"({len(same)} metrics unchanged)"])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evals.report OLD.json NEW.json``: print the comparison of two saved reports."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m evals.report OLD/report.json NEW/report.json", file=sys.stderr)
        return 2
    old, new = (json.loads(Path(a).read_text(encoding="utf-8")) for a in args)
    print(compare(old, new))
    return 0


if __name__ == "__main__":
    sys.exit(main())
