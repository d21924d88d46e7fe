"""Why an answer was missed: the evidence never reached the answer stage, or it did and a later step failed.

Accuracy says how many answers are wrong; this says which component to change. Each missed row of a
run (answerable and not right, or unanswerable and answered) gets one cause, read from what the
product itself recorded with the answer (``Answer.evidence``, ``Answer.kind``, ``Answer.language``)
and the run's own settings (``typed_kinds``, ``llm_reads``):

- ``unanswerable, answered``: the question has no answer in the documents and one was given;
- ``evidence not given``: none of the evidence sentences the answer stage had holds the row's gold
  evidence quote (seed rows) or, where a row has no quote (XQuAD), any gold answer. Retrieval and the
  embedder's sentence ranking decide this; no later step can recover it;
- ``typed: rules or gate``: the evidence was there, the question asks for a value the rules read (a
  date, a number, a person, yes / no) and the answer is the rules' (``path`` "template") or a decline:
  the rules picked another value, or a gate declined;
- ``LLM: Azerbaijani to read or write``: the evidence was there, the LLM wrote the answer (an open
  question, or a typed one the rules left to it: ``path`` "llm", "extract", "quote", or a decline of an
  open question), and the evidence or the question is in a language the LLM does not read
  (``llm_reads``);
- ``LLM: readable, missed``: the same, in languages the LLM reads.

A miss counted as "evidence given" may still have needed another sentence too; the split is a guide to
where the errors sit, not a proof for any single row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from evals.scoring import accuracy
from rag.text.fold import lower_any

UNANSWERABLE = "unanswerable, answered"
NOT_GIVEN = "evidence not given"
TYPED = "typed: rules or gate"
UNREADABLE = "LLM: Azerbaijani to read or write"
READABLE = "LLM: readable, missed"
CAUSES = (UNANSWERABLE, NOT_GIVEN, TYPED, UNREADABLE, READABLE)

_KEY_CHARS = 60  # a quote and a sentence match on their first characters (quotes are often cut short)


def _folded(text: str) -> str:
    return re.sub(r"\W+", " ", lower_any(text)).strip()


def _quotes(row: Mapping[str, Any]) -> list[str]:
    ev = row.get("evidence") or []
    return [q for q in ([ev] if isinstance(ev, str) else ev) if q]


def _holds_quote(sentence: str, quote: str) -> bool:
    s, q = _folded(sentence), _folded(quote)
    return bool(s and q) and (q[:_KEY_CHARS] in s or s[:_KEY_CHARS] in q)


def given_evidence(row: Mapping[str, Any], prediction: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first evidence sentence the answer stage had that holds the row's gold evidence, or None."""
    quotes = _quotes(row)
    for sentence in prediction.get("evidence") or []:
        text = str(sentence.get("text", ""))
        if quotes and any(_holds_quote(text, q) for q in quotes):
            return sentence
        if not quotes and accuracy(text, row.get("answers") or []):
            return sentence
    return None


def miss_cause(score: Mapping[str, Any], prediction: Mapping[str, Any], row: Mapping[str, Any],
               typed_kinds: Sequence[str], readable: Sequence[str]) -> str | None:
    """One of ``CAUSES`` for a missed row; None for a row that was not missed."""
    if not score.get("answerable"):
        return None if score.get("declined") else UNANSWERABLE
    if score.get("correct"):
        return None
    found = given_evidence(row, prediction)
    if found is None:
        return NOT_GIVEN
    if (prediction.get("kind") or "") in typed_kinds and (prediction.get("path") or "") in ("template", ""):
        return TYPED
    langs = {str(found.get("lang", "")), str(prediction.get("language", ""))}
    return READABLE if langs <= set(readable) else UNREADABLE


def count_causes(scores: Iterable[Mapping[str, Any]], predictions: Mapping[str, Mapping[str, Any]],
                 rows: Mapping[str, Mapping[str, Any]], settings: Mapping[str, Any]) -> dict[str, list[str]]:
    """Cause -> ids of the missed rows. ``settings`` is the run's (report.json ``meta.settings``)."""
    typed = [k for k in str(settings.get("typed_kinds", "")).split(",") if k]
    readable = [k for k in str(settings.get("llm_reads", "en,ru")).split(",") if k]
    out: dict[str, list[str]] = {c: [] for c in CAUSES}
    for s in scores:
        sid = str(s["id"])
        if sid not in rows:
            continue
        cause = miss_cause(s, predictions.get(sid, {}), rows[sid], typed, readable)
        if cause is not None:
            out[cause].append(sid)
    return out
