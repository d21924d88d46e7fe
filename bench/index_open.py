"""Cost of the integrity checks when an index is opened: re-open time with and without the sha256 checks.

Why a separate benchmark: ``bench/retrieval_latency.py``'s load column needs the real embedder and the
SIB-200 cache and runs minutes; this one isolates the one thing the checks change. For each size it
builds an index through the real ``IndexStore.apply`` (synthetic 90-word chunks drawn from the XQuAD
corpus' words, random unit vectors -- the files have the product's sizes and layout; FAISS flat up to
``exact_index_max``, HNSW above), then re-opens it six times, alternating checks on and off (so both
see the same page cache and machine load), and reports the best of three of each.

    nice -n 19 .venv/bin/python bench/index_open.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.index import manifest as mf
from rag.index.store import IndexStore
from rag.settings import PROJECT_ROOT, Settings
from rag.types import Chunk, Document, Section

RESULTS = Path(__file__).resolve().parent / "results" / "index_open.md"
CHUNKS_PER_DOC = 25
DIM = 768


class RandomEmbedder:
    """Unit vectors from a seeded generator: what is measured is file reading and checking, not meaning."""

    name, fingerprint, dim = "random", "random", DIM

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        v = np.random.default_rng(len(texts)).standard_normal((len(texts), DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_documents(texts)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def corpus(n: int) -> list[tuple[Document, list[Chunk]]]:
    files = sorted((PROJECT_ROOT / "evals" / "datasets" / "xquad_corpus").rglob("*.txt"))
    vocab = " ".join(p.read_text(encoding="utf-8") for p in files).split()
    rnd = random.Random(0)
    out = []
    for d in range(n // CHUNKS_PER_DOC):
        source, chunks, text = f"d{d:06d}.txt", [], ""
        for j in range(CHUNKS_PER_DOC):
            t = " ".join(rnd.choice(vocab) for _ in range(90)) + f" {d}-{j}"
            chunks.append(Chunk(id=f"{d}-{j}", source=source, text=t, start=len(text), end=len(text) + len(t),
                                lang="en", ordinal=j))
            text += t + " "
        out.append((Document(source=source, path=f"/bench/{source}", text=text, content_hash=str(d), title="",
                             lang="en", sections=[Section(0, len(text), "en")]), chunks))
    return out


def measure(n: int, settings: Settings) -> dict[str, Any]:
    emb, chunking = RandomEmbedder(), {"chunk_tokens": 160, "chunk_overlap_tokens": 32}
    with tempfile.TemporaryDirectory(prefix=f"bench-open-{n}-") as tmp:
        store = IndexStore.open(Path(tmp), emb, chunking, exact_index_max=settings.exact_index_max)
        store.apply(corpus(n), progress=False)
        kind = store.index_kind
        del store
        disk_mb = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 2**20
        real = mf.check_checksums
        times: dict[str, list[float]] = {"off": [], "on": []}
        try:
            for mode in ("on", "off") * 3:
                mf.check_checksums = real if mode == "on" else (lambda *a, **k: None)
                t0 = time.perf_counter()
                IndexStore.open(Path(tmp), emb, chunking, create=False, exact_index_max=settings.exact_index_max)
                times[mode].append(time.perf_counter() - t0)
        finally:
            mf.check_checksums = real
    off, on = min(times["off"]), min(times["on"])
    return {"chunks": n, "kind": kind, "disk_mb": disk_mb, "off": off, "on": on, "ratio": on / off}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    rows = [measure(int(n), Settings.load()) for n in args.sizes.split(",")]
    lines = ["| chunks | index | disk MB | re-open without checks s | with sha256 checks s | ratio |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['chunks']:,} | {r['kind']} | {r['disk_mb']:.0f} | {r['off']:.2f} | {r['on']:.2f} | "
              f"{r['ratio']:.2f} |" for r in rows]
    text = (f"# Index re-open cost of the integrity checks\n\nCommand: `python bench/index_open.py --sizes "
            f"{args.sizes}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}). Best of 3 each, "
            "alternating.\n\n" + "\n".join(lines) + "\n")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
