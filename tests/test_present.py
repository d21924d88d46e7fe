"""What ``rag ask`` and the web chat show of an answer: evidence quotes, refusal reasons, the terminal
rendering. Pure logic on hand-made answers (the real pipeline is exercised by the end-to-end tests)."""

from __future__ import annotations

import io
from dataclasses import replace

from rag.present import abstain_reason, evidence, evidence_span, phrase, provenance
from rag.terminal import ProvisionalLine, format_answer
from rag.types import Answer, Chunk, Citation, Hit

PASSAGE = ("Генассамблея ООН высоко оценила работу в сфере миграции.\n\n21 мая 2022 г. 16:49\n\n"
           "В рамках первого Международного форума по обзору миграции прошла встреча.")


def _answer(start: int, end: int, offset: int = 100) -> Answer:
    chunk = Chunk(id="c", source="002.txt", text=PASSAGE, start=offset, end=offset + len(PASSAGE), lang="ru",
                  ordinal=0, title="Генассамблея ООН")
    cit = Citation(n=1, source="002.txt", chunk_id="c", text=PASSAGE, start=offset + start, end=offset + end,
                   quote=PASSAGE[start:end], verified=True, support=0.9)
    return Answer(question="Когда?", answer="21 мая 2022 года [1].", language="ru", citations=[cit],
                  passages=[Hit(chunk=chunk, score=0.1)])


def test_a_date_fragment_is_widened_to_the_sentence_around_it() -> None:
    at = PASSAGE.index("21 мая")
    s, e = evidence_span(PASSAGE, at, at + len("21 мая 2022 г."))
    quote = PASSAGE[s:e]
    assert "21 мая 2022" in quote and ("оценила работу" in quote or "форума" in quote)
    ev = evidence(_answer(at, at + len("21 мая 2022 г.")))[0]
    assert ev.quote == quote.strip() and ev.title == "Генассамблея ООН" and ev.start == 100 + s


def test_a_whole_sentence_is_quoted_as_it_is() -> None:
    at = PASSAGE.index("В рамках")
    ev = evidence(_answer(at, len(PASSAGE)))[0]
    assert ev.quote == PASSAGE[at:]


def test_refusal_reasons() -> None:
    a = Answer(question="q", answer="x", language="en", abstained=True,
               warnings=["abstained: retrieval found no passage strong enough"])
    assert abstain_reason(a) == "reason_none"
    a.passages = _answer(0, 5).passages
    a.warnings = ["abstained: the answer gives no date"]
    assert abstain_reason(a) == "reason_not_fact"
    assert abstain_reason(_answer(0, 5)) is None


def test_terminal_shows_evidence_once_and_explains_a_refusal() -> None:
    at = PASSAGE.index("В рамках")
    text = format_answer(_answer(at, len(PASSAGE)))
    assert text.count("21 мая 2022 года [1].") == 1 and "[1] Генассамблея ООН (002.txt): “В рамках" in text
    refusal = Answer(question="q", answer="В документах об этом не сказано.", language="ru", abstained=True,
                     passages=_answer(0, 5).passages, warnings=["abstained: no citation is supported"])
    text = format_answer(refusal, withdrawn=True)
    assert "Черновой ответ отозван" in text and "Ближайшие фрагменты:" in text and "002.txt" in text


def test_provisional_line_is_erased() -> None:
    out = io.StringIO()
    line = ProvisionalLine(out, "en")
    line.add("An unchecked ")
    line.add("claim.")
    line.clear()
    written = out.getvalue()
    assert "checking sources" in written and written.endswith("\x1b[0m\r\x1b[2K")


def test_the_answer_stages_own_evidence_sentence_is_preferred() -> None:
    from rag.types import Evidence

    first = PASSAGE.index("Генассамблея")
    answer = _answer(first, first + 20)  # the verifier's span: a cut inside the first sentence
    at = PASSAGE.index("В рамках")
    answer.evidence = [Evidence(n=1, source="002.txt", chunk_id="c", text=PASSAGE[at:], start=100 + at,
                                end=100 + len(PASSAGE), lang="ru", score=0.8, used=True)]
    assert evidence(answer)[0].quote == PASSAGE[at:]


def test_citations_carry_the_whole_sentence_not_a_date() -> None:
    from rag.present import whole_quotes

    at = PASSAGE.index("21 мая")
    answer = _answer(at, at + len("21 мая 2022 г."))
    whole_quotes(answer)
    c = answer.citations[0]
    assert len(c.quote.split()) > 4 and "21 мая 2022" in c.quote and PASSAGE[c.start - 100 : c.end - 100] == c.quote


def test_provenance_tells_read_copied_and_written_answers_apart() -> None:
    reads = ("en", "ru")
    answer = _answer(0, 20)  # cites a Russian passage
    answer.path = "template"
    assert provenance(answer, reads) == "made_template"
    answer.path = "llm"
    assert provenance(answer, reads) == "made_llm"
    # The model wrote it for an Azerbaijani asker (a language it does not read or write well) ...
    answer.language = "az"
    assert provenance(answer, reads) == "made_llm_unread"
    # ... or from a passage in such a language, for a Russian asker.
    answer.language = "ru"
    answer.passages = [Hit(chunk=replace(answer.passages[0].chunk, lang="az"), score=0.1)]
    assert provenance(answer, reads) == "made_llm_unread"
    assert provenance(answer, ("en", "ru", "az")) == "made_llm"
    answer.abstained = True
    assert provenance(answer, reads) is None


def test_terminal_says_how_the_answer_was_made_in_the_askers_language() -> None:
    answer = _answer(0, 20)
    answer.path = "extract"
    text = format_answer(answer)
    assert text.splitlines()[:2] == ["21 мая 2022 года [1].", f"({phrase('made_extract', 'ru')})"]
    answer.path = ""  # an answer with no recorded path (an older client) gets no such line
    assert phrase("made_extract", "ru") not in format_answer(answer)
