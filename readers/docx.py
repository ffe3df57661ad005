"""Reading Word documents (.docx): paragraphs and table cells in reading order, and the title, with python-docx."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from core.errors import MissingExtra, UnreadableDocument
from readers.parsed import Parsed

# A Word 97-2003 .doc (an OLE compound file) saved under a .docx name.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TITLE_STYLES = ("Title", "Heading 1")


def parse_docx(raw: bytes) -> Parsed:
    """The document's paragraphs and table cells (blank line between), and its title."""
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
        from lxml.etree import XMLSyntaxError
    except ImportError as exc:
        raise MissingExtra("docx", "Word .docx files", exc.name or "python-docx") from None
    if raw.startswith(_OLE_MAGIC):
        raise UnreadableDocument(
            "a Word 97-2003 .doc file, not .docx: open it in Word or LibreOffice and save it as .docx"
        )
    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError, PackageNotFoundError):
        raise UnreadableDocument(
            "not a valid .docx file (not a Word zip package, or a damaged one): "
            "open it in Word or LibreOffice and save it again as .docx"
        ) from None
    paragraphs = [" ".join(text.split()) for text in _texts(document)]
    # Created and modified dates say when the file was saved (often the template's), not when the
    # statement was issued, so no published date is taken from a Word file.
    return Parsed(
        text="\n\n".join(p for p in paragraphs if p),
        format="docx",
        title=_title(document),
    )


def _texts(container: Any) -> Iterator[str]:
    """Paragraph texts of `container` (the body or a table cell) in reading order, tables row by row."""
    for block in container.iter_inner_content():
        if hasattr(block, "rows"):
            # A merged cell is returned once for every grid column (and row) it spans. The
            # elements are kept, not just their ids, so that no id is reused while reading.
            seen: dict[int, Any] = {}
            for row in block.rows:
                for cell in row.cells:
                    if id(cell._tc) not in seen:
                        seen[id(cell._tc)] = cell._tc
                        yield from _texts(cell)
        else:
            yield block.text


def _title(document: Any) -> str | None:
    title = " ".join((document.core_properties.title or "").split())
    if title:
        return title
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        if style in _TITLE_STYLES and paragraph.text.strip():
            return " ".join(paragraph.text.split())
    return None
