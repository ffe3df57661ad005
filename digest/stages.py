"""The run's stages: what each computes from a frozen record, with no state store and no settings.

Each stage is a plain function, or a small class holding a loaded model, taking and returning
frozen, picklable records, so the same calls can run in this process (digest.engine.LocalEngine)
or in worker processes. The state store and the translation memory belong to the driver
(digest.pipeline): nothing here imports digest.state, digest.settings or the driver.

    read       paths                      -> Read        (documents, failures)
    strip_template documents + template   -> documents without the lines that recur across documents
    detect     documents                  -> Detections  (Detected, failures)
    segment    SegmentRequest             -> Segmented   (each document's segments)
    translate  TranslateRequest           -> tuple[str]  (one English text per segment)
    rebuild    Segmented + English        -> Translation per document
    summarize  SummarizeRequest           -> tuple[str]  (one summary per text)
    check      Detected + Translation + summary -> Finished or Failure
    record     Finished + translation name -> Recorded (the entry and its translation file's text)

Planning, storing and publishing are the driver's (they read or write the store and the output
folder); see digest.pipeline and digest.incremental.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DigestError, ModelUnavailable, UnsupportedLanguage
from core.names import path_key
from core.phases import announce
from core.records import (
    Detection,
    DigestEntry,
    Document,
    Failure,
    ModelRoute,
    Segment,
    StageTime,
    Translation,
)
from readers.documents import read_document, remove_template
from seq2seq.hub import ModelLocation, locate_model

log = logging.getLogger("digest")

if TYPE_CHECKING:
    from summarize.base import Summarizer
    from translate.base import Detector, Translator


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelOptions:
    """How models are found and run: everything a worker needs to load the same models."""

    backend: str = "auto"
    device: str = "auto"
    num_beams: int | None = None
    max_batch_tokens: int = 4096
    model_dir: Path | None = None
    offline: bool = False
    summary_beams: int | None = None  # the summarizer decodes with its own settings
    summary_batch_tokens: int | None = None  # None: the summarizer's default budget


@dataclass(frozen=True)
class RouteOptions:
    """How a language is decided and routed: a forced language, route overrides, the NLLB model."""

    lang: str | None = None
    routes: tuple[tuple[str, str], ...] = ()  # pairs, so the record stays frozen and hashable
    nllb_model: str | None = None


@dataclass(frozen=True)
class Read:
    """Documents read from disk, and the files that could not be read."""

    documents: tuple[Document, ...]
    failures: tuple[Failure, ...]


@dataclass(frozen=True)
class Detected:
    """A document with its language and route decided."""

    document: Document
    detection: Detection  # the main language: the one the document's content is written in
    route: ModelRoute  # the main language's route
    # One route per paragraph (core.segment's paragraph indices); empty: every paragraph takes `route`.
    paragraph_routes: tuple[ModelRoute, ...] = ()
    # Each language's share of the letters, largest first; empty: all in the main language.
    languages: tuple[tuple[str, float], ...] = ()
    # Each paragraph's language, in order; empty when detection was skipped (--lang).
    paragraph_languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Detections:
    """Documents with a route, and those whose language is unsupported."""

    detected: tuple[Detected, ...]
    failures: tuple[Failure, ...]


@dataclass(frozen=True)
class SegmentRequest:
    """Bodies to split into segments that fit `model_id`'s input."""

    model_id: str
    bodies: tuple[str, ...]


@dataclass(frozen=True)
class Segmented:
    """Each body's segments, in order; `revision` keys the translation memory."""

    model_id: str
    revision: str
    segments: tuple[tuple[Segment, ...], ...]

    @property
    def texts(self) -> list[str]:
        """Every segment's text, documents in order."""
        return [s.text for segments in self.segments for s in segments]


@dataclass(frozen=True)
class TranslateRequest:
    """Segments for one model and source language."""

    model_id: str
    source_code: str | None
    segments: tuple[str, ...]


@dataclass(frozen=True)
class SummarizeRequest:
    """English texts to summarize, in order."""

    texts: tuple[str, ...]


@dataclass(frozen=True)
class Recorded:
    """A finished document as the digest lists it, its translation file's Markdown and its side-by-side page."""

    entry: DigestEntry
    markdown: str
    page: str = ""


@dataclass(frozen=True)
class Finished:
    """A document translated and summarized."""

    detected: Detected
    translation: Translation
    summary: str
    model_revision: str | None
    summarizer: str


