"""One run at a time per output folder, enforced by an OS file lock that dies with its holder."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import DigestError, RunLocked
from digest.state import state_dir

LOCK_FILENAME = "lock"


def lock_path(out_dir: Path) -> Path:
    """The lock file of output folder `out_dir`."""
    return state_dir(out_dir) / LOCK_FILENAME


@contextmanager
def run_lock(out_dir: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the exclusive run lock of `out_dir`; raise RunLocked at once if held, or block when `wait`."""
    path = lock_path(out_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # flock, not a pid file: the kernel drops it when the holder exits, even on SIGKILL,
        # so no lock is ever stale. The file is never deleted, which would let two runs each
        # lock a different inode.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DigestError(
            f"cannot create the run lock {path} ({exc.strerror}): choose a writable output folder with --out"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            holder = _read_pid(fd)
            who = f" (pid {holder})" if holder is not None else ""
            raise RunLocked(
                f"another digest run is using {out_dir}{who}: wait for it to finish, or pass --wait"
            ) from None
        # The pid is only for the message above; the lock itself is the flock.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    # Empty between the holder taking the lock and writing its pid, or after it released.
    text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    return int(text) if text.isdigit() else None
