"""The driver: runs the stages (digest.stages) over windows of documents and keeps the state.

Only the driver touches the state store and the translation memory: it plans from the store,
looks each window's segments up in the memory before they go out, stores translations as each
chunk comes back, records finished documents and publishes the digest. Stage calls go through
an Engine (digest.engine), in this process today.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from core.errors import (
    ConfigError,
    DigestError,
    ModelBroken,
    StateError,
    UnreadableDocument,
    UnsupportedFileType,
    UnsupportedLanguage,
)
from core.names import display_path, printable, remembered_keys
from core.phases import listening
from core.records import (
    Detection,
    Digest,
    DigestEntry,
    Document,
    Failure,
    ModelRoute,
    Route,
    Segment,
    StageTime,
    Stats,
    Translation,
)
from core.segment import segment_text
from digest.atomic import sweep_temporaries, write_text_atomic
from digest.cached import (
    DEFAULT_CHUNK_SIZE,
    Cached,
    InFlight,
    MemoryKey,
    PendingTranslation,
    Send,
    finish_cached,
    start_cached,
)
from digest.engine import Engine, LocalEngine
from digest.preflight import ensure_models
from digest.progress import NoProgress, Progress, TextMeter
from digest.settings import Settings
from digest.stages import (
    Detected,
    Detections,
    Finished,
    ModelHolder,
    ModelOptions,
    Read,
    RouteOptions,
    RunStages,
    Segmented,
    SegmentRequest,
    SummarizeRequest,
    TranslateRequest,
    TranslateStage,
    check,
    detect,
    empty_translation,
    identity,
    read,
    rebuild,
    rebuild_paragraphs,
    strip_template,
    summarizer_name,
)
from readers.chrome import document_key, fingerprints, template_lines
from readers.documents import (
    InputSet,
    check_inputs,
    document_from_bytes,
    read_document,
    read_stream,
    walk_inputs,
)

if TYPE_CHECKING:
    from digest.state import StateStore, TranslationMemory

log = logging.getLogger("digest")

# Documents are translated in windows of about this many segments: large enough for
# efficient length-sorted batches across documents, small enough that progress and the
# state store advance steadily (a killed run keeps every finished window).
WINDOW_SEGMENTS = 256
# An English document's size per segment of the window, on the identity route: a window holds up
# to 256 small English files, or about 256 KB of English.
IDENTITY_CHARS_PER_SEGMENT = 1_000


@dataclass(frozen=True)
class RunResult:
    """What a run produced, for the CLI to report."""

    digest: Digest
    day_dir: Path | None  # None when an empty night was skipped
    written: tuple[Path, ...]
    languages: dict[str, int] = field(default_factory=dict)
    models_missing: str | None = None  # the one message naming every missing translation model

    @property
    def exit_code(self) -> int:
        """0 when every file succeeded, 1 when some failed."""
        return 1 if self.digest.failures else 0


def model_options(settings: Settings) -> ModelOptions:
    """The settings the stages need to find and run models."""
    return ModelOptions(
        backend=settings.backend,
        device=settings.device,
        num_beams=settings.num_beams,
        max_batch_tokens=settings.max_batch_tokens,
        model_dir=settings.model_dir,
        offline=settings.offline,
        summary_beams=settings.summary_beams,
        summary_batch_tokens=settings.summary_batch_tokens,
    )


def route_options(settings: Settings) -> RouteOptions:
    """The settings the detect stage needs to decide routes."""
    return RouteOptions(lang=settings.lang, routes=tuple(settings.routes.items()), nllb_model=settings.nllb_model)


def windows(items: Sequence[Detected], *, size: int = WINDOW_SEGMENTS) -> Iterator[list[Detected]]:
    """Consecutive groups of documents holding about `size` segments (by a cheap estimate)."""
    window: list[Detected] = []
    count = 0
    for item in items:
        window.append(item)
        count += _weight(item)
        if count >= size:
            yield window
            window, count = [], 0
    if window:
        yield window


def _weight(item: Detected) -> int:
    """A document's share of a window: its segments, or for English passed through, its size."""
    if item.route.route is Route.IDENTITY and not item.paragraph_routes:
        # No model batches these: the window bounds only the text summarized and the files written
        # between two commits, so a window holds up to `size` small files rather than a dozen.
        return max(1, len(item.document.body) // IDENTITY_CHARS_PER_SEGMENT)
    return max(1, item.document.body.count("\n") + 1) * 3  # ~3 sentences a paragraph


def today(now: datetime | None = None) -> datetime:
    """The run's timestamp, local time with its offset."""
    return (now or datetime.now(UTC)).astimezone()


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
    if settings.engine == "ray":
        from digest.ray_engine import import_ray

        import_ray()  # a missing extra is a usage error, found before the output folder is touched
    from digest.lock import run_lock
    from digest.publish import check_day_paths, prepare_out_dir

    progress = progress or NoProgress()
    prepare_out_dir(settings.out_dir)
    now = today(now)
    with run_lock(settings.out_dir, wait=settings.wait_for_lock), remembered_keys():
        check_day_paths(settings.out_dir, now.date().isoformat())
        # Under the lock no other run is writing here, so temporaries left by a killed one are litter.
        sweep_temporaries(settings.out_dir)
        return _run_locked(inputs, settings=settings, progress=progress, now=now)


def make_engine(settings: Settings) -> Engine:
    """The engine `settings.engine` names: this process, or a Ray cluster (started here or joined)."""
    if settings.engine == "ray":
        from digest.ray_engine import RayEngine

        return RayEngine(address=settings.ray_address)
    return LocalEngine()


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
    with StateStore.open(settings.out_dir) as state, listening(progress.phase):
        run_id = state.begin_run()
        engine = make_engine(settings)
        try:
            result = _run_stages(
                found, inputs, state=state, engine=engine, settings=settings, progress=progress, now=now,
                started=started,
            )
        except BaseException as exc:
            engine.close(wait=False)  # an interrupt must not wait for a summary still decoding
            # Recorded, then re-raised for the CLI to report; finished work stays in the store.
            # Ctrl-C and SIGTERM (a KeyboardInterrupt, see digest.signals) are not failures.
            status = RunStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
            try:
                state.finish_run(run_id, status)
            except StateError:
                log.debug("could not record run %s as %s", run_id, status.value, exc_info=True)
            raise
        finally:
            engine.close()
        state.finish_run(run_id, "failures" if result.digest.failures else "ok", result.digest.stats)
    return result


def _run_stages(
    found: InputSet,
    inputs: Sequence[Path],
    *,
    state: StateStore,
    engine: Engine,
    settings: Settings,
    progress: Progress,
    now: datetime,
    started: float,
) -> RunResult:
    from digest import incremental

    date = now.date().isoformat()
    day_dir = settings.out_dir / date
    failures: list[Failure] = list(found.failures)
    clock = StageClock()
    progress.phase("reading", _count(len(found.files), "file"))
    with clock("read"):
        # Read where the files are: the driver (it hashes them to plan), whatever the engine.
        loaded = read(tuple(found.files), max_bytes=settings.max_file_bytes)
        loaded = remove_site_template(loaded, state=state, engine=engine, seen_on=date)
    log.info("read: %s in %.2f s", _count(len(found.files), "file"), clock.last)
    translate_stage = engine.translate_stage(model_options(settings))
    with clock("plan"):
        plan = incremental.plan(
            loaded.documents, state=state, settings=settings,
            summarizer=summarizer_name(settings.summarizer, settings.summary_model),
            revision=lambda model_id: engine.call(translate_stage.revision, model_id),
        )
    log.info("plan: %s to process, %d unchanged in %.2f s", _count(len(plan.todo), "document"), plan.unchanged,
             clock.last)
    # Counted once, before any file is done: files left out unread (unchanged, --new-only) are no work.
    progress.files_total(len(found.files) - (plan.unchanged - len(plan.reused)))
    progress.phase("detecting", _count(len(plan.todo), "document"))
    with clock("detect"):
        detections = detect_all(plan.todo, options=route_options(settings), engine=engine)
    log.info("detect: %s in %.2f s", _count(len(plan.todo), "document"), clock.last)
    progress.text_total(sum(text_to_translate(item) for item in detections.detected))
    stages: RunStages | None = None
    models_missing: str | None = None
    if plan.todo:
        # Loaded only when there is work: an unchanged rerun loads no model at all. A summarizer
        # that is missing or broken still fails the run before any document is translated. Every
        # model the run needs is converted first, so no conversion runs beside loaded models.
        progress.phase("loading", "models")
        with clock("load"):
            # Every missing model named at once, before anything loads (digest.preflight).
            detections, missing = ensure_models(
                detections, summarizer=settings.summarizer, summary_model=settings.summary_model,
                model_dir=settings.model_dir, offline=settings.offline,
            )
            models_missing = str(missing) if missing else None
            needed = [r.model_id for d in detections.detected for r in (d.route, *d.paragraph_routes)
                      if r.model_id is not None and r.route is not Route.IDENTITY]
            stages = engine.load_stages(
                translate_stage, kind=settings.summarizer, model_id=settings.summary_model,
                needed=tuple(dict.fromkeys(needed)),
            )
        log.info("load: %s in %.2f s", summarizer_name(settings.summarizer, settings.summary_model), clock.last)
    for failure in [*loaded.failures, *detections.failures]:
        failures.append(failure)
        progress.file_done(failure.path, ok=False)
    for document in plan.todo:
        for rule, line in document.removed:
            log.info("%s: removed (%s): %s", display_path(document.path), rule, printable(line))

    entries: dict[str, DigestEntry] = {}
    for reuse in plan.reused:
        entries[reuse.entry.path] = incremental.copy_reused(reuse, day_dir=day_dir)
        progress.file_done(reuse.entry.path, ok=True)

    translated = from_cache = 0
    if stages is not None:
        outcomes = process(
            detections.detected, stages=stages, engine=engine, memory=state.memory, progress=progress, clock=clock
        )
        for outcome in outcomes:
            failures += outcome.failures
            translated += outcome.translated
            from_cache += outcome.from_cache
            taken = {e.translation for e in entries.values()}
            with clock("record"):
                for entry in incremental.record_window(outcome.finished, state=state, day_dir=day_dir, taken=taken):
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
            lines_removed=sum(len(document.removed) for document in plan.todo),
            stages=clock.times(stages, engine=engine),
        ),
    )
    times = dict(digest.stats.stages)
    if stages is not None:
        log.info("translate: %s (%d from memory) in %.2f s, %s tokens generated",
                 _count(translated + from_cache, "segment"), from_cache, times["translate"].seconds,
                 times["translate"].tokens)
        log.info("summarize %s: %s in %.2f s", stages.summarize.name, _count(len(detections.detected), "document"),
                 times["summarize"].seconds)
    written: tuple[Path, ...] = ()
    if entries_sorted or digest.failures or not settings.skip_empty:
        progress.phase("publishing", day_dir.name)
        publish_started = time.perf_counter()
        written = _write(
            settings.out_dir, digest, site_url=settings.site_url, diagnostics=settings.show_diagnostics
        )
        state.mark_digested([incremental.key(Path(e.path)) for e in entries_sorted], date=date,
                            at=digest.generated_at)
        log.info("publish: %s in %.2f s", _count(len(written), "file"), time.perf_counter() - publish_started)
    languages: dict[str, int] = {}
    for entry in entries_sorted:
        languages[entry.language] = languages.get(entry.language, 0) + 1
    return RunResult(digest, day_dir if written else None, written, languages, models_missing)