# --- models -------------------------------------------------------------------------------


class ModelHolder:
    """Loads each model once per process, keyed by model id; remembers models that are unavailable."""

    def __init__(self, options: ModelOptions) -> None:
        self.options = options
        self._locations: dict[str, ModelLocation | ModelUnavailable] = {}
        self._translators: dict[str, Translator] = {}

    def locate(self, model_id: str) -> ModelLocation:
        """The model's location, or the ModelUnavailable raised the first time it was looked up."""
        if model_id not in self._locations:
            try:
                self._locations[model_id] = locate_model(
                    model_id, model_dir=self.options.model_dir, offline=self.options.offline
                )
            except ModelUnavailable as exc:
                self._locations[model_id] = exc
        found = self._locations[model_id]
        if isinstance(found, ModelUnavailable):
            raise found
        return found

    def convert_ahead(self, model_ids: Sequence[str]) -> None:
        """Convert the models `model_ids` for CTranslate2 now, before any model is loaded.

        A model that is unavailable, broken or does not convert is skipped here: it fails again where
        it is used, with its own message (a translator's files fail, a summarizer stops the run).
        """
        from seq2seq.backends import convert_ahead

        for model_id in dict.fromkeys(model_ids):
            try:
                convert_ahead(self.options.backend, self.locate(model_id), device=self.options.device)
            except DigestError:
                log.debug("%s is not converted ahead; it fails where it is used", model_id, exc_info=True)

    def translator(self, model_id: str) -> Translator:
        """The translator for `model_id`, loaded on first use."""
        if model_id not in self._translators:
            self._translators[model_id] = self._load_translator(model_id)
        return self._translators[model_id]

    def _load_translator(self, model_id: str) -> Translator:
        from translate.backends import get_translator

        location = self.locate(model_id)
        announce("loading", model_id)
        return get_translator(
            self.options.backend,
            location,
            device=self.options.device,
            num_beams=self.options.num_beams,
            max_batch_tokens=self.options.max_batch_tokens,
        )

    def summarizer(self, kind: str, model_id: str) -> Summarizer:
        """The summarizer `kind` ("abstractive" loads `model_id`), its model loaded now."""
        from summarize.registry import get_summarizer

        location = self.locate(model_id) if kind == "abstractive" else None
        if location is not None:
            announce("loading", model_id)
        budget = {"max_batch_tokens": self.options.summary_batch_tokens} if self.options.summary_batch_tokens else {}
        summarizer = get_summarizer(
            kind,
            location=location,
            backend=self.options.backend,
            device=self.options.device,
            num_beams=self.options.summary_beams,
            **budget,
        )
        prepare = getattr(summarizer, "prepare", None)
        if prepare is not None:
            prepare()  # loaded now: a broken model stops the run before any translation, as a missing one does
        return summarizer


# --- read and detect ----------------------------------------------------------------------


def read(paths: Sequence[Path], *, max_bytes: int) -> Read:
    """Read every file; a file that cannot be read becomes a Failure, never an exception."""
    documents: list[Document] = []
    failures: list[Failure] = []
    for path in paths:
        try:
            documents.append(read_document(path, max_bytes=max_bytes))
        except DigestError as exc:
            failures.append(Failure(str(path), str(exc)))
    return Read(tuple(documents), tuple(failures))


def strip_template(documents: Sequence[Document], *, template: frozenset[str]) -> tuple[Document, ...]:
    """Each document without its lines whose fingerprints are in `template` (the driver finds them)."""
    return tuple(remove_template(document, template) for document in documents)


def detect(documents: Sequence[Document], *, options: RouteOptions, detector: Detector | None = None) -> Detections:
    """Decide each document's main language and route, and each paragraph's (`options.lang` overrides detection)."""
    if detector is None:
        from translate.detect import ScriptLangDetector

        detector = ScriptLangDetector()
    detected: list[Detected] = []
    failures: list[Failure] = []
    for document in documents:
        try:
            if options.lang:
                detection = Detection(options.lang, 1.0, "override")
                detected.append(Detected(document, detection, _route(detection.language, options)))
            else:
                detected.append(_detect_paragraphs(document, options=options, detector=detector))
        except UnsupportedLanguage as exc:
            failures.append(Failure(str(document.path), str(exc)))
    return Detections(tuple(detected), tuple(failures))


