"""A report as text: the terminal headline, report.md, and the files of a report folder.

Figures are formatted one way everywhere (``fmt``): rates with three decimals, seconds and means with
two, undefined metrics as "–".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.aggregate import Metrics
from evals.plots import plot_accuracy, plot_latency

KEY_METRICS = ("n", "accuracy", "accuracy_in_language", "token_f1", "abstention_precision", "abstention_recall",
               "language_match", "recall@5", "mrr", "citation_precision", "citation_recall", "latency_total_p50",
               "latency_total_p95")
RATE_METRICS = {"accuracy", "accuracy_in_language", "token_f1", "list_item_recall", "abstention_precision",
                "abstention_recall", "answerable_declined_rate", "unanswerable_declined_rate", "language_match",
                "recall@1", "recall@3", "recall@5", "mrr", "citation_precision", "citation_recall"}


def fmt(value: Any, metric: str = "") -> str:
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
    body = [[m, *[fmt(col.get(m), m) for _, col in columns]] for m in metrics]
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
           f" peak memory {fmt(meta.get('peak_memory_mb'))} MB")
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
        f"- peak memory: {fmt(meta.get('peak_memory_mb'))} MB",
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
            fmt(w["abstained"]), ", ".join(s for s in w["citation_sources"] if s) or "–",
            ", ".join(s for s in w["retrieved_sources"] if s) or "–")) + " |")
    return "\n".join(out) + "\n"



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
