"""Retrieval recall of the three modes (dense / lexical / hybrid) on three datasets.

  seeds  seeds/ indexed with the product's ingestion (temp index, real embedder); every answerable row of
         evals/datasets/seeds_qa.jsonl is asked (follow-ups are condensed with their history exactly as
         ``RAG.retrieve`` does); gold = the first hit whose source is one of the row's ``sources``.
         Recall@1/3/5 and MRR (within ``retrieve_depth`` hits), overall, per language pair (question
         language -> language of the chunk holding the evidence quote) and per question language x
         same/cross-lingual tag.
  sib    SIB-200 / FLORES-200: 800 parallel sentences in az, ru, en. For each of the six directions every
         source sentence (query prompt) searches all 800 target-language sentences (document prompt),
         indexed in a real ``IndexStore``; gold = its translation. Recall@1/@5 and MRR.
  xquad  XQuAD paragraphs (evals/datasets/xquad_corpus/{en,ru}, one temp index each, product ingestion);
         the 240 questions of xquad_qa.jsonl are asked over the corpus named by their ``corpus`` field.
         Recall@1/@5 and MRR per direction (en->en, ru->ru, ru->en, en->ru).

All three use ``HybridRetriever(store, embedder, settings, mode).search(query, settings.retrieve_depth)``
-- the product's fusion code, not a copy. Embeddings are computed once per text (query vectors are
memoised across modes; SIB-200 vectors and indexed chunk vectors are cached in bench/.cache/).

``--store local --store milvus --store milvus+local-bm25`` runs only the seeds part once per store in one
process (Milvus Lite files in the temp dir) and writes bench/results/retrieval_recall_stores.{json,md}.

    nice -n 19 .venv/bin/python bench/retrieval_recall.py [--only seeds|sib|xquad] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    CACHE_STATS,
    RESULTS_DIR,
    SEEDS_QA,
    SIB_LANGS,
    SIB_PAIRS,
    XQUAD_CORPUS,
    XQUAD_QA,
    DiskCachedDocuments,
    PrecomputedEmbedder,
    command_line,
    finish_machine_info,
    load_embedder,
    machine_info,
    machine_md,
    md_table,
    peak_rss_mb,
    percentile,
    read_jsonl,
    sib_vectors,
    write_results,
)

from rag.index.base import Store, chunking_of
from rag.index.milvus_schema import parse_store
from rag.index.milvus_store import MilvusStore
from rag.index.store import IndexStore
from rag.ingest.chunking import chunk_id
from rag.pipeline import RAG
from rag.retrieve.retriever import MODES, HybridRetriever, Retriever
from rag.retrieve.rewrite import condense
from rag.settings import Settings
from rag.types import Chunk, Document, Section

XQUAD_DIRECTIONS = (("en", "en"), ("ru", "ru"), ("ru", "en"), ("en", "ru"))
SEARCH_SECONDS: dict[str, list[float]] = {}  # per mode, every timed ``search`` call (query vectors memoised)
# --store NAME -> (the store setting, a path in the temp dir for Milvus Lite; the Milvus store's lexical side)
STORES = {"local": ("local", "milvus"), "milvus": ("milvus://{tmp}/seeds.db", "milvus"),
          "milvus+local-bm25": ("milvus://{tmp}/seeds-lb.db", "local")}


# -- scoring ------------------------------------------------------------------------------------------

def gold_rank(sources: list[str], gold: set[str]) -> int | None:
    """1-based rank of the first hit from a gold source, or None if none in the list."""
    for i, s in enumerate(sources, start=1):
        if s in gold:
            return i
    return None


def summarise(ranks: list[int | None], ks: tuple[int, ...], nonempty: list[bool] | None = None
              ) -> dict[str, float]:
    n = len(ranks)
    out: dict[str, float] = {"n": n}
    if nonempty is not None:
        out["any_hit"] = sum(nonempty) / n if n else float("nan")  # share of queries with >= 1 hit
    for k in ks:
        out[f"r@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n if n else float("nan")
    out["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n if n else float("nan")
    return out


def cell(m: dict[str, float], ks: tuple[int, ...]) -> str:
    return " / ".join(f"{m[f'r@{k}']:.2f}" for k in ks) + f" / {m['mrr']:.2f}"


def mode_table(groups: dict[str, dict[str, dict[str, float]]], ks: tuple[int, ...], first: str) -> str:
    metric = " / ".join(f"R@{k}" for k in ks) + " / MRR"
    header = [first, "n", *[f"{mode}: {metric}" for mode in MODES], "lexical returned ≥1 hit"]
    rows = []
    for g, per_mode in groups.items():
        any_mode = next(iter(per_mode.values()))
        rows.append([g, int(any_mode["n"]), *[cell(per_mode[m], ks) for m in MODES],
                     f"{per_mode['lexical'].get('any_hit', float('nan')):.2f}"])
    return md_table(header, rows)


def run_modes(store: Store, embedder: Any, settings: Settings, queries: list[str],
              golds: list[set[str]], desc: str) -> tuple[dict[str, list[int | None]], dict[str, list[bool]]]:
    """Rank of the gold source for every query, per mode (same retriever code as the product), and
    whether the mode returned any hit at all (the lexical side often returns none, by design)."""
    out: dict[str, list[int | None]] = {}
    nonempty: dict[str, list[bool]] = {}
    for mode in MODES:
        retriever: Retriever = HybridRetriever(store, embedder, settings, mode=mode)
        ranks: list[int | None] = []
        any_hit: list[bool] = []
        for q, gold in tqdm(list(zip(queries, golds, strict=True)), desc=f"{desc} {mode}", unit="q"):
            t0 = time.perf_counter()
            hits = retriever.search(q, settings.retrieve_depth)
            SEARCH_SECONDS.setdefault(mode, []).append(time.perf_counter() - t0)
            ranks.append(gold_rank([h.chunk.source for h in hits], gold))
            any_hit.append(bool(hits))
        out[mode], nonempty[mode] = ranks, any_hit
    return out, nonempty


def ingest_dir(settings: Settings, embedder: Any, folder: Path, index_dir: Path) -> Store:
    """Index ``folder`` the way ``rag ingest`` does, sharing one loaded embedder."""
    rag = RAG(settings.replace(index_dir=index_dir))
    rag.__dict__["embedder"] = embedder  # cached_property slot: reuse the already-loaded model
    report = rag.ingest([folder], progress=True)
    print(report.summary(), file=sys.stderr)
    return rag.store


# -- seeds --------------------------------------------------------------------------------------------

def _norm_ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def answer_lang(row: dict[str, Any], store: Store) -> str:
    """Language of the indexed chunk that holds the row's evidence quote (first quote, first 60 chars)."""
    ev = row.get("evidence")
    quotes = [ev] if isinstance(ev, str) else list(ev or [])
    docs = store.documents()
    chunks = [store.chunk(cid) for d in docs for cid in d["chunk_ids"]]
    for quote in quotes:
        probe = _norm_ws(quote)[:60]
        for c in chunks:
            if c.source in row["sources"] and probe in _norm_ws(c.text):
                return c.lang
    langs = {d["lang"] for d in docs if d["source"] in row["sources"]}
    return sorted(langs)[0] if langs else "?"


