"""Announcements of the slow steps that happen deep inside the backends: downloading, converting, loading.

Those steps run far below the driver (in seq2seq, in the stage thread), behind constructors that
take no progress object; threading one through every backend would widen every signature for a
line of status. A run listens for the span of the run instead (digest.pipeline), and the steps
announce themselves here. With nobody listening, an announcement does nothing. Announcements made
in another process (a Ray worker) reach no listener; the driver announces its own steps itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[str, str], None]

_lock = threading.Lock()
_listeners: list[Listener] = []


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call `listener(name, detail)` for every step announced, in any thread, until the block ends."""
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


def announce(name: str, detail: str = "") -> None:
    """Tell the listeners that step `name` (on `detail`, a model id for example) has begun."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(name, detail)
