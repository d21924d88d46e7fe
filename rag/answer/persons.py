"""Who a sentence names, and by which role: the person who answers "who is X?" is the one introduced as X.

News in all three languages introduces people by apposition: "BMT-nin Azərbaycandakı müvəqqəti
rezident-əlaqələndiricisi İqor Qarafuliç", "постоянный представитель … при ООН Яшар Алиев", "Vusal
Huseynov, Chief of State Migration Service". The role words next to a name say who the person is, and a
"who" question asks for the name by exactly such words. The LLM cannot read the Azerbaijani role; the
embedder can compare it with the question in any of the three languages. So a name is scored by the
cosine between the question (its who-word removed) and the role phrase beside the name: the words
before it back to the nearest comma, conjunction or bracket, or, when there are none, the words after
"Name, …". Measured on the dev half with ``bench/typed_answers.py`` (docs/answering.md).

Capitalised runs are not all people. Runs holding an institution word ("Dövlət Miqrasiya Xidməti",
"Генеральной Ассамблеи") or an acronym with a case ending ("BMT-nin") are organisations; a capitalised
word that the same text also writes in lower case ("Miqrasiya" in "İqor Qarafuliç Miqrasiya üzrə …",
where "miqrasiya" occurs elsewhere) is a common noun, never part of a name. Language data only.
"""

from __future__ import annotations

import re

from rag.text.names import Name
from rag.text.translit import latin_skeleton

# Institution words of the three languages (the first five letters of their Latin skeleton).
_INSTITUTION = frozenset(latin_skeleton(w)[:5] for w in """
    xidmət təşkilat assambleya pakt proses forum komissar nazirlik şəbəkə respublika agentlik ofis
    nümayəndəlik qrup inkişaf birləşmiş millətlər dövlət hökumət şura komitə mərkəz universitet
    служба организация ассамблея пакт процесс форум комиссар министерство сеть республика агентство офис
    представительство группа развитие объединенные нации государственная правительство совет комитет центр
    service organization organisation assembly compact process forum commissioner ministry network
    republic agency office group development united nations state government council committee centre center
    """.split())  # noqa: SIM905
# Titles and role words that lead a capitalised run before the name ("Rezident Koordinatoru Qulam
# İshaqzai", "Subregional Koordinatoru Zeynal Hacıyev"), and the Azerbaijani place adjective ending
# ("Azərbaycandakı"): never part of a name.
_ROLE_WORDS = frozenset(latin_skeleton(w)[:5] for w in """
    koordinator rezident rəis rəhbər sədr nümayəndə müşavir nazir prezident direktor katib səfir cənab xanım
    subregional regional baş
    координатор резидент руководитель председатель представитель советник министр президент директор
    секретарь посол господин госпожа начальник глава
    coordinator resident chief head chair representative adviser advisor minister president director
    secretary ambassador mr mrs ms dr
    """.split())  # noqa: SIM905
_PLACE_ADJECTIVE = ("dakı", "dəki", "takı", "təki")
_ACRONYM_CASE = re.compile(r"^[A-ZƏİĞŞÇÖÜА-ЯЁ]{2,}[a-zə]{0,2}[A-ZƏİĞŞÇÖÜА-ЯЁ]*[-'’]")
# Where a role phrase ends: punctuation, brackets, quotes, and the conjunctions "and" / "with" / "but".
_BOUNDARY = re.compile(r"[,;:()«»\"“”]|\s(?:və|и|and|ilə|с|а)\s")
_ABBREVIATION = re.compile(r"\(\S{1,12}\)")
_WHO = re.compile(r"(?<!\w)(who|whom|whose|кто|кого|кому|кем|чей|чья|kim|kimə|kimin|kimlər|kimdir)(?!\w)",
                  re.IGNORECASE)


def question_without_who(question: str) -> str:
    """The question with its who-word removed: what it says about the person."""
    return _WHO.sub(" ", question).strip()


def lower_stems(text: str) -> set[str]:
    """First six letters of every word ``text`` writes in lower case: its common nouns."""
    return {w[:6] for w in re.findall(r"[^\W\d_]+", text) if w[:1].islower()}


def person_words(name: Name, lower: set[str]) -> tuple[int, int, str] | None:
    """The span and base of the person's name inside ``name``, or None when it is not a person.

    Trims leading and trailing words found in ``lower`` (``lower_stems`` of the passages: common
    nouns), leading role words, place adjectives and acronyms with a case ending; then requires two to
    four words, no institution word and no acronym with a case ending."""
    if name.acronym:
        return None
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", name.surface)]
    bases = name.base.split()
    if len(bases) != len(spans):
        return None
    words = list(zip(spans, bases, strict=True))
    while words and words[-1][1].lower()[:6] in lower:
        words.pop()
    while words and (words[0][1].lower()[:6] in lower or latin_skeleton(words[0][1])[:5] in _ROLE_WORDS
                     or words[0][1].lower().endswith(_PLACE_ADJECTIVE) or _ACRONYM_CASE.match(words[0][1])):
        words.pop(0)
    if len(words) < 2 or len(words) > 4:
        return None
    if any(_ACRONYM_CASE.match(b) or latin_skeleton(b)[:5] in _INSTITUTION for _, b in words):
        return None
    start, end = words[0][0][0], words[-1][0][1]
    return name.start + start, name.start + end, " ".join(b for _, b in words)


def role_phrase(text: str, start: int, end: int) -> str:
    """The words that say who the person at ``text[start:end]`` is (see the module docstring)."""
    after = text[end:]
    if after.startswith(","):  # "Vusal Huseynov, Chief of …" / "Вусал Гусейнов, начальник …"
        m = _BOUNDARY.search(after, 1)
        follows = after[1 : m.start() if m else 81].strip()
        first = (follows.split() or [""])[0]
        if latin_skeleton(first)[:5] in _ROLE_WORDS or first.lower() in ("the", "a", "an"):
            return follows
    # A short bracketed acronym belongs to the role ("начальником … службы Азербайджана (ГМС) Вусалом
    # Гусейновым"): blanked out, so that its brackets do not end the role.
    before = _ABBREVIATION.sub(lambda m: " " * len(m.group()), text[:start])
    cut = max((m.end() for m in _BOUNDARY.finditer(before)), default=0)
    return " ".join(before[cut:].split())
