"""``rag eval``: answer every dataset row with the real pipeline, save predictions, score, report.

Why resumable, one JSON line per answer, flushed as it is written: a full run of the local LLM on two
CPU cores takes a long time, and a crash, Ctrl-C or reboot near the end must not throw that work away.
A rerun skips every id already in the predictions file; a half-written last line (the crash happened
while writing it) is dropped and that row answered again.

Why the model is reached only through an ``ask(row) -> dict`` callable: the loop, resume and file
handling are tested with a fake ``ask`` in milliseconds; only ``run_eval`` builds the real facade.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.split import split_of
from rag.errors import InputError
from rag.index.backends import location
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.pipeline import RAG

Row = dict[str, Any]
Prediction = dict[str, Any]
Ask = Callable[[Row], Prediction]

_SECRET_SETTINGS = {"llm_api_key"}


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def default_run_dir(dataset: Path) -> Path:
    """evals/runs/<dataset stem>/ (relative to the working directory, like the other CLI paths)."""
    return Path("evals") / "runs" / dataset.stem


def load_dataset(path: Path) -> list[Row]:
    """Rows of a JSONL dataset; a malformed line is an error naming the line (datasets are hand-written)."""
    if not path.is_file():
        raise InputError(f"dataset {path} does not exist", fix="pass --dataset evals/datasets/seeds_qa.jsonl")
    rows: list[Row] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or "id" not in row or not str(row.get("question") or "").strip():
            raise InputError(f"{path}:{lineno}: a row needs an id and a question")
        if str(row["id"]) in seen:
            raise InputError(f"{path}:{lineno}: duplicate id {row['id']!r}")
        seen.add(str(row["id"]))
        rows.append(row)
    return rows


def _parse_predictions(text: str) -> tuple[dict[str, Prediction], bool]:
    """(predictions by id, whether anything was unreadable). The last one wins if an id repeats."""
    done: dict[str, Prediction] = {}
    damaged = bool(text) and not text.endswith("\n")
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            pred = json.loads(line)
        except json.JSONDecodeError:
            damaged = True  # a line cut short by a crash
            continue
        if isinstance(pred, dict) and "id" in pred:
            done[str(pred["id"])] = pred
        else:
            damaged = True
    return done, damaged


def read_predictions(path: Path) -> dict[str, Prediction]:
    """Saved predictions by id (read-only; unreadable lines are skipped)."""
    if not path.is_file():
        return {}
    return _parse_predictions(path.read_text(encoding="utf-8", errors="replace"))[0]


def _load_for_resume(path: Path) -> dict[str, Prediction]:
    """Saved predictions; if the file is damaged, rewrite it with only the readable lines (atomically)
    so that appending continues after a clean newline."""
    if not path.is_file():
        return {}
    done, damaged = _parse_predictions(path.read_text(encoding="utf-8", errors="replace"))
    if damaged:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in done.values()), encoding="utf-8")
        os.replace(tmp, path)
    return done


def meta_path(predictions_path: Path) -> Path:
    """Side file with what a prediction line cannot hold: peak memory, settings, run sessions."""
    return predictions_path.with_name(predictions_path.stem + ".meta.json")


def read_meta(predictions_path: Path) -> dict[str, Any]:
    path = meta_path(predictions_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def peak_memory_mb() -> float:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


# --------------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------------


def run(rows: Sequence[Row], ask: Ask, predictions_path: Path, fresh: bool = False,
        progress: bool = False) -> list[Prediction]:
    """Answer every row not yet in ``predictions_path`` and append one JSON line per answer.

    Returns the predictions of ``rows`` (saved earlier or now), in row order. An exception from ``ask``
    propagates after everything before it is safely on disk, so the next call resumes at that row.
    """
    from tqdm import tqdm

    predictions_path.parent.mkdir(parents=True, exist_ok=True)
    if fresh:
        predictions_path.write_text("", encoding="utf-8")
        done: dict[str, Prediction] = {}
    else:
        done = _load_for_resume(predictions_path)
    todo = [r for r in rows if str(r["id"]) not in done]
    with (predictions_path.open("a", encoding="utf-8") as fh,
          tqdm(total=len(rows), initial=len(rows) - len(todo), desc="eval", unit="q", disable=not progress,
               file=sys.stderr) as bar):
        for row in todo:
            key = str(row["id"])
            if key in done:  # the same id twice in ``rows``
                continue
            pred = dict(ask(row))
            pred["id"] = row["id"]
            fh.write(json.dumps(pred, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            done[key] = pred
            bar.update(1)
    return [done[str(r["id"])] for r in rows if str(r["id"]) in done]


def error_prediction(row: Row, exc: Exception) -> Prediction:
    """What is saved when the product refuses a row's input (e.g. an over-long question): the row is not
    retried forever, and the report counts it as declined."""
    return {"question": row.get("question", ""), "answer": "", "language": row.get("lang", ""), "citations": [],
            "abstained": True, "verified": False, "rewritten_query": None, "passages": [], "timings": {},
            "tokens": {}, "model": "", "warnings": [f"error: {exc}"], "error": str(exc)}


def corpus_dir(dataset: Path, corpus: str) -> Path:
    """Where an external set keeps the documents for rows with ``"corpus"``: xquad_qa.jsonl ->
    xquad_corpus/<corpus>/ next to it."""
    stem = dataset.stem.removesuffix("_qa")
    return dataset.parent / f"{stem}_corpus" / corpus


class PipelineAsk:
    """``ask`` backed by the real facade. Rows with a ``corpus`` field are answered over an index of
    exactly that corpus (built in the run directory, synced with the folder); other rows over an index of
    exactly the seeds, built the same way (or, with a server store, the configured one). One facade at a
    time: rows are answered grouped by corpus and the previous facade is released before the next one
    loads."""

    def __init__(self, settings: Settings, dataset: Path, index_root: Path, progress: bool = True) -> None:
        self.settings = settings
        self.dataset = dataset
        self.index_root = index_root
        self.progress = progress
        self._rag: RAG | None = None
        self._corpus: str | None = None

    def _open(self, corpus: str | None) -> RAG:
        from rag.pipeline import RAG

        if corpus is None and self.settings.store != "local":
            rag = RAG(self.settings)  # a server store is the configuration under test: used as it is
            rag.ensure_index(progress=self.progress)
            print(f"eval: index {location(self.settings)}", file=sys.stderr)
            return rag
        if corpus is None:
            # The seed questions are answered from exactly seeds/, not from the machine's default index:
            # that one holds whatever was ingested into it (other clones' seeds/ are other documents, and
            # a copy of each passage crowds out the rest of the context: mrr 0.81 -> 0.26 on one machine).
            name, folder = "seeds", self.settings.seeds_dir
        else:
            name, folder = corpus, corpus_dir(self.dataset, corpus)
            if not folder.is_dir():
                raise InputError(f"rows with corpus {corpus!r} need the folder {folder}",
                                 fix="python3 evals/datasets/build_external.py")
        # An external corpus gets its own throw-away local index, whatever --store says: syncing it into
        # a shared Milvus collection would remove the documents indexed there.
        settings = self.settings.replace(index_dir=self.index_root / f"index-{name}", seeds_dir=folder,
                                         store="local")
        rag = RAG(settings)
        report = rag.ingest([folder], sync=True, progress=self.progress)
        print(f"eval: corpus {name}: index {settings.index_dir}; {report.summary()}", file=sys.stderr)
        return rag

    def __call__(self, row: Row) -> Prediction:
        corpus = row.get("corpus")
        if self._rag is None or corpus != self._corpus:
            self._rag = None
            gc.collect()
            self._rag = self._open(corpus)
            self._corpus = corpus
        try:
            answer = self._rag.ask(str(row["question"]), history=row.get("history") or [])
        except InputError as exc:
            return error_prediction(row, exc)
        return answer.to_dict()


def _select(rows: list[Row], tags: str | None, limit: int | None, split: str | None = None) -> list[Row]:
    if split:
        rows = [r for r in rows if split_of(str(r["id"])) == split]
    if tags:
        wanted = {t.strip() for t in tags.split(",") if t.strip()}
        rows = [r for r in rows if wanted & set(r.get("tags") or [])]
    return rows[:limit] if limit else rows


def _write_meta(predictions_path: Path, settings: Settings, answered: int, seconds: float,
                commit: str | None = None) -> dict[str, Any]:
    meta = read_meta(predictions_path)
    now = peak_memory_mb()
    sessions = list(meta.get("sessions") or [])
    sessions.append({"date": datetime.now(UTC).isoformat(timespec="seconds"), "answered": answered,
                     "seconds": round(seconds, 1), "peak_memory_mb": now, "git_commit": commit})
    # Only sessions that answered something loaded the models; a no-op resume must not lower the peak.
    peaks = [s["peak_memory_mb"] for s in sessions if s.get("answered")]
    meta.update(
        peak_memory_mb=max(peaks) if peaks else None,
        settings={k: v for k, v in settings.as_dict().items() if k not in _SECRET_SETTINGS},
        sessions=sessions,
    )
    path = meta_path(predictions_path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return meta


# --------------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------------


def score_only(dataset: Path, predictions: Path, report_dir: Path, *, rows: Iterable[Row] | None = None,
               compare_with: Path | None = None, quiet: bool = False) -> dict[str, Any]:
    """Score saved predictions and write the report, without loading any model.

    ``rows`` defaults to the whole dataset; rows without a prediction are left out of the metrics (and
    counted in the report's metadata).
    """
    from evals.aggregate import build_report
    from evals.compare import compare
    from evals.render import headline, write_report
    from evals.scoring import score_rows

    # Read the old report first: it may be the very file this call is about to overwrite.
    old = json.loads(compare_with.read_text(encoding="utf-8")) if compare_with is not None else None
    selected = list(rows) if rows is not None else load_dataset(dataset)
    preds = read_predictions(predictions)
    meta = read_meta(predictions)
    scores = score_rows(selected, preds)
    result = build_report(scores, rows=selected, predictions=preds, dataset=dataset, run_meta=meta)
    write_report(result, scores, report_dir)
    if not quiet:
        print(headline(result))
        print(f"\nreport: {report_dir / 'report.md'}")
    if old is not None:
        print("\n" + compare(old, result))
    return result


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    """The ``rag eval`` command (flags parsed in rag.cli)."""
    dataset: Path = args.dataset
    rows = _select(load_dataset(dataset), getattr(args, "tags", None), args.limit, getattr(args, "split", None))
    run_dir = default_run_dir(dataset)
    predictions: Path = args.predictions or run_dir / "predictions.jsonl"
    report_dir: Path = args.report or run_dir
    # Deterministic answers: greedy decoding with the configured (fixed) seed, whatever the environment says.
    settings = settings.replace(temperature=0.0)
    print(f"eval: {len(rows)} rows from {dataset} -> {predictions} (seed {settings.seed}, temperature 0)",
          file=sys.stderr)
    # Group rows by corpus so each index is loaded once; order inside a group is the dataset's.
    ordered = sorted(rows, key=lambda r: (r.get("corpus") is not None, str(r.get("corpus") or "")))
    asker = PipelineAsk(settings, dataset, index_root=report_dir)
    before = len(read_predictions(predictions)) if not args.fresh else 0
    from evals.run_meta import git_commit

    commit = git_commit()  # the code that answers; HEAD may move while a long run goes on
    t0 = time.perf_counter()
    try:
        run(ordered, asker, predictions, fresh=args.fresh, progress=True)
    finally:
        answered = len(read_predictions(predictions)) - before
        # Re-scoring stored answers (nothing left to answer) must not rewrite the record of the run
        # that answered them: its settings and commit describe those answers, not this invocation.
        if answered > 0 or not meta_path(predictions).exists():
            _write_meta(predictions, settings, max(answered, 0), time.perf_counter() - t0, commit)
    score_only(dataset, predictions, report_dir, rows=rows, compare_with=args.compare)
    return 0
