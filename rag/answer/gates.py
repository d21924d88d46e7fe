"""When a fact read by rules, a copied phrase or a quoted sentence may stand as the answer.

Small predicates shared by the answer stage (rag/answer/grounded.py) and the benches that replay it
(bench/typed_answers.py), so both decide the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.answer.answerer import UNSUPPORTED
from rag.answer.candidates import Candidate
from rag.answer.evidence import Sentence
from rag.answer.name_spans import is_name, name_as_written
from rag.answer.shorten import asks_for_sentence, content_words, first_sentence
from rag.answer.verify import CITE_RE, WORD_RE, numbers
from rag.text.fold import has_cyrillic
from rag.text.translit import latin_skeleton
from rag.types import Answer, Hit

# Kinds whose answer is unmistakable on the surface: without a candidate there is no answer.
STRICT = ("date", "period", "number", "ordinal")
# What fact first by copying notes on an answer (``GroundedAnswerer._shorten``); the benches that replay
# the step find its answers by these.
SHORTENED = "the answer cut to the phrase of the evidence it gives"
NOT_SHORTENED = "the answer was not shortened: no phrase of the evidence agrees with it"
NAMED = "the answer cut to the person it names, read by the rules from the sentence it cites"


def spellings(fact: str) -> list[str]:
    """A candidate's text and, when it shows one, its source spelling: "Vusal Guseynov (Вусал Гусейнов)"
    -> both names."""
    alt = re.fullmatch(r"(.+?)\s*\((.+)\)", fact.strip())
    return [alt.group(1), alt.group(2)] if alt else [fact]


def holds_fact(answer: str, fact: str) -> bool:
    """The answer carries the fact: its numbers, and its words by their first four folded letters."""
    text = CITE_RE.sub(" ", answer)
    forms = spellings(fact)
    if len(forms) > 1:  # either spelling carries it
        return any(holds_fact(answer, f) for f in forms)
    if numbers(fact) - numbers(text):
        return False
    have = {latin_skeleton(w)[:4] for w in WORD_RE.findall(text)}
    words = [w for w in WORD_RE.findall(fact) if len(w) >= 3]
    return all(latin_skeleton(w)[:4] in have for w in words) if words else bool(numbers(fact))


def sentence_close_enough(c: Candidate, min_sentence: float) -> bool:
    """The candidate's sentence alone (not its window or its shared words) is close to the question."""
    return sentence_score(c.sentence) >= min_sentence


def sentence_score(x: Sentence) -> float:
    """The ranker's centred question-sentence cosine of the sentence alone (1.0 when not computed)."""
    return 1.0 if x.features is None else x.features.get("sentence", 0.0)


def may_rescue(answer: Answer) -> bool:
    """The model wrote an answer that did not hold up (not "no answer", not a gate's decline), to a
    question whose answer may be a phrase or a sentence (not *when*, *how many*, *yes or no?*, which ask
    for a value the rules read)."""
    declined_for = [w for w in answer.warnings if w.startswith("abstained: ")]
    return (answer.abstained and bool(declined_for) and declined_for[-1] == f"abstained: {UNSUPPORTED}"
            and answer.kind not in (*STRICT, "yesno"))


def may_shorten(answer: Answer, max_words: int) -> bool:
    """A checked LLM answer that is still long after ``fact_first`` (which cuts only a sentence whose new
    words form one stretch), to a question asking for a phrase (what, which, who, where; not *why* or
    *how*, not a value the rules read, not yes or no): the fact may be copied out of the evidence."""
    return (not answer.abstained and answer.path == "llm" and not answer.written and max_words > 0
            and answer.kind not in (*STRICT, "yesno") and not asks_for_sentence(answer.question)
            and content_words(answer.answer) > max_words)


def named_person(answer: Answer, cands: Sequence[Candidate], pool: Sequence[Hit], readable: Sequence[str],
                 max_words: int) -> Candidate | None:
    """The person a long checked answer to a *who* question names, when the rules read that same person
    from a sentence the answer cites: two readings agree, so the name alone is the answer.

    The model often answers "who" with the whole passage pasted ("В этом сезоне Panthers defense gave
    up … Kawann Short led the team in sacks with 11 …") and ``fact_first`` cannot cut a paste. The
    rules' people (``rag.answer.candidates``, best first) are matched to the answer by spelling across
    scripts; only sentences in a language the model reads (``readable``) count, since what it copies
    from Azerbaijani text is no reading of it. None when the answer is short already (at most
    ``max_words`` content words; 0 turns this off) or names none of them."""
    if (answer.abstained or answer.path != "llm" or answer.kind != "person" or max_words <= 0
            or content_words(answer.answer) <= max_words):
        return None
    text = CITE_RE.sub(" ", answer.answer)
    cited = {c.chunk_id for c in answer.citations}
    for c in cands:
        chunk = pool[c.sentence.hit].chunk
        if c.kind == "person" and chunk.lang in readable and chunk.id in cited:
            said = named_in(text, c.text)
            if said is not None:
                return replace(c, text=said)
    return None


def named_in(text: str, shown: str) -> str | None:
    """``shown`` (a rule-read name, "A (B)" when it gives the source spelling too) as ``text`` names it,
    or None. A name span the rules read may begin with capitalised words that are not the name (an
    award before a laureate: "премии Оскар Марли Мэтлин"); when ``text`` names only the rest, of at
    least two words, that rest is the name."""
    forms = [f.split() for f in spellings(shown)]
    n = len(forms[0])
    # Leading words dropped: none, or as many as leave two (the spellings must align word by word).
    trims = range(max(1, n - 1)) if all(len(f) == n for f in forms) else range(1)
    for k in trims:
        if any(name_as_written(text, " ".join(f[k:])) for f in forms):
            parts = [" ".join(f[k:]) for f in forms]
            return parts[0] if len(parts) == 1 else f"{parts[0]} ({parts[1]})"
    return None


def agreed_fact(answer: str, said: str, copied: str, max_words: int, lang: str) -> str | None:
    """The short answer when the model's long ``answer`` and the phrase it copied from the evidence agree:
    the first sentence of the answer carries the phrase (``copied``, or ``said``, its form in the asker's
    language ``lang``) and the phrase has at most ``max_words`` content words; None otherwise. A name the
    rules transliterated, or one left in the other script, is given as the answer spells it when only the
    vowels differ ("Peyton Manning", not the rules' "Peyton Menning" from "Пейтон Мэннинг"; "Джеймс
    Девар" for a Russian asker, not "James Dewar"); a name copied in the asker's script stays as copied
    (the answer may have it in another case: "в Азербайджане")."""
    first = first_sentence(answer)
    other_script = has_cyrillic(said) != (lang == "ru")
    own = name_as_written(first, said) if is_name(said) and (said != copied or other_script) else None
    if own is not None:
        return own
    if content_words(said) > max_words or not (holds_fact(first, copied) or holds_fact(first, said)):
        return None
    return said


def may_quote(answer: Answer, best: Sentence, src_lang: str, min_sentence: float) -> bool:
    """Give the best evidence sentence itself instead of declining: the model wrote an answer that did
    not hold up (not "no answer"), the question is open (what, which, why, who, where: a quoted
    sentence is no answer to *when*, *how many* or *yes or no?*, which ask for a value), the sentence is
    in the asker's language (so the quote is an answer they can read) and, by itself, close to the
    question."""
    return may_rescue(answer) and src_lang == answer.language and sentence_score(best) >= min_sentence