# Documents per detect call: an engine with workers detects this many at a time on each.
DETECT_CHUNK = 64


def detect_all(documents: Sequence[Document], *, options: RouteOptions, engine: Engine) -> Detections:
    """Every document's language and route, detected in chunks through `engine` (in order)."""
    chunks = [tuple(documents[i : i + DETECT_CHUNK]) for i in range(0, len(documents), DETECT_CHUNK)]
    detected: list[Detected] = []
    failures: list[Failure] = []
    for part in engine.map(partial(detect, options=options), chunks):
        detected += part.detected
        failures += part.failures
    return Detections(tuple(detected), tuple(failures))


def remove_site_template(loaded: Read, *, state: StateStore, engine: Engine, seen_on: str) -> Read:
    """`loaded` without the short lines that recur across distinct documents, this run's and earlier nights'.

    The store remembers which documents each short line was seen in; the stage gets the template
    lines as plain fingerprints.
    """
    seen = [(document_key(d.body), fingerprints(d.body)) for d in loaded.documents]
    remembered = state.line_documents(set().union(*(prints for _, prints in seen)))
    earlier = [(document, {fp}) for fp, documents in remembered.items() for document in documents]
    template = template_lines([*seen, *earlier])
    state.remember_lines(seen, seen_on=seen_on)
    if not template:
        return loaded
    documents = engine.call(partial(strip_template, template=template), loaded.documents)
    return Read(tuple(documents), loaded.failures)


