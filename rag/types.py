"""The data that flows down the pipeline: ingest -> index -> retrieve -> answer -> present.

Plain dataclasses, no behaviour beyond (de)serialisation, so every stage can depend on them without
depending on each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Lang = Literal["az", "ru", "en"]
LANGS: tuple[Lang, ...] = ("az", "ru", "en")


@dataclass(frozen=True)
class Section:
    """A run of paragraphs in one language; offsets index into ``Document.text``."""

    start: int
    end: int
    lang: str  # "az" | "ru" | "en" | "unknown"


@dataclass
class Document:
    """One source file after loading and cleaning."""

    source: str  # file name as shown to users and used in citations (unique within an index)
    path: str  # where it was read from
    text: str  # cleaned text; all offsets refer to it
    content_hash: str  # sha256 of the raw file bytes: unchanged file -> nothing to do
    title: str = ""
    date: str | None = None  # ISO yyyy-mm-dd when the text states one
    lang: str = "unknown"  # languages with >= 20% of the text, largest first: "az", or mixed "az+en"
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage. ``id`` is stable: a hash of source and text."""

    id: str
    source: str
    text: str
    start: int  # character offsets into the cleaned document text
    end: int
    lang: str
    ordinal: int  # position within its document
    title: str = ""
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(**d)


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the ranks that produced it (for --json / eval)."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_score: float | None = None
    lexical_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "chunk"}
        d.update(
            chunk_id=self.chunk.id,
            source=self.chunk.source,
            text=self.chunk.text,
            lang=self.chunk.lang,
            start=self.chunk.start,
            end=self.chunk.end,
        )
        return d


@dataclass
class Citation:
    """A [n] marker in the answer, tied to the passage it names and the span that supports it."""

    n: int
    source: str
    chunk_id: str
    text: str  # the passage text given to the model
    start: int  # span of the supporting text in the cleaned source document
    end: int
    quote: str = ""  # the supporting text itself (what the UI highlights)
    verified: bool = False
    support: float = 0.0  # how strongly the passage supports the cited sentence (0..1)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Evidence:
    """A sentence the answer was read from: shown under the answer so a reader can check it at a glance.

    ``n`` is the passage number the answer cites for it ([n]); ``start``/``end`` are its character
    span in the cleaned source document (like ``Citation``); ``score`` is the evidence ranker's score
    (rag/answer/evidence.py), comparable across questions."""

    n: int
    source: str
    chunk_id: str
    text: str
    start: int
    end: int
    lang: str
    score: float = 0.0
    used: bool = False  # the answer's fact was taken from this sentence

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What ``ask`` returns; ``to_dict`` is the ``rag ask --json`` object."""

    question: str
    answer: str
    language: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    verified: bool = False  # every remaining citation is supported by its passage
    rewritten_query: str | None = None
    passages: list[Hit] = field(default_factory=list)  # what retrieval returned
    timings: dict[str, float] = field(default_factory=dict)  # seconds: retrieve, first_token, total
    tokens: dict[str, int] = field(default_factory=dict)  # prompt, generated
    model: str = ""
    warnings: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # best sentences, the one answered from first
    kind: str = ""  # what the question asks for (date, number, person, ..., yesno; "" = open)
    # How the answer was made: "llm", "template" (typed candidate), "extract" (a phrase the LLM copied from
    # the evidence, rag.answer.extract), "quote" (the evidence sentence quoted), "" (declined).
    path: str = ""
    written: str = ""  # the model's checked sentence when ``answer`` is its fact-first short form (cut by
    # rules, or, path "extract", to the phrase the LLM copied from the evidence); for a declined answer
    # rescued by a copy (path "extract"), the phrase as copied

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "language": self.language,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "verified": self.verified,
            "rewritten_query": self.rewritten_query,
            "passages": [h.to_dict() for h in self.passages],
            "timings": self.timings,
            "tokens": self.tokens,
            "model": self.model,
            "warnings": self.warnings,
            "evidence": [e.to_dict() for e in self.evidence],
            "kind": self.kind,
            "path": self.path,
            "written": self.written,
        }
