"""Reading a PDF's text layer: Devanagari and Arabic-script text in logical order, in paragraphs.

No one library extracts both scripts well (benchmarks/RESULTS.md, "PDF text extraction"):

- pypdfium2 gives Devanagari letters in logical order, but inserts spaces inside words wherever a
  vowel sign or a reph is drawn out of order; pypdf keeps the word spaces but loses the glyphs a
  font reaches only through shaping (an i-matra, a reph) as NULs.
- pypdf, after NFKC (presentation forms back to letters), gives Arabic-script words in logical
  order but the runs of a right-to-left line in visual order: "<second half> 2024 <first half>".
  pypdfium2 reverses some Arabic words and not others.

So a page with mostly Arabic-script letters is read with pypdf, NFKC and right-to-left line
repair; any other page takes pypdfium2's letters and keeps only the spaces pypdf also has.
Paragraphs come from pypdfium2's line positions on both paths.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from core.errors import MissingExtra, UnreadableDocument
from readers.parsed import Parsed

NO_TEXT_LAYER = (
    "PDF has no text layer (a scan or an image): run OCR on it first, e.g. ocrmypdf, then drop in the result"
)
ENCRYPTED = (
    "PDF is encrypted with a password: save an unprotected copy (e.g. qpdf --decrypt --password=... IN OUT) "
    "and drop that in"
)
# What ends a sentence in the scripts read here: . ! ? … । ॥ ۔ ؟ and a closing quote or bracket.
_SENTENCE_END = re.compile(r"[.!?…\u0964\u0965\u06D4\u061F][\"'”’»)\]]*\s*\Z")
# A text layer with more glyphs than this mapped to no character (NUL) is unreadable, not text
# with a few gaps: Chromium writes Noto Nastaliq Urdu's contextual glyphs so (tests/data/pdf/).
_UNMAPPED_SHARE = 0.05
# A vertical step this much larger than the page's line pitch starts a new paragraph.
_PARAGRAPH_GAP = 1.3
# Baselines closer than this share of the usual step down the page are one line.
_SAME_LINE = 0.3
_ARABIC_LETTER = re.compile(r"[\u0620-\u064A\u066E-\u06D3\u06FA-\u06FF\u0750-\u077F\u08A0-\u08FF]")
_LETTER = re.compile(r"[^\W\d_]")
# The left-to-right runs of a right-to-left line as the bidi algorithm forms them: Latin words with
# what lies between them (digits after a Latin letter join its run), and numbers.
_LTR_RUN = re.compile(
    r"[A-Za-z\u00C0-\u024F](?:[ \-./:&',_]*[A-Za-z\u00C0-\u024F0-9])*"
    r"|[0-9\u06F0-\u06F9\u0660-\u0669](?:[.,:/\u066B\u066C]?[0-9\u06F0-\u06F9\u0660-\u0669])*"
)


@dataclass(frozen=True)
class _Line:
    """One line of a page as pypdfium2 sees it: its letters and the height of its baseline."""

    text: str
    y: float


def parse_pdf(raw: bytes) -> Parsed:
    """The text of a PDF's text layer in paragraphs, with its /Title and /CreationDate."""
    pypdf, pdfium = _libraries()
    reader = _open_pypdf(pypdf, raw)
    document = _open_pdfium(pdfium, raw)
    try:
        pages = [
            page_text(reader.pages[index], document[index])
            for index in range(min(len(reader.pages), len(document)))
        ]
    except (pypdf.errors.PyPdfError, pdfium.PdfiumError) as exc:
        raise UnreadableDocument(_damaged(exc)) from None
    finally:
        document.close()
    text = _join_pages([page for page in pages if page.strip()])
    if not text.strip():
        raise UnreadableDocument(NO_TEXT_LAYER)
    unmapped = text.count("\x00") / sum(not char.isspace() for char in text)
    if unmapped > _UNMAPPED_SHARE:
        raise UnreadableDocument(_unmapped(unmapped))
    text = text.replace("\x00", "")  # a few glyphs lost: the words they were in stay whole
    title, published = metadata(reader)
    return Parsed(text=text, format="pdf", title=title, published=published)


def _join_pages(pages: Sequence[str]) -> str:
    """Pages' text in one: a paragraph that a page break cuts mid-sentence goes on across it."""
    out: list[str] = []
    for page in pages:
        if out:
            out.append("\n\n" if _SENTENCE_END.search(out[-1]) else " ")
        out.append(page)
    return "".join(out)


