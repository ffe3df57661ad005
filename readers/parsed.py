"""What a format reader extracts from a file before boilerplate removal: text and metadata."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parsed:
    """A file's text, paragraphs separated by blank lines, with the metadata its format carried."""

    text: str
    format: str  # "text", "html", "pdf", "docx"
    title: str | None = None  # from the file's metadata, in its own language
    source_url: str | None = None  # the canonical or og:url of a page, a document's link
    published: str | None = None  # ISO-8601 date, when the file says
