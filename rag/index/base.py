"""What the rest of the product needs from an index: the ``Store`` protocol and its result types.

The retriever (``rag.retrieve.retriever``) and the pipeline (``rag.pipeline``) depend only on this
protocol, so a server-side store (e.g. Milvus) can replace the on-disk one (``rag.index.store``)
without touching them. Backends are opened through ``rag.index.backends.open_store``.

Contract shared by every implementation:

- A store is opened for one embedder identity (name, fingerprint, dim) and one chunking; an index built
  with another identity or chunking is refused with ``rag.errors.IndexError_`` (see
  ``rag.index.manifest.check_compatible``) -- vectors of another model give silently wrong neighbours.
- Documents are keyed by ``Document.source``; a document's chunks are replaced as a whole.
- Vectors are L2-normalised; dense scores are inner products, i.e. cosine similarity in [-1, 1].
- Reads see one consistent version: a write publishes all its changes at once or none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.ingest.chunking import TEXT_RULES_VERSION
from rag.settings import Settings
from rag.types import Chunk, Document

Upsert = tuple[Document, list[Chunk]]


def chunking_of(settings: Settings) -> dict[str, int]:
    """The chunking settings and text-rules version an index records; chunks cut differently must not
    be mixed in one index (nor answered from after the rules changed: their texts and spans differ)."""
    return {"chunk_tokens": settings.chunk_tokens, "chunk_overlap_tokens": settings.chunk_overlap_tokens,
            "text_rules": TEXT_RULES_VERSION}


@dataclass
class ApplyReport:
    """What one ``Store.apply`` did (printed by ``rag ingest``, asserted by tests)."""

    added_docs: int = 0
    updated_docs: int = 0
    removed_docs: int = 0
    added_chunks: int = 0  # chunk ids new to the index
    removed_chunks: int = 0  # chunk ids no longer in the index
    reused_vectors: int = 0  # chunks of changed documents whose text was already embedded
    seconds: float = 0.0
    index_kind: str = "flat"
    embedded_chunks: int = 0  # texts actually sent to the embedder
    written: bool = False  # False when nothing changed (no new version published)
    generation: int = 0  # version live after the call (0: nothing stored)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@runtime_checkable
class Store(Protocol):
    """Documents, their chunks, a dense (vector) index and a lexical (BM25) index over the chunks."""

    def __len__(self) -> int:
        """Number of chunks."""
        ...

    # -- documents ----------------------------------------------------------------------------------

    def sources(self) -> set[str]:
        """Source ids of every document."""
        ...

    def documents(self) -> list[dict[str, Any]]:
        """Metadata of every document, sorted by source, without the text: at least ``source``,
        ``path``, ``title``, ``date``, ``lang``, ``content_hash``, ``chunk_ids``, ``n_chunks``,
        ``ingested_at``."""
        ...

    def document(self, source: str) -> Document:
        """The stored document (``KeyError`` if absent), text included."""
        ...

    def document_text(self, source: str) -> str:
        """The cleaned text that chunk offsets (and citation spans) refer to; ``KeyError`` if absent."""
        ...

    def chunk(self, chunk_id: str) -> Chunk:
        """One chunk by id; ``KeyError`` if absent."""
        ...

    def document_chunks(self, source: str) -> list[Chunk]:
        """Every chunk of one document, in reading order; [] if absent. One lookup by source, not a
        scan of every document's metadata (an article's dateline: rag.answer.published)."""
        ...

    def needs_update(self, source: str, content_hash: str) -> bool:
        """True unless a document ``source`` with exactly this content hash is stored (lets ingestion
        skip unchanged files before parsing or embedding them)."""
        ...

    # -- writing ------------------------------------------------------------------------------------

    def apply(self, upserts: Sequence[Upsert], removals: Sequence[str] = (), *,
              progress: bool = True) -> ApplyReport:
        """Add or replace documents (each with all its chunks) and remove the ``removals`` sources, as
        one atomic change. A document whose content hash and chunk ids are unchanged is skipped; when
        nothing changes nothing is written. Only chunk texts not already stored are embedded.
        ``ValueError`` for inconsistent input (a source given twice, a chunk of another source)."""
        ...

    # -- searching ----------------------------------------------------------------------------------

    def search_dense(self, query_vec: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """Top ``k`` chunks by cosine similarity with an L2-normalised query vector, best first
        (exact up to ``Settings.exact_index_max`` chunks, approximate above; fewer if the index is
        smaller). ``ValueError`` if the vector's dimension is not the index's."""
        ...

    def search_lexical(self, query: str, lang: str, k: int, *, min_coverage: float | None = None
                       ) -> list[tuple[Chunk, float]]:
        """Top ``k`` chunks by BM25 over ``rag.index.lexical`` tokens, best first; ``lang`` is the
        query's language or "". Only chunks covering ``min_coverage`` of the query's IDF weight count
        (None: ``Settings.lexical_min_coverage``), see ``LexicalIndex.search``."""
        ...

    def language_offsets(self, query_vec: np.ndarray) -> dict[str, float]:
        """For each chunk language present: cosine of the query with the mean vector of that language's
        chunks. Multilingual embedders give each language a shared direction; the retriever subtracts a
        share of this offset so a question does not prefer passages merely for being in its language
        (``HybridRetriever._dense``). Means must follow every ``apply``."""
        ...
