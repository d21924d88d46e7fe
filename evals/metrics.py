"""Model-free metrics on normalised text: answer match, token F1, list recall, abstention, polarity,
answer language, retrieval rank and citation support.

A date scorer that is too lenient hides the failure this product is most prone to (the small LLM
turning "mayın 5-8-də" into "5-8 December"), so every lenient rule below is bounded: numbers must be
equal as numbers, month tokens must be the same month, and the numbers/months of a date must sit close
together in the prediction.

Everything here is pure (no model, no I/O) except ``answer_language``, which calls the product's own
language detector so that "answered in the question's language" is judged the way the product judges it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from evals.normalise import AZ_SPECIFIC, DATE_CONNECTORS, Token, skeleton_match, strip_citations, tokenize
from rag.answer.language import ABSTAIN
from rag.answer.language import is_abstention as _rag_is_abstention
from rag.text.fold import fold_diacritics, has_cyrillic, lower_any
from rag.text.numbers import NUMBER_WORDS

# --------------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _stem_number(stem: str) -> str | None:
    """The value of a number-word stem such as "трет" or "тринадцат" (gold answers use stems so that any
    Russian case form matches), when every number word starting with it has that one value."""
    if len(stem) < 4:
        return None
    values = {v for w, v in NUMBER_WORDS.items() if w.startswith(stem)}
    return str(values.pop()) if len(values) == 1 else None


def _token_match(g: Token, p: Token) -> bool:
    if g.canon is not None and p.canon is not None:
        return g.canon == p.canon
    if g.canon is None and p.is_number and _stem_number(g.folded) == p.canon:
        return True
    if g.is_number or g.folded.isdigit():
        return False  # a number matches only an equal number, never a word that starts with it
    if g.folded == p.folded:
        return True
    # Stems: gold "Гусейнов" matches "Гусейновым", "трет" matches "третьей" (languages that inflect).
    if len(g.folded) >= 4 and g.folded.isalpha() and p.folded.startswith(g.folded):
        return True
    return skeleton_match(g, p)


def _sequence_match(gold: Sequence[Token], pred: Sequence[Token]) -> bool:
    n = len(gold)
    return any(all(_token_match(gold[j], pred[i + j]) for j in range(n)) for i in range(len(pred) - n + 1))


def _date_parts(gold: Sequence[Token]) -> Counter[str] | None:
    """The numbers and months of a gold that is only a date or number (plus connector words), else None."""
    parts: Counter[str] = Counter()
    for t in gold:
        if t.canon is not None:
            parts[t.canon] += 1
        elif t.folded not in DATE_CONNECTORS and t.surface not in DATE_CONNECTORS:
            return None
    return parts or None


def _date_match(parts: Counter[str], pred: Sequence[Token]) -> bool:
    """Every number and month of the gold inside a short window of the prediction, in any order."""
    width = sum(parts.values()) + 3
    keys = [t.canon for t in pred]
    for start in range(len(keys)):
        window: Counter[str] = Counter()
        for k in keys[start:start + width]:
            if k is not None:
                window[k] += 1
                if not parts - window:
                    return True
    return False


def answer_matches(prediction: str, gold: str) -> bool:
    """True when ``gold`` (one acceptable surface form) occurs in ``prediction`` after normalisation.

    Either as a token sequence (with stem prefixes and cross-script names), or, for a gold that is only
    numbers/months ("5-8 May", "2022", "12th of October"), when its numbers and months occur together,
    in any order, within a few tokens of the prediction.
    """
    g = tokenize(gold)
    if not g:
        return False
    p = tokenize(prediction)
    if _sequence_match(g, p):
        return True
    parts = _date_parts(g)
    return parts is not None and _date_match(parts, p)


def accuracy(prediction: str, answers: Iterable[str]) -> bool:
    """Lenient exact match: any acceptable answer occurs in the prediction."""
    return any(answer_matches(prediction, a) for a in answers)


# The SQuAD v1.1 evaluation script (which XQuAD and MLQA reuse) drops the English articles before counting
# tokens: "The Arctic" is the gold "Arctic" exactly.
_F1_DROPPED = frozenset({"a", "an", "the"})


def _f1_tokens(text: str) -> list[str]:
    return [t.key for t in tokenize(text) if t.key not in _F1_DROPPED]


def token_f1(prediction: str, answers: Iterable[str]) -> float:
    """SQuAD bag-of-tokens F1 on normalised tokens without articles, best over the acceptable answers."""
    pred = _f1_tokens(prediction)
    best = 0.0
    for answer in answers:
        gold = _f1_tokens(answer)
        common = sum((Counter(pred) & Counter(gold)).values())
        if not pred or not gold or not common:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def list_recall(prediction: str, groups: Sequence[Sequence[str]]) -> float:
    """Share of expected list items (each a group of acceptable forms) found in the prediction."""
    if not groups:
        return 0.0
    return sum(accuracy(prediction, g) for g in groups) / len(groups)


# --------------------------------------------------------------------------------------------------
# Abstention, polarity, language
# --------------------------------------------------------------------------------------------------

# Declining phrases beyond the product's own markers (rag.answer.language.ABSTAIN_MARKERS), ASCII-folded.
_ABSTAIN_PHRASES = (
    "do not say", "does not say", "don't say", "doesn't say", "do not mention", "does not mention",
    "not mentioned", "not stated", "not specified", "no information", "not provided", "cannot answer",
    "can't answer", "unable to answer", "do not contain", "does not contain", "don't contain",
    "i don't know", "i do not know", "not enough information", "no relevant information",
    "не сказано", "не говорится", "не указано", "не упоминается", "не содержится", "не сообщается",
    "не приводится", "нет информации", "информации нет", "нет данных", "данных нет", "сведений нет",
    "нет сведений", "не могу ответить",
    "melumat yoxdur", "melumat verilmir", "melumat verilmeyib", "qeyd olunmayib", "qeyd edilmeyib",
    "qeyd olunmur", "qeyd edilmir", "bildirilmir", "gosterilmir", "gosterilmeyib", "melumat tapilmadi",
    "cavab vere bilmerem",
)
_POLARITY_LEAD_RE = re.compile(r"^\s*(yes|no|да|нет|bəli|xeyr|yox|hə)\s*[,:;\-–—]\s*\S", re.IGNORECASE)
_ABSTAIN_MAX_CHARS = 120


def _plain(text: str) -> str:
    return " ".join(fold_diacritics(lower_any(strip_citations(text))).split())


def is_abstention(text: str) -> bool:
    """Does the answer decline ("The documents do not say.", "В документах об этом не сказано.",
    "Sənədlərdə bu məlumat yoxdur", "Информации нет")?

    A decline phrase counts only in a short answer or at its start, so "Russia is not mentioned among the
    members, so no" style answers to yes/no questions are not mistaken for declines when they lead with
    the polarity word.
    """
    plain = _plain(text).strip(" .!")
    if not plain:
        return True
    if any(_plain(m).strip(" .!") in plain for m in ABSTAIN.values()):
        return True
    if _POLARITY_LEAD_RE.match(strip_citations(text)):
        return False
    if _rag_is_abstention(strip_citations(text)):
        return True
    return any(plain.startswith(p) or (p in plain and len(plain) < _ABSTAIN_MAX_CHARS) for p in _ABSTAIN_PHRASES)


_YES = {"yes", "yeah", "bəli", "hə", "да", "ага", "evet"}
_NO = {"no", "nope", "xeyr", "yox", "нет", "неа"}
_NEGATIONS = {"not", "no", "never", "none", "neither", "nor", "isn", "wasn", "aren", "weren", "doesn", "didn",
              "don", "hasn", "haven", "не", "нет", "ни", "deyil", "yox", "yoxdur", "xeyr"}
_AZ_NEG_VERB_RE = re.compile(r"(m[əa]y[ıi]b|m[ıiuü]r|m[əa]d[ıi]|m[əa]z|m[əa]y[əa]c[əa]k)(?:d[ıiuü]r)?$")


def polarity(text: str) -> str | None:
    """"yes" / "no" for an answer to a yes/no question: its first word, else negation in its first
    sentence, else "yes". None for a decline. (Substring matching of "да" would hit "когда".)"""
    if is_abstention(text):
        return None
    first = re.split(r"[.!?\n]", strip_citations(text).strip(), maxsplit=1)[0]
    words = [lower_any(w) for w in re.findall(r"[^\W\d_]+", first)]
    if not words:
        return None
    if words[0] in _YES:
        return "yes"
    if words[0] in _NO:
        return "no"
    if any(w in _NEGATIONS for w in words):
        return "no"
    if any(_AZ_NEG_VERB_RE.search(w) for w in words if AZ_SPECIFIC & set(w) or w.endswith(("mir", "mır"))):
        return "no"
    return "yes"


_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


# "(Марли Мэтлин)", "(Vüsal Hüseynov)": a bracket holding only words that start with a capital.
_BRACKET = re.compile(r"\(([^()]*)\)")


def _without_bracketed_names(text: str) -> str:
    def drop(m: re.Match[str]) -> str:
        words = m.group(1).split()
        return " " if words and all(w[:1].isupper() for w in words) else m.group()
    return _BRACKET.sub(drop, text)


def answer_language(text: str) -> str:
    """Language of an answer, or "unknown" when it is only numbers, names or too short to tell.

    Latin words written with a capital (names, acronyms, sentence starts) are left out: a Russian answer
    naming "Vusal Huseynov" is still Russian. So is a name's source spelling in brackets, in either
    script: the product writes a transliterated name as "Marli Metlin (Марли Мэтлин)", and that English
    answer is English. A single remaining word is judged by script only.
    """
    from rag.langid import detect_language

    words = _WORD_RE.findall(_without_bracketed_names(strip_citations(text)))
    kept = [w for w in words if has_cyrillic(w) or not w[0].isupper()]
    if not kept:
        return "unknown"
    if len(kept) < 2:
        word = lower_any(kept[0])
        if has_cyrillic(word):
            return "ru"
        return "az" if set("əğıöüşç") & set(word) else "unknown"  # in our closed set, only az has them
    return detect_language(" ".join(kept))


def language_ok(text: str, expected: str) -> bool:
    """Answered in the expected language, or the answer is too short/name-only to tell (benefit of doubt)."""
    return answer_language(text) in (expected, "unknown")


# --------------------------------------------------------------------------------------------------
# Retrieval and citations
# --------------------------------------------------------------------------------------------------


def first_relevant_rank(passages: Sequence[Mapping[str, Any]], gold_sources: Iterable[str]) -> int | None:
    """1-based rank of the first retrieved passage whose source is a gold source, None if there is none."""
    gold = set(gold_sources)
    for rank, passage in enumerate(passages, 1):
        if passage.get("source") in gold:
            return rank
    return None


def recall_at(rank: int | None, k: int) -> float:
    """Hit rate at k: 1 when any gold source is among the first k passages. (With one gold source per
    question, as in our datasets, this is recall@k.)"""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def citation_supports(citation: Mapping[str, Any], gold_sources: Iterable[str], answers: Iterable[str]) -> bool:
    """A citation supports the answer when it points into a gold source, or its passage/quote contains a
    gold answer (the same fact may be stated in a document the dataset author did not list)."""
    if citation.get("source") in set(gold_sources):
        return True
    texts = [str(citation.get("quote") or ""), str(citation.get("text") or "")]
    return any(t and accuracy(t, answers) for t in texts)
