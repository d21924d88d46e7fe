"""Where a Milvus-backed index lives and how its three collections are laid out.

The ``store`` setting picks the backend: ``local`` (the on-disk FAISS + BM25 index in ``index_dir``),
``milvus://PATH.db`` (Milvus Lite: the embedded engine, one local file/folder, no server) or
``http(s)://host:19530`` (a Milvus standalone or cluster). The same ``pymilvus.MilvusClient`` code
talks to both Milvus forms, so what the tests run on Milvus Lite is what runs against a cluster.

Collections (``PREFIX`` + name), each keyed by a VARCHAR primary key:

- ``chunks``: one row per chunk -- ``vector`` (FLOAT_VECTOR, L2-normalised, metric IP: inner product
  = cosine, the local store's metric), ``terms`` (our own tokeniser's output, ``rag.index.lexical``,
  space-joined) analysed by Milvus's standard tokenizer and turned into ``sparse`` by Milvus's BM25
  function (k1 1.5, b 0.75 = bm25s's defaults), and ``chunk`` (JSON: the full ``Chunk.to_dict()``,
  so citations keep offsets, language, title and date).
- ``documents``: per source, ``part`` 0 carries the record (content hash, title, date, chunk ids...)
  and parts 0..n the cleaned text in slices (a VARCHAR holds at most 65,535 bytes).
- ``terms``: per BM25 term, the number of chunks holding it (``info.df``), kept by every ``apply``. The
  coverage filter needs each query term's IDF; Milvus computes IDF inside its BM25 scoring but does not
  return it, and counting with ``text_match`` scans the collection (~0.5 s per term on Milvus Lite).
- ``meta``: the ``config`` row (format, embedder identity, chunking, version counter) and one row per
  chunk language with the running vector sum and count (the per-language means of centering).

Why our tokens rather than a Milvus analyzer on the raw text: Milvus has no Azerbaijani stemmer and
Milvus Lite has only the ``standard`` (lower-case ``\\w+``) tokenizer; pre-tokenised terms give Milvus's
BM25 exactly the vocabulary the local index was measured with (docs/scaling.md).

``documents``, ``terms`` and ``meta`` carry a 2-d dummy vector only because a Milvus collection must have one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import InputError

PREFIX = "rag_"
CHUNKS = PREFIX + "chunks"
DOCUMENTS = PREFIX + "documents"
META = PREFIX + "meta"
TERMS = PREFIX + "terms"
COLLECTIONS = (CHUNKS, DOCUMENTS, TERMS, META)  # META last: its config row means "the index exists"
FORMAT_VERSION = 1
TEXT_SLICE_CHARS = 16_000  # <= 64,000 bytes even if every character takes 4 bytes in UTF-8
MAX_TERMS_BYTES = 65_000
DUMMY = [1.0, 0.0]
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}
HNSW_PARAMS = {"M": 32, "efConstruction": 80}  # same graph as the local store's HNSW
HNSW_EF_SEARCH = 96


@dataclass(frozen=True)
class StoreTarget:
    """A parsed ``store`` setting."""

    kind: str  # "local" | "lite" | "server"
    uri: str = ""  # what MilvusClient is given (a .db path or an http URL)

    @property
    def is_milvus(self) -> bool:
        return self.kind != "local"


def parse_store(value: str) -> StoreTarget:
    """``local`` | ``milvus://PATH.db`` | ``http(s)://host:port``; anything else is refused."""
    v = (value or "local").strip()
    if v == "local":
        return StoreTarget("local")
    if v.startswith("milvus://"):
        path = v[len("milvus://"):]
        if not path.endswith(".db") or path in ("", ".db"):
            raise InputError(f"store {value!r}: a Milvus Lite store is a file name ending in .db",
                             fix="--store milvus:///path/to/index.db")
        return StoreTarget("lite", str(Path(path).expanduser().resolve()))
    if v.startswith(("http://", "https://")):
        return StoreTarget("server", v.rstrip("/"))
    raise InputError(f"unknown store {value!r}",
                     fix="--store local, --store milvus:///path/to/index.db or --store http://host:19530")


def chunks_schema(client: Any, dim: int) -> tuple[Any, Any]:
    """Schema and index parameters of the chunks collection (dense FLAT/IP index, BM25 sparse index)."""
    from pymilvus import DataType, Function, FunctionType

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    s.add_field("source", DataType.VARCHAR, max_length=4096)
    s.add_field("lang", DataType.VARCHAR, max_length=16)
    s.add_field("terms", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"}, enable_match=True)
    s.add_field("chunk", DataType.JSON)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                            output_field_names=["sparse"]))
    return s, chunks_index_params(client, {"vector", "sparse"}, hnsw=False)


def chunks_index_params(client: Any, fields: set[str], *, hnsw: bool) -> Any:
    """Index parameters of the chunks collection's ``fields`` ("vector", "sparse"): the dense index
    (exact ``FLAT``, or ``HNSW`` past ``exact_index_max``) and the BM25 index, whose k1 / b live in
    these parameters -- an engine that lost it would score with its defaults (k1 1.2), not bm25s's."""
    ip = client.prepare_index_params()
    if "vector" in fields:
        if hnsw:
            ip.add_index("vector", index_type="HNSW", metric_type="IP", params=dict(HNSW_PARAMS))
        else:
            ip.add_index("vector", index_type="FLAT", metric_type="IP")
    if "sparse" in fields:
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(BM25_PARAMS))
    return ip


def keyed_schema(client: Any) -> tuple[Any, Any]:
    """Schema of the documents, terms and meta collections: a key, a source, a part, JSON, text."""
    from pymilvus import DataType

    s = client.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=4200)
    s.add_field("source", DataType.VARCHAR, max_length=4096)
    s.add_field("part", DataType.INT64)
    s.add_field("info", DataType.JSON)
    s.add_field("text", DataType.VARCHAR, max_length=65_535)
    s.add_field("dummy", DataType.FLOAT_VECTOR, dim=len(DUMMY))
    ip = client.prepare_index_params()
    ip.add_index("dummy", index_type="FLAT", metric_type="IP")
    return s, ip


def quote(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
