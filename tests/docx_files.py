"""Word files for the tests, built with python-docx from real text kept in the repository."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PERSIAN_SAMPLE = REPO / "samples" / "fa-isfahan-central-library-2024.txt"
HELDOUT = REPO / "tests" / "data" / "heldout"


def persian_article() -> tuple[str, list[str]]:
    """The Persian sample's headline and its paragraphs (the closing source line left out)."""
    lines = [line for line in PERSIAN_SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[0], [line for line in lines[1:] if not line.startswith("منبع:")]


def heldout_lines(language: str, count: int) -> list[str]:
    """The first `count` held-out sentences in `language` (tests/data/heldout/)."""
    text = (HELDOUT / f"{language}.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()][:count]


def write_statement(
    path: Path,
    *,
    core_title: str | None = None,
    heading: str | None = None,
    heading_style: str = "Title",
    paragraphs: list[str],
    table: list[list[str]] | None = None,
    after_table: Sequence[str] = (),
) -> Path:
    """A .docx: an optional heading paragraph, paragraphs, an optional table, more paragraphs."""
    import docx

    document = docx.Document()
    if core_title is not None:
        document.core_properties.title = core_title
    if heading is not None:
        document.add_paragraph(heading, style=heading_style)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table):
            for cell, text in zip(row.cells, cells):
                cell.text = text
    for text in after_table:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
