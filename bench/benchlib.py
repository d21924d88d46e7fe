"""Helpers shared by the benchmark scripts (not part of the product; see bench/README.md).

Everything here goes through the product's own code paths (``rag.pipeline.RAG``, ``IndexStore``,
``HybridRetriever``); the helpers only load datasets, time things, cache embeddings and write
results.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rag.pipeline import LazyEmbedder
from rag.settings import PROJECT_ROOT, Settings

BENCH_DIR = PROJECT_ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
CACHE_DIR = BENCH_DIR / ".cache"
DATASETS = PROJECT_ROOT / "evals" / "datasets"
SEEDS_QA = DATASETS / "seeds_qa.jsonl"
SIB_PAIRS = DATASETS / "sib200_pairs.jsonl"
XQUAD_QA = DATASETS / "xquad_qa.jsonl"
XQUAD_CORPUS = DATASETS / "xquad_corpus"


# -- data ---------------------------------------------------------------------------------------------

def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# -- models -------------------------------------------------------------------------------------------

def load_embedder(settings: Settings) -> LazyEmbedder:
    """The product's embedder object (what ``RAG(settings).embedder`` returns)."""
    from rag.models.provision import resolve

    return LazyEmbedder(resolve(settings.embedder, "embedder", settings.cache_dir), settings)


class CachedQueries:
    """Embedder wrapper that memoises ``embed_queries`` per text.

    The three retrieval modes ask the same questions; the query vector does not depend on the mode,
    so it is computed once. Everything else is delegated unchanged.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.fingerprint = inner.fingerprint
        self.dim = inner.dim
        self._memo: dict[str, np.ndarray] = {}

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return np.asarray(self.inner.embed_documents(texts, progress=progress))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            vecs = self.inner.embed_queries(missing)
            for t, v in zip(missing, vecs, strict=True):
                self._memo[t] = np.asarray(v, dtype=np.float32)
        return np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def preload(self, texts: Iterable[str], batch: int = 16, desc: str = "embed queries") -> None:
        from tqdm import tqdm

        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        for s in tqdm(range(0, len(todo), batch), desc=desc, unit="batch", disable=not todo):
            self.embed_queries(todo[s : s + batch])

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))


CACHE_STATS = {"read": 0, "computed": 0}  # texts whose vectors came from bench/.cache vs were embedded now


def cached_vectors(kind: str, fingerprint: str, texts: Sequence[str],
                   compute: Callable[[Sequence[str]], np.ndarray], *, block: int = 0) -> np.ndarray:
    """``compute(texts)`` cached in bench/.cache/<kind>-<fingerprint>-<hash of texts>.npy.

    With ``block`` > 0 the texts are cached in blocks of that many, so an interrupted or ``--limit``ed
    run keeps what it computed and a longer run only embeds the missing blocks.
    """
    if block > 0 and len(texts) > block:
        parts = [cached_vectors(kind, fingerprint, texts[s : s + block], compute)
                 for s in range(0, len(texts), block)]
        return np.vstack(parts)
    h = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"{kind}-{fingerprint}-{h}.npy"
    if path.exists():
        vecs = np.load(path, allow_pickle=False)
        if vecs.shape[0] == len(texts):
            CACHE_STATS["read"] += len(texts)
            return np.asarray(vecs, dtype=np.float32)
    vecs = np.asarray(compute(texts), dtype=np.float32)
    CACHE_STATS["computed"] += len(texts)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, vecs, allow_pickle=False)
    os.replace(tmp, path)
    return vecs


# -- measuring ----------------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def machine_info() -> dict[str, Any]:
    """Where and when: date, cores, CPU model, load average; starts a monitor of the other processes."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    monitor = OtherLoadMonitor()
    monitor.start()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "niceness": os.nice(0),
        "_monitor": monitor,
    }


