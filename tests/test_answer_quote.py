"""Quote-then-answer parsing and verification (pure logic; the real model is exercised end to end)."""

from __future__ import annotations

from rag.answer.answerer import _visible
from rag.answer.quote import locate, parse, verify_quoted
from rag.types import Chunk, Hit

AZ = ("Bu barədə \"Report\"a DMX-dən məlumat verilib. Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci "
      "Beynəlxalq Miqrasiya İcmalı Forumuna hazırlıq çərçivəsində baş tutub. Sonra müzakirələr aparılıb.")
EN = "On 31 May 2021, IOM Azerbaijan organized an online coordination meeting. It was held online."


def _hit(text: str, n: int, start: int = 100) -> Hit:
    chunk = Chunk(id=f"c{n}", source=f"doc{n}.txt", text=text, start=start, end=start + len(text), lang="az",
                  ordinal=0, date="2026-02-11")
    return Hit(chunk=chunk, score=1.0)


HITS = [_hit(EN, 1), _hit(AZ, 2)]
QUESTION = "When is the second International Migration Review Forum?"


def test_parse_splits_quote_and_answer() -> None:
    reply = parse('Quote: "tədbir mayın 5-8-də keçiriləcək ikinci Forumuna" [2]\nAnswer: On 5-8 May [2].')
    assert reply is not None
    assert reply.quote == "tədbir mayın 5-8-də keçiriləcək ikinci Forumuna"
    assert reply.cited == [2]
    assert reply.answer == "On 5-8 May [2]."
    assert parse("The forum is on 5-8 May [2].") is None  # format ignored -> caller falls back


def test_visible_text_starts_after_the_answer_label() -> None:
    assert _visible("Quote: something long [2]\nAns", quoting=True) == ""
    assert _visible("Quote: something long [2]\nAnswer: On 5", quoting=True) == "On 5"
    assert _visible("On 5", quoting=False) == "On 5"


def test_locate_finds_the_sentence_and_fixes_the_number() -> None:
    found = locate("Bildirilib ki, tedbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna",
                   HITS, prefer=[1])
    assert found is not None and found.n == 2
    assert AZ[found.support.start:found.support.end].startswith("Bildirilib ki")
    assert AZ[found.support.start:found.support.end].endswith("baş tutub.")
    assert locate("A sentence that no passage contains at all, anywhere.", HITS) is None


def test_verified_answer_cites_the_quoted_passage_with_its_span() -> None:
    reply = parse("Quote: tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna [1]\n"
                  "Answer: The second forum takes place on 5-8 May [1].")
    assert reply is not None
    checked = verify_quoted(reply, HITS, question=QUESTION)
    assert checked.answer == "The second forum takes place on 5-8 May [2]."
    [cite] = checked.citations
    assert (cite.n, cite.source) == (2, "doc2.txt")
    assert cite.quote.startswith("Bildirilib ki") and "5-8" in cite.quote
    assert cite.start == 100 + AZ.index("Bildirilib") and cite.end - cite.start == len(cite.quote)
    assert any("replaced by [2]" in d for d in checked.dropped)


def test_a_changed_number_is_rejected() -> None:
    reply = parse("Quote: tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna [2]\n"
                  "Answer: 5-9 December [2].")
    assert reply is not None
    checked = verify_quoted(reply, HITS, question=QUESTION)
    assert checked.citations == []
    assert "numbers" in checked.dropped[0]


def test_invented_quote_and_question_echo_are_rejected() -> None:
    invented = parse("Quote: The forum will be held in Geneva next spring with many guests. [1]\n"
                     "Answer: In Geneva [1].")
    assert invented is not None
    assert verify_quoted(invented, HITS, question=QUESTION).citations == []
    echo = parse("Quote: tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna [2]\n"
                 "Answer: The second International Migration Review Forum [2].")
    assert echo is not None
    assert verify_quoted(echo, HITS, question=QUESTION).citations == []
