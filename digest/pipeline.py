"""The run: read -> detect -> route -> translate -> summarize -> write, as functions over batches."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import (
    ConfigError,
    DigestError,
    ModelBroken,
    ModelUnavailable,
    StateError,
    UnsupportedLanguage,
)
from core.records import (
    Detection,
    Digest,
    DigestEntry,
    Document,
    Failure,
    ModelRoute,
    Route,
    Segment,
    Stats,
    Translation,
)
from digest.atomic import sweep_temporaries, write_text_atomic
from digest.progress import NoProgress, Progress
from digest.settings import Settings
from readers.documents import InputSet, check_inputs, read_document, walk_inputs
from seq2seq.hub import ModelLocation, locate_model
from summarize.base import Summarizer
from translate.base import Detector, Translator

if TYPE_CHECKING:
    from digest.state import StateStore, TranslationMemory

log = logging.getLogger("digest")

# Documents are translated in windows of about this many segments: large enough for
# efficient length-sorted batches across documents, small enough that progress and the
# state store advance steadily (a killed run keeps every finished window).
WINDOW_SEGMENTS = 256


@dataclass(frozen=True)
class Detected:
    """A document with its language and route decided."""

    document: Document
    detection: Detection
    route: ModelRoute


@dataclass(frozen=True)
class Finished:
    """A document translated and summarized."""

    detected: Detected
    translation: Translation
    summary: str
    model_revision: str | None
    summarizer: str


@dataclass(frozen=True)
class RunResult:
    """What a run produced, for the CLI to report."""

    digest: Digest
    day_dir: Path | None  # None when an empty night was skipped
    written: tuple[Path, ...]
    languages: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every file succeeded, 1 when some failed."""
        return 1 if self.digest.failures else 0


# --- reading and detecting ---------------------------------------------------------------


def read_documents(files: Sequence[Path], *, max_bytes: int) -> tuple[list[Document], list[Failure]]:
    """Read every file; a file that cannot be read becomes a Failure, never an exception."""
    documents: list[Document] = []
    failures: list[Failure] = []
    for path in files:
        try:
            documents.append(read_document(path, max_bytes=max_bytes))
        except DigestError as exc:
            failures.append(Failure(str(path), str(exc)))
    return documents, failures


def detect_documents(
    documents: Sequence[Document], *, detector: Detector, settings: Settings
) -> tuple[list[Detected], list[Failure]]:
    """Decide each document's language and route (`settings.lang` overrides detection)."""
    from translate.routing import route_for

    detected: list[Detected] = []
    failures: list[Failure] = []
    for document in documents:
        try:
            detection = (
                Detection(settings.lang, 1.0, "override") if settings.lang else detector.detect(document.body)
            )
            route = route_for(detection.language, overrides=settings.routes, nllb_model=settings.nllb_model)
        except UnsupportedLanguage as exc:
            failures.append(Failure(str(document.path), str(exc)))
            continue
        detected.append(Detected(document, detection, route))
    return detected, failures


# --- segmenting and translating ----------------------------------------------------------


def segment_for(body: str, translator: Translator) -> list[Segment]:
    """Split a body into segments that each fit the model's input; nothing is dropped."""
    from core.segment import segment_text, split_long

    limit = translator.max_input_tokens
    segments: list[Segment] = []
    for segment in segment_text(body):
        if translator.count_tokens(segment.text) <= limit:
            segments.append(segment)
            continue
        pieces = split_long(segment.text, count_tokens=translator.count_tokens, max_tokens=limit)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            segments.append(Segment(piece, segment.paragraph, segment.trailer if last else " "))
    return segments


@dataclass(frozen=True)
class WindowTranslation:
    """A window's translations, and how many segments were translated or served from the memory."""

    translations: list[Translation]
    translated: int
    from_cache: int


