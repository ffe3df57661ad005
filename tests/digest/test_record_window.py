"""A window of finished documents: translations made durable together, then recorded in one transaction."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from digest import atomic
from digest.settings import resolve_settings
from digest.state import StateStore
from tests.cli.helpers import REPO, SAMPLES, load_digest

ENGLISH = (SAMPLES / "en-riverside-bike-lanes-2024.txt").read_text(encoding="utf-8")


def _english_inbox(folder: Path, files: int) -> Path:
    folder.mkdir()
    for i in range(files):
        (folder / f"note-{i:03d}.txt").write_text(f"{ENGLISH}\nThis is note number {i}.\n", encoding="utf-8")
    return folder


def _run(inbox: Path, out: Path) -> int:
    from digest.pipeline import run_digest

    settings = resolve_settings({"out_dir": out, "summarizer": "extractive"})
    result = run_digest([inbox], settings=settings)
    assert not result.digest.failures
    return len(result.digest.items)


def _one_file_a_segment(monkeypatch: pytest.MonkeyPatch, per_window: int) -> None:
    # Every English note then counts 1 toward a window of `per_window`.
    monkeypatch.setattr("digest.pipeline.IDENTITY_CHARS_PER_SEGMENT", 10**9)
    monkeypatch.setattr("digest.pipeline.WINDOW_SEGMENTS", per_window)


def _traced_transactions(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Each committed transaction of every store opened from now on, as its statements."""
    transactions: list[list[str]] = []
    current: list[str] = []
    original = StateStore.__init__

    def trace(statement: str) -> None:
        nonlocal current
        current.append(statement)
        if statement.strip().upper() == "COMMIT":
            transactions.append(current)
            current = []

    def traced(self: StateStore, path: Path) -> None:
        original(self, path)
        self._db.connection.set_trace_callback(trace)

    monkeypatch.setattr(StateStore, "__init__", traced)
    return transactions


def _file_writes(transactions: list[list[str]]) -> list[int]:
    """How many file records each transaction that wrote any wrote."""
    counts = [sum(s.lstrip().startswith("INSERT INTO files") for s in t) for t in transactions]
    return [n for n in counts if n]


def test_small_english_files_share_one_window_and_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transactions = _traced_transactions(monkeypatch)
    assert _run(_english_inbox(tmp_path / "inbox", 12), tmp_path / "out") == 12
    assert _file_writes(transactions) == [12]


def test_each_window_is_recorded_in_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _one_file_a_segment(monkeypatch, 4)
    transactions = _traced_transactions(monkeypatch)
    assert _run(_english_inbox(tmp_path / "inbox", 10), tmp_path / "out") == 10
    assert _file_writes(transactions) == [4, 4, 2]


def test_a_window_is_synced_once_before_its_records_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_file_a_segment(monkeypatch, 4)
    out = tmp_path / "out"
    seen: list[tuple[int, int]] = []  # per sync: translation files on disk, file records in the store

    def syncfs(fd: int) -> int:
        with sqlite3.connect(f"file:{out / '.digest' / 'state.sqlite'}?mode=ro", uri=True) as conn:
            recorded = conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        seen.append((len(list(out.glob("*/translations/*.en.md"))), recorded))
        return 0

    monkeypatch.setattr(atomic, "_syncfs", lambda: syncfs)
    assert _run(_english_inbox(tmp_path / "inbox", 10), out) == 10
    # One sync per window, each after the window's files and before its records.
    assert seen == [(4, 0), (8, 4), (10, 8)]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names open files through /proc")
def test_without_syncfs_each_file_and_its_folder_are_fsynced_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_file_a_segment(monkeypatch, 4)
    monkeypatch.setattr(atomic, "_syncfs", lambda: None)
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr("digest.atomic.os.fsync", fsync)
    assert _run(_english_inbox(tmp_path / "inbox", 10), tmp_path / "out") == 10
    translations = [p for p in synced if p.endswith(".en.md")]
    folders = [p for p in synced if p.endswith("/translations")]
    assert len(translations) == 10 and len(set(translations)) == 10
    assert len(folders) == 3  # one per window, not one per file


