"""Missed rows by cause (evals/misses.py) and their table in the breakdown (evals/breakdown.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals import breakdown
from evals.misses import NOT_GIVEN, READABLE, TYPED, UNANSWERABLE, UNREADABLE, count_causes, miss_cause

# Real seed sentences (seeds/), as the answer stage records them in Answer.evidence.
AZ_FORUM = ("Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna "
            "hazırlıq çərçivəsində baş tutub.")
AZ_ROADMAP = ("\"Yol xəritəsi\" sənədində Azərbaycanda qaçqınların inteqrasiyası üçün dörd əsas sahə müəyyən "
              "edilib: yaşayış sahəsi ilə təmin olunma imkanı; təhsilə çıxış imkanı")
EN_MEETING = ("On 31 May 2021, IOM Azerbaijan organized an online coordination meeting devoted to the update of "
              "work under UN Migration Network Azerbaijan (UNNM)")
TYPED_KINDS = ["date", "period", "number", "ordinal", "person", "yesno"]
READS = ["en", "ru"]


def _ev(text: str, lang: str) -> dict[str, Any]:
    return {"n": 1, "text": text, "lang": lang}


def _score(answerable: bool = True, correct: bool = False, declined: bool = False) -> dict[str, Any]:
    return {"id": "en-001", "answerable": answerable, "correct": correct, "declined": declined}


def test_the_cause_follows_where_the_evidence_was_and_who_wrote_the_answer() -> None:
    forum = {"answers": ["5-8 May"], "evidence": "mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumu"}
    roadmap = {"answers": ["housing"], "evidence": AZ_ROADMAP}
    given = [_ev(EN_MEETING, "en"), _ev(AZ_FORUM, "az")]
    # The gold sentence is second of those the answer stage had: not a retrieval miss.
    typed = miss_cause(_score(), {"kind": "date", "path": "template", "evidence": given, "language": "en"},
                       forum, TYPED_KINDS, READS)
    assert typed == TYPED
    # The same sentences, but the LLM wrote the answer from Azerbaijani evidence.
    assert miss_cause(_score(), {"kind": "date", "path": "llm", "evidence": given, "language": "en"},
                      forum, TYPED_KINDS, READS) == UNREADABLE
    # The gold sentence never reached the answer stage.
    assert miss_cause(_score(), {"kind": "", "path": "llm", "evidence": given, "language": "en"},
                      roadmap, TYPED_KINDS, READS) == NOT_GIVEN
    # English evidence, an English question, an open question the LLM got wrong.
    meeting = {"answers": ["No"], "evidence": "IOM Azerbaijan organized an online coordination meeting"}
    assert miss_cause(_score(), {"kind": "", "path": "llm", "evidence": given, "language": "en"},
                      meeting, TYPED_KINDS, READS) == READABLE
    # An Azerbaijani asker makes it unreadable for the LLM even over English evidence.
    assert miss_cause(_score(), {"kind": "", "path": "llm", "evidence": given, "language": "az"},
                      meeting, TYPED_KINDS, READS) == UNREADABLE


def test_right_answers_and_declined_unanswerables_are_no_misses() -> None:
    pred = {"kind": "", "path": "llm", "evidence": [_ev(EN_MEETING, "en")], "language": "en"}
    row = {"answers": ["online"], "evidence": EN_MEETING}
    assert miss_cause(_score(correct=True), pred, row, TYPED_KINDS, READS) is None
    assert miss_cause(_score(answerable=False, declined=True), pred, {}, TYPED_KINDS, READS) is None
    assert miss_cause(_score(answerable=False), pred, {}, TYPED_KINDS, READS) == UNANSWERABLE


def test_rows_without_an_evidence_quote_are_matched_by_their_gold_answer() -> None:
    """XQuAD rows carry no evidence quote: the evidence counts as given when a sentence holds a gold answer."""
    pred = {"kind": "number", "path": "template", "language": "en",
            "evidence": [_ev("Защита Пэнтерс уступила всего 308 очков, лидировала в НФЛ по перехватам с 24.", "ru")]}
    assert miss_cause(_score(), pred, {"answers": ["24"]}, TYPED_KINDS, READS) == TYPED
    assert miss_cause(_score(), pred, {"answers": ["Kawann Short"]}, TYPED_KINDS, READS) == NOT_GIVEN


def test_the_breakdown_lists_missed_rows_by_cause_from_the_runs_dataset(tmp_path: Path) -> None:
    dataset = tmp_path / "qa.jsonl"
    rows: list[dict[str, Any]] = [{"id": "en-001", "question": "When?", "answers": ["5-8 May"], "answerable": True,
             "evidence": "mayın 5-8-də keçiriləcək ikinci"},
            {"id": "en-002", "question": "Capital?", "answers": [], "answerable": False}]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    scores = [{"id": "en-001", "answerable": True, "correct": False, "declined": False, "f1": 0.0},
              {"id": "en-002", "answerable": False, "correct": None, "declined": False, "f1": None}]
    preds: list[dict[str, Any]] = [{"id": "en-001", "kind": "date", "path": "template", "language": "en",
              "evidence": [_ev(AZ_FORUM, "az")]},
             {"id": "en-002", "kind": "", "path": "llm", "language": "en", "evidence": []}]
    (tmp_path / "scores.jsonl").write_text("".join(json.dumps(s) + "\n" for s in scores), encoding="utf-8")
    (tmp_path / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    meta: dict[str, Any] = {"dataset": {"path": str(dataset)},
                            "settings": {"typed_kinds": "date,number", "llm_reads": "en,ru"}}
    (tmp_path / "report.json").write_text(json.dumps({"meta": meta}), encoding="utf-8")
    assert breakdown.main([str(tmp_path)]) == 0
    text = (tmp_path / "breakdown.md").read_text(encoding="utf-8")
    assert f"| {TYPED} | 1 | 0 | 1 | en-001 |" in text
    assert f"| {UNANSWERABLE} | 0 | 1 | 1 | en-002 |" in text
    by_cause = count_causes(scores, {p["id"]: p for p in preds}, {r["id"]: r for r in rows}, meta["settings"])
    assert by_cause[NOT_GIVEN] == [] and by_cause[TYPED] == ["en-001"]
