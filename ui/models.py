"""One RAG per model choice, all sharing one index and one embedder.

The settings panel lets a user switch between the fast 0.5B and the default 1.5B model. Each LLM is
loaded lazily the first time someone asks with it and then kept (reloading a GGUF costs seconds). The
index and the embedder are shared: a document uploaded while one model is selected must be
answerable with the other, and a second embedder copy would only cost memory.
"""

from __future__ import annotations

import threading

from rag.pipeline import RAG
from rag.settings import Settings

MODEL_CHOICES = ("fast", "default")


class RagPool:
    """Hands out the RAG for a model name; the primary one owns ingestion, removal and the index."""

    def __init__(self, primary: RAG) -> None:
        self.primary = primary
        self._by_llm: dict[str, RAG] = {primary.settings.llm: primary}
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        return self.primary.settings

    def choices(self) -> list[str]:
        """The catalogue's two chat models, plus whatever the server was started with (a path...)."""
        extra = [self.primary.settings.llm] if self.primary.settings.llm not in MODEL_CHOICES else []
        return [*MODEL_CHOICES, *extra]

    def get(self, llm: str | None) -> RAG:
        """The RAG answering with ``llm`` (unknown names fall back to the primary model)."""
        if not llm or llm not in self.choices():
            return self.primary
        with self._lock:
            rag = self._by_llm.get(llm)
            if rag is None:
                rag = self.primary.with_llm(llm)
                self._by_llm[llm] = rag
        return rag
