"""Frozen value objects passed between the stages."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Route(str, enum.Enum):
    """How a document reaches English."""

    MARIAN = "marian"
    NLLB = "nllb"
    IDENTITY = "identity"


@dataclass(frozen=True)
class Document:
    """A file read from disk, with scraped-news boilerplate separated from the body."""

    path: Path
    text: str  # the file's text as read (decoded, newlines normalised), or as a format's reader extracted it
    body: str  # text with page chrome (ads, counters, menus, widgets, template lines) and the source line removed
    title: str
    source_url: str | None
    sha256: str  # of the raw bytes, so a changed file is noticed
    format: str = "text"  # how it was read: "text" (.txt, .md), "html", "docx"
    published: str | None = None  # ISO-8601 date, when the file's metadata says
    removed: tuple[tuple[str, str], ...] = ()  # (rule, line) for each line removed from the text as chrome


@dataclass(frozen=True)
class Detection:
    """Which language a text is in, and how sure the detector is."""

    language: str  # ISO 639-1 where one exists ("hi", "ur", "fa"), else 639-3
    confidence: float  # 0..1
    method: str = "langdetect"  # "script", "langdetect", "override"


@dataclass(frozen=True)
class ModelRoute:
    """Where a language goes: the route kind, the model id and its source-language code."""

    route: Route
    model_id: str | None  # None for identity
    source_code: str | None = None  # NLLB code such as "hin_Deva"; None for Marian

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """Documents sharing this key are translated together in one batch."""
        return (self.route.value, self.model_id, self.source_code)


@dataclass(frozen=True)
class Segment:
    """One piece of a document to translate, and the whitespace that followed it."""

    text: str
    paragraph: int
    trailer: str = " "  # what joins it to the next segment when rebuilding


@dataclass(frozen=True)
class Translation:
    """A document's full English text."""

    text: str
    segments: int  # segments sent to a model (0 for identity)
    segments_from_cache: int = 0
    # (original, English) for each paragraph of the source, in order, so pages can set them side by side.
    paragraphs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DigestEntry:
    """One item of a digest, as written to digest.json."""

    path: str
    title: str
    language: str
    confidence: float
    route: Route
    model: str | None
    summary: str
    source_url: str | None
    link: str  # source_url when it is http(s), else a file:// link
    translation: str  # path of the translation relative to digest.json
    # Each language's share of the letters, largest first; empty: all in `language`.
    languages: tuple[tuple[str, float], ...] = ()
    original_title: str = ""  # the headline as the document wrote it, in its own language
    published: str | None = None  # ISO-8601 date, when the document's metadata says


@dataclass(frozen=True)
class Failure:
    """A file that could not be processed, and why."""

    path: str
    error: str


@dataclass(frozen=True)
class Skipped:
    """A file that was not a supported input."""

    path: str
    reason: str


@dataclass(frozen=True)
class StageTime:
    """How long one stage was busy in a run, and how many tokens its models generated."""

    seconds: float = 0.0
    tokens: int | None = None  # None for stages that generate nothing


@dataclass(frozen=True)
class Stats:
    """Counters reported in digest.json."""

    files: int = 0
    segments_translated: int = 0
    segments_from_cache: int = 0
    files_unchanged: int = 0
    seconds: float = 0.0
    lines_removed: int = 0  # chrome lines removed from the documents read this run
    # Stage name -> busy time, in the order the stages ran. Summaries overlap the next window's
    # translation, so the times can add up to more than `seconds`.
    stages: tuple[tuple[str, StageTime], ...] = ()


@dataclass(frozen=True)
class Digest:
    """A day's digest, ready to render."""

    generated_at: str  # ISO-8601 with timezone
    date: str  # YYYY-MM-DD
    inputs: tuple[str, ...]
    items: tuple[DigestEntry, ...]
    failures: tuple[Failure, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    stats: Stats = field(default_factory=Stats)
