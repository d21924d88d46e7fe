"""Retrieval: from a question to ranked passages (``Hit``s)."""

from rag.retrieve.retriever import MODES, HybridRetriever, Mode, Retriever

__all__ = ["MODES", "HybridRetriever", "Mode", "Retriever"]
