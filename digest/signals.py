"""SIGTERM (systemd stop, timeouts) handled like Ctrl-C, so a stopped run cleans up and says so."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM.

    A KeyboardInterrupt, so every cleanup written for Ctrl-C runs for it too: the run is recorded
    as interrupted, temporary files go, and finished work stays in the state store.
    """


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    # A second SIGTERM, as systemd sends before SIGKILL, ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated()


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While inside, SIGTERM raises Terminated in the main thread; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
