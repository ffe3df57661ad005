"""`digest inspect`: a document as digest reads it, with no model: why a line went, why a paragraph stays.

For each file: its format, title, source link and date; every line removed as boilerplate with the
rule that removed it; each paragraph of the body with its language and route; and the sentences
as they go to the model (a sentence longer than the model takes is split further at translation
time, at clauses; that needs the model's tokenizer, so it is not shown here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.names import display_path
from digest.pipeline import find_inputs, route_options
from digest.settings import Settings
from digest.stages import Detected, detect, read
from readers.documents import check_inputs


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a body, the language it was found in, where it goes, and its sentences."""

    index: int
    language: str
    route: str
    model: str | None
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Removed:
    """A line taken out of the text before translation, and the rule that took it."""

    line: str
    rule: str


@dataclass(frozen=True)
class Inspection:
    """How digest reads one file; `error` says why it cannot, and then the rest is empty."""

    path: str
    format: str | None = None
    title: str | None = None
    source_url: str | None = None
    published: str | None = None
    language: str | None = None
    confidence: float | None = None
    route: str | None = None
    model: str | None = None
    languages: tuple[tuple[str, float], ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()
    removed: tuple[Removed, ...] = ()
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        """The inspection as JSON-ready data."""
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        return {
            "path": self.path,
            "format": self.format,
            "title": self.title,
            "source_url": self.source_url,
            "published": self.published,
            "language": self.language,
            "confidence": self.confidence,
            "route": self.route,
            "model": self.model,
            "languages": dict(self.languages),
            "paragraphs": [
                {"language": p.language, "route": p.route, "model": p.model, "sentences": list(p.sentences)}
                for p in self.paragraphs
            ],
            "removed": [{"line": r.line, "rule": r.rule} for r in self.removed],
        }


def inspect_paths(paths: Sequence[Path], *, settings: Settings) -> list[Inspection]:
    """How digest reads every file under `paths`, without loading any model."""
    check_inputs(paths)
    found = find_inputs(paths, settings=settings)
    loaded = read(found.files, max_bytes=settings.max_file_bytes)
    options = route_options(settings)
    results: list[Inspection] = []
    for document in loaded.documents:
        detections = detect([document], options=options)
        if detections.failures:
            results.append(Inspection(display_path(document.path), error=detections.failures[0].error))
            continue
        results.append(_inspection(detections.detected[0]))
    results += [
        Inspection(display_path(f.path), error=f.error) for f in [*found.failures, *loaded.failures]
    ]
    results += [Inspection(display_path(s.path), error=f"skipped: {s.reason}") for s in found.skipped]
    return sorted(results, key=lambda r: r.path)


def _inspection(item: Detected) -> Inspection:
    from core.segment import segment_text

    document = item.document
    sentences: dict[int, list[str]] = {}
    for segment in segment_text(document.body):
        sentences.setdefault(segment.paragraph, []).append(segment.text)
    paragraphs = []
    for position, index in enumerate(sorted(sentences)):
        route = item.paragraph_routes[position] if item.paragraph_routes else item.route
        language = item.paragraph_languages[position] if item.paragraph_languages else item.detection.language
        paragraphs.append(Paragraph(index, language, route.route.value, route.model_id, tuple(sentences[index])))
    return Inspection(
        path=display_path(document.path),
        format=document.format,
        title=document.title,
        source_url=document.source_url,
        published=document.published,
        language=item.detection.language,
        confidence=round(item.detection.confidence, 3),
        route=item.route.route.value,
        model=item.route.model_id,
        languages=item.languages or ((item.detection.language, 1.0),),
        paragraphs=tuple(paragraphs),
        removed=tuple(Removed(line, rule) for rule, line in document.removed),
    )


