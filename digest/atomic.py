"""Atomic file writes: a crash leaves the old file or the new one, never half of either."""

from __future__ import annotations

import ctypes
import errno
import functools
import logging
import os
import re
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core.errors import DiskFull
from digest.processes import pid_alive

log = logging.getLogger("digest")

# `.NAME.PID.XXXXXXXX.tmp`: the writer's pid lets a later run tell litter from a live write.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[a-z0-9_]{8}\.tmp")
# Written before temporaries carried a pid: only the names a run publishes are recognised.
_LEGACY_TEMPORARY = re.compile(
    r"\.(?P<name>digest\.(?:md|json|html)|index\.html|feed\.xml|[^/]+\.en\.md)\.[a-z0-9_]{8}\.tmp"
)
_DAY_FOLDER = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`.

    With `durable=False` nothing is fsynced: the file is whole or absent after a crash of the
    process, but a power cut may lose it until the caller passes it to `make_durable`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(path)
    except OSError as exc:
        _raise_if_disk_full(exc, path)
        raise
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        # Never leave the temporary file behind, whatever interrupted the write.
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            _raise_if_disk_full(exc, path)
        raise
    if durable:
        _fsync_dir(path.parent)


def _create_temp(path: Path) -> tuple[int, str]:
    """Create `.{name}.{pid}.{random}.tmp` beside `path`; the pid tells a sweep whether its writer lives.

    Created with mode 0666 so the umask applies as to any file the user creates (0644 under umask
    022): published pages must be readable by a web server. mkstemp's 0600 would survive the rename.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = str(path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Write UTF-8 `text` to `path` atomically (see write_bytes_atomic for `durable`)."""
    write_bytes_atomic(path, text.encode("utf-8"), durable=durable)


def make_durable(paths: Sequence[Path]) -> None:
    """Put files written with `durable=False`, and their renames, on disk before returning.

    One syncfs per filesystem where Linux has it; elsewhere an fsync per file and one per folder.
    """
    if not paths:
        return
    folders = {Path(path).parent for path in paths}
    syncfs = _syncfs()
    if syncfs is not None:
        # One journal commit for the whole window: fsync per small file costs about a millisecond
        # each (a journal commit apiece), syncfs about as much for hundreds of them. It also flushes
        # other writers' data on that filesystem, which costs this run time but never correctness.
        devices: dict[int, Path] = {}
        for folder in folders:
            devices.setdefault(os.stat(folder).st_dev, folder)
        for folder in devices.values():
            _sync_folder(folder, syncfs)
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for folder in folders:
        _fsync_dir(folder)


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    # Python has no os.syncfs; Linux's libc does (since 2.6.39; errors are reported since 5.8).
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.syncfs  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def _sync_folder(folder: Path, syncfs: Callable[[int], int]) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            exc = OSError(code, os.strerror(code), str(folder))
            _raise_if_disk_full(exc, folder)
            raise exc
    finally:
        os.close(fd)


def _raise_if_disk_full(exc: OSError, path: Path) -> None:
    if exc.errno in _DISK_FULL:
        raise DiskFull(
            f"disk full: cannot write {path} ({exc.strerror}): free space on that disk and run again "
            f"(files already published are unchanged)"
        ) from exc


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_stale_temporary(name: str) -> bool:
    """True for a temporary file name left by an atomic write whose process is gone."""
    match = _TEMPORARY.fullmatch(name)
    if match is not None:
        return not pid_alive(int(match["pid"]))
    return _LEGACY_TEMPORARY.fullmatch(name) is not None


def sweep_temporaries(out_dir: Path) -> list[Path]:
    """Remove temporaries that killed writes left in an output folder and its day folders.

    Call it only while holding the run lock, so no live run owns them. Only the output folder
    itself, its state folder `.digest` (the feed's identity is written there) and its YYYY-MM-DD
    folders (translations included) are searched, symlinks are not followed, and only names of
    the atomic-write pattern are touched.
    """
    out_dir = Path(out_dir)
    folders = [out_dir]
    state = out_dir / ".digest"
    if state.is_dir() and not state.is_symlink():
        folders.append(state)
    try:
        with os.scandir(out_dir) as entries:
            days = [
                e.path for e in entries if _DAY_FOLDER.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
            ]
    except OSError:
        return []
    for day in days:
        for walked, subfolders, _files in os.walk(day):
            folders.append(Path(walked))
            subfolders[:] = [s for s in subfolders if not os.path.islink(os.path.join(walked, s))]
    removed: list[Path] = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                stale = [
                    Path(e.path)
                    for e in entries
                    if e.name.endswith(".tmp")
                    and is_stale_temporary(e.name)
                    and e.is_file(follow_symlinks=False)
                ]
        except OSError:
            continue
        for leftover in stale:
            try:
                leftover.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("cannot remove leftover temporary file %s (%s)", leftover, exc.strerror)
                continue
            removed.append(leftover)
    if removed:
        log.info("removed %d temporary files left by interrupted runs", len(removed))
    return removed
