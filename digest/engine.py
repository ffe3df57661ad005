"""Where stage calls run: in this process today; the same calls can go to workers later."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class Engine(Protocol):
    """Runs stage calls (a stage function or a bound method of a stage object) over their inputs."""

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


class LocalEngine:
    """Runs every stage call in this process, one after another."""

    def call(self, stage: Callable[[In], Out], request: In) -> Out:
        """Call `stage` here."""
        return stage(request)

    def map(self, stage: Callable[[In], Out], requests: Iterable[In]) -> Iterator[Out]:
        """Call `stage` here on each request in turn, lazily, so a failure stops the rest."""
        for request in requests:
            yield stage(request)
