"""Citation verification logic on hand-made passages (the real-model tests are in test_end_to_end)."""

from __future__ import annotations

from rag.answer.language import is_abstention
from rag.answer.verify import fold, split_claims, support, verify
from rag.types import Chunk, Hit

AZ = ("Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna hazırlıq "
      "çərçivəsində baş tutub.")
RU = ("В рамках первого Международного форума по обзору миграции прошла встреча между начальником "
      "Государственной миграционной службы Азербайджана Вусалом Гусейновым и президентом Генеральной "
      "Ассамблеи ООН Абдуллой Шахидом.")


def hit(text: str, source: str, start: int = 100) -> Hit:
    return Hit(Chunk(id=source[:8], source=source, text=text, start=start, end=start + len(text), lang="x",
                     ordinal=0), score=1.0)


PASSAGES = [hit(AZ, "000.txt"), hit(RU, "002.txt")]


def test_supported_cross_lingual_date_is_kept_with_span() -> None:
    v = verify("The forum takes place on 5-8 May [1].", PASSAGES, threshold=0.5)
    assert [c.n for c in v.citations] == [1]
    c = v.citations[0]
    assert c.verified and c.source == "000.txt"
    assert c.quote == AZ and (c.start, c.end) == (100, 100 + len(AZ))
    assert v.answer == "The forum takes place on 5-8 May [1]."


def test_wrong_number_is_not_supported() -> None:
    v = verify("The forum takes place on 5-8 May 2023 [1].", PASSAGES, threshold=0.5)
    assert v.citations == []
    assert any("does not support" in d for d in v.dropped)


def test_fabricated_citation_number_is_caught() -> None:
    v = verify("Vusal Huseynov met Abdulla Shahid [7].", PASSAGES, threshold=0.5)
    assert any("[7] names no passage" in d for d in v.dropped)
    # ...and the claim is re-attributed to the passage that does support it.
    assert [c.n for c in v.citations] == [2]
    assert "[7]" not in v.answer and "[2]" in v.answer


def test_names_match_across_scripts() -> None:
    assert fold("Гусейновым").startswith(fold("Hüseynov")[:6])
    assert support("Vüsal Hüseynov met Abdulla Şahid", RU).score >= 0.75


def test_off_topic_claim_is_unsupported() -> None:
    assert verify("The capital of Australia is Canberra [1].", PASSAGES, threshold=0.5).citations == []


def test_claim_splitting_and_abstention_markers() -> None:
    assert split_claims("A is B [1]. C is D [2][1].") == [("A is B.", [1]), ("C is D.", [2, 1])]
    for text in ("NONE", "В документах об этом не сказано.", "Sənədlərdə bu barədə məlumat yoxdur."):
        assert is_abstention(text)
    assert not is_abstention("The forum takes place on 5-8 May [1].")
