"""The stages called directly, with no state store, no settings and a fake translator."""

from __future__ import annotations

import multiprocessing
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from core.records import Failure, Route
from digest.engine import LocalEngine
from digest.pipeline import RunStages, WindowOutcome, process
from digest.stages import (
    Detected,
    Finished,
    ModelHolder,
    ModelOptions,
    RouteOptions,
    SegmentRequest,
    SummarizeRequest,
    SummarizeStage,
    TranslateRequest,
    check,
    detect,
    fixed_translators,
    read,
    rebuild,
    record,
)
from digest.state import StateStore
from tests.digest.fakes import Bracketing

HINDI = "पहला वाक्य यहाँ है। दूसरा वाक्य भी है।\nनया अनुच्छेद शुरू होता है।"
URDU = "یہ پہلا جملہ ہے۔ یہ دوسرا جملہ ہے۔"
ENGLISH = "The council met on Tuesday. It approved the plan.\nWork starts in March."


@pytest.fixture
def inputs(tmp_path: Path) -> list[Path]:
    files = {"hi.txt": HINDI, "ur.txt": URDU, "en.txt": ENGLISH, "empty.bin": ""}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [tmp_path / name for name in sorted(files)]


def _translators() -> dict[str, Bracketing]:
    return {m: Bracketing(m) for m in ("Helsinki-NLP/opus-mt-hi-en", "Helsinki-NLP/opus-mt-ur-en")}


def _extractive() -> SummarizeStage:
    return SummarizeStage.load(ModelHolder(ModelOptions()), kind="extractive", model_id="unused")


def test_read_detect_segment_translate_summarize_without_a_store(inputs: list[Path]) -> None:
    loaded = read(inputs, max_bytes=1_000_000)
    assert [d.path.name for d in loaded.documents] == ["en.txt", "hi.txt", "ur.txt"]
    assert [Path(f.path).name for f in loaded.failures] == ["empty.bin"]

    detections = detect(loaded.documents, options=RouteOptions())
    routes = {d.document.path.name: (d.detection.language, d.route.route, d.route.model_id) for d in detections.detected}
    assert routes == {
        "en.txt": ("en", Route.IDENTITY, None),
        "hi.txt": ("hi", Route.MARIAN, "Helsinki-NLP/opus-mt-hi-en"),
        "ur.txt": ("ur", Route.MARIAN, "Helsinki-NLP/opus-mt-ur-en"),
    }

    hindi = next(d for d in detections.detected if d.detection.language == "hi")
    translators = _translators()
    stage = fixed_translators(translators)
    segmented = stage.segment(SegmentRequest("Helsinki-NLP/opus-mt-hi-en", (hindi.document.body,)))
    assert segmented.revision == "r1"
    assert segmented.texts == ["पहला वाक्य यहाँ है।", "दूसरा वाक्य भी है।", "नया अनुच्छेद शुरू होता है।"]

    english = stage.translate(TranslateRequest("Helsinki-NLP/opus-mt-hi-en", None, tuple(segmented.texts)))
    [translation] = rebuild(segmented, english)
    assert translation.text == (
        "[पहला वाक्य यहाँ है।] translated. [दूसरा वाक्य भी है।] translated.\n\n[नया अनुच्छेद शुरू होता है।] translated."
    )
    assert translation.segments == 3
    assert translation.paragraphs == (
        (
            "पहला वाक्य यहाँ है। दूसरा वाक्य भी है।",
            "[पहला वाक्य यहाँ है।] translated. [दूसरा वाक्य भी है।] translated.",
        ),
        ("नया अनुच्छेद शुरू होता है।", "[नया अनुच्छेद शुरू होता है।] translated."),
    )

    summarize = _extractive()
    [summary] = summarize.summarize(SummarizeRequest((translation.text,)))
    assert summary.strip() and "translated." in summary
    done = check(hindi, translation, summary, revision="r1", summarizer=summarize)
    assert isinstance(done, Finished)
    assert (done.model_revision, done.summarizer) == ("r1", "extractive")

    recorded = record(done, translation="translations/hi.en.md", date="2024-04-02")
    assert recorded.entry.path == str(hindi.document.path)
    assert recorded.entry.title == "[पहला वाक्य यहाँ है।] translated. [दूसरा वाक्य भी है।] translated."  # the first line
    assert (recorded.entry.language, recorded.entry.model) == ("hi", "Helsinki-NLP/opus-mt-hi-en")
    assert (recorded.entry.summary, recorded.entry.translation) == (summary, "translations/hi.en.md")
    assert recorded.entry.link == hindi.document.path.resolve().as_uri()
    assert r"\[नया अनुच्छेद शुरू होता है।\] translated." in recorded.markdown  # Markdown-escaped
    assert recorded.entry.original_title == hindi.document.title
    # The side-by-side page: each Hindi paragraph beside its English, in order.
    page = recorded.page
    assert page.index('lang="hi" dir="ltr"') < page.index("पहला वाक्य यहाँ है। दूसरा वाक्य भी है।")
    assert page.index("दूसरा वाक्य भी है।") < page.index("[नया अनुच्छेद शुरू होता है।] translated.")
    assert page.count('<div class="pair">') == 2


def test_an_empty_translation_is_a_failure_not_a_finished_document(inputs: list[Path]) -> None:
    [hindi] = detect(read([inputs[1]], max_bytes=1_000_000).documents, options=RouteOptions()).detected
    from core.records import Translation

    outcome = check(hindi, Translation("", 3), "", revision="r1", summarizer=_extractive())
    assert isinstance(outcome, Failure)
    assert "translation came out empty" in outcome.error


