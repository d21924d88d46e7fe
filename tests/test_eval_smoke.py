"""CI's smoke eval: the real `rag eval` on a small, rule-chosen subset of the seed questions.

The subset is taken by rule (per language: the first three answerable rows and the first unanswerable
one), never hand-picked for success. The floors catch a broken pipeline (which scores 0) or a clear
regression, not normal variation: on 2026-12-02 the default 1.5B model got 6 of these 9 answerable rows
right and declined all 3 unanswerable ones (evals/reports/2026-12-02-seeds-1.5b/; 4 and 3 at commit
be06ce4), so the floors ask for 4 and 2. Raise them as answer quality improves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

DATASET = PROJECT_ROOT / "evals" / "datasets" / "seeds_qa.jsonl"
ACCURACY_FLOOR = 0.4  # >= 4 of 9 answerable rows
DECLINE_FLOOR = 0.6  # >= 2 of 3 unanswerable rows


def smoke_rows() -> list[dict]:
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    picked = []
    for lang in ("az", "ru", "en"):
        mine = [r for r in rows if r["lang"] == lang and not r.get("history")]
        picked += [r for r in mine if r["answerable"]][:3]
        picked += [r for r in mine if not r["answerable"]][:1]
    return picked


def test_smoke_eval_meets_floor(tmp_path: Path, base_settings, seeds_dir: Path) -> None:  # type: ignore[no-untyped-def]
    rows = smoke_rows()
    assert len(rows) == 12
    dataset = tmp_path / "smoke.jsonl"
    dataset.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report_dir = tmp_path / "report"
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp_path / "index")}
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", "--dataset", str(dataset), "--report", str(report_dir),
         "--predictions", str(tmp_path / "pred.jsonl"), "--llm", "default"],
        capture_output=True, text=True, env=env, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((report_dir / "report.json").read_text())
    overall = report["overall"]
    print(json.dumps(overall, indent=1)[:2000])
    assert overall["n"] == 12
    assert overall["accuracy"] >= ACCURACY_FLOOR, overall
    assert overall["unanswerable_declined_rate"] >= DECLINE_FLOOR, overall
    for name in ("report.md", "accuracy_by_language.png", "latency.png"):
        assert (report_dir / name).stat().st_size > 0
