"""Fact first: cut the model's checked answer sentence down to the words that answer the question.

A small model answers "Какую проприетарную систему использует Sky+HD?" with the question turned into a
sentence: "Sky+HD использует proprietary OpenTV систему [1]." The fact is the part of the sentence that
the question did not already say. Classic extractive QA uses exactly that cue (an answer does not
repeat its question), and it needs no model: the words of the sentence are compared with the
question's by their Latin skeleton stem (``rag.text.translit.latin_skeleton``, the first five letters,
so case endings and the Cyrillic/Latin spellings of a name still match), and when the new content words
form one short stretch, that stretch is the answer: "OpenTV [1]."

This runs after verification, on a sentence whose citations already hold, and keeps them: the short
answer cites what the sentence cited. It declines to cut (returns None) where a sentence is the answer:
"why" and "how" questions, yes/no questions, a sentence that does not echo the question, or new words in
several places, or a stretch that would be most of the sentence anyway.

``unfound_names`` reads the same new words for another purpose: the names among them must occur in a
cited passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.name_spans import TOKEN, is_name
from rag.answer.terms import SKELETON_STOPWORDS
from rag.answer.verify import CITE_RE, WORD_RE, word_found
from rag.text.translit import latin_skeleton

_STEM = 5
# Question words and fillers of the three languages: never part of a fact (language data).
_FILLERS = {latin_skeleton(w) for w in """
    what which who whom whose where when why how many much name called according
    что какой какая какое какие каком какого какую каких кто кого кому кем где когда сколько почему зачем
    как называется зовут согласно является являются
    nə nəyi niyə necə hansı harada kim kimi kimdir neçə neçənci adı adlanır görə
    """.split()}  # noqa: SIM905
_STOP = SKELETON_STOPWORDS | _FILLERS
# Questions whose answer is a reason or a manner: the sentence is the answer (language data). "Как
# фамилия / имя / называется …", "necə adlanır" ask for a name, not a manner; "how often / how common /
# как часто / как долго" ask for a frequency or a measure ("every five years"), not a manner either.
_SENTENCE_QUESTIONS = re.compile(
    r"(^|\W)(why|how(?! (?:many|much|old|long|far|often|common|frequent|large|big|high|tall|wide|deep|soon)\b)|"
    r"in what way|почему|зачем|каким образом|"
    r"(?<!\w)как(?!\w)(?! называ| зовут| звали| (?:(?:его|её|ее|их) )?(?:фамили|имя|имени|названи|прозвищ)"
    r"| часто| долго| далеко| широко распростран)|"
    r"niyə|nə üçün|nəyə görə|necə(?! adlan))(\W|$)", re.IGNORECASE | re.UNICODE)
_ARTICLES = {"the"}
# A relative clause after a comma says more about the fact, it is not the fact: "Lothar de Maizière,
# который был потом …" -> "Lothar de Maizière" (language data).
_RELATIVE = re.compile(r",\s*(?:who|whom|whose|which|котор\w*|чей|чья|чьё|чьи|hansı ki|ki,)(?!\w)", re.IGNORECASE)
# So does a participle phrase after a name: "William E. Simon, appointed by President Nixon in 1973",
# "…, назначенный Никсоном" (an English past participle before a preposition, a Russian participle, both
# in lower case: "Дубай, Объединённые Арабские Эмираты" goes on naming). Only a name is cut there: in
# "… принцип, основанный на …" the participle's noun is no answer (language data).
_PARTICIPLE = re.compile(
    r",\s*(?:(?:[a-z]{3,}(?:ed|en)|born|known)\s+(?:by|in|at|as|to|for|from|on|with|under|after)"
    r"|[а-яё]{2,}(?:вш|ющ|ящ|ущ|ащ|нн)(?:ий|ый|ая|ое|ее|ие|ые|его|ого|ему|ому|им|ым|ую|юю)(?:ся|сь)?)(?!\w)")
# A sentence ends at a full stop, but not at an initial ("William E. Simon").
_SENTENCE_END = re.compile(r"(?<!\b[A-ZА-ЯЁ])[.!?…]\s")
_CLOSE = {"«": "»", "“": "”", '"': '"', "'": "'", "(": ")", "„": "“"}


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    key: str  # skeleton stem, or the digits of a number
    stop: bool  # a function word: may sit inside a stretch, never counts as content
    initial: bool = False  # "В." of "В. Гусейнов": counts as no content either, but is not trimmed off a name


# English inflections ("heads" / "headed" / "heading"): one stem, so "headed by" echoes "Who heads …?".
_EN_ENDING = re.compile(r"(?<=[a-z]{3})(?:ing|ed|es|s)$")
# Irregular English past forms and their base ("What did Lady Gaga sing?" is echoed by "sang"): language data.
# Not "found" (find), which is also the base of "founded".
_EN_IRREGULAR_TABLE = """
    be:was,were,been become:became begin:began,begun bring:brought build:built buy:bought catch:caught
    choose:chose,chosen come:came do:did,done draw:drew,drawn drive:drove,driven eat:ate,eaten fall:fell,fallen
    feel:felt fight:fought fly:flew,flown forget:forgot,forgotten get:got,gotten give:gave,given
    go:went,gone grow:grew,grown have:had hold:held keep:kept know:knew,known lead:led leave:left lose:lost
    make:made meet:met pay:paid ride:rode,ridden rise:rose,risen run:ran say:said see:saw,seen sell:sold
    send:sent shoot:shot sing:sang,sung sit:sat speak:spoke,spoken spend:spent stand:stood steal:stole,stolen
    strike:struck swim:swam,swum take:took,taken teach:taught tell:told think:thought throw:threw,thrown
    understand:understood wear:wore,worn win:won write:wrote,written"""
_EN_IRREGULAR = {form: entry.split(":")[0] for entry in _EN_IRREGULAR_TABLE.split()
                 for form in entry.split(":")[1].split(",")}


def _words(text: str) -> list[_Word]:
    """The words of ``text``. A single letter is a function word ("a", "в", "и"); an initial (a capital
    before a full stop: "В. Гусейнов", "William E. Simon") is marked, since it belongs to the name."""
    out = []
    for m in TOKEN.finditer(text):
        w = m.group()
        sk = latin_skeleton(w)
        base = _EN_IRREGULAR.get(w.lower(), w)
        key = sk if any(ch.isdigit() for ch in w) else latin_skeleton(_EN_ENDING.sub("", base))[:_STEM]
        initial = len(w) == 1 and w.isupper() and text[m.end():m.end() + 1] == "."
        out.append(_Word(m.start(), m.end(), key, sk in _STOP or (len(w) < 2 and not w.isdigit()), initial))
    return out


def _first_sentence(answer: str) -> tuple[str, str]:
    """The answer's first sentence without its citation markers, and the markers ("[1]", "[1][2]")."""
    m = re.search(r"\[\d{1,2}(?:\s*[,;]\s*\d{1,2})*\](?:\s*\[\d{1,2}\])*\s*[.!?…]?", answer)
    head = answer[: m.end()] if m else re.split(r"(?<=[.!?…])\s", answer.strip(), maxsplit=1)[0]
    marks = "".join(f"[{g}]" for g in CITE_RE.findall(head))
    return CITE_RE.sub(" ", head).strip(), marks


