"""The persistent index: documents, chunks, vectors (FAISS) and BM25, written atomically."""

from rag.index.lexical import LexicalIndex, lower_text, query_tokens, tokenize
from rag.index.store import ApplyReport, IndexStore, chunking_of

__all__ = ["ApplyReport", "IndexStore", "LexicalIndex", "chunking_of", "lower_text", "query_tokens",
           "tokenize"]
