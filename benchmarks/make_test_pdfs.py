"""Print the test PDFs in tests/data/pdf/ from text already in the repository, with headless Chromium.

Each source text becomes a small HTML page (with its `lang`, `dir="rtl"` for Arabic script, and a
Noto font from the system's fonts-noto-core package), printed with Chromium's print-to-PDF: a real
shaping engine (HarfBuzz) and real fonts, so the PDFs' text layers are what a browser or a word
processor writes, ligatures and reordered matras included. The source text of each PDF is kept
beside it as NAME.txt: it is what the extraction is scored against.

    python benchmarks/make_test_pdfs.py [--out tests/data/pdf] [--chromium chromium]
"""

from __future__ import annotations

import argparse
import base64
import html
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELDOUT_LINES = 12  # the first UDHR sentences: enough text for a page, small files

# name -> (source file, lines or None for all, lang, rtl, font family, title)
SOURCES: dict[str, tuple[str, int | None, str, bool, str, str]] = {
    "hi-sample": ("samples/hi-quang-nam-party-members-2024.txt", None, "hi", False,
                  "Noto Sans Devanagari", "क्वांग नाम: पार्टी सदस्य"),
    "ur-sample": ("samples/ur-hai-duong-organising-committee-q1-2024.txt", None, "ur", True,
                  "Noto Naskh Arabic", "ہائی ڈونگ: تنظیمی کمیٹی"),
    # Nastaliq, as Urdu news sites set it: a hard case kept to measure (see tests/data/pdf/README.md).
    "ur-sample-nastaliq": ("samples/ur-hai-duong-organising-committee-q1-2024.txt", None, "ur", True,
                           "Noto Nastaliq Urdu", "ہائی ڈونگ: تنظیمی کمیٹی"),
    "hi-udhr": ("tests/data/heldout/hi.txt", HELDOUT_LINES, "hi", False, "Noto Sans Devanagari",
                "मानव अधिकारों की सार्वभौम घोषणा"),
    "ur-udhr": ("tests/data/heldout/ur.txt", HELDOUT_LINES, "ur", True, "Noto Naskh Arabic",
                "انسانی حقوق کا عالمی منشور"),
    "fa-udhr": ("tests/data/heldout/fa.txt", HELDOUT_LINES, "fa", True, "Noto Naskh Arabic",
                "اعلامیه جهانی حقوق بشر"),
    "ar-udhr": ("tests/data/heldout/ar.txt", HELDOUT_LINES, "ar", True, "Noto Naskh Arabic",
                "الإعلان العالمي لحقوق الإنسان"),
}

PAGE = """<!doctype html>
<html lang="{lang}"{dir}>
<head><meta charset="utf-8"><title>{title}</title>
<style>body {{ font-family: "{font}", serif; font-size: 14pt; line-height: 1.9; margin: 2cm; }}</style>
</head>
<body>
{body}
</body>
</html>
"""


def source_text(path: str, lines: int | None) -> str:
    """The paragraphs of `path` (one a line, blank lines dropped), the first `lines` of them if given."""
    paragraphs = [line.strip() for line in (ROOT / path).read_text(encoding="utf-8").splitlines()]
    paragraphs = [p for p in paragraphs if p]
    return "\n\n".join(paragraphs[:lines] if lines else paragraphs) + "\n"


def page(text: str, *, lang: str, rtl: bool, font: str, title: str) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    return PAGE.format(lang=lang, dir=' dir="rtl"' if rtl else "", title=html.escape(title), font=font, body=body)


def gray_png(width: int, height: int) -> bytes:
    """A PNG of grey stripes, written by hand: the image-only page needs no imaging library."""
    rows = b"".join(b"\x00" + bytes((0x40 if (y // 8) % 2 else 0xC0,) * width) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def print_pdf(chromium: str, html_path: Path, pdf_path: Path) -> None:
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf_path}", html_path.as_uri()],
        check=True, capture_output=True, timeout=120,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests/data/pdf")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, lines, lang, rtl, font, title) in SOURCES.items():
            text = source_text(path, lines)
            (args.out / f"{name}.txt").write_text(text, encoding="utf-8")
            html_path = Path(tmp) / f"{name}.html"
            html_path.write_text(page(text, lang=lang, rtl=rtl, font=font, title=title), encoding="utf-8")
            print_pdf(args.chromium, html_path, args.out / f"{name}.pdf")
            print(f"{name}.pdf  <- {path}")
        # A page whose only content is a picture: a scan as far as a text extractor can tell.
        image = base64.b64encode(gray_png(400, 300)).decode("ascii")
        html_path = Path(tmp) / "image-only.html"
        html_path.write_text(
            f'<!doctype html><html><head><meta charset="utf-8"><title></title></head>'
            f'<body><img src="data:image/png;base64,{image}" width="400" height="300"></body></html>',
            encoding="utf-8",
        )
        print_pdf(args.chromium, html_path, args.out / "image-only.pdf")
        print("image-only.pdf  <- a PNG, no text")


if __name__ == "__main__":
    main()