@dataclass(frozen=True)
class WindowOutcome:
    """What one window of documents produced."""

    finished: list[Finished]
    failures: list[Failure]
    translated: int = 0
    from_cache: int = 0


def process(
    detected: Sequence[Detected],
    *,
    stages: RunStages,
    engine: Engine,
    memory: TranslationMemory | None,
    progress: Progress | None = None,
    clock: StageClock | None = None,
) -> Iterator[WindowOutcome]:
    """Translate and summarize documents, one window of a route at a time, yielding each window's outcome.

    A window's summaries go to the engine's background (`Engine.submit`) and run while the next
    window translates, so the two stages share the machine; outcomes are yielded in window order as
    each window's summaries come back. On an engine that keeps several windows in flight
    (`Engine.depth`), the next windows' segments go out before a window's translations are back, so
    every worker has work; a segment an earlier window is still translating is taken from it, as it
    would be from the memory, so the calls and the digest are the same at every depth. The memory
    (None: none) is looked up before a window's segments go out and written as each chunk comes back;
    the caller records each outcome as it is yielded. Translated text is reported to `progress`
    against the total the caller reported (text_to_translate).
    """
    progress = progress or NoProgress()
    clock = clock or StageClock()
    depth = max(1, engine.depth)
    via = _Sending(stages, engine, memory, _sender(engine, stages.translate, eager=depth > 1),
                   InFlight() if memory is not None and depth > 1 else None, progress)
    groups: dict[tuple[str, str | None, str | None], list[Detected]] = {}
    for item in detected:
        groups.setdefault(item.route.key, []).append(item)
    translating: deque[_Translating | WindowOutcome] = deque()
    summarizing: deque[_Summarizing] = deque()

    def summarized(limit: int) -> Iterator[WindowOutcome]:
        # In window order: those over `limit` waiting, and those already back, so each is recorded
        # as soon as it can be (a killed run keeps it).
        while summarizing and (len(summarizing) > limit or summarizing[0].summaries.done()):
            yield _finish(summarizing.popleft(), stages=stages, progress=progress)

    def finish_oldest() -> Iterator[WindowOutcome]:
        started = translating.popleft()
        if isinstance(started, WindowOutcome):  # the whole window failed as it was sent
            yield started
            return
        with clock("translate"):
            translated = _finish_stage(started, via=via)
        started.meter.finish()
        _log_window(started.window, translated, seconds=started.seconds + clock.last)
        if isinstance(translated, WindowOutcome):  # the whole window failed
            yield translated
            return
        summarizing.append(_Summarizing(
            started.window, *translated, engine.submit(stages.summarize.summarize, SummarizeRequest(
                tuple(t.text for t in translated[0].translations)
            )),
        ))
        yield from summarized(depth)

    for items in groups.values():
        # Windows, chunks and summary calls do not depend on the engine: a model's output can depend
        # on what shares its batch, and both engines must give the same digest.
        for window in windows(items, size=WINDOW_SEGMENTS):
            meter = TextMeter(progress, sum(text_to_translate(item) for item in window))
            with clock("translate"):
                translating.append(_start_stage(window, via=via, meter=meter))
            if isinstance(translating[-1], _Translating):
                translating[-1].seconds = clock.last
            else:
                meter.finish()
            yield from summarized(depth)
            while len(translating) >= depth:
                yield from finish_oldest()
    while translating:
        yield from finish_oldest()
    yield from summarized(0)


