"""Store benchmark: the local store (FAISS + bm25s files) against Milvus Lite, same generated data.

For each size (default 10k and 100k chunks) and each store, a fresh child process:

1. **build**: generates N chunks (documents of 25; ~60 words each from a Zipf-distributed synthetic
   vocabulary, languages rotating az/ru/en; random L2-normalised 768-d vectors -- no embedding, the
   vectors are handed to the store by a lookup "embedder") and writes them with one ``apply`` (the
   store's whole write path: tokenising for BM25, FAISS or Milvus index, files or collection).
   Then one more document (25 chunks) is applied: the cost of a small incremental ingest.
2. **serve** (another fresh child, the index already on disk): open it, then 200 dense searches
   (k = 80, what ``HybridRetriever`` asks for with language centering) and 200 lexical searches
   (2-3 vocabulary words, k = 20), each timed alone; peak RSS of that child = memory to serve.

For Milvus Lite the build child also reports where the insert time went (``insert_split_s``: BM25
tokenising, chunk rows, the ``terms`` collection, document records, the ``count(*)`` after writing,
the HNSW switch and the rest), and a third child (**ceiling**) inserts the same chunk rows, prebuilt,
with a bare ``MilvusClient.insert`` loop into a fresh collection of the same schema: what the engine
and its client take for the chunk rows alone, an upper bound for the store's insert rate.

Both stores switch from exact search to HNSW (M 32, efConstruction 80, ef 96) above
``Settings.exact_index_max`` (50k) chunks. Milvus Lite runs in the child process (it is an embedded
engine), so its memory is in the child's RSS. Results: bench/results/store_bench.{json,md}.

    flock /tmp/rag-heavy.lock nice -n 5 .venv/bin/python bench/store_bench.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import command_line, finish_machine_info, machine_info, machine_md, md_table, peak_rss_mb, percentile
from benchlib import write_results as _write

import rag.index.milvus_writes as milvus_writes
from rag.index.milvus_schema import chunks_schema, parse_store
from rag.index.milvus_store import MilvusStore
from rag.index.store import IndexStore, chunking_of
from rag.ingest.chunking import chunk_id
from rag.settings import Settings
from rag.types import Chunk, Document, Section

DIM = 768
CHUNKS_PER_DOC = 25
WORDS_PER_CHUNK = 60
VOCAB = 20_000
N_QUERIES = 200
LANGS = ("az", "ru", "en")


class Generated:
    """Stands in for the embedder: vectors were generated with the texts and are looked up by text."""

    name, fingerprint, dim = "generated", "generated-768", DIM

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def embed_documents(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, DIM), np.float32)


def vocabulary(seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdeghiklmnoprstuvyz"))
    return ["".join(rng.choice(letters, size=int(rng.integers(4, 11)))) for _ in range(VOCAB)]


def corpus(n: int, seed: int, prefix: str = "doc") -> tuple[list[tuple[Document, list[Chunk]]], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    vocab = vocabulary()
    ranks = np.arange(1, VOCAB + 1, dtype=np.float64)
    p = (1 / ranks) / (1 / ranks).sum()  # Zipf: a few frequent words, a long tail of rare ones
    vecs = rng.normal(size=(n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    words = rng.choice(VOCAB, size=(n, WORDS_PER_CHUNK), p=p)
    upserts, vectors, row = [], {}, 0
    for d in range((n + CHUNKS_PER_DOC - 1) // CHUNKS_PER_DOC):
        lang, source = LANGS[d % 3], f"{prefix}_{d:07d}.txt"
        texts: list[str] = []
        for _ in range(min(CHUNKS_PER_DOC, n - row)):
            text = f"{source} part {len(texts)}: " + " ".join(vocab[i] for i in words[row])
            vectors[text] = vecs[row]
            texts.append(text)
            row += 1
        body = "\n\n".join(texts)
        chunks, pos = [], 0
        for i, t in enumerate(texts):
            start = body.index(t, pos)
            pos = start + len(t)
            chunks.append(Chunk(id=chunk_id(source, t), source=source, text=t, start=start, end=pos, lang=lang,
                                ordinal=i, title=source, date="2026-01-01"))
        doc = Document(source=source, path=source, text=body, content_hash=chunk_id(source, body), title=source,
                       date="2026-01-01", lang=lang, sections=[Section(0, len(body), lang)])
        upserts.append((doc, chunks))
    return upserts, vectors


def open_store(kind: str, where: Path, emb: Any, settings: Settings, create: bool) -> Any:
    if kind == "local":
        return IndexStore.open(where, emb, chunking_of(settings), create=create,
                               exact_index_max=settings.exact_index_max)
    return MilvusStore.open(parse_store(f"milvus://{where}.db"), emb, chunking_of(settings), create=create,
                            exact_index_max=settings.exact_index_max)


def disk_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 if path.exists() else 0.0


class StepTimer:
    """Wall time spent in named functions of ``rag.index.milvus_writes`` / ``MilvusStore`` during one
    ``apply`` (wrapped in place in the build child only; nested calls are not double-counted because the
    wrapped steps do not call each other)."""

    STEPS = (("tokenise (BM25 terms)", milvus_writes, "terms_text"), ("chunk rows", milvus_writes, "write_chunks"),
             ("terms collection", milvus_writes, "write_terms"), ("documents", milvus_writes, "write_documents"),
             ("HNSW switch", milvus_writes, "_switch_to_hnsw"), ("count(*)", MilvusStore, "count"))

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        for label, owner, name in self.STEPS:
            setattr(owner, name, self._wrap(label, getattr(owner, name)))

    def _wrap(self, label: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t
        return timed


def bare_insert(n: int, where: Path) -> dict[str, Any]:
    """The ceiling: the chunk rows ``write_chunks`` sends, prebuilt, inserted by a bare client loop."""
    from pymilvus import MilvusClient

    upserts, vectors = corpus(n, seed=1)
    chunks = [c for _, cs in upserts for c in cs]
    rows = [{"id": c.id, "source": c.source, "lang": c.lang, "terms": milvus_writes.terms_text(c),
             "chunk": c.to_dict(), "vector": np.asarray(vectors[c.text], dtype=np.float32).tolist()} for c in chunks]
    client = MilvusClient(uri=f"{where}-bare.db")
    schema, index = chunks_schema(client, DIM)
    client.create_collection("bare", schema=schema, index_params=index, consistency_level="Strong")
    t = time.perf_counter()
    for i in range(0, len(rows), milvus_writes.BATCH):
        client.insert("bare", rows[i:i + milvus_writes.BATCH])
    seconds = time.perf_counter() - t
    client.close()
    return {"store": "milvus", "n": n, "phase": "ceiling", "batch": milvus_writes.BATCH,
            "bare_insert_s": round(seconds, 2), "bare_insert_chunks_per_s": round(n / seconds, 1)}


def child(phase: str, kind: str, n: int, where: Path) -> dict[str, Any]:
    if phase == "ceiling":
        return bare_insert(n, where)
    settings = Settings.load()
    base_rss = peak_rss_mb()
    out: dict[str, Any] = {"store": kind, "n": n, "phase": phase, "rss_after_imports_mb": round(base_rss)}
    if phase == "build":
        t = time.perf_counter()
        upserts, vectors = corpus(n, seed=1)
        extra, extra_vecs = corpus(CHUNKS_PER_DOC, seed=2, prefix="extra")
        out["generate_s"] = round(time.perf_counter() - t, 1)
        emb = Generated({**vectors, **extra_vecs})
        store = open_store(kind, where, emb, settings, create=True)
        steps = StepTimer() if kind == "milvus" else None
        t = time.perf_counter()
        report = store.apply(upserts, progress=False)
        out["insert_s"] = round(time.perf_counter() - t, 2)
        if steps:
            split = {k: round(v, 2) for k, v in steps.seconds.items()}
            out["insert_split_s"] = {**split, "rest": round(out["insert_s"] - sum(steps.seconds.values()), 2)}
        out["insert_chunks_per_s"] = round(n / out["insert_s"], 1)
        out["index_kind"] = report.index_kind
        t = time.perf_counter()
        store.apply(extra, progress=False)
        out["append_25_chunks_s"] = round(time.perf_counter() - t, 2)
        if kind == "milvus":
            store.close()
        out["disk_mb"] = round(disk_mb(where if kind == "local" else Path(f"{where}.db")), 1)
    else:
        emb = Generated({})
        t = time.perf_counter()
        store = open_store(kind, where, emb, settings, create=False)
        out["open_s"] = round(time.perf_counter() - t, 2)
        rng = np.random.default_rng(7)
        qs = rng.normal(size=(N_QUERIES, DIM)).astype(np.float32)
        qs /= np.linalg.norm(qs, axis=1, keepdims=True)
        vocab = vocabulary()
        store.search_dense(qs[0], 80)  # warm-up (first call loads lazily on some paths)
        dense, lexical, empty = [], [], 0
        for q in qs:
            t = time.perf_counter()
            store.search_dense(q, 80)
            dense.append(time.perf_counter() - t)
        for _ in range(N_QUERIES):
            words = " ".join(vocab[int(i)] for i in rng.integers(50, 5000, size=int(rng.integers(2, 4))))
            t = time.perf_counter()
            hits = store.search_lexical(words, "en", 20)
            lexical.append(time.perf_counter() - t)
            empty += not hits
        for name, times in (("dense", dense), ("lexical", lexical)):
            out[f"{name}_p50_ms"] = round(percentile(times, 50) * 1000, 2)
            out[f"{name}_p95_ms"] = round(percentile(times, 95) * 1000, 2)
        out.update(lexical_empty=empty, chunks=len(store))
    out["peak_rss_mb"] = round(peak_rss_mb())
    return out


def run_child(phase: str, kind: str, n: int, where: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", phase, kind, str(n), str(where)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(res), file=sys.stderr)
    return res


def markdown(res: dict[str, Any]) -> str:
    rows = []
    for r in res["runs"]:
        b, s = r["build"], r["serve"]
        rows.append([f"{r['n']:,}", r["store"], b["index_kind"], f"{b['insert_chunks_per_s']:,.0f}",
                     f"{b['append_25_chunks_s']:.2f}", f"{s['open_s']:.2f}",
                     f"{s['dense_p50_ms']:.1f} / {s['dense_p95_ms']:.1f}",
                     f"{s['lexical_p50_ms']:.1f} / {s['lexical_p95_ms']:.1f}",
                     f"{b['peak_rss_mb']:,}", f"{s['peak_rss_mb']:,}", f"{b['disk_mb']:,.0f}"])
    header = ["chunks", "store", "index", "insert (chunks/s)", "append 25 chunks (s)", "open (s)",
              "dense k=80 p50 / p95 (ms)", "lexical k=20 p50 / p95 (ms)", "peak RSS build (MB)",
              "peak RSS serve (MB)", "on disk (MB)"]
    return "\n".join([
        "# Store benchmark: local (FAISS + bm25s) vs Milvus Lite", "", f"Command: `{res['command']}`", "",
        machine_md(res["machine"]), "",
        "Generated chunks (random L2-normalised 768-d vectors, ~60 synthetic words each, documents of 25), "
        "written with one `apply` per store; each phase in a fresh process (RSS includes the Python "
        f"interpreter and libraries, ~{res['runs'][0]['serve']['rss_after_imports_mb']} MB after imports, but not "
        "the embedder). Search timings are store calls only (no query embedding, no fusion).", "",
        md_table(header, rows), "", *split_md(res), f"Wall time {res['seconds']:.0f} s."])


def split_md(res: dict[str, Any]) -> list[str]:
    """Where the Milvus Lite insert time went, against the bare-client ceiling (if measured)."""
    runs = [r for r in res["runs"] if "insert_split_s" in r["build"]]
    if not runs:
        return []
    labels = [label for label, *_ in StepTimer.STEPS if any(label in r["build"]["insert_split_s"] for r in runs)]
    header = ["chunks", "insert (s)", *[f"{x} (s)" for x in labels], "rest (s)",
              "bare client insert of the chunk rows (chunks/s)"]
    rows = [[f"{r['n']:,}", f"{r['build']['insert_s']:.1f}",
             *[f"{r['build']['insert_split_s'].get(x, 0):.1f}" for x in labels],
             f"{r['build']['insert_split_s']['rest']:.1f}",
             f"{r['ceiling']['bare_insert_chunks_per_s']:,.0f}" if "ceiling" in r else "-"] for r in runs]
    return ["Milvus Lite: where the one `apply` of the build spent its time (wall clock per step), and the "
            "ceiling -- the same chunk rows, prebuilt (terms already tokenised), inserted by a bare "
            f"`MilvusClient.insert` loop in batches of {runs[0].get('ceiling', {}).get('batch', milvus_writes.BATCH)} "
            "into a fresh collection of the same schema:", "", md_table(header, rows), ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--stores", nargs="+", default=["local", "milvus"], choices=["local", "milvus"])
    ap.add_argument("--child", nargs=4, metavar=("PHASE", "STORE", "N", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        phase, kind, n, where = args.child
        print(json.dumps(child(phase, kind, int(n), Path(where))))
        return
    info = machine_info()
    t0 = time.perf_counter()
    runs = []
    for n in args.sizes:
        for kind in args.stores:
            tmp = Path(tempfile.mkdtemp(prefix=f"store-bench-{kind}-"))
            try:
                where = tmp / "index"
                run = {"n": n, "store": kind, "build": run_child("build", kind, n, where),
                       "serve": run_child("serve", kind, n, where)}
                if kind == "milvus":
                    run["ceiling"] = run_child("ceiling", kind, n, where)
                runs.append(run)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    res = {"command": command_line(), "runs": runs, "seconds": time.perf_counter() - t0,
           "machine": finish_machine_info(info), "pid": os.getpid()}
    _write("store_bench", res, markdown(res))


if __name__ == "__main__":
    main()