def translate_documents(
    documents: Sequence[Document],
    *,
    translator: Translator,
    source_code: str | None,
    progress: Progress,
) -> WindowTranslation:
    """Translate whole documents that share one route, batching their segments together."""
    from core.segment import rebuild

    per_doc = [segment_for(d.body, translator) for d in documents]
    flat = [s.text for segments in per_doc for s in segments]
    progress.segments_total(len(flat))
    before = _counters(translator)
    english = translator.translate(flat, source_code=source_code) if flat else []
    after = _counters(translator)
    if before is None or after is None:  # no translation memory: every segment was translated
        progress.segments_done(len(flat))
        translated, from_cache = len(flat), 0
    else:
        translated, from_cache = after[0] - before[0], after[1] - before[1]

    translations: list[Translation] = []
    start = 0
    for segments in per_doc:
        out = english[start : start + len(segments)]
        start += len(segments)
        translations.append(Translation(text=rebuild(segments, out), segments=len(segments)))
    return WindowTranslation(translations, translated, from_cache)


def _counters(translator: Translator) -> tuple[int, int] | None:
    # A CachedTranslator counts what it translated and what it served from the memory.
    if not hasattr(translator, "translated"):
        return None
    return (int(getattr(translator, "translated")), int(getattr(translator, "from_cache")))


def windows(items: Sequence[Detected], *, size: int = WINDOW_SEGMENTS) -> Iterator[list[Detected]]:
    """Consecutive groups of documents holding about `size` segments (by a cheap estimate)."""
    window: list[Detected] = []
    count = 0
    for item in items:
        window.append(item)
        count += max(1, item.document.body.count("\n") + 1) * 3  # ~3 sentences a paragraph
        if count >= size:
            yield window
            window, count = [], 0
    if window:
        yield window


# --- the run ------------------------------------------------------------------------------


class ModelCache:
    """Loads each model once per run; remembers models that are unavailable."""

    def __init__(
        self, settings: Settings, *, memory: TranslationMemory | None = None, progress: Progress | None = None
    ) -> None:
        self.settings = settings
        self.memory = memory
        self.progress = progress or NoProgress()
        self._locations: dict[str, ModelLocation | ModelUnavailable] = {}
        self._translators: dict[str, Translator] = {}

    def locate(self, model_id: str) -> ModelLocation:
        """The model's location, or the ModelUnavailable raised the first time it was looked up."""
        if model_id not in self._locations:
            try:
                self._locations[model_id] = locate_model(
                    model_id, model_dir=self.settings.model_dir, offline=self.settings.offline
                )
            except ModelUnavailable as exc:
                self._locations[model_id] = exc
        found = self._locations[model_id]
        if isinstance(found, ModelUnavailable):
            raise found
        return found

    def translator(self, model_id: str) -> Translator:
        """The translator for `model_id`, loaded on first use."""
        if model_id not in self._translators:
            from translate.backends import get_translator

            location = self.locate(model_id)
            translator = get_translator(
                self.settings.backend,
                location,
                device=self.settings.device,
                num_beams=self.settings.num_beams,
                max_batch_tokens=self.settings.max_batch_tokens,
            )
            if self.memory is not None:
                from digest.cached import CachedTranslator

                # The memory reports each finished chunk, so the bar moves while a window runs.
                translator = CachedTranslator(translator, self.memory, on_progress=self.progress.segments_done)
            self._translators[model_id] = translator
        return self._translators[model_id]


def build_summarizer(settings: Settings, models: ModelCache) -> Summarizer:
    """The configured summarizer; an abstractive one whose model is missing or broken fails the run now."""
    from summarize.registry import get_summarizer

    location = models.locate(settings.summary_model) if settings.summarizer == "abstractive" else None
    summarizer = get_summarizer(
        settings.summarizer,
        location=location,
        backend=settings.backend,
        device=settings.device,
        num_beams=settings.num_beams,
        max_batch_tokens=settings.max_batch_tokens,
    )
    prepare = getattr(summarizer, "prepare", None)
    if prepare is not None:
        prepare()  # loaded now: a broken model stops the run before any translation, as a missing one does
    return summarizer


def summarizer_id(settings: Settings) -> str:
    """Identifies the summaries' origin, so a changed summarizer is noticed."""
    return settings.summary_model if settings.summarizer == "abstractive" else "extractive"


