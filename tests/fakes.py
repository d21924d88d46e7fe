"""Every test double of the suite, in one place.

Tests use the real components (embedder, FAISS, llama.cpp, Chromium); a double stands in only where a
test checks the logic around a component, not the component itself:
- ``ScriptedLLM``: the answer stage's decisions after generation (the real model: test_end_to_end.py).
- ``SentenceCounter``, ``MemoEmbedder``, ``CountingEmbedder``: wrappers around the *real* embedder that
  count or memoise what is embedded (caches, incremental indexing, crash injection); ``NoEmbedder``: the
  real embedder's identity in a crash-test child process that must embed nothing.
- ``CrashAfter``: the eval runner's resume logic (the real eval: ``rag eval``, test_eval_smoke.py).
- ``FakeRag``: the UI handlers (the real pipeline in the UI: test_ui_browser.py).
- ``TwoLanguageStore``: the retriever's language centering on fixed cosines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.answerer import Done, Event, ModelTurn, Token
from rag.embedding import SentenceTransformerEmbedder
from rag.llm.base import Message, Usage
from rag.pipeline import validate_question
from rag.settings import Settings
from rag.types import Answer, Chunk, Citation, Hit

# --- LLM ------------------------------------------------------------------------------------------

class ScriptedLLM:
    """Replies with a fixed text, streamed in two pieces; records the prompt it was given."""

    name = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.messages: list[Message] = []

    def stream_chat(self, messages: Sequence[Message], *, max_tokens: int, stop: Sequence[str] = (),
                    usage: Usage | None = None) -> Iterator[str]:
        self.messages = list(messages)
        half = len(self.reply) // 2
        yield self.reply[:half]
        yield self.reply[half:]


# --- embedder wrappers (around the real model) -----------------------------------------------

class SentenceCounter:
    """The real embedder, counting the sentences it is asked to embed (to see the cache work)."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.embedded = 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)


class MemoEmbedder:
    """Real embedder, each distinct text embedded once per test session."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.name, self.fingerprint, self.dim = real.name, real.fingerprint, real.dim
        self._docs: dict[str, np.ndarray] = {}
        self._queries: dict[str, np.ndarray] = {}

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._docs]
        if missing:
            for t, v in zip(missing, self.real.embed_documents(missing, progress=progress), strict=True):
                self._docs[t] = v
        return np.stack([self._docs[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
            for t, v in zip(missing, self.real.embed_queries(missing), strict=True):
                self._queries[t] = np.asarray(v, dtype=np.float32)
        return np.stack([self._queries[t] for t in texts])

    def count_tokens(self, text: str) -> int:
        return int(self.real.count_tokens(text))


class CountingEmbedder:
    """Counts what the store asks to embed; can fail after N batches (crash injection)."""

    def __init__(self, inner: MemoEmbedder, *, batch_size: int = 2, fail_after_batches: int | None = None,
                 fingerprint: str | None = None, dim: int | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.fingerprint = fingerprint or inner.fingerprint
        self.dim = dim or inner.dim
        self.batch_size = batch_size
        self.fail_after_batches = fail_after_batches
        self.texts: list[str] = []
        self.batches = 0

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = []
        for s in range(0, len(texts), self.batch_size):
            if self.fail_after_batches is not None and self.batches >= self.fail_after_batches:
                raise RuntimeError("injected failure during embedding")
            batch = list(texts[s : s + self.batch_size])
            out.append(self.inner.embed_documents(batch))
            self.texts.extend(batch)
            self.batches += 1
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


class NoEmbedder:
    """An embedder's identity without the model, for a child process whose operation must embed nothing
    (removal): any embedding call fails the test."""

    def __init__(self, name: str, fingerprint: str, dim: int) -> None:
        self.name, self.fingerprint, self.dim = name, fingerprint, dim

    def embed_documents(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        raise AssertionError("no embedding expected")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("no embedding expected")

    def count_tokens(self, text: str) -> int:
        return len(text.split())


# --- eval runner ---------------------------------------------------------------------------------

def scripted_answer(row: dict[str, Any]) -> dict[str, Any]:
    return {"question": row["question"], "answer": f"It is {row['id'][1:]} [1].", "abstained": False,
            "citations": [], "passages": [], "timings": {"total": 1.0}, "tokens": {}, "model": "fake"}


class CrashAfter:
    """Answers ``limit`` questions, then raises like a crashed model would."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.asked: list[str] = []

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        if self.limit is not None and len(self.asked) >= self.limit:
            raise RuntimeError("model crashed")
        self.asked.append(row["id"])
        return scripted_answer(row)