def test_make_durable_reports_a_full_disk_as_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes
    import errno

    from core.errors import DiskFull

    path = tmp_path / "a.en.md"
    atomic.write_text_atomic(path, "text", durable=False)
    monkeypatch.setattr(atomic, "_syncfs", lambda: (lambda fd: -1))
    monkeypatch.setattr(ctypes, "get_errno", lambda: errno.ENOSPC)
    with pytest.raises(DiskFull, match="disk full"):
        atomic.make_durable([path])


_KILLER = """
import os, signal, sys
import digest.incremental, digest.pipeline
digest.pipeline.IDENTITY_CHARS_PER_SEGMENT = 10**9
digest.pipeline.WINDOW_SEGMENTS = 4
calls, kill_at = 0, int(sys.argv[1])
real = digest.incremental.write_text_atomic

def write(path, text, **kwargs):
    global calls
    calls += 1
    real(path, text, **kwargs)
    if calls == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

digest.incremental.write_text_atomic = write
from cli import main
sys.argv = ["digest", "run", sys.argv[2], "--out", sys.argv[3], "--summarizer", "extractive"]
main()
"""


# Each document writes two files, its translation and its side-by-side page: a window of 4 is 8 writes.
@pytest.mark.parametrize("killed_after", [12, 16], ids=["mid-window", "window-written-not-synced"])
def test_a_kill_mid_window_leaves_no_record_without_its_translation(tmp_path: Path, killed_after: int) -> None:
    inbox = _english_inbox(tmp_path / "inbox", 10)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = subprocess.run(
        [sys.executable, "-c", _KILLER, str(killed_after), str(inbox), str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    with sqlite3.connect(f"file:{out / '.digest' / 'state.sqlite'}?mode=ro", uri=True) as conn:
        paths = [Path(row[0]) for row in conn.execute("SELECT translation_path FROM files")]
    assert len(paths) == 4  # the first window only: the second was cut before its sync
    assert all(path.is_file() for path in paths)
    written = list(out.glob("*/translations/*.en.md"))
    assert len(written) == killed_after // 2  # the second window's files, whole but unrecorded
    assert len(list(out.glob("*/translations/*.en.html"))) == killed_after // 2

    again = subprocess.run(
        [sys.executable, "-m", "cli", "run", str(inbox), "--out", str(out), "--summarizer", "extractive"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert again.returncode == 0, again.stderr
    _, digest = load_digest(out)
    assert sorted(Path(i["path"]).name for i in digest["items"]) == [f"note-{i:03d}.txt" for i in range(10)]
    assert digest["stats"]["files_unchanged"] == 4
    assert list(out.rglob("*.tmp")) == []


def test_record_window_of_nothing_writes_nothing(store: StateStore, tmp_path: Path) -> None:
    from digest.incremental import record_window

    assert record_window([], state=store, day_dir=tmp_path / "day", taken=set()) == []
    assert store.files() == [] and not (tmp_path / "day").exists()


def test_each_translation_is_recorded_under_its_real_path_when_the_translations_folder_is_a_link(
    tmp_path: Path,
) -> None:
    from core.names import path_key
    from digest.publish import TRANSLATIONS

    inbox = _english_inbox(tmp_path / "inbox", 3)
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _run(inbox, out)  # creates today's folder
    day = next(p for p in out.iterdir() if p.is_dir() and p.name[:1].isdigit())
    for old in (day / TRANSLATIONS).iterdir():
        old.unlink()
    (day / TRANSLATIONS).rmdir()
    (day / TRANSLATIONS).symlink_to(elsewhere, target_is_directory=True)
    for note in inbox.iterdir():
        note.write_text(note.read_text(encoding="utf-8") + "Changed.\n", encoding="utf-8")
    _run(inbox, out)
    with sqlite3.connect(out / ".digest" / "state.sqlite") as db:
        paths = sorted(row[0] for row in db.execute("SELECT translation_path FROM files"))
    assert paths == sorted(path_key(p) for p in elsewhere.iterdir() if p.name.endswith(".en.md"))
    assert sorted(p.name for p in elsewhere.iterdir() if p.name.endswith(".en.html")) == [
        f"note-{i:03d}.en.html" for i in range(3)
    ]
    assert all(p.startswith(str(elsewhere.resolve())) for p in paths)
