"""Ingestion: files -> cleaned ``Document``s with language sections -> sentence-aligned ``Chunk``s."""

from rag.ingest.chunking import chunk_document
from rag.ingest.documents import build_document, load_documents

__all__ = ["build_document", "chunk_document", "load_documents"]