def _route(language: str, options: RouteOptions) -> ModelRoute:
    from translate.routing import route_for

    if options.nllb_model:
        return route_for(language, overrides=dict(options.routes), nllb_model=options.nllb_model)
    return route_for(language, overrides=dict(options.routes))


def paragraphs_of(body: str) -> list[str]:
    """The body's paragraphs as core.segment numbers them, each its sentences joined by spaces."""
    from core.segment import segment_text

    paragraphs: dict[int, list[str]] = {}
    for segment in segment_text(body):
        paragraphs.setdefault(segment.paragraph, []).append(segment.text)
    return [" ".join(paragraphs[i]) for i in sorted(paragraphs)]


def _detect_paragraphs(document: Document, *, options: RouteOptions, detector: Detector) -> Detected:
    from translate.paragraphs import paragraph_languages

    whole = detector.detect(document.body)
    found = paragraph_languages(paragraphs_of(document.body), whole=whole, detector=detector)
    route = _route(found.main.language, options)
    routes: list[ModelRoute] = []
    for language in found.paragraphs:
        try:
            routes.append(route if language == found.main.language else _route(language, options))
        except UnsupportedLanguage:
            routes.append(route)  # a paragraph in a language no model takes: the main language's model tries
    if all(r == route for r in routes):
        routes = []  # one route for the whole document, as before paragraphs had their own
    return Detected(document, found.main, route, tuple(routes), found.shares, tuple(found.paragraphs))


# --- segment, translate, rebuild ----------------------------------------------------------


# Sentence-level models translate best near the length of the sentences they were trained on; a
# longer sentence is split at clauses to about this many tokens.
SOFT_TARGET_TOKENS = 200
# NLLB-200 was trained on inputs of at most 512 tokens, although its positions allow 1024.
NLLB_MAX_TOKENS = 512


def segment_for(
    body: str, translator: Translator, *, target_tokens: int = SOFT_TARGET_TOKENS
) -> list[Segment]:
    """Split a body into segments that each fit the model's input; nothing is dropped.

    A sentence over `target_tokens` is split at clause boundaries where it has any; the model's
    limit (for NLLB never above 512) is the hard backstop.
    """
    from core.segment import segment_text, split_long

    limit = translator.max_input_tokens
    # `nllb` is not part of the Translator Protocol: the transformers and CTranslate2 translators
    # set it; any other backend states its own limit in max_input_tokens.
    if getattr(translator, "nllb", False):
        limit = min(limit, NLLB_MAX_TOKENS)
    target = min(target_tokens, limit)
    segments: list[Segment] = []
    for segment in segment_text(body):
        if translator.count_tokens(segment.text) <= target:
            segments.append(segment)
            continue
        pieces = split_long(
            segment.text, count_tokens=translator.count_tokens, max_tokens=limit, target_tokens=target
        )
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            segments.append(Segment(piece, segment.paragraph, segment.trailer if last else " "))
    return segments


class TranslateStage:
    """Segments and translates with the models it holds (one per model id, loaded on first use).

    Translators come from `models.translator(model_id)`: a ModelHolder, or fixed ones
    (fixed_translators) when the caller already holds them, fakes in tests for example.
    """

    def __init__(self, models: ModelHolder | _Translators) -> None:
        self.models = models
        self._seconds = 0.0
        self._tokens = 0

    def revision(self, model_id: str) -> str:
        """The revision of `model_id`'s translator (converted weights have their own)."""
        return self.models.translator(model_id).revision

    def segment(self, request: SegmentRequest) -> Segmented:
        """Split each body into segments that fit the model's input."""
        translator = self.models.translator(request.model_id)
        per_doc = tuple(tuple(segment_for(body, translator)) for body in request.bodies)
        return Segmented(request.model_id, translator.revision, per_doc)

    def translate(self, request: TranslateRequest) -> tuple[str, ...]:
        """One English text per segment, in order."""
        if not request.segments:
            return ()
        translator = self.models.translator(request.model_id)
        started, before = time.perf_counter(), generated_tokens(translator)
        outputs = translator.translate(list(request.segments), source_code=request.source_code)
        self._seconds += time.perf_counter() - started
        self._tokens += generated_tokens(translator) - before
        if len(outputs) != len(request.segments):
            raise RuntimeError(
                f"{request.model_id} returned {len(outputs)} translations for {len(request.segments)} segments"
            )
        return tuple(outputs)

    def usage(self, _request: object = None) -> StageTime:
        """Seconds spent translating in this process, and the tokens generated."""
        return StageTime(self._seconds, self._tokens)


