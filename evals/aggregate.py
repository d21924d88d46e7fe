"""Per-row scores -> metrics over every slice of the eval set (the content of report.json).

Why so many slices: the product's hard cases are specific (cross-lingual questions, dates, follow-ups,
questions the corpus cannot answer), and an overall accuracy hides a regression in any one of them.
Every metric is therefore computed the same way for the whole set, per question language, for
same-language vs cross-lingual rows, per tag and (external sets) per question->corpus direction.

A metric that is undefined for a slice (no unanswerable rows, no citations, no timings) is ``None`` —
reported as "–" — rather than 0, so it cannot be mistaken for a real zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals import run_meta as rm

Metrics = dict[str, float | int | None]

LANG_ORDER = ("az", "ru", "en")
SETTINGS = ("same-language", "cross-lingual")


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
            "machine": rm.machine(),
            "git_commit": rm.answering_commits(run_meta) or rm.git_commit(),
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
