"""Reading Word statements: paragraphs and tables in reading order, the title, damaged files."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import pytest

from core.errors import MissingExtra, UnreadableDocument
from readers.documents import read_document
from tests.docx_files import heldout_lines, persian_article, write_statement

pytest.importorskip("docx")

DAMAGED = (
    "not a valid .docx file (not a Word zip package, or a damaged one): "
    "open it in Word or LibreOffice and save it again as .docx"
)


def test_paragraphs_and_table_cells_in_reading_order(tmp_path: Path) -> None:
    headline, paragraphs = persian_article()
    arabic = heldout_lines("ar", 4)
    path = write_statement(
        tmp_path / "statement.docx",
        heading=headline,
        paragraphs=paragraphs[:2],
        table=[arabic[:2], arabic[2:4]],
        after_table=paragraphs[2:],
    )
    document = read_document(path)
    assert document.format == "docx"
    assert document.body.split("\n\n") == [headline, *paragraphs[:2], *arabic, *paragraphs[2:]]
    assert document.title == headline  # the Title paragraph, not repeated in the body
    assert document.source_url is None and document.published is None


def test_the_title_comes_from_the_document_properties_first(tmp_path: Path) -> None:
    headline, paragraphs = persian_article()
    path = write_statement(tmp_path / "s.docx", core_title=headline, paragraphs=paragraphs)
    document = read_document(path)
    assert document.title == headline
    # A title only in the properties heads the body, so that it is translated.
    assert document.body == "\n\n".join([headline, *paragraphs])


def test_a_heading_1_paragraph_is_the_title_when_the_properties_have_none(tmp_path: Path) -> None:
    headline, paragraphs = persian_article()
    path = write_statement(tmp_path / "s.docx", heading=headline, heading_style="Heading 1", paragraphs=paragraphs)
    assert read_document(path).title == headline


def test_without_a_title_the_first_sentence_is_the_title(tmp_path: Path) -> None:
    lines = heldout_lines("hi", 3)
    document = read_document(write_statement(tmp_path / "s.docx", paragraphs=lines))
    assert document.body == "\n\n".join(lines)
    assert lines[0].startswith(document.title.rstrip("…"))


def test_a_source_line_at_the_end_is_the_source_link(tmp_path: Path) -> None:
    _headline, paragraphs = persian_article()
    source = "منبع: https://www.example.com/fa/news/2024/10/isfahan-central-library-reopens"
    document = read_document(write_statement(tmp_path / "s.docx", paragraphs=[*paragraphs, source]))
    assert document.source_url == "https://www.example.com/fa/news/2024/10/isfahan-central-library-reopens"
    assert "منبع" not in document.body


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a zip file",
        b"PK\x03\x04 cut short",
    ],
)
def test_a_file_that_is_not_a_docx_fails_with_the_reason(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "statement.docx"
    path.write_bytes(data)
    with pytest.raises(UnreadableDocument, match=f"^{re.escape(DAMAGED)}$"):
        read_document(path)


def test_an_empty_docx_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "statement.docx"
    path.write_bytes(b"")
    with pytest.raises(UnreadableDocument, match=r"^file is empty: nothing to translate$"):
        read_document(path)


def test_a_zip_that_is_not_a_word_package_fails_with_the_reason(tmp_path: Path) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("notes.txt", "hello")
    path = tmp_path / "statement.docx"
    path.write_bytes(data.getvalue())
    with pytest.raises(UnreadableDocument, match=f"^{re.escape(DAMAGED)}$"):
        read_document(path)


def test_a_truncated_docx_fails_with_the_reason(tmp_path: Path) -> None:
    headline, paragraphs = persian_article()
    whole = write_statement(tmp_path / "whole.docx", heading=headline, paragraphs=paragraphs).read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableDocument, match=f"^{re.escape(DAMAGED)}$"):
        read_document(path)


def test_an_old_doc_file_named_docx_says_to_save_it_as_docx(tmp_path: Path) -> None:
    path = tmp_path / "statement.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(UnreadableDocument, match=r"^a Word 97-2003 \.doc file, not \.docx: open it in Word"):
        read_document(path)


def test_a_docx_with_no_text_fails(tmp_path: Path) -> None:
    path = write_statement(tmp_path / "blank.docx", paragraphs=["", "  "])
    with pytest.raises(UnreadableDocument, match=r"^no text found in the docx file: nothing to translate$"):
        read_document(path)


def test_without_the_docx_extra_a_word_file_fails_with_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    headline, paragraphs = persian_article()
    path = write_statement(tmp_path / "s.docx", heading=headline, paragraphs=paragraphs)
    monkeypatch.setitem(sys.modules, "docx", None)
    with pytest.raises(MissingExtra) as caught:
        read_document(path)
    assert str(caught.value) == (
        "reading Word .docx files needs the docx extra (docx is not installed or cannot be imported): "
        "pip install 'digest-translate[docx]'"
    )
