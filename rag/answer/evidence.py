"""Find the sentence that answers the question with the embedder, across languages.

The default LLM cannot read Azerbaijani, so it must not be the one to find the answer in an
Azerbaijani passage. EmbeddingGemma does understand az/ru/en across languages (SIB-200 recall@1
0.92-1.00), so it ranks every sentence of the top retrieved chunks; the answer stage then takes its
facts from the best sentences (``rag.answer.candidates``) and the LLM only writes.

A sentence is scored by a weighted sum of features (weights in ``Settings``, chosen on the dev half of
the seed questions with ``bench/sentence_recall.py``):

- ``sentence``: cosine of the question to the sentence alone;
- ``window``: cosine to the sentence read with its neighbours and its document's title, which says what
  a short sentence is about ("It takes place on 5-8 May" needs the sentence before it);
- ``retrieval``: 1 / (1 + rank of its chunk): what retrieval already knows about the passage;
- ``typed``: the sentence holds what the question asks for (a date for "when", a number for "how
  many"), from the question words of the three languages;
- ``terms``: share of the question's content words found in the sentence after folding and
  transliteration (names and numbers that multilingual embeddings blur).

Both cosines get the same language-centering correction as retrieval, so a sentence in the question's
own language does not win on language alone.

A follow-up is retrieved with the previous turn in front of it (``rag.retrieve.rewrite``), which finds the
right passages but also pulls the ranking towards the previous turn's sentence ("who opened the meeting"
when the follow-up asks what he said there). So for a follow-up the ``sentence`` and ``terms`` features
are a mix: ``question_share`` of them measured against the question alone, the rest against the
condensed query (``evidence_followup_question_share``, chosen on the dev half's follow-ups).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.answer_type import expected_type, holds
from rag.answer.terms import content_terms, term_overlap
from rag.embedding import VectorCache
from rag.settings import Settings
from rag.text.sentences import sentence_window, split_sentences
from rag.types import Answer, Citation, Evidence, Hit

EmbedQuery = Callable[[Sequence[str]], np.ndarray]
EmbedDocs = Callable[[Sequence[str]], np.ndarray]
LanguageOffsets = Callable[[np.ndarray], dict[str, float]]

FEATURES = ("sentence", "window", "retrieval", "typed", "terms")


@dataclass
class Sentence:
    """One candidate evidence sentence: where it is (hit index, span within the chunk) and its score."""

    hit: int  # index into the hits given to the ranker (passage number - 1)
    start: int  # span within the chunk text
    end: int
    text: str
    score: float = 0.0
    features: dict[str, float] | None = None


@dataclass
class Weights:
    sentence: float = 0.5
    window: float = 0.5
    retrieval: float = 0.05
    typed: float = 0.05
    terms: float = 0.1

    @classmethod
    def from_settings(cls, s: Settings) -> Weights:
        """The ``evidence_<feature>_weight`` settings."""
        return cls(*(getattr(s, f"evidence_{f}_weight") for f in FEATURES))

    def dot(self, f: dict[str, float]) -> float:
        return sum(getattr(self, k) * f[k] for k in FEATURES)


class EvidenceRanker:
    """Rank every sentence of the given hits by how likely it answers the question."""

    def __init__(self, embed_query: EmbedQuery, embed_docs: EmbedDocs, weights: Weights | None = None,
                 language_offsets: LanguageOffsets | None = None, centering: float = 0.0,
                 question_share: float = 0.0) -> None:
        self.embed_query = embed_query
        self.question_share = question_share
        self.weights = weights or Weights()
        self.language_offsets = language_offsets
        self.centering = centering
        # The same passages come back question after question: their sentence vectors are reused.
        self._embed = VectorCache.around(embed_docs)

    @classmethod
    def from_settings(cls, s: Settings, embed_query: EmbedQuery, embed_docs: EmbedDocs,
                      language_offsets: LanguageOffsets | None, weights: Weights | None = None) -> EvidenceRanker:
        """The ranker as the product builds it: the ``evidence_*`` weights, language centring and the
        follow-up share from ``s`` (``weights`` overrides, for a bench that needs every feature)."""
        return cls(embed_query, embed_docs,
                   weights or Weights.from_settings(s),
                   language_offsets=language_offsets, centering=s.language_centering,
                   question_share=s.evidence_followup_question_share)

    def embed_docs(self, texts: Sequence[str]) -> np.ndarray:
        """Document vectors through the ranker's cache (candidate nouns reuse it)."""
        return self._embed(texts)

    def features(self, question: str, query: str, hits: Sequence[Hit]) -> list[Sentence]:
        """Every sentence of ``hits`` (duplicates from overlapping chunks once) with its features."""
        items: list[Sentence] = []
        windows: list[str] = []
        seen: set[tuple[str, int]] = set()
        for i, h in enumerate(hits):
            text = h.chunk.text
            spans = split_sentences(text, h.chunk.lang) or [(0, len(text))]
            for j, (s, e) in enumerate(spans):
                key = (h.chunk.source, h.chunk.start + s)
                if key in seen:
                    continue
                seen.add(key)
                items.append(Sentence(i, s, e, text[s:e]))
                ws, we = sentence_window(spans, j)
                title = h.chunk.title.strip()
                windows.append(f"{title}\n{text[ws:we]}" if title else text[ws:we])
        if not items:
            return []
        share = self.question_share if query.strip() != question.strip() else 0.0
        vectors = self.embed_query([query, question] if share else [query])
        parts = (1.0 - share, share)
        # The mix of the two queries is linear, so each sentence (and window) is multiplied once.
        mixed = sum(part * q for q, part in zip(vectors, parts, strict=False))
        sent = self._embed([x.text for x in items]) @ mixed
        # Windows are ~3x the text of their sentences: embedded only when their weight counts (a bench
        # that tries weights builds the ranker with a non-zero window weight).
        win = self._embed(windows) @ mixed if self.weights.window else np.zeros(len(items), dtype=np.float32)
        shift: dict[str, float] = {}
        overlap = [0.0] * len(items)
        for q, text, part in zip(vectors, (query, question), parts, strict=False):
            offsets = self.language_offsets(q) if self.language_offsets and self.centering > 0 else {}
            for lang, off in offsets.items():
                shift[lang] = shift.get(lang, 0.0) + part * self.centering * off
            terms = content_terms(text)
            for k, x in enumerate(items):
                overlap[k] += part * term_overlap(terms, x.text)
        kind = expected_type(question)
        for k, x in enumerate(items):
            lang_shift = shift.get(hits[x.hit].chunk.lang, 0.0)
            typed = 0.0
            if kind in ("date", "number"):
                typed = 1.0 if holds(kind, x.text) else 0.0
            x.features = {
                "sentence": float(sent[k]) - lang_shift,
                "window": float(win[k]) - lang_shift,
                "retrieval": 1.0 / (1 + x.hit),
                "typed": typed,
                "terms": overlap[k],
            }
        return items

    def rank(self, question: str, query: str, hits: Sequence[Hit]) -> list[Sentence]:
        items = self.features(question, query, hits)
        for x in items:
            x.score = self.weights.dot(x.features or {})
        return sorted(items, key=lambda x: -x.score)


