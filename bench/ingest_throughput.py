"""Ingestion throughput (files, chunks, chunks/s, MB/s) and peak memory of ``RAG(settings).ingest``.

Corpora:
  seeds      the 5 seed articles (seeds/, 36 kB).
  generated  ~0.5 MB of plain-text files written to a temp folder: the XQuAD paragraphs
             (evals/datasets/xquad_corpus/{en,ru}) plus SIB-200 sentences in az / ru / en grouped
             five to a paragraph, dealt round-robin into 40 single-language files. All texts are
             distinct, so no chunk vector is reused from another file (``IndexStore.apply`` reuses
             vectors of identical chunk texts, which would flatter the numbers).

Each corpus is ingested into a fresh temp index in its own child process (so peak RSS from
``resource.getrusage`` is per run), exactly as ``rag ingest DIR`` does: read, clean, detect languages,
chunk with the embedder's tokenizer, embed every chunk (EmbeddingGemma on the CPU), build FAISS + BM25
and write the index generation. The embedder is loaded first and its load time reported separately;
chunks/s and MB/s are over the ingest call itself. Then a second child re-ingests the unchanged folder
into the same index (what a repeated ``rag ingest DIR`` costs: hashing files, no model load, nothing
written).

    nice -n 19 .venv/bin/python bench/ingest_throughput.py [--only seeds|generated] [--mb 0.5] [--files 40]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    SIB_LANGS,
    SIB_PAIRS,
    XQUAD_CORPUS,
    command_line,
    cpu_seconds,
    finish_machine_info,
    machine_info,
    machine_md,
    md_table,
    peak_rss_mb,
    read_jsonl,
    write_results,
)

from rag.pipeline import RAG
from rag.settings import Settings

SIB_PER_PARAGRAPH = 5


def make_corpus(folder: Path, target_mb: float, n_files: int) -> dict[str, Any]:
    """Deterministic ~``target_mb`` MB corpus of distinct real texts in ``n_files`` single-language files."""
    paragraphs: dict[str, list[str]] = {lang: [] for lang in SIB_LANGS}
    for lang in ("en", "ru"):
        paragraphs[lang] += [p.read_text(encoding="utf-8").strip()
                             for p in sorted((XQUAD_CORPUS / lang).glob("*.txt"))]
    sib = read_jsonl(SIB_PAIRS)
    for lang in SIB_LANGS:
        for s in range(0, len(sib), SIB_PER_PARAGRAPH):
            paragraphs[lang].append(" ".join(r[lang] for r in sib[s : s + SIB_PER_PARAGRAPH]))
    # Interleave languages so every prefix of the corpus has all three.
    order: list[tuple[str, str]] = []
    for i in range(max(len(v) for v in paragraphs.values())):
        for lang in SIB_LANGS:
            if i < len(paragraphs[lang]):
                order.append((lang, paragraphs[lang][i]))
    budget = int(target_mb * 1e6)
    files: dict[int, list[str]] = {i: [] for i in range(n_files)}
    langs_of = {i: SIB_LANGS[i % 3] for i in range(n_files)}
    used = 0
    next_file = {lang: [i for i in range(n_files) if langs_of[i] == lang] for lang in SIB_LANGS}
    turn = dict.fromkeys(SIB_LANGS, 0)
    for lang, text in order:
        size = len(text.encode("utf-8")) + 2
        if used + size > budget:
            break
        targets = next_file[lang]
        files[targets[turn[lang] % len(targets)]].append(text)
        turn[lang] += 1
        used += size
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i, paras in files.items():
        data = ("\n\n".join(paras) + "\n").encode("utf-8")
        (folder / f"bench_{langs_of[i]}_{i:03d}.txt").write_bytes(data)
        total += len(data)
    return {"files": n_files, "bytes": total, "paragraphs": sum(len(p) for p in files.values())}


def corpus_bytes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


# -- child processes ----------------------------------------------------------------------------------

def worker_ingest(folder: Path, index_dir: Path) -> dict[str, Any]:
    settings = Settings.load().replace(index_dir=index_dir)
    rag = RAG(settings)
    t0 = time.perf_counter()
    _ = rag.embedder.model  # load the embedding model (reported separately)
    load_s = time.perf_counter() - t0
    cpu0 = cpu_seconds()
    report = rag.ingest([folder], progress=True)
    cpu = cpu_seconds() - cpu0
    a = report.apply
    return {"model_load_seconds": load_s, "seconds": report.seconds, "cpu_seconds": cpu,
            "apply_seconds": a.seconds if a else 0.0, "files": report.files, "skipped": report.skipped,
            "chunks": a.added_chunks if a else 0, "embedded_chunks": a.embedded_chunks if a else 0,
            "index_kind": a.index_kind if a else "", "languages": report.languages,
            "peak_rss_mb": peak_rss_mb(), "summary": report.summary()}


def worker_reingest(folder: Path, index_dir: Path) -> dict[str, Any]:
    rag = RAG(Settings.load().replace(index_dir=index_dir))
    report = rag.ingest([folder], progress=False)
    return {"seconds": report.seconds, "files": report.files, "unchanged": report.unchanged,
            "written": bool(report.apply and report.apply.written),
            "model_loaded": rag.embedder._model is not None, "peak_rss_mb": peak_rss_mb(),
            "summary": report.summary()}


def child(kind: str, folder: Path, index_dir: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; also records the whole process's wall time (Python
    start-up and imports included), which is what a user waits for when running ``rag ingest``."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--worker", kind, "--folder", str(folder),
                        "--index", str(index_dir), "--out", out.name], check=True)
        process_s = time.perf_counter() - t0
        result: dict[str, Any] = json.loads(Path(out.name).read_text(encoding="utf-8"))
        result["process_seconds"] = process_s
        return result


def bench_corpus(name: str, folder: Path, tmp: Path) -> dict[str, Any]:
    n_files, n_bytes = corpus_bytes(folder)
    index_dir = tmp / f"index_{name}"
    print(f"--- {name}: {n_files} files, {n_bytes / 1e6:.2f} MB", file=sys.stderr)
    first = child("ingest", folder, index_dir)
    again = child("reingest", folder, index_dir)
    s = first["seconds"]
    first.update(corpus=name, bytes=n_bytes, mb=n_bytes / 1e6, chunks_per_s=first["chunks"] / s,
                 mb_per_s=n_bytes / 1e6 / s, files_per_s=first["files"] / s,
                 chunks_per_cpu_s=first["chunks"] / first["cpu_seconds"] if first["cpu_seconds"] else None,
                 read_chunk_seconds=s - first["apply_seconds"])
    print(first["summary"], file=sys.stderr)
    print("re-ingest: " + again["summary"], file=sys.stderr)
    return {"ingest": first, "reingest": again}


def markdown(res: dict[str, Any]) -> str:
    rows, rows2 = [], []
    for name, r in res["corpora"].items():
        a, b = r["ingest"], r["reingest"]
        rows.append([name, a["files"], f"{a['mb']:.3f}", a["chunks"], f"{a['seconds']:.0f}",
                     f"{a['process_seconds']:.0f}",
                     f"{a['chunks_per_s']:.2f}", f"{a['mb_per_s'] * 1000:.2f}", f"{a['chunks_per_cpu_s']:.2f}",
                     f"{a['read_chunk_seconds']:.1f}", f"{a['model_load_seconds']:.1f}", f"{a['peak_rss_mb']:.0f}",
                     ", ".join(f"{k}:{v}" for k, v in sorted(a["languages"].items()))])
        rows2.append([name, b["files"], b["unchanged"], f"{b['seconds']:.2f}", f"{b['process_seconds']:.1f}",
                      "yes" if b["model_loaded"] else "no",
                      "yes" if b["written"] else "no", f"{b['peak_rss_mb']:.0f}"])
    parts = ["# Ingestion throughput", "", f"Command: `{res['command']}`", "", machine_md(res["machine"]), "",
             md_table(["corpus", "files", "MB", "chunks", "ingest s", "whole process s", "chunks/s", "kB/s",
                       "chunks per CPU-s", "read+clean+chunk s", "model load s", "peak RSS MB",
                       "chunk languages"], rows), "",
             "Re-ingest of the unchanged folder into the same index (a second `rag ingest DIR`):", "",
             md_table(["corpus", "files", "unchanged", "ingest s", "whole process s", "model loaded",
                       "index written", "peak RSS MB"], rows2), "",
             "`ingest s` is `RAG.ingest` after the embedder is loaded: reading, cleaning, language detection, "
             "chunking, embedding every chunk and writing the index (model load is reported separately); "
             "`whole process s` is the child process from start to exit (Python start-up, imports, model load, "
             "ingest). Embedding dominates: `read+clean+chunk s` is the part before `IndexStore.apply`. "
             "`chunks per CPU-s` is chunks over the CPU time the process used (all threads): on a machine shared "
             "with other jobs it shows what the same work costs independently of waiting for a core. "
             f"Generated corpus: {res['generated_note']}"]
    return "\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["seeds", "generated"], action="append")
    ap.add_argument("--mb", type=float, default=0.5, help="size of the generated corpus (default 0.5 MB)")
    ap.add_argument("--files", type=int, default=40, help="files in the generated corpus (default 40)")
    ap.add_argument("--worker", choices=["ingest", "reingest"], help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--index", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        fn = worker_ingest if args.worker == "ingest" else worker_reingest
        Path(args.out).write_text(json.dumps(fn(Path(args.folder), Path(args.index))), encoding="utf-8")
        return
    info = machine_info()
    settings = Settings.load()
    parts = args.only or ["seeds", "generated"]
    res: dict[str, Any] = {"corpora": {}}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmpname:
        tmp = Path(tmpname)
        gen: dict[str, Any] = {}
        for part in parts:
            if part == "seeds":
                folder = settings.seeds_dir
            else:
                folder = tmp / "generated"
                gen = make_corpus(folder, args.mb, args.files)
            res["corpora"][part] = bench_corpus(part, folder, tmp)
    res.update(command=command_line(), machine=finish_machine_info(info),
               settings={"embedder": settings.embedder, "embed_batch_size": settings.embed_batch_size,
                         "chunk_tokens": settings.chunk_tokens, "chunk_overlap_tokens": settings.chunk_overlap_tokens,
                         "n_threads": settings.n_threads},
               generated=gen,
               generated_note=(f"{gen.get('files', args.files)} files, {gen.get('bytes', 0) / 1e6:.2f} MB, "
                               f"{gen.get('paragraphs', 0)} paragraphs: the XQuAD en/ru paragraphs plus SIB-200 "
                               f"az/ru/en sentences {SIB_PER_PARAGRAPH} to a paragraph, dealt round-robin into "
                               "single-language files (all texts distinct, so no vector is reused)."))
    md = markdown(res)
    write_results("ingest", res, md)


if __name__ == "__main__":
    main()