def bench_seeds(settings: Settings, base: Any, tmp: Path, limit: int | None, lexical: str = "milvus"
                ) -> dict[str, Any]:
    ks = (1, 3, 5)
    embedder = DiskCachedDocuments(base, "seeds-chunks")
    store = ingest_dir(settings, embedder, settings.seeds_dir, tmp / "seeds")
    if lexical != "milvus":  # the Milvus store with today's in-memory BM25 beside it (bench_stores)
        store = MilvusStore.open(parse_store(settings.store), embedder, chunking_of(settings), create=False,
                                 lexical=lexical)
    rows = [r for r in read_jsonl(SEEDS_QA) if r["answerable"]]
    if limit:
        rows = rows[:limit]
    queries = [condense(r["question"], r.get("history") or []) or r["question"] for r in rows]
    embedder.preload(queries)
    ranks, nonempty = run_modes(store, embedder, settings, queries, [set(r["sources"]) for r in rows], "seeds")

    groups: dict[str, list[int]] = defaultdict(list)
    pair_groups: dict[str, list[int]] = defaultdict(list)
    per_row = []
    for i, r in enumerate(rows):
        tag = "cross" if "cross-lingual" in r["tags"] else "same"
        alang = answer_lang(r, store)
        groups["all"].append(i)
        groups[f"{r['lang']} questions, {'same-language' if tag == 'same' else 'cross-lingual'}"].append(i)
        if r.get("history"):
            groups["follow-ups (condensed)"].append(i)
        pair_groups[f"{r['lang']}→{alang}"].append(i)
        per_row.append({"id": r["id"], "lang": r["lang"], "answer_lang": alang, "tag": tag, "query": queries[i],
                        **{f"rank_{m}": ranks[m][i] for m in MODES}})

    def group_stats(g: dict[str, list[int]]) -> dict[str, dict[str, dict[str, float]]]:
        order = sorted(g, key=lambda k: (k != "all", k.startswith("follow"), k))
        return {k: {m: summarise([ranks[m][i] for i in g[k]], ks, [nonempty[m][i] for i in g[k]]) for m in MODES}
                for k in order}

    return {"limit": limit, "n_questions": len(rows), "n_chunks": len(store), "ks": ks,
            "by_tag": group_stats(groups), "by_pair": group_stats(pair_groups), "rows": per_row}


