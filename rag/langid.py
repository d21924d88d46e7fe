"""Language identification for az / ru / en, shared by ingestion (per paragraph) and question handling.

Why lingua restricted to exactly our three languages: a closed set is far more accurate on short text
than an open-world detector, and anything else is out of scope for the product anyway.

Turkish was measured as a fourth candidate mapped to "az" (so Turkish-looking, diacritic-free
Azerbaijani would not be forced elsewhere). On seed paragraphs and on az questions typed with and
without Azerbaijani letters it changed nothing, while on short, name-heavy English questions
("Zeynal Hajiyev UNHCR") it turned one more of 20 into "az". So it is left out.

The detector is built lazily, once, under a lock: building and loading the models is the slow part,
and importing this module must stay cheap for commands that never detect anything.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import Language, LanguageDetector

UNKNOWN = "unknown"

_lock = threading.Lock()
_detector: LanguageDetector | None = None
_codes: dict[Language, str] = {}


def _get_detector() -> LanguageDetector:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                _codes.update({Language.AZERBAIJANI: "az", Language.RUSSIAN: "ru", Language.ENGLISH: "en"})
                _detector = LanguageDetectorBuilder.from_languages(*_codes).build()
    return _detector


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def detect_language(text: str) -> str:
    """"az" | "ru" | "en", or "unknown" when the text has no letters or lingua cannot decide."""
    if not text or not _has_letters(text):
        return UNKNOWN
    found = _get_detector().detect_language_of(text)
    return _codes.get(found, UNKNOWN) if found is not None else UNKNOWN


def language_shares(text: str) -> dict[str, float]:
    """Confidence per language (sums to 1), for callers that need to weigh ambiguity themselves,
    e.g. a short question full of names. Empty when the text has no letters."""
    if not text or not _has_letters(text):
        return {}
    shares: dict[str, float] = {}
    for conf in _get_detector().compute_language_confidence_values(text):
        code = _codes.get(conf.language, UNKNOWN)
        shares[code] = shares.get(code, 0.0) + float(conf.value)
    return shares
