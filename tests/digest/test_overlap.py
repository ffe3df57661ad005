"""Stages overlap: a window's summaries run while the next window translates."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from core.errors import DigestError
from digest.engine import LocalEngine
from digest.pipeline import RunStages, process
from digest.stages import RouteOptions, SummarizeStage, detect, fixed_translators, read
from tests.digest.fakes import Bracketing

HINDI_MODEL = "Helsinki-NLP/opus-mt-hi-en"


def _windows_of_hindi(tmp_path: Path, count: int) -> list[Path]:
    # Each file is long enough (by the driver's estimate) to fill a window on its own.
    paths = []
    for n in range(count):
        body = "\n".join(f"यह दस्तावेज़ {n} का अनुच्छेद {p} है।" for p in range(100))
        path = tmp_path / f"hi-{n}.txt"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


class Gate(Bracketing):
    """Translates; tells the summarizer when the second window's translation has begun."""

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        self.second_window = threading.Event()

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        if "दस्तावेज़ 1 " in segments[0]:
            self.second_window.set()
        return super().translate(segments, source_code=source_code)


class WaitingSummarizer:
    """Summarizes the first window only once the second window is translating (or gives up)."""

    model_id = None

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.overlapped: list[bool] = []
        self.threads: list[str] = []

    def summarize(self, texts: Sequence[str]) -> list[str]:
        self.threads.append(threading.current_thread().name)
        if not self.overlapped:
            self.overlapped.append(self.gate.second_window.wait(timeout=20))
        else:
            self.overlapped.append(True)
        return [f"Summary of {len(text)} characters." for text in texts]


def test_a_windows_summaries_run_while_the_next_window_translates(tmp_path: Path) -> None:
    detected = detect(read(_windows_of_hindi(tmp_path, 2), max_bytes=1_000_000).documents,
                      options=RouteOptions()).detected
    gate = Gate(HINDI_MODEL)
    summarizer = WaitingSummarizer(gate)
    stages = RunStages(fixed_translators({HINDI_MODEL: gate}),
                       SummarizeStage(summarizer, kind="extractive", model_id="unused"))
    engine = LocalEngine()
    try:
        outcomes = list(process(detected, stages=stages, engine=engine, memory=None))
    finally:
        engine.close()

    assert len(outcomes) == 2  # one per window
    # Without the overlap the first summary would wait for a translation that never starts.
    assert summarizer.overlapped == [True, True]
    assert summarizer.threads == ["digest-stage", "digest-stage"]
    finished = [done.detected.document.path.name for o in outcomes for done in o.finished]
    assert finished == ["hi-0.txt", "hi-1.txt"]
    assert all(done.summary.startswith("Summary of ") for o in outcomes for done in o.finished)


class FailingSummarizer:
    model_id = None

    def summarize(self, texts: Sequence[str]) -> list[str]:
        raise DigestError("the summarizer ran out of memory: lower --summary-batch-tokens")


def test_a_summary_failing_in_the_background_fails_only_its_window(tmp_path: Path) -> None:
    detected = detect(read(_windows_of_hindi(tmp_path, 2), max_bytes=1_000_000).documents,
                      options=RouteOptions()).detected
    stages = RunStages(fixed_translators({HINDI_MODEL: Bracketing(HINDI_MODEL)}),
                       SummarizeStage(FailingSummarizer(), kind="extractive", model_id="unused"))
    engine = LocalEngine()
    try:
        outcomes = list(process(detected, stages=stages, engine=engine, memory=None))
    finally:
        engine.close()
    errors = [(Path(f.path).name, f.error) for o in outcomes for f in o.failures]
    assert errors == [
        ("hi-0.txt", "the summarizer ran out of memory: lower --summary-batch-tokens"),
        ("hi-1.txt", "the summarizer ran out of memory: lower --summary-batch-tokens"),
    ]


@pytest.mark.parametrize("cores, inter, intra", [(1, 1, 1), (2, 2, 1), (4, 2, 2), (16, 4, 4), (64, 4, 16)])
def test_ct2_threads_use_every_core(cores: int, inter: int, intra: int) -> None:
    from seq2seq.ct2 import threads_for

    threads = threads_for(cores)
    assert (threads.inter, threads.intra) == (inter, intra)
    assert threads.inter * threads.intra <= max(cores, 1)


def test_closing_the_engine_ends_its_background_thread_before_the_models_are_released() -> None:
    engine = LocalEngine()
    assert engine.submit(len, "four").result() == 4
    worker = engine._background
    assert worker is not None and worker._thread.is_alive()
    engine.close()
    # Joined: native thread pools (CTranslate2's) torn down later, at interpreter exit, abort the process.
    assert not worker._thread.is_alive()


def test_threads_share_one_heap_arena_and_freed_memory_goes_back() -> None:
    import platform

    from seq2seq.memory import release_free_memory, share_heap_arenas

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert share_heap_arenas()
    release_free_memory()  # never fails, whatever the C library