def test_stage_records_survive_pickling_for_worker_processes(inputs: list[Path]) -> None:
    loaded = read(inputs, max_bytes=1_000_000)
    detections = detect(loaded.documents, options=RouteOptions(routes=(("ur", "nllb"),)))
    stage = fixed_translators(_translators())
    segmented = stage.segment(SegmentRequest("Helsinki-NLP/opus-mt-hi-en", (HINDI, ENGLISH)))
    for value in (loaded, detections, segmented, SummarizeRequest(("a",)), ModelOptions(), RouteOptions()):
        assert pickle.loads(pickle.dumps(value)) == value


def _entries(outcomes: Iterator[WindowOutcome]) -> list[tuple[str, str, str, str | None]]:
    finished = [done for outcome in outcomes for done in outcome.finished]
    return sorted(
        (done.detected.document.path.name, done.translation.text, done.summary, done.model_revision)
        for done in finished
    )


def _detected(inputs: list[Path]) -> tuple[Detected, ...]:
    return detect(read(inputs, max_bytes=1_000_000).documents, options=RouteOptions()).detected


def test_the_engine_with_no_memory_produces_the_same_entries_as_with_one(inputs: list[Path], tmp_path: Path) -> None:
    detected = _detected(inputs)
    summarize = _extractive()

    bare = _translators()
    without = _entries(process(detected, stages=RunStages(fixed_translators(bare), summarize),
                               engine=LocalEngine(), memory=None))
    assert [name for name, *_ in without] == ["en.txt", "hi.txt", "ur.txt"]
    assert without[0][1] == ENGLISH  # identity

    with StateStore.open(tmp_path / "out") as store:
        first = _translators()
        remembered = _entries(process(detected, stages=RunStages(fixed_translators(first), summarize),
                                      engine=LocalEngine(), memory=store.memory))
        again = _translators()
        outcomes = list(process(detected, stages=RunStages(fixed_translators(again), summarize),
                                engine=LocalEngine(), memory=store.memory))
        served = _entries(iter(outcomes))

    assert remembered == without
    assert served == without
    assert [t.calls for t in first.values()] == [t.calls for t in bare.values()]
    assert all(t.calls == [] for t in again.values())  # everything came from the memory
    assert sum(o.from_cache for o in outcomes) == 5 and sum(o.translated for o in outcomes) == 0


def test_stage_modules_import_neither_the_store_nor_the_settings_nor_the_driver() -> None:
    code = (
        "import sys, digest.stages, digest.engine, digest.cached\n"
        "bad = {'digest.state', 'digest.settings', 'digest.pipeline', 'digest.incremental'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _imports(module: str) -> set[str]:
    import ast

    tree = ast.parse((Path(__file__).parents[2] / module).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):  # lazy imports inside functions count too
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_stage_imports_the_driver_the_store_or_the_settings_even_lazily() -> None:
    driver_side = {"digest.pipeline", "digest.incremental", "digest.state", "digest.settings"}
    for module in ("digest/stages.py", "digest/engine.py"):
        assert not driver_side & _imports(module), module


def test_incremental_runs_do_not_import_the_driver() -> None:
    assert "digest.pipeline" not in _imports("digest/incremental.py")


class PoolEngine:
    """Runs each stage call in a worker process, as a scale-out engine would (records are pickled both ways)."""

    depth = 1  # one window in flight, as the local engine

    def __init__(self, pool: ProcessPoolExecutor, *, width: int = 1) -> None:
        self.pool = pool
        self.width = width
        self.summarized: list[int] = []  # texts per summarize call

    def call(self, stage: Callable[[Any], Any], request: Any) -> Any:
        return self.pool.submit(stage, request).result()

    def map(self, stage: Callable[[Any], Any], requests: Iterable[Any]) -> Iterator[Any]:
        return self.pool.map(stage, requests)

    def submit(self, stage: Callable[[Any], Any], request: Any) -> Future[Any]:
        if getattr(stage, "__name__", "") == "summarize":
            self.summarized.append(len(request.texts))
        return self.pool.submit(stage, request)

    def close(self, *, wait: bool = True) -> None:
        pass


def test_the_same_stage_calls_run_unchanged_in_worker_processes(inputs: list[Path]) -> None:
    detected = _detected(inputs)
    stages = RunStages(fixed_translators(_translators()), _extractive())
    local = _entries(process(detected, stages=stages, engine=LocalEngine(), memory=None))
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        engine = PoolEngine(pool)
        assert engine.call(partial(read, max_bytes=1_000_000), tuple(inputs)) == read(inputs, max_bytes=1_000_000)
        remote = _entries(process(detected, stages=stages, engine=engine, memory=None))
    assert remote == local


def test_an_engine_running_two_calls_at_once_makes_the_same_calls_and_entries(
    inputs: list[Path], tmp_path: Path
) -> None:
    second = tmp_path / "hi-2.txt"
    second.write_text(HINDI.replace("\n\n", "\n", 1) + "\n", encoding="utf-8")
    detected = _detected([*inputs, second])
    stages = RunStages(fixed_translators(_translators()), _extractive())
    local = _entries(process(detected, stages=stages, engine=LocalEngine(), memory=None))
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        engine = PoolEngine(pool, width=2)
        wide = _entries(process(detected, stages=stages, engine=engine, memory=None))
    assert wide == local
    # The calls are the local engine's, whatever the width: one summarize call a window.
    assert sorted(engine.summarized) == [1, 1, 2]
