"""The eval runner's own logic — resume after a crash, report files, run comparison.

A fake ``ask`` stands in for the pipeline on purpose: these tests check the loop, files and report, not
the model (the real end-to-end eval is ``rag eval`` over evals/datasets/seeds_qa.jsonl).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes import CrashAfter, scripted_answer

from evals.aggregate import aggregate
from evals.compare import compare
from evals.runner import read_predictions, run, score_only
from evals.scoring import score_rows

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"q{i}", "lang": "en", "question": f"question {i}?", "answers": [str(i)],
             "sources": ["a.txt"], "answerable": True, "tags": ["same-language"]} for i in range(1, n + 1)]


def test_resume_after_crash_asks_only_the_remaining_rows(tmp_path: Path) -> None:
    rows = _rows(6)
    path = tmp_path / "run" / "predictions.jsonl"
    first = CrashAfter(limit=3)
    with pytest.raises(RuntimeError):
        run(rows, first, path)
    assert first.asked == ["q1", "q2", "q3"]
    assert list(read_predictions(path)) == ["q1", "q2", "q3"]

    second = CrashAfter()
    preds = run(rows, second, path)
    assert second.asked == ["q4", "q5", "q6"]
    assert [p["id"] for p in preds] == [r["id"] for r in rows]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 6

    third = CrashAfter()
    run(rows, third, path)  # everything answered: nothing to ask
    assert third.asked == []
    fresh = CrashAfter()
    run(rows[:2], fresh, path, fresh=True)
    assert fresh.asked == ["q1", "q2"]
    assert list(read_predictions(path)) == ["q1", "q2"]


def test_truncated_last_line_is_dropped_and_answered_again(tmp_path: Path) -> None:
    rows = _rows(4)
    path = tmp_path / "predictions.jsonl"
    lines = [json.dumps({**scripted_answer(r), "id": r["id"]}, ensure_ascii=False) for r in rows[:3]]
    path.write_text(lines[0] + "\n" + lines[1] + "\n" + lines[2][: len(lines[2]) // 2], encoding="utf-8")

    ask = CrashAfter()
    preds = run(rows, ask, path)
    assert ask.asked == ["q3", "q4"]
    assert [p["id"] for p in preds] == ["q1", "q2", "q3", "q4"]
    saved = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in saved] == ["q1", "q2", "q3", "q4"]


def _write_jsonl(path: Path, items: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")


def _dataset_and_predictions(tmp_path: Path, right: bool = True) -> tuple[Path, Path]:
    rows: list[dict[str, Any]] = [
        {"id": "en-001", "lang": "en", "question": "When is the second forum?", "answers": ["5-8 May"],
         "sources": ["000.txt"], "answerable": True, "tags": ["cross-lingual", "date"]},
        {"id": "ru-001", "lang": "ru", "question": "Кто глава ГМС?", "answers": ["Вусал Гусейнов"],
         "sources": ["000.txt"], "answerable": True, "tags": ["cross-lingual", "name"]},
        {"id": "az-001", "lang": "az", "question": "Forum harada keçirilib?", "answers": ["Nyu-York"],
         "sources": ["001.txt"], "answerable": True, "tags": ["same-language", "what"]},
        {"id": "az-002", "lang": "az", "question": "Dolma necə bişirilir?", "answers": [], "sources": [],
         "answerable": False, "tags": ["unanswerable", "off-topic"]},
        {"id": "en-002", "lang": "en", "question": "A row without gold answers?"},
    ]

    def pred(answer: str, abstained: bool = False, source: str = "000.txt", t: float = 2.0) -> dict[str, Any]:
        return {"answer": answer, "abstained": abstained, "language": "en",
                "citations": [] if abstained else [{"n": 1, "source": source, "text": "...", "quote": ""}],
                "passages": [{"source": "001.txt"}, {"source": source}],
                "timings": {"retrieve": 0.1, "first_token": t / 2, "total": t},
                "tokens": {"prompt": 800, "generated": 20}, "model": "qwen-test"}
    preds = [
        {**pred("The second forum will be held on May 5-8 [1]." if right else "On 5-8 December [1]."),
         "id": "en-001"},
        {**pred("ГМС возглавляет Vusal Huseynov [1]."), "id": "ru-001"},
        {**pred("Forum Nyu-Yorkda keçirilib [1].", source="001.txt", t=4.0), "id": "az-001"},
        {**pred("Sənədlərdə bu barədə məlumat yoxdur.", abstained=True), "id": "az-002"},
        {**pred("Whatever."), "id": "en-002"},
    ]
    dataset, predictions = tmp_path / "tiny_qa.jsonl", tmp_path / "predictions.jsonl"
    _write_jsonl(dataset, rows)
    _write_jsonl(predictions, preds)
    return dataset, predictions


def test_score_only_writes_report_files(tmp_path: Path) -> None:
    dataset, predictions = _dataset_and_predictions(tmp_path)
    out = tmp_path / "report"
    report = score_only(dataset, predictions, out, quiet=True)

    for name in ("report.json", "report.md", "scores.jsonl"):
        assert (out / name).stat().st_size > 0
    for name in ("accuracy_by_language.png", "latency.png"):
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    saved = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert saved["overall"] == report["overall"]
    overall = report["overall"]
    assert overall["n"] == 4 and overall["n_answerable"] == 3  # the row without answers is not scored
    assert overall["accuracy"] == 1.0 and overall["accuracy_in_language"] == 1.0
    assert overall["abstention_precision"] == 1.0 and overall["abstention_recall"] == 1.0
    assert overall["recall@1"] == pytest.approx(1 / 3, abs=1e-3) and overall["recall@3"] == 1.0
    assert overall["citation_precision"] == 1.0 and overall["citation_recall"] == 1.0
    assert overall["latency_total_p50"] == 2.0
    assert set(report["by_language"]) == {"az", "ru", "en"}
    assert report["by_setting"]["cross-lingual"]["n"] == 2
    assert report["meta"]["dataset"]["unscored"] == 1
    assert report["meta"]["models"]["llm"] == ["qwen-test"]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Worst questions" in md and "cross-lingual" in md


def test_right_answer_in_the_wrong_language_counts_only_in_plain_accuracy() -> None:
    rows = [{"id": "az-1", "lang": "az", "question": "Birinci forum harada keçirilib?", "answers": ["Nyu-York"],
             "sources": ["a.txt"], "answerable": True, "tags": ["same-language"]},
            {"id": "az-2", "lang": "az", "question": "Forum nə vaxt keçiriləcək?", "answers": ["mayın 5-8"],
             "sources": ["a.txt"], "answerable": True, "tags": ["same-language"]}]
    answers = {"az-1": "The first forum was held at the United Nations headquarters in Nyu-York [1].",
               "az-2": "Forum mayın 5-8-də keçiriləcək [1]."}
    preds = {rid: {"answer": text, "abstained": False, "citations": [{"n": 1, "source": "a.txt"}],
                   "passages": [{"source": "a.txt"}], "timings": {}, "tokens": {}} for rid, text in answers.items()}
    overall = aggregate(score_rows(rows, preds))
    assert overall["accuracy"] == 1.0
    assert overall["accuracy_in_language"] == 0.5


def test_compare_mentions_changed_metric(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    dataset, predictions = _dataset_and_predictions(tmp_path / "a")
    old = score_only(dataset, predictions, tmp_path / "old", quiet=True)
    dataset_b, predictions_b = _dataset_and_predictions(tmp_path / "b", right=False)
    new = score_only(dataset_b, predictions_b, tmp_path / "new", quiet=True)
    assert new["overall"]["accuracy"] < old["overall"]["accuracy"]
    text = compare(old, new)
    assert "overall.accuracy" in text
    assert "-0.333" in text
    assert "no metric changed" in compare(old, old)


def test_run_eval_plumbing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    """``rag eval`` flags -> predictions, meta side file and report, with the pipeline faked out."""
    import argparse

    from evals import runner
    from rag.settings import Settings

    made: list[Any] = []

    class FakePipelineAsk(CrashAfter):
        def __init__(self, settings: Settings, dataset: Path, index_root: Path, progress: bool = True) -> None:
            super().__init__()
            assert settings.temperature == 0.0
            made.append(self)

    monkeypatch.setattr(runner, "PipelineAsk", FakePipelineAsk)
    dataset = tmp_path / "tiny_qa.jsonl"
    _write_jsonl(dataset, _rows(5))
    args = argparse.Namespace(dataset=dataset, predictions=tmp_path / "run" / "predictions.jsonl",
                              report=tmp_path / "run", limit=3, compare=None, fresh=False)
    settings = Settings(index_dir=tmp_path / "index", temperature=0.7)
    assert runner.run_eval(settings, args) == 0
    assert made[0].asked == ["q1", "q2", "q3"]
    meta_file = tmp_path / "run" / "predictions.meta.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    assert meta["peak_memory_mb"] > 0 and meta["settings"]["temperature"] == 0.0
    assert "llm_api_key" not in meta["settings"]
    # Re-scoring the stored answers with other settings leaves the run's record as it was.
    recorded = meta_file.read_bytes()
    assert runner.run_eval(settings.replace(llm="fast"), args) == 0
    assert len(made) == 2 and made[1].asked == []
    assert meta_file.read_bytes() == recorded
    report = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert report["overall"]["n"] == 3 and report["overall"]["accuracy"] == 1.0
    assert report["meta"]["peak_memory_mb"] == meta["peak_memory_mb"]
    # The report names the commit that answered (recorded when the run started), not a later HEAD.
    monkeypatch.setattr("evals.run_meta.git_commit", lambda: "later-head")
    answered_by = meta["sessions"][0]["git_commit"]
    assert answered_by and answered_by != "later-head"
    rescored = runner.score_only(dataset, tmp_path / "run" / "predictions.jsonl", tmp_path / "rescored", quiet=True)
    assert rescored["meta"]["git_commit"] == answered_by

    args.compare = tmp_path / "run" / "report.json"
    args.limit = None
    capsys.readouterr()
    assert runner.run_eval(settings, args) == 0  # resumes: only q4, q5 are asked
    assert made[2].asked == ["q4", "q5"]
    out = capsys.readouterr().out
    assert "overall.n " in out  # compared with the report this run overwrote: 3 rows -> 5 rows


def test_seed_rows_are_answered_from_exactly_the_seeds(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    """The machine's default index may hold anything (another clone's seeds/ is another set of
    documents); the eval's own index holds the seeds folder and nothing else, and the default index is
    left as it was. Real embedder and store, two one-line documents."""
    from evals.runner import PipelineAsk
    from rag.pipeline import RAG

    other, seeds = tmp_path / "other", tmp_path / "seeds"
    other.mkdir()
    seeds.mkdir()
    (other / "copy.txt").write_text("Forum mayın 5-8-də keçiriləcək.\n", encoding="utf-8")
    (seeds / "forum.txt").write_text("İkinci Forum mayın 5-8-də keçiriləcək.\n", encoding="utf-8")
    RAG(settings).ingest([other], progress=False)
    asker = PipelineAsk(settings.replace(seeds_dir=seeds), tmp_path / "seeds_qa.jsonl", index_root=tmp_path / "run",
                        progress=False)
    rag = asker._open(None)
    assert [d["source"] for d in rag.documents()] == ["forum.txt"]
    assert [d["source"] for d in RAG(settings).documents()] == ["copy.txt"]