def _balanced(text: str, a: int, b: int) -> tuple[int, int]:
    """Widen [a, b) so that a quote or bracket opened inside it is closed (and the other way round)."""
    span = text[a:b]
    for op, cl in _CLOSE.items():
        if span.count(op) > span.count(cl) or (op == cl and span.count(op) % 2):
            j = text.find(cl, b)
            if j != -1:
                b = j + 1
        elif span.count(cl) > span.count(op) and op != cl:
            i = text.rfind(op, 0, a)
            if i != -1:
                a = i
    return a, b


def _core(run: Sequence[_Word], text: str) -> Sequence[_Word]:
    """A stretch without the function words at its ends (a name keeps its article: "the European
    Parliament")."""
    a, b = 0, len(run)
    while a < b and run[a].stop and not run[a].initial and not (
            a + 1 < b and run[a].key in _ARTICLES and not run[a + 1].stop and text[run[a + 1].start].isupper()):
        a += 1
    while b > a and run[b - 1].stop:
        b -= 1
    return run[a:b]


def _echoes(text: str, words: Sequence[_Word], asked: set[str]) -> list[bool]:
    """Which words repeat the question. A name (two or more capitalised words in a row) repeats it only
    as a whole: "Beynəlxalq Miqrasiya Təşkilatının" is new even if the question says "təşkil edib", and
    "Northumbria University" even if it asks "какой университет"."""
    out = [not w.stop and w.key in asked for w in words]
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and text[words[j].start].isupper() and not words[j].stop:
            j += 1
        if j - i >= 2 and not all(out[i:j]):
            out[i:j] = [False] * (j - i)
        i = max(j, i + 1)
    return out


