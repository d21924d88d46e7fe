"""Citation verification on real seed sentences, with the real multilingual embedder as the judge."""

from __future__ import annotations

from rag.answer.language import is_abstention
from rag.answer.verify import split_claims, support, verify
from rag.text.translit import latin_skeleton
from rag.types import Chunk, Hit

AZ = ("Bildirilib ki, tədbir mayın 5-8-də keçiriləcək ikinci Beynəlxalq Miqrasiya İcmalı Forumuna hazırlıq "
      "çərçivəsində baş tutub.")
RU = ("В рамках первого Международного форума по обзору миграции прошла встреча между начальником "
      "Государственной миграционной службы Азербайджана Вусалом Гусейновым и президентом Генеральной "
      "Ассамблеи ООН Абдуллой Шахидом.")


def hit(text: str, source: str, start: int = 100) -> Hit:
    return Hit(Chunk(id=source[:8], source=source, text=text, start=start, end=start + len(text), lang="x",
                     ordinal=0), score=1.0)


EN = ("On 31 May 2021, IOM Azerbaijan organized an online coordination meeting devoted to the update of work "
      "under UN Migration Network Azerbaijan (UNNM) and discussions on interlinkage of UNNM work with the "
      "implementation of UNSDCF (2021-2025).")
PASSAGES = [hit(AZ, "000.txt"), hit(RU, "002.txt"), hit(EN, "003.txt")]


def test_supported_cross_lingual_date_is_kept_with_span(sim) -> None:  # type: ignore[no-untyped-def]
    v = verify("The second International Migration Review Forum takes place on 5-8 May [1].", PASSAGES,
               threshold=0.55, similarity=sim)
    assert [c.n for c in v.citations] == [1]
    c = v.citations[0]
    assert c.verified and c.source == "000.txt"
    assert c.quote == AZ and (c.start, c.end) == (100, 100 + len(AZ))
    assert v.answer == "The second International Migration Review Forum takes place on 5-8 May [1]."


def test_true_date_from_the_wrong_passage_is_rejected(sim) -> None:  # type: ignore[no-untyped-def]
    """The small model's typical slip: a real date copied from an unrelated passage."""
    v = verify("The second International Migration Review Forum will take place on May 31, 2021 [3].", PASSAGES,
               threshold=0.55, similarity=sim)
    assert v.citations == []


def test_wrong_number_is_not_supported(sim) -> None:  # type: ignore[no-untyped-def]
    v = verify("The forum takes place on 5-8 May 2023 [1].", PASSAGES, threshold=0.55, similarity=sim)
    assert v.citations == []
    assert any("does not support" in d for d in v.dropped)


def test_fabricated_citation_number_is_caught(sim) -> None:  # type: ignore[no-untyped-def]
    v = verify("Vusal Huseynov met Abdulla Shahid [7].", PASSAGES, threshold=0.55, similarity=sim)
    assert any("[7] names no passage" in d for d in v.dropped)
    # ...and the claim is re-attributed to the passage that does support it.
    assert [c.n for c in v.citations] == [2]
    assert "[7]" not in v.answer and "[2]" in v.answer


def test_names_match_across_scripts() -> None:
    assert latin_skeleton("Гусейновым").startswith(latin_skeleton("Hüseynov")[:6])
    assert support("Vüsal Hüseynov met Abdulla Şahid", RU).score >= 0.75


def test_off_topic_claim_is_unsupported(sim) -> None:  # type: ignore[no-untyped-def]
    assert verify("The capital of Australia is Canberra [1].", PASSAGES, threshold=0.55,
                  similarity=sim).citations == []


def test_unsupported_sentence_after_the_answer_is_left_out(sim) -> None:  # type: ignore[no-untyped-def]
    """The 1.5B model's habit: a checked answer, then a sentence of its own that no passage backs."""
    v = verify("Vusal Huseynov met Abdulla Shahid [2]. This information is found in passage.", PASSAGES,
               threshold=0.55, similarity=sim, question="Whom did Vusal Huseynov meet?")
    assert v.answer == "Vusal Huseynov met Abdulla Shahid [2]."
    assert any("left out after the supported answer" in d for d in v.dropped)
    v = verify("The forum takes place on 5-8 May [1]. It will be held in Antarctica [3].", PASSAGES,
               threshold=0.55, similarity=sim)
    assert v.answer == "The forum takes place on 5-8 May [1]." and [c.n for c in v.citations] == [1]


def test_sentence_before_the_supported_one_stays(sim) -> None:  # type: ignore[no-untyped-def]
    v = verify("Yes. Vusal Huseynov met Abdulla Shahid [2].", PASSAGES, threshold=0.55, similarity=sim)
    assert v.answer == "Yes. Vusal Huseynov met Abdulla Shahid [2]."


