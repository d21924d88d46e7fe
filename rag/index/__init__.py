"""The persistent index: documents, chunks, vectors (FAISS) and BM25, written atomically.

``Store`` (``rag.index.base``) is what the rest of the product uses; ``IndexStore`` is the on-disk
implementation, opened through ``rag.index.backends.open_store``.
"""

from rag.index.base import ApplyReport, Store, chunking_of
from rag.index.lexical import LexicalIndex, lower_text, query_tokens, tokenize
from rag.index.store import IndexStore

__all__ = ["ApplyReport", "IndexStore", "LexicalIndex", "Store", "chunking_of", "lower_text", "query_tokens",
           "tokenize"]