class OtherLoadMonitor:
    """Samples, every few seconds, how many CPU cores processes *outside this benchmark's process tree*
    are using (from /proc/<pid>/stat deltas), to say honestly whether the machine was shared."""

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self.by_cmd: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(timeout=2 * self.interval)
        top = sorted(self.by_cmd.items(), key=lambda kv: -kv[1])[:5]
        total_s = self.interval * len(self.samples) or 1.0
        return {
            "other_cpu_cores_mean": round(float(np.mean(self.samples)), 2) if self.samples else None,
            "other_cpu_cores_max": round(max(self.samples), 2) if self.samples else None,
            "samples": len(self.samples),
            "other_top": [f"{cpu / total_s:.2f} cores avg: {cmd}" for cmd, cpu in top if cpu / total_s >= 0.05],
        }

    @staticmethod
    def _snapshot() -> dict[int, tuple[int, int, str]]:
        """pid -> (ppid, utime+stime ticks, command line)."""
        out: dict[int, tuple[int, int, str]] = {}
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except (OSError, ValueError):
                continue
            out[int(d.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), cmd[:120])
        return out

    def _run(self) -> None:
        me = os.getpid()
        prev = self._snapshot()
        t_prev = time.monotonic()
        while not self._stop.wait(self.interval):
            cur = self._snapshot()
            now = time.monotonic()
            mine = {me}
            changed = True
            while changed:  # this process and all its descendants
                changed = False
                for pid, (ppid, _, _) in cur.items():
                    if ppid in mine and pid not in mine:
                        mine.add(pid)
                        changed = True
            used = 0.0
            for pid, (_, ticks, cmd) in cur.items():
                if pid in mine or pid not in prev:
                    continue
                delta = max(0, ticks - prev[pid][1]) / self._tick
                used += delta
                if delta > 0:
                    self.by_cmd[cmd or str(pid)] = self.by_cmd.get(cmd or str(pid), 0.0) + delta
            self.samples.append(used / max(now - t_prev, 1e-6))
            prev, t_prev = cur, now


def finish_machine_info(info: dict[str, Any]) -> dict[str, Any]:
    info = dict(info)
    monitor = info.pop("_monitor", None)
    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    if isinstance(monitor, OtherLoadMonitor):
        info.update(monitor.stop())
    mean = info.get("other_cpu_cores_mean")
    info["shared"] = bool(mean is not None and mean >= 0.25)
    return info


def machine_md(info: dict[str, Any]) -> str:
    lines = [f"- date: {info['date']}; `nproc` = {info['nproc']} ({info.get('cpu') or 'unknown CPU'}); "
             f"Python {info['python']}; benchmark ran at niceness {info.get('niceness')}",
             f"- load average (1 min, includes this benchmark) at start {info['loadavg_start'][0]}, at end "
             f"{info.get('loadavg_end', ['?'])[0]}"]
    if info.get("other_cpu_cores_mean") is not None:
        lines.append(f"- other processes (not this benchmark) used on average {info['other_cpu_cores_mean']:.2f} "
                     f"of the {info['nproc']} cores during the run (max {info['other_cpu_cores_max']:.2f}, "
                     f"sampled every 5 s)")
    if info.get("shared"):
        lines.append("- **the machine was shared**: other jobs were running at the same time, so wall-clock "
                     "numbers are pessimistic (the benchmark got less than the 2 cores)")
        for p in info.get("other_top", [])[:4]:
            lines.append(f"  - `{p}`")
    return "\n".join(lines)


# -- output -------------------------------------------------------------------------------------------

def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    def cell(x: Any) -> str:
        if isinstance(x, float):
            return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"
        return str(x)

    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(out)


