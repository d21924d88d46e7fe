"""The answer stage with each step done by the component that can do it (docs/answering.md).

1. the embedder ranks every sentence of the retrieved chunks (``EvidenceRanker``), across languages;
2. rules read the asked-for fact (a date, number, name ...) from the best sentences and write it in
   the asker's language (``rag.answer.candidates``);
3. the LLM writes one short sentence from the question, the evidence and that fact; if its sentence
   does not carry the fact, the fact is given with a plain template ("5–8 May 2026 [1].");
4. a typed question with no candidate of its type, or with weak evidence, is declined without the LLM.

Open questions (why, what was discussed) keep the generative path, fed the ranked evidence sentences,
and are verified and attributed as before (``rag.answer.verify``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence

from rag.answer import gates
from rag.answer.answerer import Answerer, Done, Event, ModelTurn, Selector, Token, stamp_times
from rag.answer.candidates import Candidate, EmbedTexts, extract, question_kind, role_matched
from rag.answer.compose import quoted, template, write_messages
from rag.answer.evidence import EvidenceRanker, Sentence, cite_sentence, evidence_record, mark_used, with_neighbours
from rag.answer.extract import as_answer, copy_answer
from rag.answer.language import is_abstention, question_language
from rag.answer.prompt import STOP
from rag.answer.published import DocumentChunks, asks_publication_date, dateline_answer
from rag.answer.verify import CITE_RE, Similarity, numbers
from rag.llm.base import LLM, Message, Usage
from rag.settings import Settings
from rag.types import Answer, Hit


class GroundedAnswerer(Answerer):
    """``answer_mode`` "evidence": every question as above. "typed": typed questions as above, every
    other question by the passages design (``Answerer``: the LLM reads the selected passages), whose
    open-question figures are the measured ones."""

    def __init__(self, llm: LLM, settings: Settings, ranker: EvidenceRanker, *,
                 similarity: Similarity | None = None, embed_docs: EmbedTexts | None = None,
                 support_threshold: float | None = None, selector: Selector | None = None,
                 repeat_question: bool = True, document_chunks: DocumentChunks | None = None) -> None:
        """``document_chunks``: every chunk of one source, to find an article's dateline when no
        retrieved passage holds it (``rag.answer.published``)."""
        super().__init__(llm, settings, similarity=similarity, support_threshold=support_threshold,
                         selector=selector, repeat_question=repeat_question)
        self.ranker = ranker
        self.embed_docs = embed_docs
        self.document_chunks = document_chunks

    def stream(self, question: str, hits: Sequence[Hit], *, history: Sequence[Message] = (),
               language: str | None = None, rewritten_query: str | None = None,
               timings: dict[str, float] | None = None, top_k: int | None = None) -> Iterator[Event]:
        t0 = time.perf_counter()
        s = self.settings
        lang = question_language(question, language or s.answer_language)
        result = Answer(question=question, answer="", language=lang, rewritten_query=rewritten_query,
                        passages=list(hits), timings=dict(timings or {}), model=self.llm.name)
        kind = question_kind(question)
        result.kind = kind or ""
        best_cosine = max((h.dense_score or 0.0 for h in hits), default=0.0)
        if not hits or best_cosine < s.min_evidence:
            yield Done(self._abstain(result, "retrieval found no passage strong enough", t0))
            return
        t_sel = time.perf_counter()
        pool = list(hits[: s.evidence_hits])
        ranked = self.ranker.rank(question, rewritten_query or question, pool)
        result.timings["select"] = round(time.perf_counter() - t_sel, 3)
        if not ranked or ranked[0].score < s.evidence_min_score:
            yield Done(self._abstain(result, "no sentence of the passages is close enough to the question", t0))
            return
        if asks_publication_date(question, kind):
            # The date asked for is the article's, not one in its body: which article the question is
            # about is told by the sentences' meaning, without the ranker's bonus for holding a date
            # (with it, a dated sentence of another article won for "Когда вышла новость о встрече …").
            about = max(ranked, key=lambda x: x.score - s.evidence_typed_weight * (x.features or {}).get("typed", 0.0))
            answer = self._published(result, about, pool, t0)
            if not answer.abstained:
                yield Token(answer.answer)  # final: read from the dateline, nothing takes it back
            yield Done(answer)
            return
        top = ranked[: s.evidence_sentences]
        order = list(dict.fromkeys(x.hit for x in top))  # passage [1] holds the best sentence
        given = [pool[i] for i in order]
        number = {hit_index: n + 1 for n, hit_index in enumerate(order)}
        result.evidence = [evidence_record(x, pool, number[x.hit]) for x in top]
        found: list[Candidate] = []  # every candidate of the kind, before the role check
        cands: list[Candidate] = []
        # Organisation and place names are read by rules too (rag.text.names), but on the dev half such a
        # name was rarely the answer (bench/typed_answers.py): the LLM reads those from the evidence. A
        # person is taken only when the role beside the name matches the question (rag.answer.persons);
        # otherwise the LLM reads the passages as before.
        if kind in s.typed_kinds.split(","):
            found = extract(kind, question, lang, top, pool, self.embed_docs, top=s.evidence_sentences)
            cands = role_matched(found, s.typed_min_role)
        if kind in gates.STRICT and not cands:
            yield Done(self._abstain(result, f"no {kind} in the evidence sentences", t0))
            return
        best = cands[0] if cands else None
        if best is not None and not gates.sentence_close_enough(best, s.typed_min_sentence):
            # The fact sits in a sentence about something else: not a typed answer. A person may still be
            # read by the LLM from the passages; a date or a number may not: the LLM sees the same
            # sentences, and in the stored runs of f53b6df it declined 7 of the 8 such questions
            # and answered the eighth (unanswerable) with the far sentence's date.
            result.warnings.append(f"the {kind} read from the evidence is in a sentence too far from the question")
            best = None
            if s.answer_mode != "typed" or kind in gates.STRICT:
                yield Done(self._abstain(result, f"no {kind} in a sentence close enough to the question", t0))
                return
        if best is not None and s.typed_answer == "template":
            answer = self._typed(result, best, pool, number, t0, "typed answer from the evidence")
            yield Token(answer.answer)  # final: nothing after it takes it back
            yield Done(answer)
            return
        if best is None and s.answer_mode == "typed":
            for event in super().stream(question, hits, history=history, language=language,
                                        rewritten_query=rewritten_query, timings=timings, top_k=top_k):
                if isinstance(event, Done):
                    event.answer.warnings[:0] = result.warnings
                    mark_used(event.answer, result.evidence)
                    event.answer.kind = result.kind
                    event.answer.timings["rank"] = result.timings["select"]
                    event.answer.path = "" if event.answer.abstained else "llm"
                    self._rescue(event.answer, top, pool, t0)
                    self._name_person(event.answer, found, pool, t0)
                    self._shorten(event.answer, top, pool, t0)
                yield event
            return
        evidence = [(number[x.hit], pool[x.hit].chunk.lang, with_neighbours(x, pool)) for x in top]
        messages = write_messages(question, lang, evidence, fact=best.text if best else None,
                                  fact_n=number[best.sentence.hit] if best else None, history=history)
        text = ""
        usage = Usage()
        yield ModelTurn()
        for piece in self._generate(messages, result, usage, t0):
            if isinstance(piece, str):
                text = piece
            else:
                yield piece
        result.tokens = {"prompt": usage.prompt_tokens, "generated": usage.completion_tokens}
        raw = text.strip()
        if best is not None:
            # The sentence must carry the fact and add no number of its own (the 1.5B model wrote
            # "May 5-8, 2021" for "5–8 May" on the dev half: a year that no evidence gives).
            known = numbers(best.text) | numbers(question) | numbers(best.sentence.text)
            if not is_abstention(raw) and gates.holds_fact(raw, best.text) and not numbers(raw) - known:
                yield Done(self._typed(result, best, pool, number, t0, None, raw))
            else:
                result.warnings.append(f"model answer does not carry the {kind} read from the evidence: {raw[:200]}")
                yield Done(self._typed(result, best, pool, number, t0, "typed answer from the evidence"))
            return
        out = self._rescue(self._finish(result, raw, given, t0), top, pool, t0)
        self._name_person(out, found, pool, t0)
        self._shorten(out, top, pool, t0)
        yield Done(out)

    def _published(self, result: Answer, best: Sentence, pool: Sequence[Hit], t0: float) -> Answer:
        """The publication date of the article the best evidence sentence is from, cited to its dateline."""
        found = dateline_answer(pool[best.hit].chunk, [h.chunk for h in pool], self.document_chunks,
                                result.language, best.score)
        if isinstance(found, str):
            return self._abstain(result, found, t0)
        result.answer, result.citations, result.evidence = found
        result.path, result.verified = "template", True
        result.warnings.append("publication date read from the article's dateline")
        stamp_times(result, t0)
        return result

    def _rescue(self, answer: Answer, top: Sequence[Sentence], pool: Sequence[Hit], t0: float) -> Answer:
        """An answer declined for an unsupported citation gets a second chance: a phrase copied from
        readable evidence (``rag.answer.extract``), else the best sentence quoted; else it stays declined."""
        if not gates.may_rescue(answer):
            return answer
        copied = self._copied(answer, top, pool, t0)
        return copied if copied is not None else self._quote_if_declined(answer, top[0], pool, t0)

    def _name_person(self, answer: Answer, found: Sequence[Candidate], pool: Sequence[Hit], t0: float) -> None:
        """Fact first for *who*: a long checked answer that names a person the rules read from a sentence
        it cites becomes that name (``gates.named_person``); the model's text stays in ``written``."""
        s = self.settings
        c = gates.named_person(answer, found, pool, s.llm_reads.split(","), s.fact_first_max_words)
        if c is None:
            return
        long = answer.answer
        self._answered_from(answer, template(c.text, 1, answer.language), "template", c.sentence, pool, t0,
                            gates.NAMED)
        answer.written = long

    def _shorten(self, answer: Answer, top: Sequence[Sentence], pool: Sequence[Hit], t0: float) -> None:
        """Fact first: a checked answer still long after ``fact_first`` becomes the phrase the LLM copies
        from the sentences it cites, when the answer's first sentence carries the phrase (a pasted passage
        names everyone, so later sentences do not count); when the copy disagrees, once more with the
        model shown its own answer, to find the phrase that answer gives ("Qwest", not "Level 3")."""
        if not gates.may_shorten(answer, self.settings.fact_first_max_words):
            return
        long, cited = answer.answer, {c.chunk_id for c in answer.citations}
        sentences = [x for x in top if pool[x.hit].chunk.id in cited]
        for given in (None, long):  # the copy of the question alone first, then shown the answer
            got = self._copy(answer, sentences, pool, given)
            fact = got and gates.agreed_fact(long, got[1], got[2], self.settings.fact_first_max_words, answer.language)
            if got and fact:
                self._answered_from(answer, as_answer(fact, 1), "extract", got[0], pool, t0, gates.SHORTENED)
                answer.written = long
                return
        answer.warnings.append(gates.NOT_SHORTENED)

    def _copy(self, answer: Answer, top: Sequence[Sentence], pool: Sequence[Hit],
              given: str | None = None) -> tuple[Sentence, str, str] | None:
        """(sentence, the answer text in the asker's language, the phrase as copied): the LLM copies the
        answer phrase (the one its ``given`` answer gives, when shortening) from the evidence sentences it
        can read, translated when not in the asker's language. None when any check fails."""
        s = self.settings
        readable = s.llm_reads.split(",")
        offered = [x for x in top if pool[x.hit].chunk.lang in readable
                   and gates.sentence_score(x) >= s.extract_min_sentence]
        got = copy_answer(self.llm, answer.question, answer.language,
                          [(x.text, pool[x.hit].chunk.lang) for x in offered], answer.warnings,
                          given) if offered else None
        return None if got is None else (offered[got[0]], got[1], got[2])

    def _copied(self, answer: Answer, top: Sequence[Sentence], pool: Sequence[Hit], t0: float) -> Answer | None:
        """The copied phrase as the answer of a declined one (``_copy``); None when any check fails."""
        got = self._copy(answer, top, pool)
        if got is None:
            return None
        answer.written = got[2]
        return self._answered_from(answer, as_answer(got[1], 1), "extract", got[0], pool, t0,
                                   "the model's answer did not hold up; the answer phrase was copied from the evidence")

    def _quote_if_declined(self, answer: Answer, best: Sentence, pool: Sequence[Hit], t0: float) -> Answer:
        """The best evidence sentence, quoted and cited, when ``may_quote`` allows; else ``answer`` as is."""
        ch = pool[best.hit].chunk
        if not gates.may_quote(answer, best, ch.lang, self.settings.quote_min_sentence):
            return answer
        return self._answered_from(answer, quoted(best.text, 1, answer.language), "quote", best, pool, t0,
                                   "the model's answer did not hold up; the evidence sentence is quoted instead")

    def _answered_from(self, answer: Answer, text: str, path: str, x: Sentence, pool: Sequence[Hit], t0: float,
                       note: str) -> Answer:
        """A declined answer turned into ``text`` cited as [1] to the evidence sentence ``x``."""
        answer.warnings.append(note)
        answer.answer, answer.abstained, answer.verified, answer.path = text, False, True, path
        cite_sentence(answer, x, pool, 1)
        stamp_times(answer, t0)
        return answer

    def _generate(self, messages: list[Message], result: Answer, usage: Usage, t0: float) -> Iterator[Token | str]:
        """Stream the LLM's tokens (holding back a leading NONE); the last item is the whole text."""
        text, shown, first = "", 0, None
        deadline = time.perf_counter() + self.settings.timeout_s  # from the model's turn (see Answerer)
        for piece in self.llm.stream_chat(messages, max_tokens=self.settings.max_answer_tokens, stop=STOP,
                                          usage=usage):
            text += piece
            candidate = text.strip().upper()
            if len(text) > shown and not (len(candidate) <= 4 and "NONE".startswith(candidate)):
                if first is None:
                    first = time.perf_counter() - t0
                yield Token(text[shown:])
                shown = len(text)
            if "\n" in text.strip():
                break  # one sentence is asked for; a second line is the model starting to ramble
            if time.perf_counter() > deadline:
                result.warnings.append(f"stopped after {self.settings.timeout_s:.0f}s; answer may be partial")
                break
        result.timings["first_token"] = round(first if first is not None else time.perf_counter() - t0, 3)
        yield text.strip().split("\n")[0]

    def _typed(self, result: Answer, c: Candidate, pool: Sequence[Hit], number: dict[int, int], t0: float,
               path_note: str | None, written: str | None = None) -> Answer:
        """The answer from a typed candidate: the LLM's sentence if it carries the fact, else the template;
        either way cited to the sentence the fact was read from."""
        n = number[c.sentence.hit]
        if written is not None:
            body = CITE_RE.sub("", written).strip()
            body = re.sub(r"\s+([.,;:!?…])", r"\1", body).rstrip(" .")
            result.answer, result.path = f"{body} [{n}].", "llm"
        else:
            result.answer, result.path = template(c.text, n, result.language), "template"
            if path_note:
                result.warnings.append(path_note)
        cite_sentence(result, c.sentence, pool, n)
        result.verified = True
        stamp_times(result, t0)
        return result

    def _finish(self, result: Answer, raw: str, given: list[Hit], t0: float) -> Answer:
        out = super()._finish(result, raw, given, t0)
        if not out.abstained:
            out.path = "llm"
            mark_used(out, out.evidence)
        return out
