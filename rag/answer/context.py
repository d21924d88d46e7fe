"""Context selection: give the model the few sentences that matter, not whole chunks.

Reading the prompt is most of an answer's latency on 2 cores (~50 tokens/s for the 1.5B model), so a
prompt of four 160-token chunks costs ~13 s before the first word. The best sentences of the top
passages, each with its neighbour for context, carry the answer in a fraction of that. Citations stay
tied to the whole chunk, so verification and highlighting do not depend on what was trimmed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rag.embedding import VectorCache
from rag.settings import Settings
from rag.text.sentences import sentence_window, split_sentences
from rag.types import Hit

EmbedQuery = Callable[[Sequence[str]], np.ndarray]
EmbedDocs = Callable[[Sequence[str]], np.ndarray]
CountTokens = Callable[[str], int]
LanguageOffsets = Callable[[np.ndarray], dict[str, float]]


class SentenceWindowSelector:
    def __init__(self, embed_query: EmbedQuery, embed_docs: EmbedDocs, count_tokens: CountTokens,
                 budget_tokens: int = 260, neighbours: int = 1,
                 language_offsets: LanguageOffsets | None = None, centering: float = 0.0,
                 rank_prior: float = Settings.context_rank_prior, window_weight: float = 0.0) -> None:
        self.embed_query = embed_query
        self.embed_docs = embed_docs
        self.count_tokens = count_tokens
        self.budget = budget_tokens
        self.neighbours = neighbours
        self.language_offsets = language_offsets
        self.centering = centering
        self.rank_prior = rank_prior
        self.window_weight = window_weight
        # The same passages come back question after question about a topic, and embedding ~30
        # sentences is over a second of a 2-core machine's time per answer: ~60 MB of 768-d vectors.
        self._embed = VectorCache.around(embed_docs)

    def __call__(self, query: str, hits: Sequence[Hit]) -> list[tuple[Hit, str]]:
        spans = [split_sentences(h.chunk.text, h.chunk.lang) or [(0, len(h.chunk.text))] for h in hits]
        flat = [(i, j) for i, ss in enumerate(spans) for j in range(len(ss))]
        if not flat:
            return []
        texts = [hits[i].chunk.text[slice(*spans[i][j])] for i, j in flat]
        q = self.embed_query([query])[0]
        scores = self._embed(texts) @ q
        if self.window_weight > 0:
            # A sentence alone often lacks its subject ("The event takes place on 5-8 May"): the
            # sentence read with its neighbours says what it is about. See docs/retrieval.md.
            windows = [hits[i].chunk.text[slice(*sentence_window(spans[i], j))] for i, j in flat]
            scores = (1 - self.window_weight) * scores + self.window_weight * (self._embed(windows) @ q)
        # The same language-bias correction as retrieval (HybridRetriever._dense): without it the
        # budget goes to sentences in the question's language rather than to the answer. The rank
        # prior makes a sentence from a higher-ranked passage win ties.
        offsets = self.language_offsets(q) if self.language_offsets and self.centering > 0 else {}
        prior = [self.rank_prior / (1 + i) - self.centering * offsets.get(h.chunk.lang, 0.0)
                 for i, h in enumerate(hits)]
        order = sorted(range(len(flat)), key=lambda k: -(float(scores[k]) + prior[flat[k][0]]))
        chosen: dict[int, set[int]] = {}
        used = 0
        for k in order:
            i, j = flat[k]
            around = [x for x in range(j - self.neighbours, j + self.neighbours + 1) if 0 <= x < len(spans[i])]
            new = [x for x in around if x not in chosen.get(i, set())]
            cost = sum(self.count_tokens(hits[i].chunk.text[slice(*spans[i][x])]) for x in new)
            if used + cost > self.budget and used > 0:
                continue
            chosen.setdefault(i, set()).update(new)
            used += cost
            if used >= self.budget:
                break
        out = []
        for i in sorted(chosen):  # keep retrieval order, so [1] is the best passage
            picked = sorted(chosen[i])
            parts, prev = [], None
            for x in picked:
                if prev is not None and x != prev + 1:
                    parts.append("…")
                parts.append(hits[i].chunk.text[slice(*spans[i][x])])
                prev = x
            out.append((hits[i], " ".join(parts)))
        return out
