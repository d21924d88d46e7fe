"""Retrieved passages -> a short, cited answer in the asker's language, or a plain abstention.

Generation streams; verification runs when the stream ends and may replace the streamed text (a
fabricated citation is removed, an unsupported answer becomes "the documents do not say"), so the
final ``Done`` event is the truth and the tokens before it are a preview.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rag.answer.answer_type import answers_type
from rag.answer.candidates import question_kind
from rag.answer.language import ABSTAIN, is_abstention, question_language
from rag.answer.prompt import STOP, build_messages
from rag.answer.quote import answer_start, parse, verify_quoted
from rag.answer.shorten import fact_first, restates_question, unfound_names
from rag.answer.verify import Similarity, cited_numbers, verify
from rag.llm.base import LLM, Message, Usage
from rag.settings import Settings
from rag.types import Answer, Hit

Selector = Callable[[str, Sequence[Hit]], list[tuple[Hit, str]]]

# Why an answer the model did write was declined (its words did not hold up against the passages),
# as opposed to the model itself finding no answer.
UNSUPPORTED = "no citation in the answer is supported by its passage"


@dataclass
class Token:
    text: str


@dataclass
class Done:
    answer: Answer


@dataclass
class ModelTurn:
    """Sent just before the LLM is first called: from here on the answer needs the model.

    Everything before it (retrieval, sentence ranking, a typed answer read by rules) runs beside other
    answers; a server that shares one model among users waits for a model turn only here, so an answer
    that needs no model never queues behind one that does."""


Event = Token | Done | ModelTurn


def stamp_times(result: Answer, t0: float) -> None:
    """Close an answer's timings: time to first token (now, if no token came), the answer stage since
    ``t0``, and the total with retrieval."""
    result.timings.setdefault("first_token", round(time.perf_counter() - t0, 3))
    result.timings["answer"] = round(time.perf_counter() - t0, 3)
    result.timings["total"] = round(result.timings.get("retrieve", 0.0) + result.timings["answer"], 3)


def select_context(hits: Sequence[Hit], top_k: int) -> list[tuple[Hit, str]]:
    """The passages the model reads. Fewer, shorter passages = faster answers (prompt reading dominates)."""
    return [(h, h.chunk.text) for h in hits[:top_k]]


def _visible(text: str, quoting: bool) -> str:
    """What the user sees of a partial reply: in quote mode, only what follows "Answer:"."""
    if not quoting:
        return text
    start = answer_start(text)
    return text[start:] if start is not None else ""


class Answerer:
    def __init__(self, llm: LLM, settings: Settings, similarity: Similarity | None = None,
                 support_threshold: float | None = None, selector: Selector | None = None,
                 repeat_question: bool = True) -> None:
        self.llm = llm
        self.selector = selector
        self.settings = settings
        self.similarity = similarity
        self.support_threshold = settings.support_threshold if support_threshold is None else support_threshold
        self.repeat_question = repeat_question

    def stream(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        history: Sequence[Message] = (),
        language: str | None = None,
        rewritten_query: str | None = None,
        timings: dict[str, float] | None = None,
        top_k: int | None = None,
    ) -> Iterator[Event]:
        """``top_k``: passages the model reads (default ``settings.top_k``), per call so that users
        asking at the same time with different settings do not see each other's."""
        t0 = time.perf_counter()
        k = max(1, top_k or self.settings.top_k)
        lang = question_language(question, language or self.settings.answer_language)
        result = Answer(question=question, answer="", language=lang, rewritten_query=rewritten_query,
                        passages=list(hits), timings=dict(timings or {}), model=self.llm.name)
        best_cosine = max((h.dense_score or 0.0 for h in hits), default=0.0)
        if not hits or best_cosine < self.settings.min_evidence:
            yield Done(self._abstain(result, "retrieval found no passage strong enough", t0))
            return
        t_sel = time.perf_counter()
        if self.selector is not None:
            context = self.selector(rewritten_query or question, hits[:k])
        else:
            context = select_context(hits, k)
        result.timings["select"] = round(time.perf_counter() - t_sel, 3)
        if not context:
            yield Done(self._abstain(result, "retrieval found no passage strong enough", t0))
            return

        quoting = self.settings.answer_format == "quote"
        messages = build_messages(question, context, lang, history, answer_format=self.settings.answer_format,
                                  repeat_question=self.repeat_question)
        usage = Usage()
        text, shown, first = "", 0, None
        yield ModelTurn()
        # From the model's turn, not from t0: a shared server may have kept this request waiting in line.
        deadline = time.perf_counter() + self.settings.timeout_s
        for piece in self.llm.stream_chat(messages, max_tokens=self.settings.max_answer_tokens,
                                          stop=STOP, usage=usage):
            text += piece
            visible = _visible(text, quoting)
            # Hold back a leading "NONE" so an abstention never flashes the model's raw token.
            candidate = visible.strip().upper()
            if len(visible) > shown and not (len(candidate) <= 4 and "NONE".startswith(candidate)):
                if first is None:
                    first = time.perf_counter() - t0
                yield Token(visible[shown:])
                shown = len(visible)
            if time.perf_counter() > deadline:
                result.warnings.append(f"stopped after {self.settings.timeout_s:.0f}s; answer may be partial")
                break
        result.timings["first_token"] = round(first if first is not None else time.perf_counter() - t0, 3)
        result.tokens = {"prompt": usage.prompt_tokens, "generated": usage.completion_tokens}
        yield Done(self._finish(result, text, [h for h, _ in context], t0))

    def answer(self, question: str, hits: Sequence[Hit], **kwargs: object) -> Answer:
        for event in self.stream(question, hits, **kwargs):  # type: ignore[arg-type]
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("stream ended without Done")

    def _finish(self, result: Answer, raw: str, given: list[Hit], t0: float) -> Answer:
        raw = raw.strip()
        reply = parse(raw) if self.settings.answer_format == "quote" else None
        if is_abstention(raw) or (reply is not None and is_abstention(reply.answer)):
            return self._abstain(result, "the model found no answer in the passages", t0)
        if restates_question(raw, result.question):
            result.warnings.append(f"the model wrote the question out again instead of answering it: {raw[:200]}")
            return self._abstain(result, UNSUPPORTED, t0)
        if reply is not None:
            checked = verify_quoted(reply, given, question=result.question,
                                    min_match=self.settings.quote_min_match)
        else:
            checked = verify(raw, given, threshold=self.support_threshold, similarity=self.similarity,
                             question=result.question)
        result.warnings.extend(checked.dropped)
        if not checked.citations:
            result.warnings.append(f"model answer without supported citation: {raw[:200]}")
            return self._abstain(result, UNSUPPORTED, t0)
        missing = answers_type(result.question, checked.answer)
        if missing is not None:
            # "When ...?" answered without any date is not an answer, however well its sentence is cited.
            result.warnings.append(f"model answer gives no {missing}, which the question asks for: {raw[:200]}")
            return self._abstain(result, f"the answer gives no {missing}", t0)
        invented = (unfound_names(checked.answer, result.question, [c.text for c in checked.citations])
                    if self.settings.check_added_names else None)
        if invented:
            result.warnings.append(f"the answer names what no cited passage does ({', '.join(invented)}): {raw[:200]}")
            return self._abstain(result, UNSUPPORTED, t0)
        result.answer = checked.answer
        result.citations = checked.citations
        short = (fact_first(checked.answer, result.question, question_kind(result.question) or "",
                            max_words=self.settings.fact_first_max_words)
                 if self.settings.fact_first_max_words > 0 else None)
        if short is not None:
            # The fact the question asked for, first and alone; its citations are the sentence's.
            result.written, result.answer = checked.answer, short
            kept = set(cited_numbers(short))
            result.citations = [c for c in checked.citations if c.n in kept]
        result.verified = all(c.verified for c in result.citations)
        stamp_times(result, t0)
        return result

    def _abstain(self, result: Answer, why: str, t0: float) -> Answer:
        result.answer = ABSTAIN[result.language]
        result.abstained = True
        result.citations = []
        result.verified = False
        result.warnings.append(f"abstained: {why}")
        stamp_times(result, t0)
        return result
