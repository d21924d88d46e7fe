"""Cleaning, metadata and language id, on the real seed pages and on small synthetic cases.

Naming the seeds' exact boilerplate strings is fine *here*: the cleaner itself only knows general
rules, and these tests check that those rules catch what real pages contain."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from rag.ingest import load_documents
from rag.ingest.clean import clean_text
from rag.ingest.metadata import extract_date, extract_title
from rag.langid import detect_language, language_shares
from rag.types import Document


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seed_docs(seeds_dir: Path) -> dict[str, Document]:
    docs, warnings = load_documents([seeds_dir], 20_000_000, progress=False)
    assert warnings == []
    return {d.source[:3]: d for d in docs}


BOILERPLATE = [
    "newsPhoto",
    "Последние новости",
    "Orphus sistemi",
    "©",
    "Bütün hüquqlar qorunur",
    "İstifadəçi qaydaları",
    "Məxfilik siyasəti",
    "çap et",
    "<b",
    "color:red",
    "Media Coverage",
    "NEWSCENTER",
    "AZERTAC",
    "XEBERMEDİA",
    "QHTXEBER",
    "FINANCETIME",
    "UNAZERBAIJAN",
    "UNAZERBAİJAN",
    "In English",
    "525.Az",
    "18:29",
    "---",
]

TEASER_START = "Генассамблея ООН высоко оценила работу в сфере миграции в Азербайджане В рамках"


def body_paragraphs(path: Path) -> list[str]:
    """The article paragraphs of a raw seed, picked by hand: long lines, minus the duplicate teaser."""
    lines = [norm(line) for line in path.read_text(encoding="utf-8").split("\n")]
    return [line for line in lines if len(line) > 80 and not line.startswith(TEASER_START)]


def test_seed_boilerplate_is_gone(seed_docs: dict[str, Document]) -> None:
    for doc in seed_docs.values():
        for junk in BOILERPLATE:
            assert junk not in doc.text, (doc.source, junk)
        assert "SMS" not in doc.text.split("\n\n")
        assert "\n\n\n" not in doc.text and doc.text == doc.text.strip()


def test_seed_duplicates_are_gone(seed_docs: dict[str, Document]) -> None:
    assert seed_docs["002"].text.count("В рамках первого Международного форума") == 1  # teaser dropped
    assert "и президент\n" not in seed_docs["002"].text
    assert seed_docs["002"].text.count("Генассамблея ООН высоко оценила работу") == 1  # repeated headline
    assert seed_docs["004"].text.count("Dövlət Miqrasiya Xidmətində iclas keçirildi") == 1


def test_every_body_paragraph_survives(seed_docs: dict[str, Document], seeds_dir: Path) -> None:
    total = 0
    for path in sorted(seeds_dir.glob("*.txt")):
        text = norm(seed_docs[path.name[:3]].text)
        for para in body_paragraphs(path):
            assert para in text, (path.name, para[:80])
            total += 1
    assert total >= 45


def test_seed_metadata(seed_docs: dict[str, Document]) -> None:
    # 001 only says "oktyabrın 12-də" (no year): no date rather than a guessed one.
    assert {k: d.date for k, d in seed_docs.items()} == {
        "000": "2026-02-11", "001": None, "002": "2022-05-21", "003": "2021-05-31", "004": "2018-05-23",
    }
    titles = {k: d.title for k, d in seed_docs.items()}
    assert titles["000"] == "Dövlət Miqrasiya Xidmətində Qlobal Pakta dair məsləhətləşmələr aparılıb"
    assert titles["001"].startswith("Bakıda Azərbaycanın sədrlik etdiyi Almatı Prosesi")
    assert titles["002"] == "Генассамблея ООН высоко оценила работу в сфере миграции в Азербайджане"
    assert titles["003"].startswith("Online coordination meeting devoted to the synergies")
    assert titles["004"] == "Dövlət Miqrasiya Xidmətində iclas keçirildi"
    # a dated byline is metadata, so it is kept
    assert "23.05.2018" in seed_docs["004"].text and "C.ABASOV" in seed_docs["004"].text


def test_seed_languages_and_sections(seed_docs: dict[str, Document]) -> None:
    assert {k: d.lang for k, d in seed_docs.items()} == {
        "000": "az", "001": "az", "002": "ru", "003": "az+en", "004": "az",
    }
    doc = seed_docs["003"]
    assert [s.lang for s in doc.sections] == ["en", "az"]
    en, az = (doc.text[s.start : s.end] for s in doc.sections)
    assert en.startswith("Press Release") and "Online coordination meeting" in en
    assert az.startswith("BMT-nin Miqrasiya üzrə Şəbəkəsi") and "2021-ci ilin 31 may" in az
    for d in seed_docs.values():
        assert d.sections[0].start == 0 and d.sections[-1].end == len(d.text)
        assert all(a.end <= b.start for a, b in itertools.pairwise(d.sections))


# --- clean_text rules on synthetic pages -----------------------------------------------------------

BODY = ("The State Migration Service held a meeting with international partners on refugee integration. "
        "The participants discussed access to education and the labour market.")
BODY2 = "A second paragraph explains the results of the meeting in a few more sentences. It ends here."


def test_markup_and_entities() -> None:
    out = clean_text(f"Title &amp; more <span class='x'>here</span>\n<p>{BODY}</p>&nbsp;<br/>")
    assert out == f"Title & more here\n\n{BODY}"


def test_legal_footers_menus_widgets_placeholders() -> None:
    raw = "\n".join([
        "mainImage", "www.example.az", "Home | News | Contact", BODY, "Print", "Печать", "Поделиться",
        "12.03.2020 çap et çap et", BODY2, "© 2021 Example Ltd.", "Copyright 2020 Foo", "All rights reserved.",
        "Все права защищены", "Bütün hüquqlar qorunur", "photo.jpg",
    ])
    assert clean_text(raw).split("\n\n") == [BODY, "12.03.2020", BODY2]


def test_label_runs_outside_the_body_but_lists_inside_it_survive() -> None:
    raw = "\n".join([
        "HOME", "NEWS", "CONTACT",  # menu before the article
        "Short headline", BODY, "Countries taking part:", "Azerbaijan", "Georgia", "Turkey", BODY2,
        "Related", "NEWSCENTER", "AZERTAC", "In English", "- a list item kept", "J. Smith",
    ])
    assert clean_text(raw).split("\n\n") == [
        "Short headline", BODY, "Countries taking part:", "Azerbaijan", "Georgia", "Turkey", BODY2,
        "- a list item kept", "J. Smith",
    ]


def test_repeats_teaser_and_separator() -> None:
    title = "Forum on migration held in Baku"
    teaser = f"{title} {BODY[:150]}"  # cut mid-word, as news sites do
    raw = f"{title}\n{teaser}\n\n{title}\n{BODY}\n{BODY2}\n-----------\nİkinci dildə mətn burada başlayır və bitir."
    assert clean_text(raw).split("\n\n") == [title, BODY, BODY2, "İkinci dildə mətn burada başlayır və bitir."]


def test_document_mode_keeps_tables_and_short_lines() -> None:
    raw = f"{BODY}\nCountry | Count\nAzerbaijan | 10\nYes\nYes\n3\n© 2021 Example"
    assert clean_text(raw, web=False).split("\n\n") == [BODY, "Country | Count", "Azerbaijan | 10",
                                                        "Yes", "Yes", "3"]


def test_whitespace() -> None:
    assert clean_text("  a\u00a0\u00a0b\t c \r\n\r\n\n\n d\u200b e  ") == "a b c\n\nd e"
    assert clean_text("") == ""


# --- metadata --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("- 11 fevral, 2026\n- 18:29", "2026-02-11"),
        ("date 2026-02-11 Title", "2026-02-11"),
        ("Title\n21 мая 2022 г. 16:49", "2022-05-21"),
        ("Press Release —Local May 31, 2021", "2021-05-31"),
        ("On 31 May 2021, IOM organized a meeting.", "2021-05-31"),
        ("Body text.\n\n23.05.2018    çap et", "2018-05-23"),
        ("2021-ci ilin 31 may tarixində iclas keçirildi.", "2021-05-31"),
        ("1 İyun 2020-ci il", "2020-06-01"),
        ("3 января 2019 года", "2019-01-03"),
        ("Sept. 4, 2019", "2019-09-04"),
        ("oktyabrın 12-də görüş keçirilib.", None),
        ("31.02.2020 is not a date", None),
        ("UNSDCF 2021-2025 and 2026-2030-cu illər", None),
        ("", None),
    ],
)
def test_extract_date(text: str, iso: str | None) -> None:
    assert extract_date(text) == iso


def test_date_prefers_header_then_trailing_date_line() -> None:
    body = "Some body text mentions 1 March 2015 in passing. " * 30
    assert extract_date(f"Title\n{body}\n\n02.04.2019") == "2019-04-02"
    assert extract_date(f"Title\n5 May 2020\n{body}\n\n02.04.2019") == "2020-05-05"


def test_extract_title() -> None:
    assert extract_title("date 2026-02-11 Dövlət Miqrasiya Xidmətində məsləhətləşmələr\n- 11 fevral, 2026") == (
        "Dövlət Miqrasiya Xidmətində məsləhətləşmələr"
    )
    assert extract_title("Press Release —Local May 31, 2021\n\nOnline meeting is held") == "Online meeting is held"
    assert extract_title("# Markdown heading\n\ntext") == "Markdown heading"
    long = "word " * 100
    assert len(extract_title(long)) <= 151 and extract_title(long).endswith("…")
    assert extract_title("") == ""


# --- language id -------------------------------------------------------------------------------------


def test_detect_language() -> None:
    assert detect_language("Dövlət Miqrasiya Xidmətində iclas keçirildi") == "az"
    assert detect_language("Qacqin statusu nece verilir?") == "az"  # typed without Azerbaijani letters
    assert detect_language("Генассамблея ООН высоко оценила работу") == "ru"
    assert detect_language("The event began with the official opening session") == "en"
    for nothing in ("", "   ", "12345", "- 18:29", "23.05.2018"):
        assert detect_language(nothing) == "unknown"
    shares = language_shares("Когда прошла встреча?")
    assert max(shares, key=lambda k: shares[k]) == "ru" and abs(sum(shares.values()) - 1) < 1e-6
    assert language_shares("42") == {}
