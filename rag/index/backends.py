"""Choosing and opening the ``Store`` implementation: the one place that names concrete stores.

The pipeline calls ``index_exists`` and ``open_store`` and gets a ``rag.index.base.Store``; adding a
backend (e.g. a server-side vector database) means adding a branch here, not changing the pipeline.
"""

from __future__ import annotations

from rag.embedding import Embedder
from rag.index.base import Store, chunking_of
from rag.index.milvus_schema import parse_store
from rag.index.store import IndexStore
from rag.settings import Settings


def location(settings: Settings) -> str:
    """Where the index lives, for messages: the index directory or the Milvus URI."""
    target = parse_store(settings.store)
    return str(settings.index_dir) if not target.is_milvus else settings.store


def index_exists(settings: Settings) -> bool:
    """Whether an index was ever written for these settings (it may still fail to open)."""
    target = parse_store(settings.store)
    if target.is_milvus:
        from rag.index.milvus_store import MilvusStore  # pymilvus is imported only when used

        return MilvusStore.exists(target)
    return IndexStore.exists(settings.index_dir)


def open_store(settings: Settings, embedder: Embedder, *, create: bool = True, fresh: bool = False) -> Store:
    """Open the index the settings name.

    ``create``: an absent index opens empty instead of raising ``IndexError_``. ``fresh``: start empty
    and replace the existing index on the first write (``rag ingest --rebuild``); until then the old
    index stays what readers see (Milvus: the collections are dropped and recreated at once).
    ``settings.store`` picks the backend: ``local`` or a Milvus URI (``rag.index.milvus_schema``).
    """
    target = parse_store(settings.store)
    if target.is_milvus:
        from rag.index.milvus_store import MilvusStore

        return MilvusStore.open(target, embedder, chunking_of(settings), create=create, fresh=fresh,
                                exact_index_max=settings.exact_index_max)
    return IndexStore.from_settings(settings, embedder, create=create, fresh=fresh)