def generated_tokens(model: object) -> int:
    """Tokens a model-backed stage object has generated so far (0 for one without a model runner)."""
    # The seq2seq runners count what they generate; fakes and the extractive summarizer have none.
    return int(getattr(getattr(model, "runner", None), "generated_tokens", 0))


class _Translators:
    """Fixed translators by model id (for callers that already hold them)."""

    def __init__(self, translators: Mapping[str, Translator]) -> None:
        self._translators = dict(translators)

    def translator(self, model_id: str) -> Translator:
        """The translator given for `model_id`."""
        return self._translators[model_id]


def fixed_translators(translators: Mapping[str, Translator]) -> TranslateStage:
    """A TranslateStage over translators already loaded (fakes in tests, for example)."""
    return TranslateStage(_Translators(translators))


def rebuild(segmented: Segmented, english: Sequence[str]) -> list[Translation]:
    """Each document's English text, its segments' translations joined with the original whitespace."""
    from core.segment import paragraph_pairs
    from core.segment import rebuild as join

    translations: list[Translation] = []
    start = 0
    for segments in segmented.segments:
        out = list(english[start : start + len(segments)])
        start += len(segments)
        translations.append(
            Translation(
                text=join(list(segments), out),
                segments=len(segments),
                paragraphs=paragraph_pairs(list(segments), out),
            )
        )
    return translations


def rebuild_paragraphs(pieces: Sequence[tuple[Segment, str]], *, segments: int) -> Translation:
    """A document's English text from its segments and their English, routes mixed: paragraphs back in order."""
    from core.segment import paragraph_pairs
    from core.segment import rebuild as join

    ordered = sorted(pieces, key=lambda piece: piece[0].paragraph)  # stable: sentences keep their order
    originals = [segment for segment, _english in ordered]
    english = [english for _segment, english in ordered]
    pairs = paragraph_pairs(originals, english)
    return Translation(text=join(originals, english), segments=segments, paragraphs=pairs)


def identity(documents: Sequence[Document]) -> list[Translation]:
    """English documents as they are."""
    from core.segment import paragraph_pairs, segment_text

    translations = []
    for document in documents:
        segments = segment_text(document.body)
        texts = [s.text for s in segments]
        translations.append(Translation(document.body, 0, paragraphs=paragraph_pairs(segments, texts)))
    return translations


# --- summarize and check ------------------------------------------------------------------


class SummarizeStage:
    """Summarizes with the summarizer it holds; `name` identifies the summaries' origin."""

    def __init__(self, summarizer: Summarizer, *, kind: str, model_id: str) -> None:
        self.summarizer = summarizer
        self.kind = kind
        self.model_id = model_id
        self._seconds = 0.0
        self._tokens = 0

    @classmethod
    def load(cls, models: ModelHolder, *, kind: str, model_id: str) -> SummarizeStage:
        """The summarizer `kind`, its model loaded now (a missing or broken one raises here)."""
        return cls(models.summarizer(kind, model_id), kind=kind, model_id=model_id)

    @property
    def name(self) -> str:
        """The model id for abstractive summaries, "extractive" otherwise."""
        return summarizer_name(self.kind, self.model_id)

    def summarize(self, request: SummarizeRequest) -> tuple[str, ...]:
        """One summary per text, in order."""
        started, before = time.perf_counter(), generated_tokens(self.summarizer)
        summaries = tuple(self.summarizer.summarize(list(request.texts)))
        self._seconds += time.perf_counter() - started
        self._tokens += generated_tokens(self.summarizer) - before
        return summaries

    def usage(self, _request: object = None) -> StageTime:
        """Seconds spent summarizing in this process, and the tokens generated (None: extractive)."""
        return StageTime(self._seconds, self._tokens if self.kind == "abstractive" else None)


@dataclass(frozen=True)
class RunStages:
    """The stage objects a run calls through its engine: held here, or proxies for workers' copies."""

    translate: TranslateStage
    summarize: SummarizeStage


