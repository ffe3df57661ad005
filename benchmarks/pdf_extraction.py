"""How close each PDF library's text comes to the text a PDF was printed from, per pipeline.

For every `NAME.pdf` with its source `NAME.txt` in the folder (tests/data/pdf/ by default, printed
by benchmarks/make_test_pdfs.py), each pipeline extracts the text and is scored against the source.

Similarity: difflib.SequenceMatcher(None, source, extracted, autojunk=False).ratio(), i.e.
2 x matching characters / (characters in both), over both texts in NFC with every run of
whitespace made one space. A NUL the extractor gave for an unmapped glyph counts as a character
that does not match. The same measure for every row.

Pipelines:
  pypdf               PdfReader page.extract_text(), pages joined
  pypdf+nfkc          the same, NFKC (Arabic presentation forms back to letters)
  pypdf+nfkc+rtl      the same, each line's runs back in logical order (readers.pdf.repair_rtl_line)
  pypdfium2           PdfTextPage.get_text_range()
  pypdfium2+nfkc      the same, NFKC
  pypdfium2+respace   pypdfium2's letters, keeping only the spaces pypdf has too (readers.pdf.respace_lines)
  pdfminer            pdfminer.high_level.extract_text()
  pdfminer+nfkc       the same, NFKC
  digest              readers.pdf: per page, pypdf+nfkc+rtl for Arabic script, else pypdfium2+respace

pypdf and pypdfium2 come with the pdf extra; the pdfminer rows run where pdfminer.six is installed
(`pip install pdfminer.six`), and are left out otherwise.

    python benchmarks/pdf_extraction.py [FOLDER] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import describe
from readers import pdf as reader

PIPELINES = (
    "pypdf", "pypdf+nfkc", "pypdf+nfkc+rtl", "pypdfium2", "pypdfium2+nfkc", "pypdfium2+respace",
    "pdfminer", "pdfminer+nfkc", "digest",
)


# Pipelines that need a library beyond the pdf extra, by the module they import.
_NEEDS = {"pdfminer": "pdfminer", "pdfminer+nfkc": "pdfminer"}


def available() -> tuple[str, ...]:
    """The pipelines whose libraries are installed."""
    return tuple(p for p in PIPELINES if p not in _NEEDS or importlib.util.find_spec(_NEEDS[p]) is not None)


def similarity(source: str, extracted: str) -> float:
    """SequenceMatcher's ratio over NFC text with whitespace collapsed (see the module docstring)."""
    def flat(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    return SequenceMatcher(None, flat(source), flat(extracted), autojunk=False).ratio()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _pypdf(raw: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(raw)).pages)


def _pypdfium2(raw: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(raw)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _respaced(raw: bytes) -> str:
    import pypdf
    import pypdfium2

    pages = pypdf.PdfReader(io.BytesIO(raw)).pages
    document = pypdfium2.PdfDocument(raw)
    try:
        return "\n".join(
            "\n".join(reader.respace_lines([line.text for line in reader.pdfium_lines(document[i])],
                                           pages[i].extract_text() or ""))
            for i in range(len(document))
        )
    finally:
        document.close()


def _pdfminer(raw: bytes) -> str:
    from pdfminer.high_level import extract_text

    return str(extract_text(io.BytesIO(raw)))


def _digest(raw: bytes) -> str:
    """readers.pdf's text, before it refuses a text layer of unmapped glyphs (so it can be scored)."""
    import pypdf
    import pypdfium2

    pages = pypdf.PdfReader(io.BytesIO(raw)).pages
    document = pypdfium2.PdfDocument(raw)
    try:
        return "\n\n".join(reader.page_text(pages[i], document[i]) for i in range(len(document)))
    finally:
        document.close()


EXTRACT: dict[str, Callable[[bytes], str]] = {
    "pypdf": _pypdf,
    "pypdf+nfkc": lambda raw: _nfkc(_pypdf(raw)),
    "pypdf+nfkc+rtl": lambda raw: "\n".join(map(reader.repair_rtl_line, _nfkc(_pypdf(raw)).split("\n"))),
    "pypdfium2": _pypdfium2,
    "pypdfium2+nfkc": lambda raw: _nfkc(_pypdfium2(raw)),
    "pypdfium2+respace": _respaced,
    "pdfminer": _pdfminer,
    "pdfminer+nfkc": lambda raw: _nfkc(_pdfminer(raw)),
    "digest": _digest,
}


def measure(folder: Path, pipelines: tuple[str, ...] = PIPELINES) -> list[dict[str, object]]:
    """One row per PDF and pipeline: the similarity to the source and the seconds it took."""
    rows: list[dict[str, object]] = []
    for source in sorted(folder.glob("*.txt")):
        pdf = source.with_suffix(".pdf")
        if not pdf.exists():
            continue
        raw, text = pdf.read_bytes(), source.read_text(encoding="utf-8")
        for name in pipelines:
            start = time.perf_counter()
            extracted = EXTRACT[name](raw)
            seconds = time.perf_counter() - start
            rows.append({
                "pdf": pdf.name, "language": pdf.name.split("-")[0], "pipeline": name,
                "similarity": round(similarity(text, extracted), 4), "seconds": round(seconds, 3),
                "unmapped_glyphs": extracted.count("\x00"),
            })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path,
                        default=Path(__file__).resolve().parent.parent / "tests" / "data" / "pdf")
    parser.add_argument("--pipelines", nargs="+", choices=PIPELINES, default=list(available()))
    parser.add_argument("--json", action="store_true", help="print the rows and the machine as JSON")
    args = parser.parse_args()
    missing = sorted({_NEEDS[p] for p in args.pipelines if p not in available()})
    if missing:
        parser.error(f"{', '.join(missing)} is not installed: pip install pdfminer.six, or leave its pipelines out")
    rows = measure(args.folder, tuple(args.pipelines))
    if args.json:
        machine = describe("pypdf", "pypdfium2", "pdfminer.six")
        print(json.dumps({"machine": machine, "similarity": "difflib ratio, NFC, whitespace collapsed",
                          "results": rows}, ensure_ascii=False, indent=2))
        return
    pdfs = sorted({str(row["pdf"]) for row in rows})
    table = {(row["pdf"], row["pipeline"]): row["similarity"] for row in rows}
    print("| pipeline | " + " | ".join(pdfs) + " |")
    print("|---|" + "---:|" * len(pdfs))
    for name in args.pipelines:
        print(f"| {name} | " + " | ".join(f"{table[(pdf, name)]:.3f}" for pdf in pdfs) + " |")


if __name__ == "__main__":
    main()