def _sender(engine: Engine, stage: TranslateStage, *, eager: bool) -> Send:
    """How a window's chunks go out: read lazily from `engine.map`, or all started at once (`eager`).

    Eager when several windows are in flight: a window's calls must be on their way before the
    driver turns to the next window.
    """
    if not eager:
        return lambda requests: engine.map(stage.translate, requests)

    def send(requests: list[TranslateRequest]) -> Iterator[tuple[str, ...]]:
        futures = [engine.submit(stage.translate, request) for request in requests]
        return (future.result() for future in futures)

    return send


def _balanced_parts(texts: Sequence[str], count: int) -> list[list[int]]:
    """Indices of `texts` in at most `count` parts of about equal total length (longest first, to the lightest)."""
    if count <= 1 or len(texts) <= 1:
        return [list(range(len(texts)))]
    parts: list[list[int]] = [[] for _ in range(min(count, len(texts)))]
    sizes = [0] * len(parts)
    for i in sorted(range(len(texts)), key=lambda i: -len(texts[i])):
        lightest = sizes.index(min(sizes))
        parts[lightest].append(i)
        sizes[lightest] += len(texts[i])
    return [sorted(part) for part in parts]


@dataclass(frozen=True)
class _Summarizing:
    """A translated window whose summaries are on their way."""

    window: Sequence[Detected]
    result: WindowTranslation
    revision: str | None
    summaries: Future[tuple[str, ...]]


