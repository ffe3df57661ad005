"""Where stage calls run: in this process (LocalEngine), or on a Ray cluster (digest.ray_engine.RayEngine)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from digest.stages import ModelOptions, RunStages, TranslateStage

In = TypeVar("In")
Out = TypeVar("Out")


class Engine(Protocol):
    """Runs stage calls (a stage function or a bound method of a stage object) over their inputs."""

    @property
    def width(self) -> int:
        """How many calls of one stage run at once; the driver may split work that no model runs that many ways."""
        ...

    @property
    def depth(self) -> int:
        """How many windows the driver keeps in flight: 1 sends a window once the last one is back."""
        ...

    def call(self, stage: Callable[[In], Out], request: In) -> Out:
        """Run one stage call and return its output.

        Args:
            stage: a stage function or a stage object's method, taking one frozen record.
            request: the record.

        Returns:
            The stage's output record.
        """
        ...

    def map(self, stage: Callable[[In], Out], requests: Iterable[In]) -> Iterator[Out]:
        """Run `stage` over `requests`, yielding each output as it is ready, in the order given.

        Args:
            stage: a stage function or a stage object's method, taking one frozen record.
            requests: the records; an engine may send several out before the first comes back.

        Returns:
            The outputs, one per request, in order, so the driver can store each as it arrives.
        """
        ...

    def submit(self, stage: Callable[[In], Out], request: In) -> Future[Out]:
        """Start one stage call while the driver goes on; its output (or error) comes through the future.

        Args:
            stage: a stage function or a stage object's method, taking one frozen record.
            request: the record.

        Returns:
            A future holding the stage's output record, or the exception it raised.
        """
        ...

    def close(self, *, wait: bool = True) -> None:
        """Stop taking calls, waiting for those started unless `wait` is False (the run was interrupted)."""
        ...

    def translate_stage(self, options: ModelOptions) -> TranslateStage:
        """The translate stage whose calls this engine runs; its models load where the calls run, on first use."""
        ...

    def load_stages(
        self, translate: TranslateStage, *, kind: str, model_id: str, needed: Sequence[str]
    ) -> RunStages:
        """The run's stages around `translate`, models converted and the summarizer loaded now.

        Args:
            translate: the stage from `translate_stage`.
            kind: the summarizer ("abstractive" loads `model_id`, "extractive" needs no model).
            model_id: the summarizer's model.
            needed: the translation models the run will use, converted ahead where the backend needs it.

        Returns:
            The stages; a summarizer that is missing or broken raises here, before any translation.
        """
        ...


class LocalEngine:
    """Runs stage calls in this process: `call` and `map` in the caller's thread, `submit` in one other.

    The other thread lets a window's summaries run while the next window translates: both models
    decode in native code that releases the GIL, so the two stages share the machine's cores.
    """

    width = 1  # one call of a stage at a time (summaries beside translation, in the other thread)
    depth = 1  # one window translating: its calls run in the driver's thread

    def __init__(self) -> None:
        self._background: _Worker | None = None

    def call(self, stage: Callable[[In], Out], request: In) -> Out:
        """Call `stage` here."""
        return stage(request)

    def map(self, stage: Callable[[In], Out], requests: Iterable[In]) -> Iterator[Out]:
        """Call `stage` here on each request in turn, lazily, so a failure stops the rest."""
        for request in requests:
            yield stage(request)

    def submit(self, stage: Callable[[In], Out], request: In) -> Future[Out]:
        """Queue `stage(request)` for the background thread; calls run one at a time, in order."""
        if self._background is None:
            self._background = _Worker()
        return self._background.submit(stage, request)

    def close(self, *, wait: bool = True) -> None:
        """End the background thread once its queue is done; `wait=False` (an interrupt) does not wait."""
        if self._background is not None:
            self._background.stop(wait=wait)
            self._background = None

    def translate_stage(self, options: ModelOptions) -> TranslateStage:
        """A translate stage holding its models in this process."""
        from digest.stages import ModelHolder, TranslateStage

        return TranslateStage(ModelHolder(options))

    def load_stages(
        self, translate: TranslateStage, *, kind: str, model_id: str, needed: Sequence[str]
    ) -> RunStages:
        """The stages in this process (digest.stages.local_stages)."""
        from digest.stages import local_stages

        return local_stages(translate, kind=kind, model_id=model_id, needed=needed)


class _Worker:
    """One daemon thread running queued calls in order.

    A daemon, not a ThreadPoolExecutor: on Ctrl-C or SIGTERM the process must not wait for a
    summary batch that is still decoding; the work it would finish is redone by the next run.
    """

    _STOP = object()

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="digest-stage", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[In], Out], argument: In) -> Future[Out]:
        future: Future[Out] = Future()
        self._queue.put((future, fn, argument))
        return future

    def stop(self, *, wait: bool) -> None:
        self._queue.put(self._STOP)
        if wait:
            # Joined, so the models the thread used are released in the driver's thread while the
            # interpreter is whole: native thread pools torn down at exit abort the process.
            self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is self._STOP:
                return
            self._call(*item)
            del item  # holds the stage object, and through it a model, until the next call

    @staticmethod
    def _call(future: Future[Any], fn: Callable[[Any], Any], argument: Any) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn(argument)
        except BaseException as exc:  # handed to the driver, which decides what it means
            future.set_exception(exc)
        else:
            future.set_result(result)
