"""What a person is shown of an answer, shared by ``rag ask`` and the web chat.

The answer object carries everything (citations with spans, retrieved passages, warnings); this
module decides how it reads: the evidence sentence under each citation (never a bare date), why a
question was declined, and which passages came closest. Product words are given in the asker's
language (az/ru/en), because a refusal or a "checking sources…" note in another language helps
nobody.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text.sentences import sentence_window, split_sentences
from rag.types import Answer, Hit

# Product phrases used outside the answer text itself (the web chat has its own, larger table).
PHRASES: dict[str, dict[str, str]] = {
    "checking": {"en": "checking sources…", "az": "mənbələr yoxlanılır…", "ru": "проверка источников…"},
    "evidence": {"en": "Evidence", "az": "Sübut", "ru": "Подтверждение"},
    "closest": {"en": "Closest passages", "az": "Ən yaxın parçalar", "ru": "Ближайшие фрагменты"},
    "reason_none": {
        "en": "Nothing relevant to this question was found in the documents.",
        "az": "Sənədlərdə bu suala aid heç nə tapılmadı.",
        "ru": "В документах не найдено ничего, относящегося к этому вопросу.",
    },
    "reason_not_fact": {
        "en": "Related passages were found, but none of them states what was asked.",
        "az": "Əlaqəli parçalar tapıldı, lakin heç biri soruşulanı demir.",
        "ru": "Найдены связанные фрагменты, но ни в одном из них нет того, о чём спрошено.",
    },
    "withdrawn": {
        "en": "The draft answer was withdrawn: the passages do not support it.",
        "az": "İlkin cavab geri götürüldü: parçalar onu təsdiqləmir.",
        "ru": "Черновой ответ отозван: фрагменты его не подтверждают.",
    },
    # How an answer was made (``provenance``): a fact the rules read or a phrase copied from the evidence
    # is right far more often than a sentence the model wrote (the runs of record: 40 of 47 template
    # answers right, 22 of 50 written ones), and a user should know which one they are reading.
    "made_template": {
        "en": "Read directly from the evidence sentence.",
        "az": "Birbaşa sübut cümləsindən oxunub.",
        "ru": "Взято прямо из подтверждающего предложения.",
    },
    "made_extract": {
        "en": "Copied from the evidence sentence.",
        "az": "Sübut cümləsindən köçürülüb.",
        "ru": "Скопировано из подтверждающего предложения.",
    },
    "made_quote": {
        "en": "The evidence sentence itself, quoted.",
        "az": "Sübut cümləsinin özü, sitat kimi.",
        "ru": "Само подтверждающее предложение, в цитате.",
    },
    "made_llm": {
        "en": "Written by the language model from the evidence: check it against the sentence below.",
        "az": "Dil modeli sübut əsasında yazıb: aşağıdakı cümlə ilə tutuşdurun.",
        "ru": "Написано языковой моделью по подтверждению: сверьте с предложением ниже.",
    },
    "made_llm_unread": {
        "en": "Written by the language model from text in a language it reads poorly: "
              "check it against the sentence below.",
        "az": "Dil modeli zəif bildiyi dildəki mətn əsasında yazıb: aşağıdakı cümlə ilə tutuşdurun.",
        "ru": "Написано языковой моделью по тексту на языке, который она понимает плохо: "
              "сверьте с предложением ниже.",
    },
}

# The answerer's abstention reason for a question that retrieval found nothing for (rag.answer.answerer).
_NOTHING_FOUND = "retrieval found no passage"
_MIN_QUOTE_WORDS = 4  # a "sentence" with fewer words is a fragment: a dateline such as "21 мая 2022 г."
_WORD = re.compile(r"[^\W\d_]{2,}")


def phrase(key: str, lang: str) -> str:
    entry = PHRASES[key]
    return entry.get(lang) or entry["en"]


def abstain_reason(answer: Answer) -> str | None:
    """``"reason_none"`` (nothing relevant retrieved), ``"reason_not_fact"`` (related passages, not the
    fact asked), or None for an answer that was not declined. Read from the answer's warnings, where
    the answerer records why it declined."""
    if not answer.abstained:
        return None
    reasons = [w for w in answer.warnings if w.startswith("abstained:")]
    if not answer.passages or any(_NOTHING_FOUND in w for w in reasons):
        return "reason_none"
    return "reason_not_fact"


def provenance(answer: Answer, reads: Sequence[str]) -> str | None:
    """The ``PHRASES`` key that says how a settled answer was made (``Answer.path``), or None for a
    declined one. A sentence the model wrote is flagged apart when the question or a passage it cites is
    in a language the model does not read (``reads``, ``Settings.llm_reads``): the 1.5B model invents
    when it writes from Azerbaijani text (docs/answering.md)."""
    if answer.abstained or not answer.path:
        return None
    if answer.path != "llm":
        return f"made_{answer.path}" if f"made_{answer.path}" in PHRASES else None
    cited = {c.chunk_id for c in answer.citations}
    langs = {h.chunk.lang for h in answer.passages if h.chunk.id in cited}
    return "made_llm" if {answer.language, *langs} <= set(reads) else "made_llm_unread"


def evidence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span to quote as evidence within a passage: the supporting sentence, widened to its
    neighbours when it is only a fragment (a date line, "Он отметил:"), so the quote always carries the
    claim and not just a date."""
    if len(_WORD.findall(text[start:end])) >= _MIN_QUOTE_WORDS:
        return start, end
    spans = split_sentences(text, "unknown") or [(0, len(text))]
    hit = next((i for i, (s, e) in enumerate(spans) if s <= start < e or s >= start), len(spans) - 1)
    s, e = sentence_window(spans, hit)
    return min(s, start), max(e, end)