@dataclass(eq=False)
class _Translating:
    """A window whose segments are on their way to the translate stage."""

    window: Sequence[Detected]
    work: _WindowWork
    meter: TextMeter
    seconds: float = 0.0  # the driver's time sending it, for the --verbose log


@dataclass(frozen=True)
class _Sending:
    """What the driver sends windows with: the stages, the engine, the memory and what is in flight."""

    stages: RunStages
    engine: Engine
    memory: TranslationMemory | None
    send: Send
    in_flight: InFlight | None
    progress: Progress


def _start_stage(window: Sequence[Detected], *, via: _Sending, meter: TextMeter) -> _Translating | WindowOutcome:
    """Send one window of documents sharing a route to the translate stage; a failure fails the whole window."""
    stages, engine = via.stages, via.engine
    for item in window:
        via.progress.file_started(str(item.document.path))
    try:
        if meter.share:
            for model_id in _models(window):
                engine.call(stages.translate.revision, model_id)  # loaded now (announced), not mid-translation
            via.progress.phase("translating", f"{', '.join(_models(window))} · {_count(len(window), 'document')}")
        work = start_window(
            [item.document for item in window], route=window[0].route, stage=stages.translate, engine=engine,
            memory=via.memory, on_text=meter, paragraph_routes=[item.paragraph_routes for item in window],
            send=via.send, in_flight=via.in_flight,
        )
    except Exception as exc:
        return _failed(window, exc, via.progress)
    return _Translating(window, work, meter)


def _finish_stage(started: _Translating, *, via: _Sending) -> tuple[WindowTranslation, str | None] | WindowOutcome:
    """Wait for a window's translations; a failure fails the whole window."""
    try:
        return finish_window(started.work, stage=via.stages.translate, engine=via.engine, memory=via.memory,
                             send=via.send, on_text=started.meter, in_flight=via.in_flight)
    except Exception as exc:
        return _failed(started.window, exc, via.progress)


def _finish(pending: _Summarizing, *, stages: RunStages, progress: Progress) -> WindowOutcome:
    """Wait for a window's summaries and check each document."""
    window, result = pending.window, pending.result
    progress.phase("summarizing", _count(len(window), "document"))
    try:
        summaries = pending.summaries.result()
    except Exception as exc:
        return _failed(window, exc, progress)
    finished: list[Finished] = []
    failures: list[Failure] = []
    for item, translation, summary in zip(window, result.translations, summaries):
        outcome = check(item, translation, summary, revision=pending.revision, summarizer=stages.summarize)
        if isinstance(outcome, Failure):
            failures.append(outcome)
        else:
            finished.append(outcome)
        progress.file_done(str(item.document.path), ok=not isinstance(outcome, Failure))
    return WindowOutcome(finished, failures, result.translated, result.from_cache)


def _failed(window: Sequence[Detected], exc: Exception, progress: Progress) -> WindowOutcome:
    """Every document of `window` failed with `exc`; a failing store stops the run instead."""
    if isinstance(exc, StateError):
        raise exc  # the store failing is no fault of these files: the run stops before publishing
    if isinstance(exc, DigestError):
        return WindowOutcome([], _fail_all(window, str(exc), progress))
    log.debug("unexpected error in %s", [str(i.document.path) for i in window], exc_info=exc)
    message = f"unexpected error: {type(exc).__name__}: {exc} (run with --verbose for details)"
    return WindowOutcome([], _fail_all(window, message, progress))


class StageClock:
    """Busy seconds per stage, measured by the driver around each stage's calls."""

    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}
        self.last = 0.0  # the seconds of the last block timed, for the --verbose log

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.last = time.perf_counter() - started
            self._seconds[stage] = self._seconds.get(stage, 0.0) + self.last

    def times(self, stages: RunStages | None, *, engine: Engine) -> tuple[tuple[str, StageTime], ...]:
        """Each stage's time; translation and summaries with the tokens their models generated.

        Summaries run beside the driver, so theirs is the summarize stage's own busy time.
        """
        out = {name: StageTime(seconds) for name, seconds in self._seconds.items()}
        if stages is not None:
            translation = engine.call(stages.translate.usage, None)
            out["translate"] = StageTime(out.get("translate", StageTime()).seconds, translation.tokens)
            out["summarize"] = engine.call(stages.summarize.usage, None)
        return tuple(out.items())


@dataclass(frozen=True)
class WindowTranslation:
    """A window's translations, and how many segments were translated or served from the memory."""

    translations: list[Translation]
    translated: int
    from_cache: int


