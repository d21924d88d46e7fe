"""What ``rag serve`` does before it listens, so the first question is answered as fast as later ones.

A cold server pays, on its first question, for loading the embedder, the index and the LLM, for
embedding the sentences of the passages it ranks (the evidence ranker and the context selector share
one cache of sentence vectors) and for reading the answer prompt's fixed start (llama.cpp keeps the
last prompt's prefix, so later prompts read only their own part). Each is done here once, and timed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rag.answer.prompt import build_messages
from rag.text.sentences import split_sentences

if TYPE_CHECKING:
    from rag.pipeline import RAG


def warm_up(rag: RAG) -> dict[str, float]:
    """Seconds per step: embedder, index (one retrieval and selection), N sentences, llm."""
    took: dict[str, float] = {}
    t0 = time.perf_counter()
    rag.embedder.embed_queries(["warm-up"])
    took["embedder"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    _, hits, _ = rag.retrieve("warm-up question")
    selector = rag.answerer.selector
    if selector is not None and hits:
        selector("warm-up question", hits[: rag.settings.top_k])
    took["index"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    n = warm_sentences(rag, rag.settings.warm_sentences)
    took[f"{n} sentences"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    messages = build_messages("warm-up", [], "en", answer_format=rag.settings.answer_format)
    for _ in rag.llm.stream_chat(messages, max_tokens=1):
        pass
    took["llm"] = round(time.perf_counter() - t0, 3)
    return took


def warm_sentences(rag: RAG, limit: int) -> int:
    """Embed the sentences of the indexed chunks (at most ``limit``) into the shared sentence-vector
    cache; returns how many. A collection larger than ``limit`` is warmed in part (the cache then keeps
    what questions use)."""
    texts: list[str] = []
    store = rag.store
    for doc in store.documents():
        for chunk_id in doc.get("chunk_ids") or []:
            chunk = store.chunk(chunk_id)
            spans = split_sentences(chunk.text, chunk.lang) or [(0, len(chunk.text))]
            texts += [chunk.text[a:b] for a, b in spans]
        if len(texts) >= limit:
            break
    texts = list(dict.fromkeys(texts))[: max(0, limit)]
    for i in range(0, len(texts), 64):  # small calls: a question arriving meanwhile is not held up long
        rag.sentence_vectors(texts[i : i + 64])
    return len(texts)