# -- SIB-200 ------------------------------------------------------------------------------------------

def sib_store(settings: Settings, base: Any, lang: str, rows: list[dict[str, Any]],
              doc_vecs: np.ndarray, queries: dict[str, np.ndarray], index_dir: Path) -> IndexStore:
    """One document per target sentence, built through ``IndexStore.apply`` with the cached vectors."""
    emb = PrecomputedEmbedder(base, {r[lang]: v for r, v in zip(rows, doc_vecs, strict=True)}, queries)
    store = IndexStore.open(index_dir, emb, chunking_of(settings), exact_index_max=settings.exact_index_max)
    upserts = []
    for r in rows:
        text, source = r[lang], f"sib_{lang}_{r['id']}.txt"
        doc = Document(source=source, path=source, text=text, content_hash=chunk_id(source, text), title="",
                       lang=lang, sections=[Section(0, len(text), lang)])
        chunk = Chunk(id=chunk_id(source, text), source=source, text=text, start=0, end=len(text), lang=lang,
                      ordinal=0)
        upserts.append((doc, [chunk]))
    store.apply(upserts, progress=False)
    return store


def bench_sib(settings: Settings, base: Any, tmp: Path, limit: int | None) -> dict[str, Any]:
    ks = (1, 5)
    rows = read_jsonl(SIB_PAIRS)
    if limit:
        rows = rows[:limit]
    t0 = time.perf_counter()
    doc_vecs, query_vecs = sib_vectors(base, rows)
    embed_s = time.perf_counter() - t0
    queries = {r[lang]: query_vecs[lang][i] for lang in SIB_LANGS for i, r in enumerate(rows)}
    stores = {lang: sib_store(settings, base, lang, rows, doc_vecs[lang], queries, tmp / f"sib_{lang}")
              for lang in SIB_LANGS}
    directions: dict[str, dict[str, dict[str, float]]] = {}
    for src in SIB_LANGS:
        for tgt in SIB_LANGS:
            if src == tgt:
                continue
            ranks, nonempty = run_modes(stores[tgt], stores[tgt].embedder, settings, [r[src] for r in rows],
                              [{f"sib_{tgt}_{r['id']}.txt"} for r in rows], f"sib {src}->{tgt}")
            directions[f"{src}→{tgt}"] = {m: summarise(ranks[m], ks, nonempty[m]) for m in MODES}
    return {"limit": limit, "n_sentences": len(rows), "ks": ks, "embed_seconds_this_run": round(embed_s, 1),
            "directions": directions}


# -- XQuAD --------------------------------------------------------------------------------------------

def bench_xquad(settings: Settings, base: Any, tmp: Path, limit: int | None) -> dict[str, Any]:
    ks = (1, 5)
    rows = read_jsonl(XQUAD_QA)
    if limit:
        kept: list[dict[str, Any]] = []
        for q, c in XQUAD_DIRECTIONS:
            kept += [r for r in rows if r["lang"] == q and r["corpus"] == c][:limit]
        rows = kept
    stores: dict[str, Store] = {}
    embedders: dict[str, DiskCachedDocuments] = {}
    for corpus in ("en", "ru"):
        embedders[corpus] = DiskCachedDocuments(base, f"xquad-{corpus}-chunks")
        stores[corpus] = ingest_dir(settings, embedders[corpus], XQUAD_CORPUS / corpus, tmp / f"xquad_{corpus}")
    directions: dict[str, dict[str, dict[str, float]]] = {}
    for q, c in XQUAD_DIRECTIONS:
        sel = [r for r in rows if r["lang"] == q and r["corpus"] == c]
        questions = [r["question"] for r in sel]
        embedders[c].preload(questions, desc=f"embed xquad {q}->{c} questions")
        ranks, nonempty = run_modes(stores[c], embedders[c], settings, questions, [set(r["sources"]) for r in sel],
                          f"xquad {q}->{c}")
        directions[f"{q}→{c}"] = {m: summarise(ranks[m], ks, nonempty[m]) for m in MODES}
    return {"limit": limit, "n_questions": len(rows), "n_chunks": {c: len(s) for c, s in stores.items()},
            "n_documents": {c: len(s.documents()) for c, s in stores.items()}, "ks": ks,
            "directions": directions}