# --- UI --------------------------------------------------------------------------------------------

FAKE_PASSAGE = "Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Forum. <b>x</b>"


@dataclass
class FakeApply:
    added_chunks: int = 3


@dataclass
class FakeReport:
    skipped: list[str] = field(default_factory=list)
    unchanged: int = 0
    apply: FakeApply = field(default_factory=FakeApply)

    def summary(self) -> str:
        return "ingest: 1 files"


class FakeRag:
    """The slice of rag.pipeline.RAG the UI uses."""

    def __init__(self, settings: Settings, error: Exception | None = None, abstain: bool = False,
                 needs_model: bool = True) -> None:
        self.settings = settings
        self.error = error
        self.abstain = abstain
        self.needs_model = needs_model  # False: answered from a typed fact, as the template path does
        self.asked: list[dict[str, Any]] = []
        self.ingested: list[Path] = []
        self.docs = [{"source": "000.txt", "title": "Seed <i>t</i>", "date": "2026-02-11", "lang": "az",
                      "path": "/seeds/000.txt"}]

    @property
    def store(self) -> object:
        return object()

    def ask_stream(self, question: str, *, history: Sequence[dict[str, str]] = (),
                   language: str | None = None, top_k: int | None = None) -> Iterator[Event]:
        question = validate_question(question)
        self.asked.append({"q": question, "history": list(history), "language": language, "top_k": top_k})
        if self.error:
            raise self.error
        if self.needs_model:
            yield ModelTurn()
            yield Token("It is on ")
            yield Token("5-8 May [1].")
        else:
            yield Token("It is on 5-8 May [1].")  # a template answer is final at once
        chunk = Chunk(id="c1", source="000.txt", text=FAKE_PASSAGE, start=0, end=len(FAKE_PASSAGE), lang="az",
                      ordinal=0, title="Seed", date="2026-02-11")
        if self.abstain:
            yield Done(Answer(question=question, answer="The documents do not say.", language="en",
                              abstained=True, passages=[Hit(chunk=chunk, score=0.03)], model="fake",
                              warnings=["abstained: no citation in the answer is supported by its passage"]))
            return
        quote = "tədbir mayın 5-8-də keçiriləcək"
        at = FAKE_PASSAGE.index(quote)
        cit = Citation(n=1, source="000.txt", chunk_id="c1", text=FAKE_PASSAGE, start=at, end=at + len(quote),
                       quote=quote, verified=True, support=0.8)
        yield Done(Answer(question=question, answer="It is on 5-8 May [1].", language="en", citations=[cit],
                          passages=[Hit(chunk=chunk, score=0.03)], rewritten_query=None, model="fake"))

    def documents(self) -> list[dict[str, Any]]:
        return list(self.docs)

    def ingest(self, paths: Sequence[Path], *, sync: bool = False, rebuild: bool = False,
               progress: bool = True) -> FakeReport:
        self.ingested += list(paths)
        bad = [p for p in paths if p.read_bytes().startswith(b"%PDF-broken")]
        self.docs += [{"source": p.name, "title": "", "date": None, "lang": "en", "path": str(p.resolve())}
                      for p in paths if p not in bad]
        return FakeReport(skipped=[f"{p.name}: corrupt or unreadable PDF (PdfReadError: EOF)" for p in bad])

    def remove(self, source: str) -> bool:
        before = len(self.docs)
        self.docs = [d for d in self.docs if d["source"] != source]
        return len(self.docs) < before


# --- retrieval --------------------------------------------------------------------------------------

class TwoLanguageStore:
    """Just enough of IndexStore for HybridRetriever._dense: fixed cosines and language means."""

    def __init__(self) -> None:
        self.rows = [(Chunk(id="en1", source="en.txt", text="en", start=0, end=2, lang="en", ordinal=0), 0.62),
                     (Chunk(id="en2", source="en.txt", text="en", start=0, end=2, lang="en", ordinal=1), 0.60),
                     (Chunk(id="az1", source="az.txt", text="az", start=0, end=2, lang="az", ordinal=0), 0.55)]

    def search_dense(self, qvec: Any, k: int) -> list[tuple[Chunk, float]]:
        return self.rows[:k]

    def language_offsets(self, qvec: Any) -> dict[str, float]:
        return {"en": 0.40, "az": 0.20}  # the query is English: it leans towards every English text