@lru_cache(maxsize=16)
def _read(answer: str, question: str) -> tuple[str, str, tuple[_Word, ...], tuple[bool, ...]]:
    """The answer's first sentence, its citation markers, its words and which of them echo the question.
    Cached: the answer stage asks both ``unfound_names`` and ``fact_first`` about the same answer."""
    sentence, marks = _first_sentence(answer)
    words = _words(sentence)
    return sentence, marks, tuple(words), tuple(_echoes(sentence, words, {w.key for w in _words(question)}))


def fact_first(answer: str, question: str, kind: str = "", *, max_share: float = 0.75,
               max_words: int = 6) -> str | None:
    """The short form of a checked answer ("OpenTV [1]."), or None where the sentence should stay.

    ``kind`` is ``rag.answer.candidates.question_kind``'s reading of the question; yes/no questions keep
    their sentence. ``max_share``: a stretch holding more than this share of the sentence's content
    words is not worth cutting to. A relative clause after the fact ("…, who played for …") is left out
    first when the words before it still say something new.
    """
    if kind == "yesno" or _SENTENCE_QUESTIONS.search(question.lower()):
        return None
    sentence, marks = _first_sentence(answer)
    named = _named(sentence, kind, question)
    if marks and named:
        return f"{named} {marks}."  # "William E. Simon, appointed by President Nixon in 1973" -> the name
    head = _RELATIVE.split(sentence, maxsplit=1)[0]
    one = marks and head != sentence and not _SENTENCE_END.search(head)  # the head is one sentence
    short = _cut(f"{head} {marks}.", question, max_share, max_words) if one else None
    short = short if short is not None else _cut(answer, question, max_share, max_words)
    named = _named(first_sentence(short), kind, question) if short else None  # "… was William E. Simon, appointed …"
    return f"{named} {marks}." if named else short


def _named(text: str, kind: str, question: str) -> str | None:
    """The name a clause about it follows ("William E. Simon" in "William E. Simon, appointed by …"), for
    a question asking for a name; None otherwise."""
    named = _PARTICIPLE.split(_RELATIVE.split(text, maxsplit=1)[0], maxsplit=1)[0].strip()
    ok = kind in ("person", "organisation", "place") and named != text.strip() and is_name(named)
    return named if ok and not _SENTENCE_END.search(named) and not repeats_question(named, question) else None


def _cut(answer: str, question: str, max_share: float, max_words: int) -> str | None:
    sentence, marks, words, echo = _read(answer, question)
    if not marks:
        return None
    n_content = sum(not w.stop for w in words)
    runs: list[list[_Word]] = [[]]
    for w, is_echo in zip(words, echo, strict=True):
        if is_echo:
            runs.append([])
        else:
            runs[-1].append(w)
    cores = [c for c in (_core(r, sentence) for r in runs) if any(not x.stop for x in c)]
    if len(cores) != 1 or not any(echo):
        return None  # nothing new, nothing echoed, or new words in several places: keep the sentence
    best = cores[0]
    n_best = sum(not x.stop for x in best)
    if n_best > max_words or n_best > max_share * n_content:
        return None
    a, b = _balanced(sentence, best[0].start, best[-1].end)
    body = _RELATIVE.split(sentence[a:b], maxsplit=1)[0].strip(" ,;:—–-")
    if not body:
        return None
    if body[0].islower():
        body = body[0].upper() + body[1:]
    return f"{body} {marks}."


