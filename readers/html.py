"""Reading saved web pages (HTML, XHTML): the article's main text and its metadata, with trafilatura."""

from __future__ import annotations

import codecs
import re

from core.errors import MissingExtra, UnreadableDocument
from readers.documents import BYTE_ORDER_MARKS
from readers.parsed import Parsed

# <meta charset="...">, <meta http-equiv="Content-Type" content="text/html; charset=...">, and an
# XHTML page's XML declaration. Browsers look in the first 1024 bytes; saved pages often put
# scripts first, so the head is searched further.
_DECLARED = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*(?P<meta>[A-Za-z0-9._:-]+)"""
    rb"""|\A\s*<\?xml\b[^>]*?encoding\s*=\s*["'](?P<xml>[A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)
_HEAD_BYTES = 16 * 1024
_WINDOWS = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}
_NOT_ARTICLE = ["//nav", "//header[not(ancestor::article)]", "//footer[not(ancestor::article)]"]
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*\?>")


def parse_html(raw: bytes) -> Parsed:
    """The page's main text (paragraphs separated by blank lines), title, canonical link and date."""
    try:
        from trafilatura import bare_extraction
    except ImportError as exc:
        raise MissingExtra("html", "HTML pages", exc.name or "trafilatura") from None
    page = _decode(raw)
    # lxml refuses a str that still declares an encoding; the page is already decoded.
    page = _XML_DECLARATION.sub("", page, count=1)
    # Reader comments are not the article; tables are (figures in a news story). Menus and the
    # page's own header and footer are pruned first: on a page with no article, trafilatura's
    # fallback would otherwise return the menu's links as its text.
    extracted = bare_extraction(
        page,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        prune_xpath=_NOT_ARTICLE,
    )
    text = getattr(extracted, "text", None) or ""
    paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    body = "\n\n".join(p for p in paragraphs if p)
    if not body:
        raise UnreadableDocument(
            "no article text found in the page (only navigation, scripts or markup): nothing to translate"
        )
    return Parsed(
        text=body,
        format="html",
        title=_clean(getattr(extracted, "title", None)),
        source_url=_clean(getattr(extracted, "url", None)),
        published=_clean(getattr(extracted, "date", None)),
    )


def _decode(raw: bytes) -> str:
    """`raw` decoded by its byte order mark, else its declared charset, else as UTF-8."""
    encoding = next((name for bom, name in BYTE_ORDER_MARKS if raw.startswith(bom)), None)
    if encoding is not None:
        return raw.decode(encoding, errors="replace").lstrip("\ufeff")
    declared = _DECLARED.search(raw[:_HEAD_BYTES])
    if declared:
        name = (declared.group("meta") or declared.group("xml")).decode("ascii").lower()
        try:
            codecs.lookup(name)
        except LookupError:
            pass  # an unknown name: read as UTF-8, as if none were declared
        else:
            # A declaration readable as ASCII cannot be in UTF-16 whatever it says, and pages
            # labelled Latin-1 are written in its superset windows-1252: browsers do the same.
            name = "utf-8" if name.startswith(("utf-16", "utf-32")) else _WINDOWS.get(codecs.lookup(name).name, name)
            # What the page declares is trusted as browsers trust it: a stray bad byte is shown
            # as U+FFFD rather than refusing the whole article.
            return raw.decode(name, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(
            f"not UTF-8 (byte 0x{raw[exc.start]:02X} at offset {exc.start} is invalid) and the page declares "
            "no charset: add <meta charset=\"...\"> naming its encoding, or save it as UTF-8"
        ) from None


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None