def _libraries() -> tuple[Any, Any]:
    # Imported here, not at the top: the pdf extra is optional, and `digest --help` stays fast.
    try:
        import pypdf
        import pypdf.errors
        import pypdfium2
        import pypdfium2.raw
    except ImportError as exc:
        raise MissingExtra("pdf", "PDF files", exc.name or "pypdf") from None
    # pypdf logs what it repairs ("EOF marker not found") as warnings, which with no logging set up
    # reach stderr beside digest's own one-line failure for the same file.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return pypdf, pypdfium2


def _damaged(exc: BaseException) -> str:
    detail = " ".join(str(exc).split())[:120] or type(exc).__name__
    return f"PDF is damaged or not a PDF ({detail}): re-download or re-export it"


def _unmapped(share: float) -> str:
    return (
        f"PDF's text layer maps {share:.0%} of its glyphs to no character (a font without a Unicode map, "
        "as with Nastaliq): run OCR on it, e.g. ocrmypdf --force-ocr, then drop in the result"
    )


def _open_pypdf(pypdf: Any, raw: bytes) -> Any:
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument(ENCRYPTED)
        len(reader.pages)  # reading the page tree finds most damage now, not halfway through
    except UnreadableDocument:
        raise
    except pypdf.errors.DependencyError:
        # An encryption pypdf needs `cryptography` for, even with an empty password.
        raise UnreadableDocument(ENCRYPTED) from None
    except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise UnreadableDocument(_damaged(exc)) from None
    return reader


def _open_pdfium(pdfium: Any, raw: bytes) -> Any:
    try:
        return pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UnreadableDocument(ENCRYPTED) from None
        raise UnreadableDocument(_damaged(exc)) from None


def page_text(pypdf_page: Any, pdfium_page: Any) -> str:
    """One page's text, paragraphs separated by blank lines, read the way its script needs."""
    rough = pypdf_page.extract_text() or ""
    lines = pdfium_lines(pdfium_page)
    if not rough.strip() and not any(line.text.strip() for line in lines):
        return ""
    if is_arabic_script(rough):
        text_lines = [repair_rtl_line(line) for line in unicodedata.normalize("NFKC", rough).split("\n")]
        text_lines = [line for line in text_lines if line.strip()]
        if len(text_lines) != len(lines):
            return "\n".join(text_lines)  # no geometry to match: one line each
        ys = [line.y for line in lines]
    else:
        text_lines = respace_lines([line.text for line in lines], rough)
        ys = [line.y for line in lines]
    return unicodedata.normalize("NFC", paragraphs(text_lines, ys))


def is_arabic_script(text: str) -> bool:
    """True when most letters of `text` are Arabic-script (Arabic, Urdu, Persian, presentation forms)."""
    folded = unicodedata.normalize("NFKC", text)
    letters = len(_LETTER.findall(folded))
    return letters > 0 and len(_ARABIC_LETTER.findall(folded)) * 2 > letters