def today(now: datetime | None = None) -> datetime:
    """The run's timestamp, local time with its offset."""
    return (now or datetime.now(timezone.utc)).astimezone()


def run_digest(
    inputs: Sequence[Path],
    *,
    settings: Settings,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> RunResult:
    """Run the whole pipeline over `inputs` and write the day's digest under `settings.out_dir`."""
    # Usage errors come before the output folder is touched: a mistyped path must not replace a
    # good digest with an empty one.
    check_inputs(inputs)
    _check_not_output(inputs, settings.out_dir)
    from digest.lock import run_lock
    from digest.publish import check_day_paths, prepare_out_dir

    progress = progress or NoProgress()
    prepare_out_dir(settings.out_dir)
    now = today(now)
    with run_lock(settings.out_dir, wait=settings.wait_for_lock):
        check_day_paths(settings.out_dir, now.date().isoformat())
        # Under the lock no other run is writing here, so temporaries left by a killed one are litter.
        sweep_temporaries(settings.out_dir)
        return _run_locked(inputs, settings=settings, progress=progress, now=now)


def find_inputs(inputs: Sequence[Path], *, settings: Settings) -> InputSet:
    """The files under `inputs` to read, never the output folder itself."""
    return walk_inputs(
        [Path(p) for p in inputs],
        follow_outside_links=settings.follow_outside_links,
        exclude=[settings.out_dir],
    )


def _check_not_output(inputs: Sequence[Path], out_dir: Path) -> None:
    out = os.path.realpath(out_dir)
    for path in inputs:
        if os.path.realpath(path) == out:
            raise ConfigError(
                f"input {path} is the output folder: digest never reads its own output; "
                "put the documents in another folder or choose another --out"
            )


def _run_locked(inputs: Sequence[Path], *, settings: Settings, progress: Progress, now: datetime) -> RunResult:
    from digest.state import RunStatus, StateStore

    started = time.monotonic()
    found = find_inputs(inputs, settings=settings)
    progress.files_total(len(found.files))
    with StateStore.open(settings.out_dir) as state:
        models = ModelCache(settings, memory=state.memory, progress=progress)
        summarizer = build_summarizer(settings, models)
        run_id = state.begin_run()
        try:
            result = _run_stages(
                found, inputs, state=state, models=models, summarizer=summarizer,
                settings=settings, progress=progress, now=now, started=started,
            )
        except BaseException as exc:
            # Recorded, then re-raised for the CLI to report; finished work stays in the store.
            # Ctrl-C and SIGTERM (a KeyboardInterrupt, see digest.signals) are not failures.
            status = RunStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
            try:
                state.finish_run(run_id, status)
            except StateError:
                log.debug("could not record run %s as %s", run_id, status.value, exc_info=True)
            raise
        state.finish_run(run_id, "failures" if result.digest.failures else "ok", result.digest.stats)
    return result


def _run_stages(
    found: InputSet,
    inputs: Sequence[Path],
    *,
    state: StateStore,
    models: ModelCache,
    summarizer: Summarizer,
    settings: Settings,
    progress: Progress,
    now: datetime,
    started: float,
) -> RunResult:
    from digest import incremental
    from translate.detect import ScriptLangDetector

    date = now.date().isoformat()
    day_dir = settings.out_dir / date
    failures: list[Failure] = list(found.failures)
    documents, unreadable = read_documents(found.files, max_bytes=settings.max_file_bytes)
    plan = incremental.plan(documents, state=state, settings=settings, models=models)
    detected, undetected = detect_documents(plan.todo, detector=ScriptLangDetector(), settings=settings)
    for failure in [*unreadable, *undetected]:
        failures.append(failure)
        progress.file_done(failure.path, ok=False)

    entries: dict[str, DigestEntry] = {}
    for reuse in plan.reused:
        entries[reuse.entry.path] = incremental.copy_reused(reuse, day_dir=day_dir)
        progress.file_done(reuse.entry.path, ok=True)

    translated = from_cache = 0
    groups: dict[tuple[str, str | None, str | None], list[Detected]] = {}
    for item in detected:
        groups.setdefault(item.route.key, []).append(item)
    for items in groups.values():
        for window in windows(items):
            outcome = _process_window(window, settings=settings, models=models, summarizer=summarizer,
                                      progress=progress)
            failures += outcome.failures
            translated += outcome.translated
            from_cache += outcome.from_cache
            for done in outcome.finished:
                entry = incremental.record_finished(
                    done, state=state, day_dir=day_dir, taken={e.translation for e in entries.values()}
                )
                entries[entry.path] = entry

    if settings.new_only:
        entries = incremental.merge_earlier_today(entries, day_dir=day_dir, failed={f.path for f in failures})
    entries_sorted = tuple(sorted(entries.values(), key=lambda e: e.path))
    digest = Digest(
        generated_at=now.isoformat(timespec="seconds"),
        date=date,
        inputs=tuple(str(Path(p)) for p in inputs),
        items=entries_sorted,
        failures=tuple(sorted(failures, key=lambda f: f.path)),
        skipped=tuple(sorted(found.skipped, key=lambda s: s.path)),
        stats=Stats(
            files=len(found.files),
            segments_translated=translated,
            segments_from_cache=from_cache,
            files_unchanged=plan.unchanged,
            seconds=round(time.monotonic() - started, 2),
        ),
    )
    written: tuple[Path, ...] = ()
    if entries_sorted or digest.failures or not settings.skip_empty:
        written = _write(settings.out_dir, digest, site_url=settings.site_url)
        state.mark_digested([incremental.key(Path(e.path)) for e in entries_sorted], date=date,
                            at=digest.generated_at)
    languages: dict[str, int] = {}
    for entry in entries_sorted:
        languages[entry.language] = languages.get(entry.language, 0) + 1
    return RunResult(digest, day_dir if written else None, written, languages)


@dataclass(frozen=True)
class WindowOutcome:
    """What one window of documents produced."""

    finished: list[Finished]
    failures: list[Failure]
    translated: int = 0
    from_cache: int = 0


def _process_window(
    window: Sequence[Detected],
    *,
    settings: Settings,
    models: ModelCache,
    summarizer: Summarizer,
    progress: Progress,
) -> WindowOutcome:
    """Translate and summarize one window of documents sharing a route."""
    route = window[0].route
    for item in window:
        progress.file_started(str(item.document.path))
    try:
        result, revision = _translate_window(window, route=route, models=models, progress=progress)
        summaries = summarizer.summarize([t.text for t in result.translations])
    except StateError:
        raise  # the store failing is no fault of these files: the run stops before publishing
    except DigestError as exc:
        return WindowOutcome([], _fail_all(window, str(exc), progress))
    except Exception as exc:  # noqa: BLE001 - one bad batch never stops the run; --verbose shows why
        log.debug("unexpected error in %s", [str(i.document.path) for i in window], exc_info=True)
        message = f"unexpected error: {type(exc).__name__}: {exc} (run with --verbose for details)"
        return WindowOutcome([], _fail_all(window, message, progress))
    finished: list[Finished] = []
    failures: list[Failure] = []
    for item, translation, summary in zip(window, result.translations, summaries):
        path = str(item.document.path)
        problem = empty_translation(item.document, translation, route=route) or empty_summary(
            translation, summary, settings=settings
        )
        if problem:
            failures.append(Failure(path, problem))
        else:
            finished.append(Finished(item, translation, summary, revision, summarizer_id(settings)))
        progress.file_done(path, ok=not problem)
    return WindowOutcome(finished, failures, result.translated, result.from_cache)


def empty_translation(document: Document, translation: Translation, *, route: ModelRoute) -> str | None:
    """Why a blank translation of a non-blank document is a failure; None when it is not blank."""
    if translation.text.strip() or not document.body.strip():
        return None
    model = route.model_id or "(identity)"
    return (
        f"translation came out empty: model {model} may be broken (check its tokenizer files): "
        f"re-download it with `hf download {model}`"
    )


def empty_summary(translation: Translation, summary: str, *, settings: Settings) -> str | None:
    """Why a blank summary of a non-blank translation is a failure; None when it is not blank."""
    if summary.strip() or not translation.text.strip():
        return None
    if settings.summarizer != "abstractive":
        return "summary came out empty: the extractive summarizer found no sentence: check the text"
    model = settings.summary_model
    return (
        f"summary came out empty: model {model} may be broken (check its tokenizer files): "
        f"re-download it with `hf download {model}`, or use --summarizer extractive"
    )


def _translate_window(
    window: Sequence[Detected], *, route: ModelRoute, models: ModelCache, progress: Progress
) -> tuple[WindowTranslation, str | None]:
    if route.route is Route.IDENTITY or route.model_id is None:
        identity = [Translation(item.document.body, 0) for item in window]
        return WindowTranslation(identity, 0, 0), None
    translator = models.translator(route.model_id)
    result = translate_documents(
        [item.document for item in window], translator=translator, source_code=route.source_code, progress=progress
    )
    return result, translator.revision


def _fail_all(window: Sequence[Detected], message: str, progress: Progress) -> list[Failure]:
    failures = []
    for item in window:
        failures.append(Failure(str(item.document.path), message))
        progress.file_done(str(item.document.path), ok=False)
    return failures


def _write(out_dir: Path, digest: Digest, *, site_url: str | None) -> tuple[Path, ...]:
    from digest.publish import publish, write_day

    written = list(write_day(out_dir, digest))
    written += publish(out_dir, digest, site_url=site_url)
    return tuple(written)


# --- single-file commands -----------------------------------------------------------------


@dataclass(frozen=True)
class DetectResult:
    """What `digest detect` reports for one file."""

    path: str
    language: str | None
    confidence: float | None
    route: str | None
    model: str | None
    error: str | None = None


def detect_paths(paths: Sequence[Path], *, settings: Settings) -> list[DetectResult]:
    """Detect the language and route of every file under `paths`."""
    from translate.detect import ScriptLangDetector

    check_inputs(paths)
    found = find_inputs(paths, settings=settings)
    documents, failures = read_documents(found.files, max_bytes=settings.max_file_bytes)
    detected, undetected = detect_documents(documents, detector=ScriptLangDetector(), settings=settings)
    results = [
        DetectResult(
            str(d.document.path),
            d.detection.language,
            round(d.detection.confidence, 3),
            d.route.route.value,
            d.route.model_id,
        )
        for d in detected
    ]
    results += [DetectResult(f.path, None, None, None, None, f.error) for f in [*found.failures, *failures, *undetected]]
    return sorted(results, key=lambda r: r.path)


@dataclass(frozen=True)
class FileTranslation:
    """One file translated by `digest translate`."""

    document: Document
    detection: Detection
    route: ModelRoute
    translation: Translation


def translate_file(path: Path, *, settings: Settings, progress: Progress | None = None) -> FileTranslation:
    """Translate one file to English; raises DigestError subclasses with one-line messages."""
    from translate.detect import ScriptLangDetector

    check_inputs([path])
    document = read_document(path, max_bytes=settings.max_file_bytes)
    detected, failures = detect_documents([document], detector=ScriptLangDetector(), settings=settings)
    if failures:
        raise UnsupportedLanguage(failures[0].error)
    item = detected[0]
    models = ModelCache(settings)
    result, _revision = _translate_window([item], route=item.route, models=models, progress=progress or NoProgress())
    if empty_translation(document, result.translations[0], route=item.route):
        model = item.route.model_id or "(identity)"
        raise ModelBroken(model, f"its translation of {path} came out empty (check its tokenizer files)",
                          fix=f"re-download it with `hf download {model}`")
    return FileTranslation(document, item.detection, item.route, result.translations[0])


def write_translation(result: FileTranslation, out: Path) -> None:
    """Write a translation to `out` atomically."""
    write_text_atomic(out, result.translation.text.rstrip("\n") + "\n")