def translate_window(
    documents: Sequence[Document],
    *,
    route: ModelRoute,
    stage: TranslateStage,
    engine: Engine,
    memory: TranslationMemory | None,
    on_text: Callable[[int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    paragraph_routes: Sequence[tuple[ModelRoute, ...]] | None = None,
) -> tuple[WindowTranslation, str | None]:
    """Translate documents whose main language shares one route, batching segments by route; also its revision.

    `paragraph_routes` gives each document's route per paragraph (empty: every paragraph takes
    `route`): segments are grouped by route across the documents, each group translated with the
    memory for its model, and every document rebuilt with its paragraphs in order. `on_text` gets the
    characters of source text finished as each chunk comes back.
    """
    send = _sender(engine, stage, eager=False)
    work = start_window(documents, route=route, stage=stage, engine=engine, memory=memory, on_text=on_text,
                        chunk_size=chunk_size, paragraph_routes=paragraph_routes, send=send)
    return finish_window(work, stage=stage, engine=engine, memory=memory, send=send, on_text=on_text)


@dataclass(eq=False)
class _RouteWork:
    """One route's share of a window: the documents using it, their segments for it, and the calls."""

    route: ModelRoute
    users: list[int]
    segments: list[list[Segment]]
    revision: str
    pending: PendingTranslation


@dataclass(eq=False)
class _WindowWork:
    """A window's translation under way (start_window); finish_window waits for it and rebuilds the documents."""

    documents: Sequence[Document]
    route: ModelRoute
    routes: list[_RouteWork]
    single: Segmented | None = None  # one route for every paragraph: rebuilt from these segments
    identity: list[list[tuple[Segment, str]]] | None = None  # paragraphs passed through, per document
    english: list[Translation] | None = None  # English documents passed through whole


def start_window(
    documents: Sequence[Document],
    *,
    route: ModelRoute,
    stage: TranslateStage,
    engine: Engine,
    memory: TranslationMemory | None,
    send: Send,
    on_text: Callable[[int], None] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    paragraph_routes: Sequence[tuple[ModelRoute, ...]] | None = None,
    in_flight: InFlight | None = None,
) -> _WindowWork:
    """Segment a window's documents per route, look them up and send what the memory lacks (translate_window)."""
    per_doc = list(paragraph_routes) if paragraph_routes is not None else [() for _ in documents]
    routes: list[_RouteWork] = []
    work = _WindowWork(documents, route, routes)
    try:
        if not any(per_doc):
            if route.route is Route.IDENTITY or route.model_id is None:
                work.english = identity(documents)
                return work
            work.single = _segment(engine, stage, route.model_id, tuple(d.body for d in documents))
            routes.append(_RouteWork(route, list(range(len(documents))), [], work.single.revision, _through_memory(
                work.single.texts, route=route, revision=work.single.revision, memory=memory, send=send,
                on_text=on_text, chunk_size=chunk_size, in_flight=in_flight,
            )))
            return work

        # A paragraph's route: its own, or the main one for a document with a single route.
        def route_of(doc: int, paragraph: int) -> ModelRoute:
            routes_here = per_doc[doc]
            return routes_here[paragraph] if paragraph < len(routes_here) else route

        needed: dict[tuple[str, str | None, str | None], ModelRoute] = {}
        for doc, routes_here in enumerate(per_doc):
            for r in routes_here or (route,):
                needed.setdefault(r.key, r)
        work.identity = [[] for _ in documents]
        for r in needed.values():
            if r.route is Route.IDENTITY or r.model_id is None:
                for doc, document in enumerate(documents):
                    work.identity[doc] += [
                        (s, s.text) for s in segment_text(document.body) if route_of(doc, s.paragraph).key == r.key
                    ]
                continue
            users = [doc for doc, here in enumerate(per_doc) if r.key in {x.key for x in here or (route,)}]
            segmented = _segment(engine, stage, r.model_id, tuple(documents[d].body for d in users))
            mine = [
                [s for s in segments if route_of(doc, s.paragraph).key == r.key]
                for doc, segments in zip(users, segmented.segments)
            ]
            routes.append(_RouteWork(r, users, mine, segmented.revision, _through_memory(
                [s.text for segments in mine for s in segments], route=r, revision=segmented.revision,
                memory=memory, send=send, on_text=on_text, chunk_size=chunk_size, in_flight=in_flight,
            )))
    except BaseException:
        _release(routes, in_flight)
        raise
    return work


def finish_window(
    work: _WindowWork,
    *,
    stage: TranslateStage,
    engine: Engine,
    memory: TranslationMemory | None,
    send: Send,
    on_text: Callable[[int], None] | None = None,
    in_flight: InFlight | None = None,
) -> tuple[WindowTranslation, str | None]:
    """Wait for a window's translations, storing each chunk as it comes back, and rebuild its documents."""
    if work.english is not None:
        return WindowTranslation(work.english, 0, 0), None
    translated = from_cache = 0
    results: list[Cached] = []
    try:
        for r in work.routes:
            result = finish_cached(r.pending, memory=memory, send=send, on_progress=on_text)
            results.append(result)
            translated += result.translated
            from_cache += result.from_cache
    finally:
        _release(work.routes, in_flight)
    if work.single is not None:
        return WindowTranslation(rebuild(work.single, results[0].texts), translated, from_cache), work.single.revision
    pieces = work.identity or [[] for _ in work.documents]
    sent = [0] * len(work.documents)
    revisions: dict[str | None, str] = {}
    for r, result in zip(work.routes, results):
        revisions[r.route.model_id] = r.revision
        english = iter(result.texts)
        for doc, segments in zip(r.users, r.segments):
            pieces[doc] += [(s, next(english)) for s in segments]
            sent[doc] += len(segments)
    translations = [rebuild_paragraphs(p, segments=n) for p, n in zip(pieces, sent)]
    revision = None
    route = work.route
    if route.model_id is not None and route.route is not Route.IDENTITY:
        revision = revisions.get(route.model_id) or engine.call(stage.revision, route.model_id)
    return WindowTranslation(translations, translated, from_cache), revision


def _release(routes: Sequence[_RouteWork], in_flight: InFlight | None) -> None:
    """Segments of a window that ended (finished or failed) are no longer in flight."""
    for r in routes:
        r.pending.finished = True
        if in_flight is not None:
            in_flight.remove(r.pending)


def _through_memory(
    texts: Sequence[str],
    *,
    route: ModelRoute,
    revision: str,
    memory: TranslationMemory | None,
    send: Send,
    on_text: Callable[[int], None] | None,
    chunk_size: int,
    in_flight: InFlight | None,
) -> PendingTranslation:
    """Send one route's segments: the memory first, then the translate stage for what it lacks."""
    assert route.model_id is not None  # identity routes never reach the model
    return start_cached(
        texts,
        key=MemoryKey(route.model_id, revision, route.source_code),
        memory=memory,
        send=send,
        chunk_size=chunk_size,
        on_progress=on_text,
        in_flight=in_flight,
    )


def _segment(engine: Engine, stage: TranslateStage, model_id: str, bodies: tuple[str, ...]) -> Segmented:
    """Each body's segments for `model_id`: one call, or on an engine of width W, W calls at once.

    Segmenting only counts tokens (no model runs), so how the bodies are split does not change it.
    """
    parts = _balanced_parts(bodies, engine.width)
    if len(parts) <= 1:
        return engine.call(stage.segment, SegmentRequest(model_id, bodies))
    requests = [SegmentRequest(model_id, tuple(bodies[i] for i in part)) for part in parts]
    per_body: list[tuple[Segment, ...]] = [()] * len(bodies)
    revision = ""
    for part, segmented in zip(parts, engine.map(stage.segment, requests)):
        revision = segmented.revision
        for i, segments in zip(part, segmented.segments):
            per_body[i] = segments
    return Segmented(model_id, revision, tuple(per_body))


def text_to_translate(item: Detected) -> int:
    """The characters of `item`'s text that go to a model (its sentences on model routes), before any tokenizer runs."""
    routes = item.paragraph_routes

    def to_model(paragraph: int) -> bool:
        route = routes[paragraph] if paragraph < len(routes) else item.route
        return route.route is not Route.IDENTITY and route.model_id is not None

    if not routes and not to_model(0):
        return 0
    return sum(len(s.text) for s in segment_text(item.document.body) if to_model(s.paragraph))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _models(window: Sequence[Detected]) -> list[str]:
    """The models a window's text goes to, in order."""
    models = [r.model_id for item in window for r in (item.route, *item.paragraph_routes)
              if r.model_id is not None and r.route is not Route.IDENTITY]
    return list(dict.fromkeys(models))


def _route_name(window: Sequence[Detected]) -> str:
    """The models a window goes to, for the --verbose log."""
    return ", ".join(_models(window)) or "English, passed through"


def _log_window(window: Sequence[Detected], translated: object, *, seconds: float) -> None:
    """One --verbose line per window: its model, its segments and how long they took."""
    documents = _count(len(window), "document")
    if isinstance(translated, WindowOutcome):
        log.info("translate %s: %s failed in %.2f s", _route_name(window), documents, seconds)
        return
    assert isinstance(translated, tuple)
    result: WindowTranslation = translated[0]
    segments = result.translated + result.from_cache
    log.info("translate %s: %s (%d from memory) for %s in %.2f s", _route_name(window),
             _count(segments, "segment"), result.from_cache, documents, seconds)


def _fail_all(window: Sequence[Detected], message: str, progress: Progress) -> list[Failure]:
    failures = []
    for item in window:
        failures.append(Failure(str(item.document.path), message))
        progress.file_done(str(item.document.path), ok=False)
    return failures


def _write(out_dir: Path, digest: Digest, *, site_url: str | None, diagnostics: bool) -> tuple[Path, ...]:
    from digest.publish import publish, write_day

    written = list(write_day(out_dir, digest))
    written += publish(out_dir, digest, site_url=site_url, diagnostics=diagnostics)
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
    check_inputs(paths)
    found = find_inputs(paths, settings=settings)
    loaded = read(found.files, max_bytes=settings.max_file_bytes)
    detections = detect(loaded.documents, options=route_options(settings))
    results = [
        DetectResult(
            str(d.document.path),
            d.detection.language,
            round(d.detection.confidence, 3),
            d.route.route.value,
            d.route.model_id,
        )
        for d in detections.detected
    ]
    results += [
        DetectResult(f.path, None, None, None, None, f.error)
        for f in [*found.failures, *loaded.failures, *detections.failures]
    ]
    return sorted(results, key=lambda r: r.path)


@dataclass(frozen=True)
class FileTranslation:
    """One file translated by `digest translate`."""

    document: Document
    detection: Detection
    route: ModelRoute
    translation: Translation


# The name `digest translate` takes for standard input, as most tools do.
STDIN = Path("-")


def translate_file(
    path: Path, *, settings: Settings, progress: Progress | None = None, stream: BinaryIO | None = None
) -> FileTranslation:
    """Translate one file to English; raises DigestError subclasses with one-line messages.

    With `stream` (standard input when `path` is "-"), its bytes are the document, read as plain text.
    """
    document = _read_one(path, stream=stream, max_bytes=settings.max_file_bytes)
    detections = detect([document], options=route_options(settings))
    if detections.failures:
        raise UnsupportedLanguage(detections.failures[0].error)
    item = detections.detected[0]
    stage = TranslateStage(ModelHolder(model_options(settings)))
    progress = progress or NoProgress()
    meter = TextMeter(progress, text_to_translate(item))
    progress.text_total(meter.share)
    with listening(progress.phase):
        result, _revision = translate_window(
            [document], route=item.route, stage=stage, engine=LocalEngine(), memory=None,
            on_text=meter, paragraph_routes=[item.paragraph_routes],
        )
    meter.finish()
    if empty_translation(document, result.translations[0], route=item.route):
        model = item.route.model_id or "(identity)"
        raise ModelBroken(model, f"its translation of {path} came out empty (check its tokenizer files)",
                          fix=f"re-download it with `hf download {model}`")
    return FileTranslation(document, item.detection, item.route, result.translations[0])


def _read_one(path: Path, *, stream: BinaryIO | None, max_bytes: int) -> Document:
    """The one document `digest translate` was given, or an error naming it."""
    if stream is None:
        check_inputs([path])
        if path.is_dir():
            raise ConfigError(
                f"{display_path(path)} is a folder: `digest translate` takes one file; "
                f"digest the files in a folder with `digest run {display_path(path)}`"
            )
    name = "standard input" if stream is not None else display_path(path)
    try:
        if stream is not None:
            return document_from_bytes(STDIN, read_stream(stream, max_bytes=max_bytes))
        return read_document(path, max_bytes=max_bytes, known_type=True)
    # The reader's message leaves the name out (a run pairs it with the path); here it is the
    # whole error line.
    except UnsupportedFileType as exc:
        raise UnsupportedFileType(f"{name}: {exc}; convert it, or pipe its text to `digest translate -`") from None
    except UnreadableDocument as exc:
        raise UnreadableDocument(f"{name}: {exc}") from None


def write_translation(result: FileTranslation, out: Path) -> None:
    """Write a translation to `out` atomically."""
    write_text_atomic(out, result.translation.text.rstrip("\n") + "\n")
