"""Check that every [n] in an answer names a given passage that really supports the cited sentence.

Support is judged across languages and scripts: numbers must all appear in the passage (a changed
year or date is the commonest small-model error; a number the passage spells out, "Seventy percent",
"тридцать семь", counts as its digits), names are compared after transliteration to one
Latin alphabet (Вусал Гусейнов ~ Vusal Huseynov ~ Vüsal Hüseynov), and, where lexical evidence is thin
(a translated paraphrase), the multilingual embedder's similarity decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from rag.text.counts import find_counts
from rag.text.months import MONTHS
from rag.text.sentences import sentence_window, split_sentences
from rag.text.translit import latin_skeleton
from rag.types import Citation, Hit

Similarity = Callable[[str, Sequence[str]], list[float]]

CITE_RE = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
NUM_RE = re.compile(r"\d+")
WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
def numbers(text: str) -> set[str]:
    return {n.lstrip("0") or "0" for n in NUM_RE.findall(text)}


def _month_numbers(text: str) -> set[str]:
    """Month names in any of the three languages count as their number, so '5 May' ~ '05.05'."""
    lowered = text.lower()
    found = set()
    for names in MONTHS.values():
        for i, name in enumerate(names):
            stem = name.lower()[:3]
            if re.search(rf"\b{re.escape(stem)}", lowered):
                found.add(str(i + 1))
    return found


def passage_numbers(text: str, lang: str = "unknown") -> set[str]:
    """The numbers a passage gives: its digits, its month names as their numbers ("5 May" ~ "05.05") and
    the numbers it spells out in words ("Seventy percent" ~ "70%", "iyirmi beş" ~ "25")."""
    spelled = {str(int(c.value)) for c in find_counts(text, lang)
               if not c.surface[:1].isdigit() and c.value == int(c.value)}
    return numbers(text) | _month_numbers(text) | spelled


def key_words(text: str) -> list[str]:
    """Names and other capitalised or long words: what an answer must share with its source."""
    out = []
    for i, m in enumerate(WORD_RE.finditer(text)):
        w = m.group()
        if len(w) >= 4 and ((w[0].isupper() and i > 0) or len(w) >= 7):
            out.append(w)
    return out


def word_found(word: str, passage_folded: list[str]) -> bool:
    """``word`` occurs among a passage's ``latin_skeleton`` words, case endings and spelling variants allowed."""
    fw = latin_skeleton(word)
    stem = fw[: max(4, len(fw) - 3)]  # tolerate case endings: Гусейновым ~ Hüseynov
    for pw in passage_folded:
        if pw.startswith(stem) or SequenceMatcher(None, fw, pw[: len(fw) + 2]).ratio() >= 0.8:
            return True
    return False


@dataclass
class Support:
    score: float
    start: int  # span of the best supporting sentence within the passage text
    end: int


def support(claim: str, passage: str, similarity: Similarity | None = None, date: str | None = None,
            lang: str = "unknown") -> Support:
    """How well ``passage`` supports ``claim`` (0..1), and where.

    Judged per sentence window (a sentence and its neighbours), not over the whole passage: a passage
    that mentions "31 May 2021" in one sentence and a "Forum" in another must not support "the Forum
    is on 31 May 2021". Within a window, every number of the claim must appear; then support is the
    larger of the share of the claim's names found there and the embedder's similarity.
    """
    spans = split_sentences(passage, lang) or [(0, len(passage))]
    # The passage's date is shown to the model with it, so "5-8 May 2026" may take its year from there.
    claim_nums = numbers(claim) - numbers(date or "")
    words = key_words(claim)
    if not words and not claim_nums and len(WORD_RE.findall(claim)) < 3:
        return Support(0.0, *spans[0])  # "The", "Yes": nothing that a passage could confirm
    windows = []
    for i, (s, e) in enumerate(spans):
        text = passage[slice(*sentence_window(spans, i))]
        # Reading a passage's numbers (number words too) is the costly part: only for a claim that has any.
        if claim_nums and claim_nums - passage_numbers(text, lang):
            continue  # a number the window does not contain: this window cannot support the claim
        folded = [latin_skeleton(w) for w in WORD_RE.findall(text)]
        lexical = sum(word_found(w, folded) for w in words) / len(words) if words else 0.0
        # prefer the sentence itself
        strength = len(claim_nums & passage_numbers(passage[s:e], lang)) if claim_nums else 0
        windows.append((lexical, strength, i))
    if not windows:
        return Support(0.0, *spans[0])
    sims = similarity(claim, [passage[s:e] for s, e in spans]) if similarity is not None else None
    best_score, best_i = -1.0, windows[0][2]
    for lexical, strength, i in windows:
        sim = max(sims[j] for j in range(max(0, i - 1), min(len(spans), i + 2))) if sims else 0.0
        score = max(lexical, float(sim)) + 0.001 * strength
        if score > best_score:
            best_score, best_i = score, i
    return Support(round(min(1.0, best_score), 3), *spans[best_i])


def cited_numbers(text: str) -> list[int]:
    """The passage numbers of every [n] / [n, m] marker in ``text``, in order."""
    return [int(x) for group in CITE_RE.findall(text) for x in re.split(r"[,;]", group)]


