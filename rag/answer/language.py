"""Everything language-specific the answer stage needs, in one table per language.

The month table is a general aid for carrying dates across languages (the default 1.5B model turns
"mayın 5-8-də" into "5-8 December" when left alone); it is not a per-question hint.
"""

from __future__ import annotations

from rag.langid import detect_language

NAMES = {"az": "Azerbaijani", "ru": "Russian", "en": "English"}

ABSTAIN = {
    "en": "The documents do not say.",
    "ru": "В документах об этом не сказано.",
    "az": "Sənədlərdə bu barədə məlumat yoxdur.",
}

# Phrases by which a model (or a person) declines, used to recognise abstentions in any language.
ABSTAIN_MARKERS = (
    "none",
    "not found",
    "do not say",
    "does not say",
    "not mentioned",
    "no information",
    "не сказано",
    "нет информации",
    "не указан",
    "не упомина",
    "məlumat yoxdur",
    "qeyd edilməyib",
    "göstərilməyib",
)

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "az": ["yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr", "oktyabr",
           "noyabr", "dekabr"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
           "октября", "ноября", "декабря"],
}


def month_table() -> str:
    """One line per month, e.g. "05: May = may = мая" — short enough to keep in the cached prefix."""
    return "\n".join(
        f"{i + 1:02d}: {MONTHS['en'][i]} = {MONTHS['az'][i]} = {MONTHS['ru'][i]}" for i in range(12)
    )


def question_language(question: str, forced: str = "auto") -> str:
    """The language to answer in: forced by the user, else detected, else English."""
    if forced in NAMES:
        return forced
    lang = detect_language(question)
    return lang if lang in NAMES else "en"


def is_abstention(text: str) -> bool:
    lowered = text.strip().lower().strip(".! ")
    if not lowered:
        return True
    return any(lowered.startswith(m) or (m in lowered and len(lowered) < 80) for m in ABSTAIN_MARKERS)