def pdfium_lines(page: Any) -> list[_Line]:
    """pypdfium2's characters of `page` by line; a space is kept where pypdfium2 inserted one."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        handle = textpage.raw
        x, y = ctypes.c_double(), ctypes.c_double()
        lines: list[_Line] = []
        chars: list[str] = []
        heights: list[float] = []

        def close() -> None:
            if "".join(chars).strip():
                lines.append(_Line("".join(chars).strip(), statistics.median(heights) if heights else 0.0))
            chars.clear()
            heights.clear()

        for index in range(pdfium_c.FPDFText_CountChars(handle)):
            char = chr(pdfium_c.FPDFText_GetUnicode(handle, index))
            if char in "\r\n":
                if char == "\n":
                    close()
                continue
            if char.isspace() or char == "\x00":
                chars.append(" " if char.isspace() else char)
                continue
            chars.append(char)
            if pdfium_c.FPDFText_GetCharOrigin(handle, index, ctypes.byref(x), ctypes.byref(y)):
                heights.append(y.value)
        close()
        return _same_baseline_merged(lines)
    finally:
        textpage.close()


def _same_baseline_merged(lines: list[_Line]) -> list[_Line]:
    """Lines on one baseline made one: pypdfium2 breaks a right-to-left line where a number sits."""
    steps = [abs(a.y - b.y) for a, b in itertools.pairwise(lines)]
    if not steps:
        return lines
    tolerance = _SAME_LINE * statistics.median(steps)
    merged = [lines[0]]
    for line in lines[1:]:
        if abs(line.y - merged[-1].y) < tolerance:
            merged[-1] = _Line(f"{merged[-1].text} {line.text}", merged[-1].y)
        else:
            merged.append(line)
    return merged


def respace_lines(lines: Sequence[str], reference: str) -> list[str]:
    """`lines` with a space kept only where `reference` (the same page by pypdf) has one too.

    The two extractions are aligned on their letters; a space of `lines` between two letters that
    `reference` has side by side goes. Where `reference` lost the letters around a space (NULs), the
    nearest letters it kept on each side decide.
    """
    letters = [[char for char in line if not char.isspace()] for line in lines]
    flat = [char for line in letters for char in line]
    ref_positions = [i for i, char in enumerate(reference) if not char.isspace()]
    ref_letters = [reference[i] for i in ref_positions]
    matched: dict[int, int] = {}  # index in `flat` -> index in `reference`
    for block in SequenceMatcher(None, flat, ref_letters, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            matched[block.a + k] = ref_positions[block.b + k]
    keys = sorted(matched)
    out: list[str] = []
    start = 0
    for line in lines:
        pieces: list[str] = []
        index = start
        pending_space = False
        for char in line:
            if char.isspace():
                pending_space = bool(pieces)
                continue
            if pending_space and _reference_has_space(reference, matched, keys, index):
                pieces.append(" ")
            pending_space = False
            pieces.append(char)
            index += 1
        start = index
        out.append("".join(pieces))
    return out


def _reference_has_space(reference: str, matched: dict[int, int], keys: list[int], index: int) -> bool:
    """Whether `reference` has whitespace between the matched letters around flat index `index`."""
    import bisect

    right = bisect.bisect_left(keys, index)
    if right == 0 or right == len(keys):
        return True  # nothing to compare with: keep pypdfium2's space
    left_pos, right_pos = matched[keys[right - 1]], matched[keys[right]]
    if right_pos <= left_pos:
        return True
    return any(char.isspace() for char in reference[left_pos + 1 : right_pos])


def repair_rtl_line(line: str) -> str:
    """A right-to-left line whose runs pypdf gave in visual order, back in logical order.

    pypdf writes each run's letters in logical order but the runs left to right: "کی2024 یکم"
    for "یکم 2024 کی". Reversing the sequence of runs (right-to-left text and the numbers and Latin
    words between it) restores the order; a line without a left-to-right run is left as it is.
    """
    runs: list[str] = []
    position = 0
    for match in _LTR_RUN.finditer(line):
        runs.append(line[position : match.start()])
        runs.append(match.group())
        position = match.end()
    runs.append(line[position:])
    if len(runs) == 1 or not _ARABIC_LETTER.search(line):
        return line.strip()
    return " ".join(run.strip() for run in reversed(runs) if run.strip())


def paragraphs(lines: Sequence[str], ys: Sequence[float]) -> str:
    """Lines joined into paragraphs: a blank line where the step down the page is wider than a line's."""
    if not lines:
        return ""
    steps = [abs(a - b) for a, b in itertools.pairwise(ys)]
    pitch = min((step for step in steps if step > 0), default=0.0)
    out = [lines[0]]
    for line, step in zip(lines[1:], steps):
        out.append("\n\n" if pitch and step > _PARAGRAPH_GAP * pitch else " ")
        out.append(line)
    return re.sub(r"[ \t]+", " ", "".join(out)).strip()


def metadata(reader: Any) -> tuple[str | None, str | None]:
    """The document's /Title, and its /CreationDate as an ISO-8601 date, where they are sensible."""
    try:
        info = reader.metadata
    except Exception:  # noqa: BLE001 - a damaged info dictionary loses the metadata, not the text
        return None, None
    if not info:
        return None, None
    title = " ".join(str(info.get("/Title") or "").split()) or None
    return title, _pdf_date(str(info.get("/CreationDate") or ""))


def _pdf_date(value: str) -> str | None:
    """"D:20240401120000+07'00'" -> "2024-04-01"; None for a missing or implausible date."""
    match = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", value.strip())
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)
    try:
        date = datetime(year, month, day)
    except ValueError:
        return None
    return date.date().isoformat() if 1990 <= year <= 2100 else None
