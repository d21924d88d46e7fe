"""Per-row scoring: one prediction against one dataset row, everything the report aggregates.

Normalisation is in ``evals.normalise``, the metrics in ``evals.metrics``; this module decides which
metric applies to a row (answerable or not, yes/no polarity, list items) and attaches enough of the
question and prediction to read a failure without opening two files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from evals.metrics import (
    accuracy,
    answer_language,
    citation_supports,
    first_relevant_rank,
    is_abstention,
    list_recall,
    polarity,
    token_f1,
)

# --------------------------------------------------------------------------------------------------
# One row
# --------------------------------------------------------------------------------------------------


def declined(prediction: Mapping[str, Any]) -> bool:
    """The system declined: it said so itself, or its text is a decline."""
    return bool(prediction.get("abstained")) or is_abstention(str(prediction.get("answer") or ""))


def setting_of(row: Mapping[str, Any]) -> str | None:
    tags = row.get("tags") or []
    if "cross-lingual" in tags:
        return "cross-lingual"
    if "same-language" in tags:
        return "same-language"
    return None


def score_row(row: Mapping[str, Any], prediction: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the report aggregates, for one row (a row must have ``answers``)."""
    answer = str(prediction.get("answer") or "")
    answers = [str(a) for a in row.get("answers") or []]
    answerable = bool(row.get("answerable", bool(answers)))
    sources = list(row.get("sources") or [])
    lang = str(row.get("lang", ""))
    did_decline = declined(prediction)
    timings = prediction.get("timings") or {}
    tokens = prediction.get("tokens") or {}
    citations = prediction.get("citations") or []
    out: dict[str, Any] = {
        "id": row.get("id"),
        "lang": lang,
        "tags": list(row.get("tags") or []),
        "setting": setting_of(row),
        "direction": f"{lang}->{row['corpus']}" if row.get("corpus") else None,
        "answerable": answerable,
        "declined": did_decline,
        "detected_language": answer_language(answer),
        "first_token": timings.get("first_token"),
        "total": timings.get("total"),
        "prompt_tokens": tokens.get("prompt"),
        "generated_tokens": tokens.get("generated"),
        "n_citations": len(citations),
    }
    out["language_ok"] = out["detected_language"] in (lang, "unknown")
    if not answerable:
        out.update(correct=None, f1=None, list_recall=None, rank=None, supported_citations=0)
        return out
    pol = row.get("polarity")
    if pol in ("yes", "no"):
        correct = not did_decline and polarity(answer) == pol
        f1 = 1.0 if correct else 0.0
        support_answers: list[str] = []  # "да" / "yes" in a passage says nothing about support
    else:
        correct = not did_decline and accuracy(answer, answers)
        f1 = 0.0 if did_decline else token_f1(answer, answers)
        support_answers = answers
    groups = row.get("list_items")
    rank = first_relevant_rank(prediction.get("passages") or [], sources)
    supported = sum(citation_supports(c, sources, support_answers) for c in citations)
    out.update(
        correct=correct,
        f1=f1,
        list_recall=(0.0 if did_decline else list_recall(answer, groups)) if groups else None,
        rank=rank,
        supported_citations=supported,
    )
    return out


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