def write_results(name: str, data: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    jpath, mpath = RESULTS_DIR / f"{name}.json", RESULTS_DIR / f"{name}.md"
    jpath.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    mpath.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    print(markdown)
    print(f"\nwrote {jpath} and {mpath}", file=sys.stderr)
    return jpath, mpath


def command_line() -> str:
    return " ".join(["python", *[a if " " not in a else repr(a) for a in sys.argv]])


def timer() -> Callable[[], float]:
    t0 = time.perf_counter()
    return lambda: time.perf_counter() - t0


class DiskCachedDocuments(CachedQueries):
    """``embed_documents`` cached on disk per list of texts (bench/.cache), for recall runs only.

    Re-running a recall benchmark re-indexes the same corpus with the same settings, so the same list
    of chunk texts is embedded; the vectors are identical, so they are read back instead of recomputed.
    Never used for timing (ingest / latency benchmarks embed for real).
    """

    def __init__(self, inner: Any, kind: str) -> None:
        super().__init__(inner)
        self.kind = kind

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return cached_vectors(self.kind, self.fingerprint, list(texts),
                              lambda t: self.inner.embed_documents(t, progress=progress))


class PrecomputedEmbedder:
    """Embedder whose ``embed_documents`` returns vectors computed beforehand (looked up by text).

    Lets a benchmark build a store through the real ``IndexStore.apply`` (FAISS flat/HNSW choice,
    bm25s, on-disk generation) without re-embedding texts it already has vectors for. Queries go to
    ``queries`` (a dict text -> vector) when given, else to the real embedder ``inner``.
    """

    def __init__(self, inner: Any, doc_vectors: dict[str, np.ndarray],
                 queries: dict[str, np.ndarray] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.fingerprint = inner.fingerprint
        self.dim = inner.dim
        self.doc_vectors = doc_vectors
        self.queries = queries

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.doc_vectors[t] for t in texts]).astype(np.float32, copy=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if self.queries is not None:
            return np.stack([self.queries[t] for t in texts]).astype(np.float32, copy=False)
        return np.asarray(self.inner.embed_queries(texts), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))


SIB_LANGS = ("az", "ru", "en")
SIB_BLOCK = 100


def embed_queries_batched(embedder: Any, texts: Sequence[str], batch: int = 16) -> np.ndarray:
    from tqdm import tqdm

    out = [np.zeros((0, embedder.dim), dtype=np.float32)]
    for s in tqdm(range(0, len(texts), batch), desc="embed queries", unit="batch"):
        out.append(np.asarray(embedder.embed_queries(list(texts[s : s + batch])), dtype=np.float32))
    return np.vstack(out)


def sib_vectors(embedder: Any, rows: Sequence[dict[str, Any]], *, queries: bool = True
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """SIB-200 sentence vectors per language: (document prompt, query prompt), cached in bench/.cache.

    Block-major order (sentences 0-99 of every language, then 100-199, ...), each block cached on its
    own: an interrupted run leaves a usable prefix, and ``--limit`` in multiples of 100 reuses it.
    """
    docs: dict[str, list[np.ndarray]] = {lang: [] for lang in SIB_LANGS}
    qs: dict[str, list[np.ndarray]] = {lang: [] for lang in SIB_LANGS}
    for start in range(0, len(rows), SIB_BLOCK):
        block = rows[start : start + SIB_BLOCK]
        for lang in SIB_LANGS:
            texts = [r[lang] for r in block]
            print(f"SIB-200 {lang} sentences {start}-{start + len(texts) - 1} (cached in {CACHE_DIR.name})",
                  file=sys.stderr)
            docs[lang].append(cached_vectors(f"sib-{lang}-doc", embedder.fingerprint, texts,
                                             lambda t: embedder.embed_documents(t, progress=True)))
            if queries:
                qs[lang].append(cached_vectors(f"sib-{lang}-query", embedder.fingerprint, texts,
                                               lambda t: embed_queries_batched(embedder, t)))
    doc_vecs = {lang: np.vstack(v) for lang, v in docs.items()}
    query_vecs = {lang: np.vstack(v) for lang, v in qs.items() if v}
    return doc_vecs, query_vecs