# -- report -------------------------------------------------------------------------------------------

def markdown(res: dict[str, Any]) -> str:
    s = res["settings"]
    parts = ["# Retrieval recall", "",
             f"Command: `{res['command']}`", "",
             machine_md(res["machine"]), "",
             f"Embedder `{s['embedder']}` (fingerprint {s['fingerprint']}); every mode returns the top "
             f"`retrieve_depth` = {s['retrieve_depth']} hits; hybrid = weighted RRF (rrf_k = {s['rrf_k']}, "
             f"dense weight {s['dense_weight']}, lexical weight {s['lexical_weight']}); MRR counts a gold hit "
             f"below rank {s['retrieve_depth']} as 0. Each cell: recall@k ... / MRR. The last column is the share of "
             "queries for which lexical search returned any chunk at all (a chunk must cover "
             f"{s.get('lexical_min_coverage', Settings.lexical_min_coverage):.0%} of the query's IDF weight to count); "
             "when it returns none, hybrid ranks exactly like dense.", ""]
    if "seeds" in res:
        d = res["seeds"]
        parts += ["## Seeds (seeds_qa.jsonl, answerable rows)", "",
                  f"{d['n_questions']} questions over {d['n_chunks']} chunks of the 5 seed articles. Follow-ups "
                  "are retrieved with `condense(question, history)` like the product.", "",
                  "By question language → language of the chunk that holds the evidence quote:", "",
                  mode_table(d["by_pair"], tuple(d["ks"]), "question → answer chunk"), "",
                  "By question language × tag (`cross-lingual` = no passage holding the answer is in the "
                  "question's language):", "",
                  mode_table(d["by_tag"], tuple(d["ks"]), "group"), ""]
    if "sib" in res:
        d = res["sib"]
        parts += ["## SIB-200 / FLORES-200 sentence retrieval", "",
                  f"Each of {d['n_sentences']} source sentences searches all {d['n_sentences']} target-language "
                  "sentences; gold = its translation.", "",
                  mode_table(d["directions"], tuple(d["ks"]), "direction"), ""]
    if "xquad" in res:
        d = res["xquad"]
        parts += ["## XQuAD (question → paragraph)", "",
                  f"{d['n_questions']} questions; corpus en {d['n_documents']['en']} paragraphs / "
                  f"{d['n_chunks']['en']} chunks, ru {d['n_documents']['ru']} paragraphs / "
                  f"{d['n_chunks']['ru']} chunks (gold paragraph + same-article distractors).", "",
                  mode_table(d["directions"], tuple(d["ks"]), "question → corpus"), ""]
    limited = {p: res[p]["limit"] for p in ("seeds", "sib", "xquad") if p in res and res[p].get("limit")}
    if limited:
        parts += ["**Subset run** (`--limit N`): " + ", ".join(f"{p} N={n}" for p, n in limited.items())
                  + " (seeds: first N answerable rows; SIB: first N sentences per language, so only N "
                  "candidates; XQuAD: first N questions per direction, full corpus).", ""]
    cache = res.get("embedding_cache", {})
    parts += [f"Wall time {res['seconds']:.0f} s, peak RSS {res['peak_rss_mb']:.0f} MB. Document/sentence vectors: "
              f"{cache.get('read', 0)} read from bench/.cache, {cache.get('computed', 0)} embedded in this run "
              "(chunk vectors and both prompts of the SIB-200 sentences are cached; the seeds and XQuAD questions "
              "are embedded in every run)."]
    return "\n".join(parts)


