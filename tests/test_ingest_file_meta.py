"""Titles and dates from where a file states them, mixed-language documents, and literal markup text:
real loaders and cleaning on small hand-made files."""

from __future__ import annotations

from pathlib import Path

import docx

from rag.ingest.documents import build_document
from rag.ingest.loaders import load_file
from tests.test_ingest_loaders import make_pdf

MAX = 5 * 1024 * 1024

PAGE = """<!doctype html><html><head><title>Quillon audit finds template flaws | Example News</title>
<meta property="article:published_time" content="2021-03-14T09:00:00+04:00"></head><body><article>
<p>Baku, 2 May 2023. The audit was long and it was published in the spring after many delays.</p>
<p>The Quillon audit found the snippet &lt;script&gt;alert(1)&lt;/script&gt; in the report template,
and the footer used the tag &lt;img onerror&gt; as well. Both were removed by the web team quickly.</p>
</article></body></html>"""


def _doc(path: Path):  # type: ignore[no-untyped-def]
    return build_document(load_file(path, path.name, MAX))


def test_html_title_and_date_come_from_the_head_and_literal_markup_stays(tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    page.write_text(PAGE, encoding="utf-8")
    doc = _doc(page)
    assert doc.title == "Quillon audit finds template flaws"  # <title>, without the site name
    assert doc.date == "2021-03-14"  # the published meta tag, not the dateline in the body
    assert "<script>alert(1)</script>" in doc.text and "<img onerror>" in doc.text


def test_pdf_date_is_not_taken_from_its_body(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_pdf([
        "Annual migration report of the service",
        "The regional forum that opened on 21 May 2022 in Baku gathered delegations from ten",
        "countries, and they agreed to meet again in the autumn to review the progress.",
    ]))
    assert _doc(pdf).date is None


def test_docx_properties_give_title_and_date(tmp_path: Path) -> None:
    import datetime as dt

    d = docx.Document()
    d.add_paragraph("Some opening words of the memo that are not its title at all, just text.")
    d.add_paragraph("The meeting on 5 May 2020 agreed a plan for the next two years of joint work.")
    d.core_properties.title = "Memo on joint work"
    d.core_properties.created = dt.datetime(2020, 6, 1, 12, 0)
    path = tmp_path / "memo.docx"
    d.save(str(path))
    doc = _doc(path)
    assert (doc.title, doc.date) == ("Memo on joint work", "2020-06-01")


def test_a_bilingual_document_is_listed_with_both_languages(tmp_path: Path) -> None:
    text = tmp_path / "both.txt"
    text.write_text(
        "Online coordination meeting on the migration network was held in the capital today.\n\n"
        "Representatives of local agencies, embassies and the relevant authorities attended it.\n\n"
        "Miqrasiya şəbəkəsi üzrə onlayn koordinasiya iclası bu gün paytaxtda keçirildi.\n\n"
        "Yerli agentliklərin, səfirliklərin və aidiyyəti qurumların nümayəndələri iştirak etdilər.\n",
        encoding="utf-8")
    assert _doc(text).lang in ("en+az", "az+en")