def _english_sounds(word: str) -> str:
    """An English spelling respelled as transliteration writes its sounds (Arctic ~ Арктика, Thomas ~
    Томас); ``latin_skeleton`` reads Latin letters the Azerbaijani way, where c is "dzh"."""
    w = word.lower()
    for a, b in (("th", "t"), ("ph", "f"), ("ck", "k"), ("ce", "se"), ("ci", "si"), ("c", "k"), ("q", "k"),
                 ("w", "v"), ("x", "ks")):
        w = w.replace(a, b)
    return w


def unfound_names(answer: str, question: str, passages: list[str]) -> list[str] | None:
    """The names the answer adds to the question (capitalised words inside a sentence, numbers), when
    *none* of them occurs in any of the cited ``passages``; None when at least one does, or there are none.

    Verification accepts a sentence whose meaning is close to its passage, and a sentence that repeats
    the question is close to the passage the question was about: "The second Forum will be held in Moscow
    [1]" passed against a passage that names no city. What the answer adds must be found there. Only
    "none found" counts, since a translated name ("Georgia" for "Gürcüstan") is missed by spelling.
    """
    sentence, _, words, echo = _read(answer, question)

    def named(i: int) -> bool:  # a capital inside the sentence, or at its start when a name goes on
        w = words[i]
        nxt = i + 1 < len(words) and sentence[words[i + 1].start].isupper()
        return any(ch.isdigit() for ch in sentence[w.start:w.end]) or (
            sentence[w.start].isupper() and (w.start > 0 or nxt))

    added = [sentence[w.start:w.end] for i, (w, repeated) in enumerate(zip(words, echo, strict=True))
             if not repeated and not w.stop and named(i)]
    if not added:
        return None
    folded = [latin_skeleton(w) for p in passages for w in WORD_RE.findall(p)]
    digits = set(re.findall(r"\d+", " ".join(passages)))
    for name in added:
        numbers = re.findall(r"\d+", name)
        spellings = (name, _english_sounds(name))
        if (numbers and set(numbers) <= digits) or (not numbers and any(word_found(v, folded) for v in spellings)):
            return None
    return added


def first_sentence(answer: str) -> str:
    """The answer's first sentence, its citation markers removed."""
    return _first_sentence(answer)[0]


def content_words(answer: str) -> int:
    """How many content words the answer's text holds (citation markers and function words not counted)."""
    return sum(not w.stop for w in _words(CITE_RE.sub(" ", answer)))


def asks_for_sentence(question: str) -> bool:
    """A *why* / *how* question: its answer is a reason or a manner, never a bare name."""
    return bool(_SENTENCE_QUESTIONS.search(question.lower()))


def restates_question(answer: str, question: str) -> bool:
    """The answer writes the whole question out again, word for word (case, punctuation and citation
    markers aside): the model is rewriting the question ("Ваше предложение содержит несколько ошибок.
    Вот исправленное: Кто выступил …?" was seen in the chat), not answering it, and whatever follows
    is no reading of the passages. Questions under four words are too short to tell."""
    asked = [w.lower() for w in WORD_RE.findall(question)]
    if len(asked) < 4:
        return False
    said = [w.lower() for w in WORD_RE.findall(CITE_RE.sub(" ", answer))]
    return any(said[i:i + len(asked)] == asked for i in range(len(said) - len(asked) + 1))


def repeats_question(phrase: str, question: str) -> bool:
    """Every content word of ``phrase`` is already in the question (across scripts): "Norman Kantor"
    for "What was Norman Cantor's theory?" answers nothing."""
    words = [w for w in _words(phrase) if not w.stop]
    asked = {w.key for w in _words(question)} | {w.key for w in _words(_english_sounds(question))}
    return bool(words) and all(w.key in asked for w in words)