def test_claim_splitting_and_abstention_markers() -> None:
    assert split_claims("A is B [1]. C is D [2][1].") == [("A is B.", [1]), ("C is D.", [2, 1])]
    for text in ("NONE", "В документах об этом не сказано.", "Sənədlərdə bu barədə məlumat yoxdur."):
        assert is_abstention(text)
    assert not is_abstention("The forum takes place on 5-8 May [1].")


def test_dates_are_glossed_in_english_once() -> None:
    from rag.answer.language import gloss_dates

    assert gloss_dates("tədbir mayın 5-8-də keçiriləcək") == "tədbir mayın 5-8-də (= 5-8 May) keçiriləcək"
    assert gloss_dates("21 мая 2022 г. 16:49") == "21 мая 2022 г. (= 21 May 2022) 16:49"
    assert gloss_dates("On 31 May 2021, IOM") == "On 31 May 2021, IOM"  # already English
    assert gloss_dates("may be 5 people") == "may be 5 people"


def test_year_from_the_passage_date_and_question_echo(sim) -> None:  # type: ignore[no-untyped-def]
    dated = [Hit(Chunk(id="a", source="000.txt", text=AZ, start=0, end=len(AZ), lang="az", ordinal=0,
                       date="2026-02-11"), score=1.0)]
    v = verify("The second International Migration Review Forum takes place on 5-8 May 2026 [1].", dated,
               threshold=0.55, similarity=sim)
    assert [c.n for c in v.citations] == [1]
    q = "Almatı Prosesinin 8-ci görüşü harada keçirilib?"
    v = verify("Almatı Prosesinin görüşü harada keçirilib [1].", dated, threshold=0.55, similarity=sim, question=q)
    assert v.citations == [] and any("repeats the question" in d for d in v.dropped)


def test_an_answer_that_restates_the_question_is_not_an_echo() -> None:
    """'X represented UNHCR at the meeting' answers 'Who represented UNHCR at the meeting?'."""
    from rag.answer.verify import _echoes

    question = "Who represented UNHCR for Central Asia at the Baku meeting of the Almaty Process?"
    asked = {latin_skeleton(w) for w in question.replace("?", "").split()}
    assert not _echoes("Zeynal Hacıyev represented UNHCR for Central Asia at the Baku meeting of the "
                       "Almaty Process", asked)
    assert _echoes("UNHCR for Central Asia was represented at the Baku meeting of the Almaty Process", asked)
    ru = {latin_skeleton(w)
          for w in ["Где", "проходил", "первый", "Международный", "форум", "по", "обзору", "миграции"]}
    assert _echoes("Первый Международный форум по обзору миграции проходил", ru)


def test_a_yes_no_answer_is_not_an_echo() -> None:
    from rag.answer.verify import _echoes

    asked = {latin_skeleton(w) for w in ["Is", "Pakistan", "one", "of", "the", "countries", "taking", "part", "in",
                               "the", "Almaty", "Process"]}
    assert not _echoes("Yes, Pakistan is one of the countries taking part in the Almaty Process", asked)
    ru = {latin_skeleton(w) for w in ["Входит", "ли", "Италия", "в", "Алматинский", "процесс"]}
    assert not _echoes("Да, Италия входит в Алматинский процесс", ru)
    az = {latin_skeleton(w) for w in ["Türkmənistan", "Almatı", "Prosesinin", "iştirakçısıdırmı"]}
    assert not _echoes("Bəli, Türkmənistan Almatı Prosesinin iştirakçısıdır", az)


def test_a_number_the_passage_spells_out_supports_its_digits(sim) -> None:  # type: ignore[no-untyped-def]
    """"Seventy percent" in the passage backs "70%" in the answer; a number it does not give still fails."""
    text = ("Seventy percent of formerly forested land in the Amazon, and 91% of land deforested since 1970, "
            "is used for livestock pasture.")
    passages = [hit(text, "amazon.txt")]
    v = verify("70% of the formerly forested land is used for livestock pasture [1].", passages, threshold=0.55,
               similarity=sim)
    assert [c.n for c in v.citations] == [1]
    v = verify("60% of the formerly forested land is used for livestock pasture [1].", passages, threshold=0.55,
               similarity=sim)
    assert v.citations == []
    ru = hit("В работе форума приняли участие представители тридцати семи стран.", "forum.txt")
    assert support("В форуме участвовали 37 стран.", ru.chunk.text, sim, None, "ru").score >= 0.55
