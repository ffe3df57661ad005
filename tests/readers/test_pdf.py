"""Reading PDFs' text layers: Hindi and Urdu printed by Chromium come back at least 95% the same."""

from __future__ import annotations

import io
import re
import sys
import unicodedata
from difflib import SequenceMatcher
from importlib.util import find_spec
from pathlib import Path

import pytest

from core.errors import UnreadableDocument
from readers.pdf import ENCRYPTED, NO_TEXT_LAYER, _pdf_date, parse_pdf, repair_rtl_line

DATA = Path(__file__).resolve().parents[1] / "data"
PDFS = DATA / "pdf"
needs_pdf = pytest.mark.skipif(
    find_spec("pypdf") is None or find_spec("pypdfium2") is None,
    reason="the pdf extra (pypdf, pypdfium2) is not installed",
)
TARGET = 0.95


def similarity(source: str, extracted: str) -> float:
    """The benchmark's measure: difflib's ratio over NFC text with whitespace collapsed."""
    def flat(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    return SequenceMatcher(None, flat(source), flat(extracted), autojunk=False).ratio()


def read(name: str) -> bytes:
    return (PDFS / name).read_bytes()


@needs_pdf
@pytest.mark.parametrize("name", ["hi-sample", "hi-udhr", "ur-sample", "ur-udhr", "fa-udhr", "ar-udhr"])
def test_text_is_at_least_95_percent_the_printed_text(name: str) -> None:
    parsed = parse_pdf(read(f"{name}.pdf"))

    assert parsed.format == "pdf"
    assert similarity((PDFS / f"{name}.txt").read_text(encoding="utf-8"), parsed.text) >= TARGET
    assert "\x00" not in parsed.text
    assert parsed == parse_pdf(read(f"{name}.pdf"))  # the same text every time


@needs_pdf
def test_devanagari_words_keep_their_vowel_signs_and_lose_the_spaces_inside_them() -> None:
    text = parse_pdf(read("hi-sample.pdf")).text

    assert text.startswith("2024 में, प्रांत का पार्टी निर्माण संगठन क्षेत्र निर्धारित आवश्यकताओं के अनुसार")


@needs_pdf
def test_urdu_lines_with_numbers_come_back_in_logical_order() -> None:
    text = parse_pdf(read("ur-sample.pdf")).text

    assert text.startswith("یکم اپریل کی دوپہر کو، مرکزی تنظیمی کمیٹی نے 2024 کی پہلی سہ ماہی میں")


@needs_pdf
@pytest.mark.parametrize("name", ["hi-sample", "ur-sample", "hi-udhr", "ar-udhr"])
def test_paragraphs_are_separated_by_blank_lines(name: str) -> None:
    source = (PDFS / f"{name}.txt").read_text(encoding="utf-8")
    text = parse_pdf(read(f"{name}.pdf")).text

    assert len(text.split("\n\n")) == len(source.strip().split("\n\n"))
    assert "\n" not in text.replace("\n\n", "")


@needs_pdf
def test_title_and_creation_date_come_from_the_metadata() -> None:
    parsed = parse_pdf(read("ur-udhr.pdf"))

    assert parsed.title == "انسانی حقوق کا عالمی منشور"
    assert parsed.published is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", parsed.published)


def test_pdf_dates_become_iso_dates_and_implausible_ones_none() -> None:
    assert _pdf_date("D:20240401120000+07'00'") == "2024-04-01"
    assert _pdf_date("D:2024") == "2024-01-01"
    assert _pdf_date("D:00000000") is None
    assert _pdf_date("D:20241341") is None
    assert _pdf_date("yesterday") is None


def test_right_to_left_runs_are_put_back_in_logical_order() -> None:
    assert repair_rtl_line(" کی پہلی سہ ماہی کی2024 یکم اپریل نے") == "یکم اپریل نے 2024 کی پہلی سہ ماہی کی"
    assert repair_rtl_line("یکم اپریل کی دوپہر") == "یکم اپریل کی دوپہر"
    assert repair_rtl_line("Hello 2024 world") == "Hello 2024 world"


@needs_pdf
@pytest.mark.parametrize("path", [PDFS / "image-only.pdf", DATA / "bad_inputs" / "scan-no-text.pdf"])
def test_a_pdf_without_a_text_layer_says_to_run_ocr(path: Path) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        parse_pdf(path.read_bytes())

    assert str(caught.value) == NO_TEXT_LAYER
    assert str(caught.value) == (
        "PDF has no text layer (a scan or an image): run OCR on it first, e.g. ocrmypdf, then drop in the result"
    )


@needs_pdf
def test_a_text_layer_of_unmapped_glyphs_is_refused_rather_than_read_as_gibberish() -> None:
    with pytest.raises(UnreadableDocument, match=r"^PDF's text layer maps \d+% of its glyphs to no character"):
        parse_pdf(read("ur-sample-nastaliq.pdf"))


@needs_pdf
@pytest.mark.parametrize("raw", [b"", b"not a pdf at all", b"%PDF-1.7\n", "truncated"])
def test_a_damaged_file_says_so_in_one_line(raw: bytes | str) -> None:
    data = read("hi-udhr.pdf")[:4000] if raw == "truncated" else raw
    assert isinstance(data, bytes)

    with pytest.raises(UnreadableDocument) as caught:
        parse_pdf(data)

    message = str(caught.value)
    assert message.startswith("PDF is damaged or not a PDF (")
    assert message.endswith("): re-download or re-export it")
    assert "\n" not in message


@needs_pdf
def test_an_encrypted_pdf_asks_for_an_unprotected_copy() -> None:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(read("hi-udhr.pdf")))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)

    with pytest.raises(UnreadableDocument) as caught:
        parse_pdf(locked.getvalue())

    assert str(caught.value) == ENCRYPTED


@pytest.mark.parametrize("module", ["pypdf", "pypdfium2"])
def test_without_the_extra_the_message_names_it(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError

    with pytest.raises(UnreadableDocument) as caught:
        parse_pdf(b"%PDF-1.7\n")

    assert str(caught.value) == (
        f"reading PDF files needs the pdf extra ({module} is not installed or cannot be imported): "
        "pip install 'digest-translate[pdf]'"
    )
