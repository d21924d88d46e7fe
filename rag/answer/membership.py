"""Yes/no questions about membership, answered by rules: "Is Pakistan one of the countries taking part in
the Almaty Process?" → "Yes [1]." when an evidence sentence about the process names Pakistan.

A membership question asks whether something it names (Pakistan, Türkmənistan, Италия) is among, part
of or taking part in something else. The embedder has already ranked the sentences about that
something (the list of participants, in any language); the rules only look for the asked-about word
in them, by the script-neutral skeleton of ``rag.text.translit.latin_skeleton`` (Италия ~ İtaliya), so
the LLM, which cannot read an Azerbaijani list, is not needed. Only *yes* is read this way: a name
missing from the best sentences is no evidence for *no* (the list may be elsewhere), so such a
question goes on to the LLM as before, and so does a sentence with a negation in it.

Which word is asked about is word order, language data: a Russian or English yes/no question starts
with its verb ("Входит ли Италия …", "Is Pakistan …"), an Azerbaijani one with its subject
("Türkmənistan Almatı Prosesinin iştirakçısıdırmı?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answer.evidence import Sentence
from rag.text.translit import latin_skeleton

# "one of", "member", "take part", "входит", "участвует", "в числе", "iştirakçı", "üzv", "biri" (language data).
_MEMBERSHIP = re.compile(
    r"(one of|member|part of|take part|taking part|took part|participat|includ|among|"
    r"входит|входят|входил|входила|участв|член|в числе|одн(?:ой|им|а|у|их) из|"
    r"iştirak|üzv|daxil|biri(?:dir)?)", re.IGNORECASE)
_NEGATION = re.compile(r"(?<!\w)(not|no|never|except|не|нет|кроме|ни|deyil|yox|istisna)(?!\w)", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_KEY = 5
YES = {"en": "Yes", "ru": "Да", "az": "Bəli"}


def asks_membership(question: str) -> bool:
    return bool(_MEMBERSHIP.search(question))


def asked_word(question: str, lang: str) -> str | None:
    """The word the question asks about: its first capitalised word, after the leading verb in Russian
    and English; None when there is none."""
    words = _WORD.findall(question)
    if lang != "az":
        words = words[1:]
    return next((w for w in words if w[:1].isupper()), None)


def membership_yes(question: str, lang: str, ranked: Sequence[Sentence]) -> tuple[Sentence, tuple[int, int]] | None:
    """The first of ``ranked`` that names what a membership question asks about, with that word's span;
    None when the question is not one, or no sentence names it without a negation."""
    if not asks_membership(question):
        return None
    word = asked_word(question, lang)
    if word is None:
        return None
    key = latin_skeleton(word)[:_KEY]
    for s in ranked:
        if _NEGATION.search(s.text):
            continue
        for m in _WORD.finditer(s.text):
            if latin_skeleton(m.group())[:_KEY] == key:
                return s, (m.start(), m.end())
    return None
