"""Loaders: every supported format loads, every kind of bad file is refused with a reason, and a
batch survives its bad files."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import docx
import pytest

from rag.errors import InputError
from rag.ingest import load_documents
from rag.ingest.loaders import FileRejectedError, iter_source_files, load_file

MAX = 1_000_000


def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF with a Helvetica text stream (no PDF writer is installed)."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = " ".join(f"({esc(line)}) Tj T*" for line in lines)
    content = f"BT /F1 12 Tf 14 TL 72 720 Td {body} ET" if lines else ""
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PDF_LINES = [
    "Migration report 2021",
    "The State Migration Service published a report about the",
    "integration of refugees in Azerbaijan. It describes four",
    "areas of work.",
    "A second paragraph starts here and it ends here.",
]

HTML = """<!doctype html><html><head><title>Site</title>
<script>var tracking = "SECRET_SCRIPT_TEXT";</script><style>.x{color:red}</style></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/news">NavNewsItem</a></li></ul></nav>
<article><h1>Migration forum held in Baku</h1>
<p>The State Migration Service hosted a regional forum on refugee integration in Baku this week.
Delegations from ten countries took part in the discussions about labour migration.</p>
<p>Participants agreed to prepare a joint road map for the next two years and to meet again in
autumn to review the progress made by each country.</p></article>
<footer>Copyright 2024 Example. All rights reserved.</footer></body></html>"""


def norm(text: str) -> str:
    return " ".join(text.split())


def write_docx(path: Path) -> None:
    d = docx.Document()
    d.add_heading("Qaçqınların inteqrasiyası", level=1)
    d.add_paragraph("Dövlət Miqrasiya Xidməti işçi qrupunun iclasını keçirib.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Sahə"
    table.cell(0, 1).text = "İmkan"
    table.cell(1, 0).text = "Təhsil"
    table.cell(1, 1).text = "Təhsilə çıxış imkanı"
    d.add_paragraph("Sonda müzakirələr aparılıb.")
    d.save(str(path))


@pytest.fixture
def good_dir(tmp_path: Path) -> Path:
    root = tmp_path / "good"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("Вусал Гусейнов провёл встречу.\nВторой абзац текста.\n", encoding="utf-8")
    (root / "b.md").write_text("# Title\n\nSome *markdown* text about migration.\n", encoding="utf-8")
    (root / "sub" / "c.html").write_text(HTML, encoding="utf-8")
    (root / "d.pdf").write_bytes(make_pdf(PDF_LINES))
    write_docx(root / "e.docx")
    return root


def test_every_format_loads(good_dir: Path) -> None:
    files = iter_source_files([good_dir])
    assert [s for _, s in files] == ["a.txt", "b.md", "d.pdf", "e.docx", "sub/c.html"]
    raws = {s: load_file(p, s, MAX) for p, s in files}
    assert {s: r.kind for s, r in raws.items()} == {
        "a.txt": "text", "b.md": "markdown", "d.pdf": "pdf", "e.docx": "docx", "sub/c.html": "html"
    }
    for source, raw in raws.items():
        assert raw.content_hash == hashlib.sha256((good_dir / source).read_bytes()).hexdigest()
        assert raw.source == source
    assert "Вусал Гусейнов провёл встречу." in raws["a.txt"].text
    assert "Some *markdown* text about migration." in raws["b.md"].text

    html = raws["sub/c.html"].text
    assert "Delegations from ten countries took part" in norm(html)
    assert "SECRET_SCRIPT_TEXT" not in html and "color:red" not in html and "NavNewsItem" not in html

    pdf = raws["d.pdf"].text
    assert pdf.split("\n\n")[0] == "Migration report 2021"  # a heading line stays its own paragraph
    assert "a report about the integration of refugees in Azerbaijan. It describes four areas of work." in pdf

    text = raws["e.docx"].text
    assert "Qaçqınların inteqrasiyası" in text
    assert "Təhsil | Təhsilə çıxış imkanı" in text  # table rows stay together
    assert text.index("işçi qrupunun") < text.index("Sahə | İmkan") < text.index("Sonda")  # document order


def test_documents_from_every_format(good_dir: Path) -> None:
    docs, warnings = load_documents([good_dir], MAX, progress=False)
    assert warnings == []
    by = {d.source: d for d in docs}
    assert set(by) == {"a.txt", "b.md", "d.pdf", "e.docx", "sub/c.html"}
    assert by["a.txt"].lang == "ru"
    assert by["sub/c.html"].title == "Migration forum held in Baku"
    assert by["d.pdf"].title == "Migration report 2021"
    assert by["e.docx"].lang == "az"
    # PDF/DOCX are not web pages: a short table row at the end is data, not a footer
    assert "Təhsil | Təhsilə çıxış imkanı" in by["e.docx"].text


def test_html_fallback_when_trafilatura_finds_nothing(tmp_path: Path) -> None:
    p = tmp_path / "tiny.htm"
    p.write_text("<html><body><script>alert('x')</script><p>Short note.</p></body></html>")
    raw = load_file(p, p.name, MAX)
    assert "Short note." in raw.text and "alert" not in raw.text


def test_cp1251_legacy_text(tmp_path: Path) -> None:
    p = tmp_path / "legacy.txt"
    p.write_bytes("Государственная миграционная служба Азербайджана.".encode("cp1251"))
    assert load_file(p, p.name, MAX).text == "Государственная миграционная служба Азербайджана."


def test_sources_and_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "docs" / ".git").mkdir(parents=True)
    (tmp_path / "docs" / ".git" / "x.txt").write_text("hidden")
    (tmp_path / "docs" / ".draft.txt").write_text("hidden")
    (tmp_path / "docs" / "z.txt").write_text("visible")
    (tmp_path / "single.md").write_text("one")
    listed = iter_source_files([tmp_path / "single.md", tmp_path / "docs", tmp_path / "docs" / "z.txt"])
    assert [s for _, s in listed] == ["single.md", "z.txt"]  # no duplicates, no hidden files
    with pytest.raises(InputError, match="no such file"):
        iter_source_files([tmp_path / "missing"])


def test_seed_source_names(seeds_dir: Path) -> None:
    names = [s for _, s in iter_source_files([seeds_dir])]
    assert "000_e8cbea2a3f3f1870.txt" in names and names == sorted(names)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("binary.txt", b"abc\x00\x01\x02def" * 10, "binary"),
        ("garbage.txt", bytes(range(128, 256)) * 4 + b"\x01\x02\x03", "not UTF-8"),
        ("corrupt.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n", "corrupt"),
        ("truncated.pdf", make_pdf(["hello world"])[:150], "corrupt"),
        ("scanned.pdf", make_pdf([]), "no extractable text"),
        ("corrupt.docx", b"PK\x03\x04 not a zip", "corrupt"),
        ("sheet.xlsx", b"whatever", "unsupported"),
        ("README", b"no suffix", "unsupported"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(FileRejectedError, match=reason) as exc:
        load_file(p, name, MAX)
    assert isinstance(exc.value, InputError) and exc.value.source == name


def test_oversized_and_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    with pytest.raises(FileRejectedError, match="too large"):
        load_file(big, big.name, 1000)

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(FileRejectedError, match="permission denied"):
        load_file(big, big.name, MAX)


def test_batch_skips_bad_files_and_keeps_the_rest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "good.txt").write_text("Dövlət Miqrasiya Xidmətində iclas keçirilib. Sonda müzakirələr aparılıb.")
    (root / "good.pdf").write_bytes(make_pdf(PDF_LINES))
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x00\xff" * 50)
    (root / "big.txt").write_text("x " * 5000)
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.4 garbage")
    (root / "notes.xyz").write_text("unsupported")
    (root / "only-furniture.txt").write_text("newsPhoto\n© 2024 Site\nHome | News | Contact\n")
    with caplog.at_level(logging.WARNING, logger="rag.ingest"):
        docs, warnings = load_documents([root, tmp_path / "missing.txt"], max_bytes=5000, progress=False)
    assert sorted(d.source for d in docs) == ["good.pdf", "good.txt"]
    expected = {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "big.txt": "too large",
        "corrupt.pdf": "corrupt",
        "notes.xyz": "unsupported",
        "only-furniture.txt": "no text left",
        "missing.txt": "no such file",
    }
    assert len(warnings) == len(expected)
    for name, reason in expected.items():
        hits = [w for w in warnings if w.startswith("skipped ") and name in w]
        assert len(hits) == 1 and reason in hits[0], (name, warnings)
    assert sum("skipped" in r.getMessage() for r in caplog.records) == len(expected)
