"""Typed answer candidates read from the best evidence sentences: the fact, not the LLM's reading of it.

For a question that asks for a date, a period, a number, an ordinal, a person, an organisation or a
place, the value is read from the top-ranked sentences by the rules of ``rag.text`` (which know az/ru/en
month names, case endings and number words) and written in the asker's language. The LLM may then
write a sentence around it, or a plain template gives it ("5–8 May [1]") when the LLM's sentence
does not hold up.

The question kind comes from the question words of the three languages (``question_kind``); a count is
matched to the question's noun ("how many *states*") with the embedder, so "10 dövləti və 3 beynəlxalq
təşkilatı" answers "how many states" with 10 and "сколько международных организаций" with 3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer.answer_type import expected_type
from rag.answer.evidence import Sentence
from rag.answer.membership import YES, membership_yes
from rag.answer.persons import lower_stems, person_words, question_without_who, role_phrase
from rag.answer.terms import content_terms
from rag.text.counts import Count, find_counts, render_count
from rag.text.dates import DateValue, find_dates, render_date
from rag.text.names import find_names, render_name
from rag.text.translit import latin_skeleton
from rag.types import Hit

EmbedTexts = Callable[[Sequence[str]], np.ndarray]

# Question cues beyond rag.answer.answer_type (which knows date / number / person / place).
_PERIOD = re.compile(r"\b(which years|what years|what period|for which years|какие годы|какой период|"
                     r"на какие годы|за какие годы|hansı illər|hansı dövr|neçənci illər)", re.IGNORECASE)
_ORDINAL = re.compile(r"(какой по сч[её]ту|какая по сч[её]ту|каким по сч[её]ту|какое место|\bneçənci\b|"
                      r"\bfirst, second or third\b|\bwhich (?:round|session|meeting)\b)", re.IGNORECASE)
_ORG = re.compile(r"\b(which (?:organi[sz]ations?|agency|agencies|bodies|body|institutions?|news agency)|"
                  r"what (?:organi[sz]ation|agency|body)|какая организация|какие организации|какой организации|"
                  r"каком[уy]? (?:информационному )?агентств|какое агентство|какая структура|"
                  r"hansı (?:qurum|təşkilat|agentlik)\w*)", re.IGNORECASE)
_YESNO = re.compile(r"^(?:is|are|was|were|does|do|did|has|have|had|can|will)\b|\bли\b|"
                    r"\b\w+(?:mı|mi|mu|mü|mıdır|midir|mudur|müdür)\b[?]?$", re.IGNORECASE)
_HOW_MANY = re.compile(r"\b(?:how many|how much|сколько|neçə)\s+(.*)", re.IGNORECASE)
# How much the role agreement counts against the sentence's own score when ranking people (on dev the
# pick was the same for weights 0.3 to 1.0; bench/typed_answers.py).
ROLE_WEIGHT = 0.5
TYPED = ("date", "period", "number", "ordinal", "person", "organisation", "place")


def question_kind(question: str) -> str | None:
    """What a question asks for: one of ``TYPED``, "yesno", or None for an open question."""
    q = question.strip()
    if _PERIOD.search(q):
        return "period"
    if _ORDINAL.search(q):
        return "ordinal"
    if _ORG.search(q):
        return "organisation"
    kind = expected_type(q)
    if kind is not None:
        return kind
    if _YESNO.search(q.lower()):
        return "yesno"
    return None


def counted_noun(question: str) -> str:
    """The words after "how many / сколько / neçə" that name what is counted ("states", "стран")."""
    m = _HOW_MANY.search(question)
    if not m:
        return ""
    words = re.findall(r"[^\W\d_]+", m.group(1))
    stop = {"does", "do", "did", "is", "are", "was", "were", "has", "have", "had", "the", "of", "in", "for",
            "был", "было", "были", "в", "на", "ли", "всего", "таких"}
    out: list[str] = []
    for w in words[:3]:
        if w.lower() in stop or (out and _VERB.search(w)):
            break  # "стран находится", "people attended": the counted noun ends before the verb
        out.append(w)
        if _RU_HEAD.search(w):
            break  # "видов деревьев": a Russian noun is counted, the genitive after it says of what
    return " ".join(out[:2])


# A Russian genitive plural noun (not an adjective: "международных организаций" goes on to its noun).
_RU_HEAD = re.compile(r"[а-яё]{2,}(?:ов|ев|ёв|ей)$", re.IGNORECASE)


# Verb endings after the counted noun (the noun itself is a genitive plural in ru, a plural in en):
# ru present / past / reflexive (every past plural ends in -ли: приняли, достигли; no genitive plural does),
# en past, az present / past. Language data.
_VERB = re.compile(r"(?:ся|сь|ет|ит|ют|ят|ут|ала|ало|ила|ыла|ела|\w\wли|"
                   r"ed|ır|ir|ur|ür|ıb|ib|ub|üb|dı|di|du|dü)$", re.IGNORECASE)


@dataclass
class Candidate:
    kind: str
    text: str  # rendered in the asker's language
    sentence: Sentence  # where it was read
    span: tuple[int, int]  # within the sentence text
    score: float  # the sentence's score, plus noun agreement for counts or role agreement for people
    # How well the candidate agrees with what the question asks about: for people the cosine of the
    # question to the role phrase beside the name (rag.answer.persons); for counts the cosine of the
    # question's counted noun to the count's own noun; 0.0 when there is nothing to compare.
    agreement: float = 0.0


def _date_ok(kind: str, d: DateValue, question: str) -> bool:
    if kind == "period":
        return d.year2 is not None
    wants_year = bool(re.search(r"\b(year|году|года|il\w*)\b", question, re.IGNORECASE))
    return not (wants_year and d.year is None)


def extract(kind: str, question: str, lang: str, ranked: Sequence[Sentence], hits: Sequence[Hit],
            embed: EmbedTexts | None = None, top: int = 3) -> list[Candidate]:
    """Candidates of ``kind`` from the ``top`` best sentences, best first."""
    if kind == "yesno":  # only membership questions, only "yes" (rag.answer.membership)
        found = membership_yes(question, lang, ranked[:top])
        return [Candidate(kind, YES.get(lang, YES["en"]), found[0], found[1], found[0].score)] if found else []
    out: list[Candidate] = []
    asked = set(content_terms(question))
    noun = counted_noun(question)
    noun_vec = embed([noun])[0] if embed is not None and noun else None
    who_vec = embed([question_without_who(question)])[0] if embed is not None and kind == "person" else None
    lower = lower_stems(" ".join(h.chunk.text for h in hits)) if kind == "person" else set()
    for rank, s in enumerate(ranked[:top]):
        src_lang = hits[s.hit].chunk.lang
        base = s.score - 0.01 * rank
        if kind in ("date", "period"):
            for d in find_dates(s.text):
                if _date_ok(kind, d, question):
                    bonus = 0.01 * d.parts + (0.02 if d.is_period == (kind == "period") else 0.0)
                    out.append(Candidate(kind, render_date(d, lang), s, (d.start, d.end), base + bonus))
        elif kind in ("number", "ordinal"):
            counts = [c for c in find_counts(s.text, src_lang) if c.ordinal == (kind == "ordinal")]
            sims = _noun_similarity(counts, noun_vec, embed)
            for c, sim in zip(counts, sims, strict=True):
                out.append(Candidate(kind, render_count(c, lang), s,
                                     (c.start, c.end), base + 0.2 * sim, sim))
        elif kind == "person":
            out += _persons(s, base, asked, lang, src_lang, lower, who_vec, embed)
        elif kind in ("organisation", "place"):
            for n in find_names(s.text, src_lang):
                if n.start == 0 and len(n.surface.split()) == 1 and not n.acronym:
                    continue  # the sentence's first word is capitalised anyway
                stems = {latin_skeleton(w)[:5] for w in n.base.split()}
                if stems & asked:
                    continue  # the question's own name is not its answer
                if kind == "organisation" and not (n.acronym or len(n.base.split()) >= 2):
                    continue
                # A transliteration is shown with the name as the source spells it.
                out.append(Candidate(kind, _shown(n.base, lang, src_lang), s, (n.start, n.end), base))
    out.sort(key=lambda c: -c.score)
    return out


def _persons(s: Sentence, base: float, asked: set[str], lang: str, src_lang: str, lower: set[str],
             who_vec: np.ndarray | None, embed: EmbedTexts | None) -> list[Candidate]:
    """People named in ``s``, scored by how well the role beside each name matches the question."""
    found: list[tuple[int, int, str, str]] = []
    for n in find_names(s.text, src_lang):
        person = person_words(n, lower)
        if person is None or {latin_skeleton(w)[:5] for w in person[2].split()} & asked:
            continue  # not a person, or the question's own person
        found.append((*person, role_phrase(s.text, person[0], person[1])))
    roles = [0.0] * len(found)
    if found and embed is not None and who_vec is not None:
        roles = [float(x) for x in embed([role or name for _, _, name, role in found]) @ who_vec]
    return [Candidate("person", _shown(name, lang, src_lang), s, (a, b), base + ROLE_WEIGHT * role, role)
            for (a, b, name, _), role in zip(found, roles, strict=True)]


def role_matched(cands: list[Candidate], min_role: float) -> list[Candidate]:
    """The candidates that may answer: a person only when the role beside the name agrees with the
    question at least ``min_role`` (``Settings.typed_min_role``); other kinds as they are."""
    return [c for c in cands if c.kind != "person" or c.agreement >= min_role]


def _shown(base: str, lang: str, src_lang: str) -> str:
    shown = render_name(base, lang, src_lang)
    return f"{shown} ({base})" if _cyrillic(shown) != _cyrillic(base) else shown


def _cyrillic(text: str) -> bool:
    return bool(re.search(r"[А-Яа-яЁё]", text))


def _noun_similarity(counts: list[Count], noun_vec: np.ndarray | None, embed: EmbedTexts | None) -> list[float]:
    if not counts or noun_vec is None or embed is None:
        return [0.0] * len(counts)
    # No noun after the number ("interceptions with 24 and ..."): the words before it say what it counts.
    vecs = embed([c.noun or c.before or c.surface for c in counts])
    return [float(v @ noun_vec) for v in vecs]