def local_stages(
    translate: TranslateStage, *, kind: str, model_id: str, needed: Sequence[str]
) -> RunStages:
    """The run's stages in this process around `translate` (a ModelHolder-backed one).

    Every model in `needed` is converted for CTranslate2 first, so no conversion runs beside loaded
    models; then the summarizer is loaded, so a missing or broken one fails the run now.
    """
    models = translate.models
    if not isinstance(models, ModelHolder):
        raise TypeError("local_stages needs a TranslateStage built on a ModelHolder")
    models.convert_ahead(list(needed) if kind != "abstractive" else [model_id, *needed])
    return RunStages(translate, SummarizeStage.load(models, kind=kind, model_id=model_id))


def summarizer_name(kind: str, model_id: str) -> str:
    """Identifies the summaries' origin, so a changed summarizer is noticed."""
    return model_id if kind == "abstractive" else "extractive"


def empty_translation(document: Document, translation: Translation, *, route: ModelRoute) -> str | None:
    """Why a blank translation of a non-blank document is a failure; None when it is not blank."""
    if translation.text.strip() or not document.body.strip():
        return None
    model = route.model_id or "(identity)"
    return (
        f"translation came out empty: model {model} may be broken (check its tokenizer files): "
        f"re-download it with `hf download {model}`"
    )


def empty_summary(translation: Translation, summary: str, *, kind: str, model_id: str) -> str | None:
    """Why a blank summary of a non-blank translation is a failure; None when it is not blank."""
    if summary.strip() or not translation.text.strip():
        return None
    if kind != "abstractive":
        return "summary came out empty: the extractive summarizer found no sentence: check the text"
    return (
        f"summary came out empty: model {model_id} may be broken (check its tokenizer files): "
        f"re-download it with `hf download {model_id}`, or use --summarizer extractive"
    )


def check(
    item: Detected,
    translation: Translation,
    summary: str,
    *,
    revision: str | None,
    summarizer: SummarizeStage,
) -> Finished | Failure:
    """A finished document, or the Failure saying why its translation or summary came out empty."""
    problem = empty_translation(item.document, translation, route=item.route) or empty_summary(
        translation, summary, kind=summarizer.kind, model_id=summarizer.model_id
    )
    if problem:
        return Failure(str(item.document.path), problem)
    return Finished(item, translation, summary, revision, summarizer.name)


# --- record -------------------------------------------------------------------------------


def file_link(path: Path | str) -> str:
    """A file:// URL for a local file."""
    key = path_key(path)  # resolved once per run (core.names.remembered_keys)
    return key if key.startswith("file://") else Path(key).as_uri()


def entry_link(source_url: str | None, path: Path | str) -> str:
    """The link an entry shows: its web source when it has one, else the local file."""
    from digest.render import is_web_url

    return source_url if source_url and is_web_url(source_url) else file_link(path)


def english_title(text: str, fallback: str) -> str:
    """A title from the English text's first line, at most 100 characters, cut at a word."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = re.sub(r"^#+\s*", "", first)
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0] if len(first) > 100 else first
    if len(sentence) > 100:
        sentence = sentence[:100].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return sentence or fallback


def record(done: Finished, *, translation: str, date: str) -> Recorded:
    """The digest entry of a finished document whose translation is filed as `translation` on `date`."""
    from digest.pages import translation_html
    from digest.render import is_web_url, translation_to_markdown

    item = done.detected
    document = item.document
    # Only an http(s) URL is a source anyone may follow; "javascript:" and the like are dropped here,
    # so neither the store nor digest.json ever offers one to a reader that links it.
    source_url = document.source_url if is_web_url(document.source_url) else None
    title = english_title(done.translation.text, document.title)
    markdown = translation_to_markdown(
        title=title,
        source_path=str(document.path),
        source_url=document.source_url,
        language=item.detection.language,
        model=item.route.model_id,
        text=done.translation.text,
    )
    entry = DigestEntry(
        path=str(document.path),
        title=title,
        language=item.detection.language,
        confidence=round(item.detection.confidence, 3),
        route=item.route.route,
        model=item.route.model_id,
        summary=done.summary,
        source_url=source_url,
        link=entry_link(source_url, document.path),
        translation=translation,
        languages=item.languages,
        original_title=document.title,
        published=document.published,
    )
    page = translation_html(
        entry,
        date=date,
        paragraphs=done.translation.paragraphs,
        paragraph_languages=item.paragraph_languages,
    )
    return Recorded(entry, markdown, page)
