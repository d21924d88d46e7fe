"""Choosing and opening the ``Store`` implementation: the one place that names concrete stores.

The pipeline calls ``index_exists`` and ``open_store`` and gets a ``rag.index.base.Store``; adding a
backend (e.g. a server-side vector database) means adding a branch here, not changing the pipeline.
"""

from __future__ import annotations

from rag.embedding import Embedder
from rag.index.base import Store
from rag.index.store import IndexStore
from rag.settings import Settings


def index_exists(settings: Settings) -> bool:
    """Whether an index was ever written for these settings (it may still fail to open)."""
    return IndexStore.exists(settings.index_dir)


def open_store(settings: Settings, embedder: Embedder, *, create: bool = True, fresh: bool = False) -> Store:
    """Open the index the settings name.

    ``create``: an absent index opens empty instead of raising ``IndexError_``. ``fresh``: start empty
    and replace the existing index on the first write (``rag ingest --rebuild``); until then the old
    index stays what readers see.
    """
    return IndexStore.from_settings(settings, embedder, create=create, fresh=fresh)
