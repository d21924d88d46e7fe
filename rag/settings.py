"""One settings object for the whole product.

Precedence, lowest to highest: the defaults below, environment variables (``RAG_<FIELD>``), then
explicit overrides (CLI flags, UI settings). Every other module receives a ``Settings`` instead of
reading the environment itself, so there is exactly one place to look when behaviour surprises you.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, cast, get_args, get_origin, get_type_hints

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


AnswerLanguage = Literal["auto", "az", "ru", "en"]
AnswerFormat = Literal["direct", "quote"]
CpuPaths = Literal["auto", "safe", "fast"]
ANSWER_LANGUAGES: tuple[str, ...] = get_args(AnswerLanguage)
ANSWER_FORMATS: tuple[str, ...] = get_args(AnswerFormat)


def default_cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "rag-chat"


def default_index_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "rag-chat" / "index"


@dataclass
class Settings:
    # Where things live.
    cache_dir: Path = field(default_factory=default_cache_dir)  # assembled models
    index_dir: Path = field(default_factory=default_index_dir)  # FAISS + document store
    seeds_dir: Path = PROJECT_ROOT / "seeds"  # indexed automatically when no index exists
    # Which index backend: "local" (FAISS + BM25 files in index_dir), "milvus://PATH.db" (Milvus Lite, one
    # process per file) or "http://host:19530" (a Milvus server or cluster shared by many processes).
    store: str = "local"

    # Models: a catalogue name ("default", "fast", "tiny", "embeddinggemma") or a local path.
    llm: str = "default"
    embedder: str = "embeddinggemma"
    query_prompt: str = ""  # embedder prompt for questions; empty = the model's own "query" prompt
    llm_url: str = ""  # OpenAI-compatible server (e.g. http://host:8080/v1); empty = local llama.cpp
    llm_api_model: str = "local"  # model name sent to that server
    llm_api_key: str = "not-needed"

    # Runtime.
    n_threads: int = field(default_factory=lambda: os.cpu_count() or 2)
    n_ctx: int = 4096
    seed: int = 0
    temperature: float = 0.0
    max_answer_tokens: int = 200
    timeout_s: float = 120.0  # answer generation stops here and returns what it has
    prompt_lookup: bool = False  # llama.cpp prompt-lookup decoding; measured slower on 2 cores (docs/experiments.md)
    # ggml CPU paths: auto = probe in a child process once per CPU kind and model (rag/llm/cpu_paths.py);
    # safe = extra buffer types (AMX, weight repacking) off; fast = on without probing.
    llm_cpu_paths: CpuPaths = "auto"
    # `rag serve`: run the LLM as a managed llama-server child with this many parallel slots (a model
    # fault cannot take the chat down); 0 = in-process llama.cpp, one answer at a time.
    llm_slots: int = 2
    # `rag serve` warm-up embeds up to this many indexed sentences (rag/warmup.py), so the first question
    # ranks its passages as fast as later ones; 0 = none. Measured: the seeds' 88 distinct sentences (long
    # news sentences) took 18.6 s on 2 cores, ~5 sentences/s, so a collection that reaches the cap would
    # add minutes to the start.
    warm_sentences: int = 3_000
    llm_server_bin: str = ""  # llama-server binary; empty = the one .ci/setup installs in the venv

    # Ingestion.
    chunk_tokens: int = 160
    chunk_overlap_tokens: int = 32
    max_file_mb: float = 20.0
    embed_batch_size: int = 16
    exact_index_max: int = 50_000  # above this many chunks use an approximate (HNSW) index

    # Retrieval and answering.
    retrieve_depth: int = 20  # candidates from each of dense and lexical search
    rrf_k: int = 60
    dense_weight: float = 1.0
    language_centering: float = 0.5  # share of the query's similarity to each language's mean removed
    lexical_weight: float = 1.0
    # Minimum IDF-weighted share of the query a chunk must contain to count as a lexical match
    # (``rag.index.lexical.LexicalIndex.search``). Measured with hybrid retrieval over the 60 seed
    # paragraphs (hit@1):
    #   23 cross-lingual questions (answer in another language): dense alone 15; hybrid with no
    #     threshold 9 (lexical noise outvoted dense), 0.2 -> 13, 0.3 / 0.4 / 0.5 -> 15;
    #   25 same-language questions: dense 19, lexical 22, hybrid with no threshold 22, 0.3 -> 23.
    # Re-measured on the full seed eval (124 answerable questions, bench/retrieval_recall.py --only seeds),
    # hybrid R@1 overall / en cross-lingual / ru cross-lingual / az same-language (dense alone: 0.69 /
    # 0.58 / 0.50 / 0.88): 0.3 -> 0.61 / 0.45 / 0.29 / 0.91; 0.5 -> 0.69 / 0.58 / 0.43 / 0.94;
    # 0.6 -> 0.70 / 0.58 / 0.50 / 0.94; 0.7 -> 0.69 / 0.58 / 0.50 / 0.91. XQuAD ru->ru 0.98 at 0.6 (dense
    # 0.97). 0.6 is the only value at which hybrid is at least as good as dense in every group.
    lexical_min_coverage: float = 0.6
    top_k: int = 4  # passages given to the LLM
    context_tokens: int = 260  # budget for the sentences shown from those passages; 0 = whole chunks
    window_weight: float = 0.0  # context selection: share of a sentence's score taken with its neighbours
    context_rank_prior: float = 0.02  # context selection: bonus / (1 + rank) so higher-ranked passages win ties
    answer_language: AnswerLanguage = "auto"  # "auto" = the question's language
    answer_format: AnswerFormat = "direct"  # direct = answer citing [n]; quote = copy the sentence first (worse)
    min_evidence: float = 0.3  # best raw cosine below which we abstain without calling the LLM (docs/answering.md)
    support_threshold: float = 0.55  # direct format: a citation stays when its passage supports the claim this well
    quote_min_match: float = 0.6  # quote format: share of the quote found in one sentence window of a passage
    # Evidence sentences (rag/answer/evidence.py): how many chunks' sentences are ranked, and the weights
    # of the ranker's features, chosen on the dev half with bench/sentence_recall.py --grid.
    evidence_hits: int = 8
    # (bench/results/sentence_recall.md: dev recall@1 0.42 -> 0.47, @3 0.63 -> 0.65 against 0.5/0.5/0.05/0.05/0.1).
    evidence_sentence_weight: float = 0.3
    evidence_window_weight: float = 0.0
    evidence_retrieval_weight: float = 0.0
    evidence_typed_weight: float = 0.1
    evidence_terms_weight: float = 0.05
    # A follow-up's sentences are scored this much against the question alone, the rest against the
    # condensed query with the previous turn (rag/answer/evidence.py); 0.5 chosen on the dev follow-ups.
    evidence_followup_question_share: float = 0.5
    evidence_sentences: int = 3  # best sentences (with neighbours) given to the LLM and shown under the answer
    # Best sentence's ranker score below which the question is declined without the LLM: on the dev half
    # every answerable question scored >= 0.068, and 4 of 13 unanswerable ones (off-topic) < 0.05.
    evidence_min_score: float = 0.06
    # answer_mode (docs/answering.md): "typed" = questions asking for a date, period, number or ordinal
    # are answered with the fact read from the embedder-ranked evidence sentence (rag/answer/grounded.py),
    # every other question by the LLM reading the selected passages; "evidence" = the LLM also writes the
    # open answers from the ranked evidence sentences (not measured end to end yet); "passages" = the
    # LLM reads the selected passages for every question (rag/answer/answerer.py).
    answer_mode: str = "typed"
    # Question kinds answered from a fact read by rules. "yesno": only membership questions, only "yes"
    # (rag/answer/membership.py); on dev 4 of the 4 such rows right, none wrong (bench/typed_answers.py).
    typed_kinds: str = "date,period,number,ordinal,person,yesno"
    # A person is answered by rules only when the role phrase beside the name (rag.answer.persons) has at
    # least this cosine to the question; otherwise the LLM answers. Chosen on dev (bench/typed_answers.py):
    # the roles of right picks scored 0.74-0.94, the lowest wrong pick above 0.6 scored 0.69 (the LLM was
    # wrong there too); below 0.6 the LLM's reading was right more often.
    typed_min_role: float = 0.6
    # "template": a typed fact is answered with the fact alone and its citation, without the LLM (fast,
    # fact first); "llm": the LLM writes a sentence around it, kept only if it carries the fact and adds
    # no number (else the template). On the first dev rows the LLM added a year that no evidence gives.
    typed_answer: str = "template"
    # A typed fact is taken only from a sentence that by itself is this close to the question (the
    # ranker's centred question-sentence cosine, the "sentence" feature): a date or number in a sentence
    # about something else (a dateline, "one of 33 countries" for "how many refugees") is not the answer.
    # Below it the question goes to the passages design. Chosen on the dev half with
    # bench/typed_answers.py: right typed answers had >= 0.268 (one at 0.194), wrong or unanswerable
    # ones <= 0.198; 0.23 is the midpoint of that gap.
    typed_min_sentence: float = 0.23
    # When the LLM wrote an answer to an open question that fails verification, the best evidence
    # sentence is quoted as the answer instead of declining, if it is in the asker's language and its own
    # question-sentence score is at least this (rag.answer.grounded.may_quote); > 1 turns it off. The
    # same bar as typed_min_sentence (chosen on dev for "this sentence by itself is about the question");
    # on dev the quote changed no accuracy (one answerable decline became a wrong quote), so it is a
    # product choice, reported on held-out in docs/answering.md.
    quote_min_sentence: float = 0.23
    # Languages the LLM reads well enough to copy an answer phrase from (rag/answer/extract.py): the
    # default Qwen2.5 1.5B reads English and Russian, not Azerbaijani.
    llm_reads: str = "en,ru"
    # An evidence sentence is offered for copying only if, by itself, it is this close to the question
    # (the ranker's centred cosine; the same bar as quotes and typed facts until dev says otherwise).
    extract_min_sentence: float = 0.23
    # Fact first (rag.answer.shorten): a checked LLM answer that turns the question into a sentence ("Sky+HD
    # uses the OpenTV system [1].") is cut to the words the question did not already say ("OpenTV [1].")
    # when they are one stretch of at most fact_first_max_words content words. 0 turns it off. On the
    # stored dev-half answers of cc69dcf (bench/fact_first.py) 3 to 12 words changed no accuracy; token F1
    # 0.229 -> 0.256 at 3-4, 0.261 at 6-12: 6 is the smallest value with the best F1 (docs/answering.md).
    fact_first_max_words: int = 6
    # An LLM answer whose added names (capitalised words and numbers the question does not have) occur in
    # none of its cited passages is declined as unsupported (rag.answer.shorten.unfound_names): on the
    # stored seed answers of cc69dcf this caught "... will be held in Moscow [1]" and one wrong name, and no right one.
    check_added_names: bool = True

    def replace(self, **overrides: Any) -> Settings:
        """Copy with overrides; ``None`` values are ignored so CLI flags can be passed through as-is."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(clean) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update({k: _coerce(type(current[k]), v) for k, v in clean.items()})
        hints = get_type_hints(Settings)
        for k in clean:
            allowed = get_args(hints[k]) if get_origin(hints[k]) is Literal else ()
            if allowed and current[k] not in allowed:
                raise ValueError(f"{k} must be one of {', '.join(allowed)}, got {current[k]!r}")
        return Settings(**current)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Defaults, then ``RAG_*`` environment variables, then ``overrides``."""
        base = cls()
        env: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                env[f.name] = raw
        return base.replace(**env).replace(**overrides)

    def as_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()}


def _coerce(kind: type, value: Any) -> Any:
    """Turn environment strings into the field's type; a bad value fails loudly, naming the value."""
    if kind is bool and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"expected a boolean, got {value!r}")
    if isinstance(value, kind):
        return value
    if issubclass(kind, Path):
        return Path(value).expanduser()
    try:
        return cast(Callable[[Any], Any], kind)(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected {kind.__name__}, got {value!r}") from exc