def bench_stores(settings: Settings, base: Any, tmp: Path, limit: int | None, names: list[str]
                 ) -> dict[str, Any]:
    """The seeds part once per store, same process, same cached vectors and query vectors."""
    out: dict[str, Any] = {}
    for name in names:
        store_setting, lexical = STORES[name]
        SEARCH_SECONDS.clear()
        where = tmp / name.replace("+", "_")
        where.mkdir(parents=True, exist_ok=True)
        res = bench_seeds(settings.replace(store=store_setting.format(tmp=where)), base, where, limit, lexical)
        res["search_ms"] = {m: {"p50": round(percentile(v, 50) * 1000, 1), "p95": round(percentile(v, 95) * 1000, 1)}
                            for m, v in SEARCH_SECONDS.items()}
        out[name] = res
        print(f"store {name}: done", file=sys.stderr)
    return out


def stores_markdown(res: dict[str, Any]) -> str:
    ks = (1, 3, 5)
    rows = []
    for name, d in res["stores"].items():
        allrow = d["by_tag"]["all"]
        rows.append([name, int(allrow["hybrid"]["n"]), *[cell(allrow[m], ks) for m in MODES],
                     f"{d['search_ms']['hybrid']['p50']:.1f} / {d['search_ms']['hybrid']['p95']:.1f}"])
    header = ["store", "n", *[f"{m}: R@1 / R@3 / R@5 / MRR" for m in MODES], "hybrid search p50 / p95 (ms)"]
    parts = ["# Retrieval recall on the seeds: local store vs Milvus Lite", "",
             f"Command: `{res['command']}`", "", machine_md(res["machine"]), "",
             "Same process, same chunk vectors (bench/.cache) and query vectors, the product's `HybridRetriever`; "
             "only the store differs. `milvus` = Milvus Lite with Milvus's BM25 function over our tokeniser's terms "
             "and the coverage filter in the client (the default); `milvus+local-bm25` = Milvus Lite for vectors "
             "and documents with today's in-memory bm25s index rebuilt beside it. Search time = one "
             "`retriever.search` call with the query vector already computed (store + fusion, no embedding).", "",
             md_table(header, rows), ""]
    for name, d in res["stores"].items():
        parts += [f"## {name}: by question language × tag", "", mode_table(d["by_tag"], ks, "group"), ""]
    parts += [f"Wall time {res['seconds']:.0f} s."]
    return "\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["seeds", "sib", "xquad"], action="append",
                    help="run only this part (repeatable); default all three")
    ap.add_argument("--limit", type=int, default=None, help="quick check: first N rows / sentences")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other parts of an existing results file (to re-run one part)")
    ap.add_argument("--store", choices=list(STORES), action="append",
                    help="seeds only, once per store (repeatable), side by side in retrieval_recall_stores.md")
    args = ap.parse_args()
    parts = args.only or ["seeds", "sib", "xquad"]
    settings = Settings.load()
    base = load_embedder(settings)
    info = machine_info()
    t0 = time.perf_counter()
    if args.store:
        with tempfile.TemporaryDirectory(prefix="bench-recall-") as tmpname:
            stores = bench_stores(settings, base, Path(tmpname), args.limit, args.store)
        out = {"command": command_line(), "stores": stores, "seconds": time.perf_counter() - t0,
               "machine": finish_machine_info(info)}
        write_results("retrieval_recall_stores", out, stores_markdown(out))
        return
    res: dict[str, Any] = {}
    if args.merge:
        old = RESULTS_DIR / "retrieval_recall.json"
        if old.exists():
            res = {k: v for k, v in json.loads(old.read_text()).items() if k in ("seeds", "sib", "xquad")}
    with tempfile.TemporaryDirectory(prefix="bench-recall-") as tmpname:
        tmp = Path(tmpname)
        for part in parts:
            fn = {"seeds": bench_seeds, "sib": bench_sib, "xquad": bench_xquad}[part]
            res[part] = fn(settings, base, tmp, args.limit)
            print(f"{part}: done after {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    res.update(command=command_line(), embedding_cache=dict(CACHE_STATS), seconds=time.perf_counter() - t0,
               peak_rss_mb=peak_rss_mb(), machine=finish_machine_info(info),
               settings={"embedder": base.name, "fingerprint": base.fingerprint,
                         "retrieve_depth": settings.retrieve_depth, "rrf_k": settings.rrf_k,
                         "dense_weight": settings.dense_weight, "lexical_weight": settings.lexical_weight,
                         "lexical_min_coverage": settings.lexical_min_coverage,
                         "chunk_tokens": settings.chunk_tokens,
                         "chunk_overlap_tokens": settings.chunk_overlap_tokens})
    md = markdown(res)
    write_results("retrieval_recall", res, md)


if __name__ == "__main__":
    main()
