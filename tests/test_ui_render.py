"""The web UI's rendering and upload helpers: escaping, highlighting, citation links, safe names.

Pure functions, no model and no browser: these pin down that document and model text can never turn
into markup, which the browser test then confirms end to end.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from rag.types import Answer, Chunk, Citation, Hit
from ui.bubbles import render_provisional, render_refusal, render_settled, render_waiting
from ui.i18n import LABELS, UI_LANGS, t
from ui.render import (
    citation_views,
    esc,
    find_quote,
    highlight,
    parse_cite_href,
    passage_views,
    plain_answer,
    render_answer,
    render_documents,
    render_error,
    render_passages,
    render_source,
)
from ui.uploads import MAX_NAME_CHARS, delete_upload, safe_filename, store_uploads

EVIL = '<script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> & "q" \'s\''


def _no_markup_from(text: str, html: str) -> None:
    """No tag or attribute from ``text`` survives as markup in ``html``."""
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html


# -- answers ------------------------------------------------------------------------------------------
def test_answer_citations_become_links_and_text_is_escaped() -> None:
    html = render_answer(f"Forum on 5-8 May [1]. Also {EVIL} [2].", turn=3, cited=[1, 2])
    assert '<a href="#cite-3-1" class="cite"' in html and ">[1]</a>" in html
    assert '<a href="#cite-3-2" class="cite"' in html
    _no_markup_from(EVIL, html)
    assert "&amp;" in html and "&quot;q&quot;" in html


def test_answer_unknown_citation_stays_plain_and_groups_split() -> None:
    html = render_answer("A [1, 3]. B [7]. C [2;1]", turn=0, cited=[1, 2])
    assert html.count('class="cite"') == 3  # 1 of [1, 3]; 2 and 1 of [2;1]
    assert "[3]" in html and 'href="#cite-0-3"' not in html
    assert "B [7]" in html and "cite-0-7" not in html


def test_answer_line_breaks_and_streaming_preview() -> None:
    assert render_answer("a\nb [1]", 0, [1]).startswith("a<br>b ")
    preview = render_provisional("partial <b>x</b> [1]", "az")
    assert "&lt;b&gt;" in preview and 'class="cite"' not in preview and "cursor" in preview
    assert 'class="provisional"' in preview and t("checking", "az") in preview and "answer-final" not in preview


def test_bubbles_escape_evidence_and_closest_passages() -> None:
    views = citation_views(_answer())
    html = render_settled("Yes [1].", 2, views, "ru")
    assert 'href="#cite-2-1"' in html and "The support is right here." in html
    assert t("evidence", "ru") in html and "— Title &lt;script&gt;" in html
    _no_markup_from(EVIL, html)
    closest = [{"n": 1, "source": "a.txt", "title": EVIL, "text": EVIL}]
    html = render_refusal(f"No {EVIL}", "reason_none", 0, closest, "en", withdrawn=True)
    assert t("reason_none", "en") in html and t("withdrawn", "en") in html and 'href="#cite-0-1"' in html
    _no_markup_from(EVIL, html)
    assert "number 3 in line, about 12 s" in render_waiting(3, 11.6, "en")


def test_settled_bubble_says_how_the_answer_was_made() -> None:
    views = citation_views(_answer())
    html = render_settled("Yes [1].", 2, views, "az", "made_llm_unread")
    assert 'class="provenance made_llm_unread"' in html and t("made_llm_unread", "az") in html
    # Between the answer and its evidence, and absent when not given.
    assert html.index("answer-final") < html.index("provenance") < html.index(t("evidence", "az"))
    assert "provenance" not in render_settled("Yes [1].", 2, views, "az")


def test_plain_answer_drops_markers_for_history() -> None:
    assert plain_answer("It is on 5-8 May [1]. Held in Baku [2, 3].") == "It is on 5-8 May. Held in Baku."


@pytest.mark.parametrize("href, expected", [
    ("#cite-0-1", (0, 1)), ("cite-12-3", (12, 3)), (" #cite-2-10 ", (2, 10)),
    ("#cite-a-1", None), ("javascript:alert(1)", None), ("#cite-1-1;x", None), ("", None),
    ("#cite-99999-1", None),
])
def test_parse_cite_href_validates(href: str, expected: tuple[int, int] | None) -> None:
    assert parse_cite_href(href) == expected


# -- highlighting ---------------------------------------------------------------------------------------
def test_highlight_marks_the_quote_and_escapes_around_it() -> None:
    passage = f"Intro {EVIL}. The forum is on 5-8 May in <b>Baku</b>. End."
    html, found = highlight(passage, "The forum is on 5-8 May in <b>Baku</b>.")
    assert found
    assert html.count("<mark>") == 1 and html.count("</mark>") == 1
    marked = re.search(r"<mark>(.*)</mark>", html)
    assert marked and marked.group(1) == "The forum is on 5-8 May in &lt;b&gt;Baku&lt;/b&gt;."
    _no_markup_from(EVIL, html)


def test_highlight_tolerates_whitespace_and_case_and_reports_missing() -> None:
    passage = "First line.\nThe   Second\n\nsentence here. Last."
    assert find_quote(passage, "the second sentence here.") == (12, passage.index("Last.") - 1)
    html, found = highlight(passage, "nowhere to be found")
    assert not found and "<mark>" not in html
    assert highlight(passage, "")[1] is False


# -- panels ---------------------------------------------------------------------------------------------
def _answer() -> Answer:
    text = f"Before. {EVIL} The support is right here. After."
    chunk = Chunk(id="c1", source="evil<b>.txt", text=text, start=0,
                  end=len(text), lang="en", ordinal=0, title=f"Title {EVIL}", date="2019-03-14")
    other = Chunk(id="c2", source="other.txt", text="unrelated", start=0, end=9, lang="az", ordinal=0)
    at = text.index("The support")
    cit = Citation(n=1, source=chunk.source, chunk_id="c1", text=chunk.text, start=at, end=at + 26,
                   quote="The support is right here.", verified=True, support=0.9)
    return Answer(question="q", answer="Yes [1].", language="en", citations=[cit],
                  passages=[Hit(chunk=chunk, score=0.5), Hit(chunk=other, score=0.25)],
                  rewritten_query=f"prev {EVIL} q", timings={"total": 1.25}, model="m",
                  warnings=[f"note {EVIL}"])


def test_source_panel_shows_meta_escaped_with_highlight() -> None:
    views = citation_views(_answer())
    assert views[0]["date"] == "2019-03-14" and views[0]["lang"] == "en"
    html = render_source(views[0], "en", key="0-1")
    assert 'data-cite="0-1"' in html
    assert "evil&lt;b&gt;.txt" in html and "2019-03-14" in html and ">en<" in html
    assert "<mark>The support is right here.</mark>" in html
    _no_markup_from(EVIL, html)
    ru = render_source(views[0], "ru")
    assert t("date", "ru") in ru and t("verified", "ru") in ru


def test_source_panel_empty_and_gone_states() -> None:
    assert t("source_hint", "az") in render_source(None, "az")
    assert t("source_gone", "en") in render_source(None, "en", gone=True)


def test_passages_show_scores_query_and_warnings_escaped() -> None:
    answer = _answer()
    html = render_passages(passage_views(answer, top_k=1), answer.rewritten_query, "en",
                           timings=answer.timings, model=answer.model, warnings=answer.warnings)
    assert "0.5000" in html and "0.2500" in html
    assert html.count(t("given_to_model", "en")) == 1
    assert "prev &lt;script&gt;" in html and "total 1.2s" in html
    _no_markup_from(EVIL, html)
    assert t("passages_none", "en") in render_passages([], None, "en")


def test_documents_table_and_errors_are_escaped() -> None:
    html = render_documents([{"source": "a.txt", "title": EVIL, "date": None, "lang": "ru"}], "en")
    _no_markup_from(EVIL, html)
    assert "<td>a.txt</td>" in html and "<td>ru</td>" in html
    assert t("no_docs", "ru") in render_documents([], "ru")
    err = render_error(f"bad {EVIL}", "rag ingest <seeds>", "en")
    _no_markup_from(EVIL, err)
    assert "rag ingest &lt;seeds&gt;" in err
    assert esc(None) == ""


# -- labels ---------------------------------------------------------------------------------------------
def test_every_label_exists_in_every_language_with_the_same_placeholders() -> None:
    fields = string.Formatter()
    for key, entry in LABELS.items():
        assert set(entry) == set(UI_LANGS), key
        names = {lang: {f for _, f, _, _ in fields.parse(text) if f} for lang, text in entry.items()}
        assert len({frozenset(v) for v in names.values()}) == 1, (key, names)
    assert t("no_such_key", "az") == "no_such_key"
    assert t("ask", "xx") == t("ask", "en")


# -- uploads --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("given, expected", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\me\\My Report (final).DOCX", "My_Report_final.docx"),
    ("Miqrasiya hesabatı.txt", "Miqrasiya_hesabatı.txt"),
    ("Отчёт 2024.md", "Отчёт_2024.md"),
    (".hidden.txt", "hidden.txt"),
    ("<script>.html", "script.html"),
    ("", "document"),
    ("...", "document"),
    ("a\x00b\nc.txt", "a_b_c.txt"),
])
def test_safe_filename(given: str, expected: str) -> None:
    assert safe_filename(given) == expected


def test_safe_filename_is_bounded_and_keeps_the_extension() -> None:
    name = safe_filename("x" * 500 + ".pdf")
    assert len(name) == MAX_NAME_CHARS and name.endswith(".pdf")


def test_store_uploads_checks_type_size_and_avoids_collisions(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    dest = tmp_path / "index" / "uploads"
    (src / "a.txt").write_text("one")
    (src / "big.txt").write_bytes(b"x" * 2000)
    (src / "tool.exe").write_bytes(b"MZ")
    (src / "empty.md").write_bytes(b"")
    (src / "seed.txt").write_text("not the seed")
    out = store_uploads([src / n for n in ("a.txt", "big.txt", "tool.exe", "empty.md", "seed.txt")],
                        dest, max_bytes=1000, taken_sources=["seed.txt"])
    assert [p.name for p in out.paths] == ["a.txt", "seed-2.txt"]
    reasons = {r.name: r.reason for r in out.rejected}
    assert reasons == {"big.txt": "rejected_size", "tool.exe": "rejected_type", "empty.md": "rejected_empty"}

    # Same bytes again: the stored copy is reused. Different bytes, same name: a new name.
    again = store_uploads([src / "a.txt"], dest, max_bytes=1000)
    assert again.paths == [dest / "a.txt"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("two")
    changed = store_uploads([other / "a.txt"], dest, max_bytes=1000)
    assert [p.name for p in changed.paths] == ["a-2.txt"]
    assert (dest / "a.txt").read_text() == "one"


def test_delete_upload_only_touches_plain_names_inside_the_folder(tmp_path: Path) -> None:
    dest = tmp_path / "uploads"
    dest.mkdir()
    (dest / "a.txt").write_text("x")
    (tmp_path / "outside.txt").write_text("keep")
    assert delete_upload(dest, "../outside.txt") is False
    assert (tmp_path / "outside.txt").exists()
    assert delete_upload(dest, "a.txt") is True and not (dest / "a.txt").exists()
    assert delete_upload(dest, "a.txt") is False


def test_an_uploaded_copy_of_an_indexed_document_is_reported_under_its_indexed_name(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from ui.uploads import upload_report
    copy = tmp_path / "uploads" / "report.txt"
    copy.parent.mkdir()
    copy.write_text("The same text as a seed.")
    report = SimpleNamespace(skipped=[], apply=None, duplicates=["report.txt: same content as 000_seed.txt"])
    lines = upload_report([copy], report, before=[], after=[], lang="en")
    assert lines == ["Already indexed, unchanged: 000_seed.txt."]
    assert not copy.exists()  # the indexed document holds the text; no orphan copy is kept
