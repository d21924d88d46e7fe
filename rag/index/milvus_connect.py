"""Connecting to Milvus, creating the collections, and refusing an index built for another embedder.

One ``MilvusClient`` per process and URI. For ``milvus://FILE.db`` pymilvus starts the Milvus Lite
engine inside this process (a gRPC server on a free local port); Milvus Lite locks the file, so a second
process cannot open it -- it gets an error naming the fix (serve the file with ``python -m milvus_lite
server`` or run Milvus, and point every process at the URL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rag.embedding import Embedder
from rag.errors import IndexError_
from rag.index import manifest
from rag.index.generations import rebuild_fix
from rag.index.milvus_schema import (
    CHUNKS,
    DOCUMENTS,
    DUMMY,
    FORMAT_VERSION,
    META,
    TERMS,
    StoreTarget,
    chunks_schema,
    keyed_schema,
)

CONSISTENCY = "Strong"  # every read sees every finished write (Milvus defaults to "Bounded")


class _UnimplementedTimestamp(logging.Filter):
    """Drops gRPC's "Exception calling application: Method not implemented!" traceback for Milvus Lite's
    ``AllocTimestamp``, which pymilvus asks for after every ``create_index`` and query iterator. Milvus Lite
    3.2.2 does not implement it (its servicer inherits the generated stub that raises), pymilvus goes on
    with timestamp 0, and nothing is wrong -- but the in-process server logged a full traceback on stderr
    several times per ``rag ingest --store milvus://...``. Any other server error still gets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        tb = record.exc_info[2] if record.exc_info else None
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        return not (record.exc_info and isinstance(record.exc_info[1], NotImplementedError)
                    and tb is not None and tb.tb_frame.f_code.co_name == "AllocTimestamp")


_SERVER_LOG = logging.getLogger("grpc._server")
if not any(isinstance(f, _UnimplementedTimestamp) for f in _SERVER_LOG.filters):
    _SERVER_LOG.addFilter(_UnimplementedTimestamp())


def client_for(target: StoreTarget) -> Any:
    """A ``MilvusClient``; for Milvus Lite the engine starts inside this process (once per file)."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    # pymilvus warns on every query iterator against Milvus Lite (no server-side MVCC timestamp) and
    # Milvus Lite logs a traceback when a file is locked; the latter is reported below in our own words.
    # (Set after the import: pymilvus configures its loggers when imported.)
    logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
    logging.getLogger("milvus_lite.server_manager").setLevel(logging.CRITICAL)

    try:
        if target.kind == "lite":
            # pymilvus pings every 10 s even when idle; Milvus Lite's gRPC server keeps gRPC's default
            # policy (at most one ping per 5 min without calls) and answers with GOAWAY "too_many_pings",
            # logged on stderr during every long LLM answer. Ping no more often than it allows.
            return MilvusClient(uri=target.uri, grpc_options={"grpc.keepalive_time_ms": 300_000,
                                                               "grpc.keepalive_permit_without_calls": False})
        return MilvusClient(uri=target.uri)
    except MilvusException as exc:
        if target.kind == "lite":
            raise IndexError_(
                f"Cannot open the Milvus Lite file {target.uri} ({exc.message}). Milvus Lite runs inside one "
                "process and locks its file, so most likely another rag process has it open.",
                fix=f"stop the other process, or serve the file to all of them: python -m milvus_lite server "
                    f"--data-dir {target.uri} --port 19530, then --store http://127.0.0.1:19530") from exc
        raise IndexError_(f"Cannot reach the Milvus server at {target.uri} ({exc.message}).",
                          fix="check that Milvus is running and the URL (http://host:19530)") from exc


def doc_key(source: str, part: int) -> str:
    """Primary key of slice ``part`` of a document (part 0 also holds the record)."""
    return f"{source}#{part}"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")



def create_collections(client: Any, embedder: Embedder, chunking: dict[str, Any]) -> dict[str, Any]:
    """The four collections and the config row (written last: its presence means "the index exists")."""
    schema, index = chunks_schema(client, embedder.dim)
    client.create_collection(CHUNKS, schema=schema, index_params=index, consistency_level=CONSISTENCY)
    for name in (DOCUMENTS, TERMS, META):
        schema, index = keyed_schema(client)
        client.create_collection(name, schema=schema, index_params=index, consistency_level=CONSISTENCY)
    stamp = now()
    config = {"format_version": FORMAT_VERSION, "chunking": dict(chunking), "version": 0, "index_kind": "flat",
              "embedder": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dim": embedder.dim},
              "created_at": stamp, "updated_at": stamp}
    client.upsert(META, [keyed_row("config", "", 0, config)])
    return config



def keyed_row(key: str, source: str, part: int, info: dict[str, Any], text: str = "") -> dict[str, Any]:
    """A row of the documents / terms / meta collections."""
    return {"key": key, "source": source, "part": part, "info": info, "text": text, "dummy": list(DUMMY)}


def store_flag(target: StoreTarget) -> str:
    """The ``--store`` value that names ``target`` (for "fix:" hints)."""
    return f"milvus://{target.uri}" if target.kind == "lite" else target.uri


def check_compatible(target: StoreTarget, config: dict[str, Any], embedder: Embedder, chunking: dict[str, Any],
                     source_dirs: Callable[[], list[str]]) -> None:
    """Refuse an index built with another embedder or chunking: the local store's check and messages
    (``rag.index.manifest.check_compatible``), with a fix that names the folders and this store."""
    fix = lambda: f"{rebuild_fix(source_dirs()[:3] or None)} --store {store_flag(target)}"  # noqa: E731
    if config.get("format_version") != FORMAT_VERSION:
        raise IndexError_(f"Index in {target.uri} has Milvus format {config.get('format_version')}; this "
                          f"version reads format {FORMAT_VERSION}.", fix=fix())
    try:
        manifest.check_compatible({**config, "format_version": manifest.FORMAT_VERSION}, embedder, chunking,
                                  target.uri, "")
    except IndexError_ as exc:
        raise IndexError_(exc.message, fix=fix()) from None
