"""Several windows in flight (an engine with several workers): the same calls and entries as one at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from digest.engine import LocalEngine
from digest.pipeline import RunStages, WindowOutcome, process
from digest.stages import (
    Detected,
    ModelHolder,
    ModelOptions,
    RouteOptions,
    SummarizeStage,
    detect,
    fixed_translators,
    read,
)
from digest.state import StateStore
from tests.digest.fakes import Bracketing

HINDI_MODEL = "Helsinki-NLP/opus-mt-hi-en"


class ThreadEngine:
    """Stage calls on a pool of threads, `depth` windows in flight: a scale-out engine without the cluster."""

    def __init__(self, *, workers: int = 2, depth: int = 3) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers)
        self.width = workers
        self.depth = depth

    def call(self, stage: Callable[[Any], Any], request: Any) -> Any:
        return self.pool.submit(stage, request).result()

    def map(self, stage: Callable[[Any], Any], requests: Iterable[Any]) -> Iterator[Any]:
        return self.pool.map(stage, requests)

    def submit(self, stage: Callable[[Any], Any], request: Any) -> Future[Any]:
        return self.pool.submit(stage, request)

    def close(self, *, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait)


def _documents(tmp_path: Path, count: int, *, shared: int = 10) -> tuple[Detected, ...]:
    """`count` Hindi files, each filling a window, sharing `shared` paragraphs with every other."""
    paths = []
    for n in range(count):
        own = [f"यह दस्तावेज़ {n} का अनुच्छेद {p} है।" for p in range(90)]
        common = [f"यह साझा अनुच्छेद {p} है।" for p in range(shared)]
        path = tmp_path / f"hi-{n}.txt"
        path.write_text("\n".join(common + own if n % 2 else own + common), encoding="utf-8")
        paths.append(path)
    return detect(read(paths, max_bytes=1_000_000).documents, options=RouteOptions()).detected


def _extractive() -> SummarizeStage:
    return SummarizeStage.load(ModelHolder(ModelOptions()), kind="extractive", model_id="unused")


def _entries(outcomes: Iterable[WindowOutcome]) -> list[tuple[str, str, str]]:
    return [(d.detected.document.path.name, d.translation.text, d.summary) for o in outcomes for d in o.finished]


def _run(detected: Sequence[Detected], translator: Bracketing, engine: Any, store: StateStore) -> list[WindowOutcome]:
    stages = RunStages(fixed_translators({HINDI_MODEL: translator}), _extractive())
    try:
        return list(process(detected, stages=stages, engine=engine, memory=store.memory))
    finally:
        engine.close()


class Gate(Bracketing):
    """Holds the first window's call until the second window's call has started (or gives up)."""

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        self.second = threading.Event()
        self.overlapped: list[bool] = []

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        if any("दस्तावेज़ 1 " in s for s in segments):
            self.second.set()
        elif any("दस्तावेज़ 0 " in s for s in segments):
            self.overlapped.append(self.second.wait(timeout=20))
        return super().translate(segments, source_code=source_code)


def test_the_next_window_goes_out_while_a_window_translates(tmp_path: Path) -> None:
    detected = _documents(tmp_path, 3)
    gate = Gate(HINDI_MODEL)
    with StateStore.open(tmp_path / "out") as store:
        outcomes = _run(detected, gate, ThreadEngine(), store)
    # One window at a time, the first window's call would wait for a second that never starts.
    assert gate.overlapped == [True]
    assert [name for name, *_ in _entries(outcomes)] == ["hi-0.txt", "hi-1.txt", "hi-2.txt"]


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_windows_in_flight_make_the_same_calls_and_entries_as_one_at_a_time(tmp_path: Path, depth: int) -> None:
    detected = _documents(tmp_path, 5)
    one, many = Bracketing(HINDI_MODEL), Bracketing(HINDI_MODEL)
    with StateStore.open(tmp_path / "one") as store:
        alone = _run(detected, one, LocalEngine(), store)
    with StateStore.open(tmp_path / "many") as store:
        in_flight = _run(detected, many, ThreadEngine(depth=depth), store)
        # Everything translated went into the memory, once.
        shared = [f"यह साझा अनुच्छेद {p} है।" for p in range(10)]
        assert len(store.memory.lookup(HINDI_MODEL, "r1", None, shared)) == 10

    assert _entries(in_flight) == _entries(alone)
    # A segment shared with an earlier window still in flight is not sent again: it waits for that window.
    assert sorted(map(tuple, many.calls)) == sorted(map(tuple, one.calls))
    sent = [s for call in many.calls for s in call]
    assert len(sent) == len(set(sent)) == 5 * 90 + 10
    counts = [(o.translated, o.from_cache) for o in in_flight]
    assert counts == [(o.translated, o.from_cache) for o in alone]
    assert counts[0] == (100, 0) and counts[1:] == [(90, 10)] * 4


class FailsFirstWindow(Bracketing):
    """Fails every call holding the first document's own segments."""

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        if any("दस्तावेज़ 0 " in s for s in segments):
            raise RuntimeError("the worker ran out of memory")
        return super().translate(segments, source_code=source_code)


def test_a_window_failing_in_flight_fails_only_its_documents(tmp_path: Path) -> None:
    detected = _documents(tmp_path, 3)
    translator = FailsFirstWindow(HINDI_MODEL)
    with StateStore.open(tmp_path / "out") as store:
        outcomes = _run(detected, translator, ThreadEngine(depth=3), store)
    failed = [(Path(f.path).name, f.error) for o in outcomes for f in o.failures]
    message = "unexpected error: RuntimeError: the worker ran out of memory (run with --verbose for details)"
    assert failed == [("hi-0.txt", message)]
    entries = _entries(outcomes)
    assert [name for name, *_ in entries] == ["hi-1.txt", "hi-2.txt"]
    # The shared paragraphs the second window borrowed from the failed first one were sent again.
    assert all("[यह साझा अनुच्छेद 0 है।] translated." in text for _, text, _ in entries)


class HoldsThirdWindow(Bracketing):
    """Holds the third window's translation until the caller has the first window's outcome (or gives up)."""

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        self.first_recorded = threading.Event()
        self.released: list[bool] = []

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        if any("दस्तावेज़ 2 " in s for s in segments):
            self.released.append(self.first_recorded.wait(timeout=20))
        return super().translate(segments, source_code=source_code)


def test_a_window_is_handed_back_as_soon_as_its_summaries_are(tmp_path: Path) -> None:
    detected = _documents(tmp_path, 5)
    translator = HoldsThirdWindow(HINDI_MODEL)
    stages = RunStages(fixed_translators({HINDI_MODEL: translator}), _extractive())
    engine = ThreadEngine(depth=3)
    names = []
    with StateStore.open(tmp_path / "out") as store:
        try:
            for outcome in process(detected, stages=stages, engine=engine, memory=store.memory):
                names += [d.detected.document.path.name for d in outcome.finished]
                translator.first_recorded.set()  # the caller records it here: a killed run keeps it
        finally:
            engine.close()
    # Held until the caller had more summaries waiting than windows in flight, the first window's
    # outcome would wait for the third window's translation, which waits for it.
    assert translator.released == [True]
    assert names == [f"hi-{n}.txt" for n in range(5)]
