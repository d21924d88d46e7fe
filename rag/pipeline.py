"""The facade: one object, verbs as methods — ingest, remove, documents, retrieve, ask.

Everything heavy (embedder, index, LLM) loads lazily on first use, so ``rag ingest`` on unchanged
files never loads a model, and the web UI can start serving before the LLM is in memory.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.answer.answerer import Answerer, Done, Event
from rag.answer.context import SentenceWindowSelector
from rag.answer.evidence import EvidenceRanker
from rag.answer.grounded import GroundedAnswerer
from rag.answer.language import is_abstention
from rag.embedding import SentenceTransformerEmbedder, VectorCache, folder_fingerprint
from rag.errors import IndexError_, InputError, ModelMissingError
from rag.index.backends import index_exists, location, open_store
from rag.index.base import Store
from rag.indexing import IngestReport, ingest_files
from rag.ingest.identity import absolute
from rag.llm.base import LLM, Message
from rag.llm.factory import load_llm
from rag.models.catalog import CATALOG
from rag.models.provision import resolve
from rag.present import whole_quotes
from rag.retrieve.retriever import HybridRetriever, Retriever
from rag.retrieve.rewrite import condense
from rag.settings import Settings
from rag.types import Answer, Chunk, Hit

log = logging.getLogger("rag")

MAX_QUESTION_CHARS = 2000


class LazyEmbedder:
    """The embedder's identity without loading it: fingerprint and dimension come from the folder."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = path
        self.settings = settings
        self.name = path.name
        self.fingerprint = folder_fingerprint(path)
        self._model: SentenceTransformerEmbedder | None = None
        self._lock = threading.Lock()
        # Several chat users may embed at once (server slots); a fast tokenizer used from two threads
        # fails ("Already borrowed"), and two torch calls on 2 cores only slow each other down.
        self._use = threading.RLock()
        # Retrieval and sentence selection embed the same question: the second time is free.
        self._queries = VectorCache(lambda texts: self.model.embed_queries(texts), max_items=256)
        self.dim = self._dim_from_config() or self.model.dim

    def _dim_from_config(self) -> int | None:
        try:
            modules = json.loads((self.path / "modules.json").read_text())
            for module in reversed(modules):
                cfg = self.path / module.get("path", "") / "config.json"
                if module.get("path") and cfg.exists():
                    data = json.loads(cfg.read_text())
                    dim = data.get("out_features") or data.get("word_embedding_dimension")
                    if dim:
                        return int(dim)
        except (OSError, ValueError, TypeError):
            return None
        return None

    @property
    def model(self) -> SentenceTransformerEmbedder:
        with self._lock:
            if self._model is None:
                try:
                    self._model = SentenceTransformerEmbedder(
                        self.path, batch_size=self.settings.embed_batch_size, n_threads=self.settings.n_threads,
                        query_prompt=self.settings.query_prompt)
                except Exception as exc:  # any library's failure on a broken folder becomes one message
                    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
                    raise ModelMissingError(
                        f"the embedder folder {self.path} cannot be loaded as a sentence-transformers model "
                        f"({type(exc).__name__}: {first})",
                        fix="point --embedder (RAG_EMBEDDER) at a complete folder (modules.json, config.json, "
                            "weights), or run `rag models pull --force embeddinggemma` and use "
                            "--embedder embeddinggemma") from exc
            return self._model

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        with self._use:
            return self.model.embed_documents(texts, progress=progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._use:
            return self._queries(texts) if texts else self.model.embed_queries(texts)

    def count_tokens(self, text: str) -> int:
        with self._use:
            return self.model.count_tokens(text)

    def similarity(self, text: str, others: Sequence[str]) -> list[float]:
        vecs = self.embed_documents([text, *others])
        return [float(x) for x in vecs[1:] @ vecs[0]]


class RAG:
    def __init__(self, settings: Settings | None = None, *, llm_slots: int = 0) -> None:
        """``llm_slots`` > 0 runs the LLM as a managed llama-server child with that many parallel slots
        (the web chat); 0 loads it in this process (ask, eval)."""
        self.settings = settings or Settings.load()
        self.llm_slots = llm_slots
        self._store: Store | None = None
        self._lock = threading.RLock()
        self._index_owner: RAG | None = None  # set by with_llm(): read that RAG's index, never a copy

    # -- components -------------------------------------------------------------------------------
    @cached_property
    def embedder(self) -> LazyEmbedder:
        return LazyEmbedder(resolve(self.settings.embedder, "embedder", self.settings.cache_dir), self.settings)

    @cached_property
    def llm(self) -> LLM:
        return load_llm(self.settings, slots=self.llm_slots)

    @cached_property
    def sentence_vectors(self) -> VectorCache:
        """Passage sentences' vectors, shared by the context selector and the evidence ranker (both split
        the same chunks into the same sentences): each sentence is embedded once, not once per stage."""
        return VectorCache(self.embedder.embed_documents, max_items=20_000)

    @cached_property
    def answerer(self) -> Answerer:
        selector = None
        if self.settings.context_tokens > 0:
            e = self.embedder
            selector = SentenceWindowSelector(
                e.embed_queries, self.sentence_vectors, e.count_tokens, budget_tokens=self.settings.context_tokens,
                language_offsets=lambda q: self.store.language_offsets(q),
                centering=self.settings.language_centering,
                window_weight=self.settings.window_weight, rank_prior=self.settings.context_rank_prior)
        spec = CATALOG.get(self.settings.llm)
        repeat = spec.repeat_question if spec is not None else True
        if self.settings.answer_mode in ("evidence", "typed"):
            return self._grounded_answerer(selector, repeat)
        return Answerer(self.llm, self.settings, similarity=self.embedder.similarity, selector=selector,
                        repeat_question=repeat)

    def _grounded_answerer(self, selector: SentenceWindowSelector | None, repeat: bool) -> Answerer:
        s, e = self.settings, self.embedder
        ranker = EvidenceRanker.from_settings(s, e.embed_queries, self.sentence_vectors,
                                              lambda q: self.store.language_offsets(q))
        return GroundedAnswerer(self.llm, s, ranker, similarity=e.similarity, embed_docs=ranker.embed_docs,
                                selector=selector, repeat_question=repeat, document_chunks=self._document_chunks)

    def _document_chunks(self, source: str) -> list[Chunk]:
        """Every chunk of one indexed document (for an article's dateline: rag.answer.published)."""
        return self.store.document_chunks(source)

    def index_exists(self) -> bool:
        return index_exists(self.settings)

    def with_llm(self, llm: str) -> RAG:
        """The same collection answered by another model: the index and embedder are shared, so a
        document ingested through either is seen by both, and no second embedder is loaded."""
        other = RAG(self.settings.replace(llm=llm), llm_slots=self.llm_slots)
        other.__dict__["embedder"] = self.embedder  # cached_property reads the instance dict first
        other._index_owner = self._index_owner or self
        return other

    @property
    def store(self) -> Store:
        if self._index_owner is not None:
            return self._index_owner.store
        with self._lock:
            if self._store is None:
                if not self.index_exists():
                    raise IndexError_(f"no index in {location(self.settings)}",
                                      fix=f"rag ingest {self.settings.seeds_dir}")
                self._store = open_store(self.settings, self.embedder, create=False)
            return self._store

    def reset_store(self) -> None:
        """Forget the open store, so the next use re-opens (and re-checks) the index on disk."""
        with self._lock:
            self._store = None

    @property
    def retriever(self) -> Retriever:
        return HybridRetriever(self.store, self.embedder, self.settings)

    # -- verbs ------------------------------------------------------------------------------------
    def ensure_index(self, progress: bool = True) -> None:
        """Ask, eval and serve on a fresh machine: index the seeds first rather than fail."""
        if not self.index_exists():
            log.warning("no index yet in %s: indexing %s first", location(self.settings), self.settings.seeds_dir)
            report = self.ingest([self.settings.seeds_dir], progress=progress)
            log.warning(report.summary())

    def warm_up(self) -> dict[str, float]:
        """Load and run every model once, so the first person to ask does not wait for loading:
        ``rag serve`` calls this before it listens (rag.warmup)."""
        from rag.warmup import warm_up

        return warm_up(self)

    def ingest(self, paths: Sequence[Path], *, sync: bool = False, rebuild: bool = False,
               progress: bool = True) -> IngestReport:
        if self._index_owner is not None:
            return self._index_owner.ingest(paths, sync=sync, rebuild=rebuild, progress=progress)
        t0 = time.perf_counter()
        report = IngestReport()
        with self._lock:
            # --rebuild starts from an empty generation; the old index stays live until the new one is published.
            if rebuild:
                self._store = open_store(self.settings, self.embedder, fresh=True)
            ingest_files(self.store_for_write(), paths, self.settings, self.embedder.count_tokens, report,
                         sync=sync, progress=progress)
        report.seconds = time.perf_counter() - t0
        return report

    def store_for_write(self) -> Store:
        """The open store, or a new one (created empty when no index exists yet)."""
        if self._store is None:
            self._store = open_store(self.settings, self.embedder)
        return self._store

    def remove(self, source: str) -> bool:
        if self._index_owner is not None:
            return self._index_owner.remove(source)
        with self._lock:
            if source not in self.store.sources():  # a file's path names its document too
                by_path = {absolute(d["path"]): d["source"] for d in self.store.documents() if d.get("path")}
                source = by_path.get(absolute(source), source)
            if source not in self.store.sources():
                return False
            self.store.apply([], [source], progress=False)
            return True

    def documents(self) -> list[dict]:
        return self.store.documents() if self.index_exists() else []

    def retrieve(self, question: str, history: Sequence[Message] = ()) -> tuple[str | None, list[Hit], float]:
        """(rewritten query or None, hits, seconds)."""
        t0 = time.perf_counter()
        rewritten = condense(question, history, is_answer=lambda text: not is_abstention(text))
        hits = self.retriever.search(rewritten or question, self.settings.retrieve_depth)
        return rewritten, hits, time.perf_counter() - t0

    def ask_stream(self, question: str, *, history: Sequence[Message] = (), language: str | None = None,
                   top_k: int | None = None) -> Iterator[Event]:
        """Tokens, then the settled answer (``Done``); a ``ModelTurn`` marks where the LLM is first
        needed (rag.answer.answerer), which is where a shared server queues the request."""
        question = validate_question(question)
        rewritten, hits, seconds = self.retrieve(question, history)
        # A question that stands on its own is answered on its own: the earlier turns would only pull the
        # LLM towards the previous topic (and cost prompt time).
        history = history if rewritten is not None else ()
        for event in self.answerer.stream(question, hits, history=history, language=language,
                                          rewritten_query=rewritten, timings={"retrieve": round(seconds, 3)},
                                          top_k=top_k):
            if isinstance(event, Done):
                whole_quotes(event.answer)
            yield event

    def ask(self, question: str, *, history: Sequence[Message] = (), language: str | None = None) -> Answer:
        for event in self.ask_stream(question, history=history, language=language):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("answer stream ended without a result")


def validate_question(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise InputError("the question is empty", fix="type a question")
    if len(q) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(q)} characters long; the limit is {MAX_QUESTION_CHARS}",
                         fix="ask a shorter question")
    return q