def with_neighbours(x: Sentence, pool: Sequence[Hit]) -> str:
    """The sentence with its neighbours: what a short sentence is about."""
    chunk = pool[x.hit].chunk
    spans = split_sentences(chunk.text, chunk.lang) or [(0, len(chunk.text))]
    j = next((k for k, (a, _b) in enumerate(spans) if a == x.start), 0)
    return chunk.text[slice(*sentence_window(spans, j))]


def evidence_record(x: Sentence, pool: Sequence[Hit], n: int) -> Evidence:
    """The ranked sentence as shown under an answer (offsets in the source document)."""
    c = pool[x.hit].chunk
    return Evidence(n=n, source=c.source, chunk_id=c.id, text=x.text.strip(), start=c.start + x.start,
                    end=c.start + x.end, lang=c.lang, score=round(x.score, 3))


def cite_sentence(answer: Answer, x: Sentence, pool: Sequence[Hit], n: int) -> None:
    """Cite the evidence sentence ``x`` as [n] (its ranker score as the support) and mark it used
    among the evidence shown under the answer."""
    ch = pool[x.hit].chunk
    answer.citations = [Citation(n=n, source=ch.source, chunk_id=ch.id, text=ch.text, start=ch.start + x.start,
                                 end=ch.start + x.end, quote=x.text.strip(), verified=True,
                                 support=round(min(1.0, max(0.0, x.score)), 3))]
    for e in answer.evidence:
        e.used = e.chunk_id == ch.id and e.start == ch.start + x.start
        if e.used:
            e.n = n


def mark_used(answer: Answer, evidence: list[Evidence]) -> None:
    """Attach the ranked evidence; mark the sentences the answer's citations point at."""
    answer.evidence = evidence
    for e in evidence:
        cited = [c for c in answer.citations if c.chunk_id == e.chunk_id]
        e.used = any(c.start <= e.start < c.end for c in cited)
        if cited:
            e.n = cited[0].n  # the answer's own passage number for that chunk