def without_markers(text: str) -> str:
    """``text`` with its [n] markers removed and no space left before punctuation: the claim itself."""
    return re.sub(r"\s+([.,;:!?…])", r"\1", CITE_RE.sub("", text)).strip()


def split_claims(answer: str) -> list[tuple[str, list[int]]]:
    """Sentences of the answer with the passage numbers each cites."""
    out = []
    for start, end in split_sentences(answer, "unknown"):
        sent = answer[start:end]
        cited = cited_numbers(sent)
        claim = without_markers(sent)
        if claim or cited:
            out.append((claim, cited))
    # A trailing "[1]" on its own belongs to the sentence before it.
    merged: list[tuple[str, list[int]]] = []
    for claim, cited in out:
        if not claim and merged:
            merged[-1] = (merged[-1][0], merged[-1][1] + cited)
        else:
            merged.append((claim, cited))
    return merged


@dataclass
class Verification:
    citations: list[Citation]
    answer: str  # with unsupported markers removed and numbers renumbered to the kept citations
    dropped: list[str]  # human-readable reasons, for warnings


def verify(
    answer: str,
    passages: Sequence[Hit],
    *,
    threshold: float,
    similarity: Similarity | None = None,
    question: str = "",
) -> Verification:
    """Keep citations whose passage supports the sentence; attribute uncited claims when evidence is clear.

    A sentence that no passage supports is left out once a supported one has been said: the answer
    comes first, and what the model adds after it unbacked ("This information is found in passage.",
    a guess about what happened next) is not shown as part of a checked answer. Sentences before the
    first supported one stay (a leading "Yes."); if none is supported the caller declines anyway."""
    kept: dict[int, Citation] = {}
    dropped: list[str] = []
    rebuilt: list[str] = []
    asked = {latin_skeleton(w) for w in WORD_RE.findall(question)}
    for claim, cited in split_claims(answer):
        marks: list[int] = []
        if asked and _echoes(claim, asked):
            dropped.append(f"only repeats the question: {claim[:80]}")
            if not kept:
                rebuilt.append(claim)
            continue
        for n in dict.fromkeys(cited):
            if not 1 <= n <= len(passages):
                dropped.append(f"[{n}] names no passage (only {len(passages)} were given)")
                continue
            chunk = passages[n - 1].chunk
            sup = support(claim, chunk.text, similarity, chunk.date, chunk.lang)
            if sup.score < threshold:
                dropped.append(f"[{n}] does not support: {claim[:80]}")
                continue
            marks.append(n)
            if n not in kept or kept[n].support < sup.score:
                kept[n] = _citation(n, passages[n - 1], sup)
        if not marks and passages and claim:
            # The model forgot (or got wrong) the citation: attribute to the passage that supports it best.
            scored = [(support(claim, h.chunk.text, similarity, h.chunk.date, h.chunk.lang), i + 1)
                      for i, h in enumerate(passages)]
            sup, n = max(scored, key=lambda t: t[0].score)
            if sup.score >= threshold:
                marks.append(n)
                kept.setdefault(n, _citation(n, passages[n - 1], sup))
        if not marks and kept:
            dropped.append(f"left out after the supported answer, no passage supports it: {claim[:80]}")
            continue
        rebuilt.append(_with_markers(claim, marks))
    return Verification(sorted(kept.values(), key=lambda c: c.n), " ".join(r for r in rebuilt if r), dropped)


# Yes/no words of the three languages as latin_skeleton() spells them (yes -> "ies", да -> "da", yox -> "ioh").
POLARITY = {"ies", "no", "da", "net", "beli", "heir", "ioh", "he"}


def _echoes(claim: str, asked: set[str]) -> bool:
    """A claim made only of the question's own words answers nothing ("Where was it held? It was held [1].").

    Words are compared by their first five folded letters, so an inflected echo still counts as one;
    a single new word of four or more letters (the name that answers "who") makes it an answer, not
    an echo, however much of the question it repeats."""
    asked_stems = {w[:5] for w in asked}
    words = [latin_skeleton(w) for w in WORD_RE.findall(claim)]
    if words and words[0] in POLARITY:
        return False  # "Yes, Pakistan takes part in the Almaty Process" answers a yes/no question
    new = [w for w in words if w[:5] not in asked_stems and len(w) >= 4]
    return bool(words) and not new and not numbers(claim)


def _with_markers(claim: str, marks: list[int]) -> str:
    """Put the kept markers before the sentence's final punctuation: "It is May [1]." """
    body = claim.rstrip()
    end = ""
    while body and body[-1] in ".!?…":
        end = body[-1] + end
        body = body[:-1]
    markers = "".join(f"[{n}]" for n in marks)
    return f"{body.rstrip()} {markers}{end}".strip() if markers else f"{body}{end}"


def _citation(n: int, hit: Hit, sup: Support) -> Citation:
    c = hit.chunk
    return Citation(
        n=n,
        source=c.source,
        chunk_id=c.id,
        text=c.text,
        start=c.start + sup.start,
        end=c.start + sup.end,
        quote=c.text[sup.start : sup.end].strip(),
        verified=True,
        support=round(sup.score, 3),
    )
