"""Milvus Lite ingestion through its own server process, against the in-process engine of store_bench.py.

In-process, Milvus Lite's engine and the app's row packing share one Python interpreter; served
(``python -m milvus_lite server``, the ``http://`` store of docs/scaling.md) the engine runs in its own
process, so on 2 cores the two could overlap. This measures whether that moves the store's insert rate:
the same generated chunks as ``bench/store_bench.py`` (random normalised 768-d vectors, no embedding),
written with one ``apply`` of the product's MilvusStore over ``http://127.0.0.1:PORT``.

    flock /tmp/rag-heavy.lock nice -n 5 .venv/bin/python bench/milvus_served_ingest.py [--n 10000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import store_bench as sb

from rag.index.milvus_schema import parse_store
from rag.index.milvus_store import MilvusStore
from rag.index.store import chunking_of
from rag.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="generated chunks")
    ap.add_argument("--port", type=int, default=19531)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="served-milvus-"))
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(folder / "x.db"),
                               "--port", str(args.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(8)  # the server has no readiness signal; it listens within a few seconds
        settings = Settings.load()
        upserts, vectors = sb.corpus(args.n, seed=1)
        embedder: Any = sb.Generated(vectors)  # vectors looked up by text, as in store_bench.py
        store = MilvusStore.open(parse_store(f"http://127.0.0.1:{args.port}"), embedder,
                                 chunking_of(settings), create=True, exact_index_max=settings.exact_index_max)
        t = time.perf_counter()
        store.apply(upserts, progress=False)
        seconds = time.perf_counter() - t
        print(f"served Milvus Lite: {args.n} chunks in {seconds:.1f} s = {args.n / seconds:,.0f} chunks/s")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