@dataclass(frozen=True)
class EvidenceLine:
    """One supporting sentence as shown under an answer."""

    n: int
    source: str
    title: str
    quote: str
    start: int  # span in the cleaned document
    end: int


def evidence(answer: Answer) -> list[EvidenceLine]:
    """The supporting sentence of each citation, with its passage number and document title: the
    answer stage's own evidence sentence (``Answer.evidence``, the one the fact was read from) when it
    names that passage, else the span the verifier found."""
    chunks = {h.chunk.id: h.chunk for h in answer.passages}
    out = []
    for c in answer.citations:
        chunk = chunks.get(c.chunk_id)
        named = [e for e in answer.evidence if e.chunk_id == c.chunk_id and e.n == c.n]
        chosen = next((e for e in named if e.used), None)
        start, end = (chosen.start, chosen.end) if chosen else (c.start, c.end)
        if chunk is None:
            out.append(EvidenceLine(c.n, c.source, c.source, chosen.text if chosen else c.quote, start, end))
            continue
        s, e = evidence_span(chunk.text, start - chunk.start, end - chunk.start)
        raw = chunk.text[s:e]
        s, e = s + len(raw) - len(raw.lstrip()), e - (len(raw) - len(raw.rstrip()))  # the span is the quote
        quote = chunk.text[s:e] or c.quote
        out.append(EvidenceLine(c.n, c.source, chunk.title or c.source, quote, chunk.start + s, chunk.start + e))
    return out


def whole_quotes(answer: Answer) -> None:
    """Give every citation of ``answer`` the quote and span shown as its evidence (see ``evidence``),
    so ``--json`` and every other reader get a sentence that carries the claim, never a bare date."""
    lines = {e.n: e for e in evidence(answer)}
    for c in answer.citations:
        line = lines.get(c.n)
        if line is not None and line.quote:
            c.quote, c.start, c.end = line.quote, line.start, line.end


def closest(answer: Answer, k: int = 3) -> list[Hit]:
    """The passages that came closest to answering a declined question (retrieval order)."""
    return list(answer.passages[:k])


