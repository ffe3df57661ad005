"""A nightly run meets a stopped process, a locked, damaged or full store, and litter from kills."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.settings import Settings
from tests.cli.helpers import SAMPLES, digest_command, load_digest, run_cli
from tests.cli.test_nightly_e2e import _big_corpus, _tm_rows
from tests.digest.test_state import _HOLDER, overwrite_middle

pytestmark = pytest.mark.e2e

ENGLISH = SAMPLES / "en-riverside-bike-lanes-2024.txt"


def _english_inbox(folder: Path, files: int) -> Path:
    folder.mkdir()
    text = ENGLISH.read_text(encoding="utf-8")
    for i in range(files):
        (folder / f"note-{i:03d}.txt").write_text(f"{text}\nThis is note number {i}.\n", encoding="utf-8")
    return folder


def _published(out: Path) -> dict[str, bytes]:
    """The digests, index and feed, by path, with their bytes.

    Translation files are left out: each is written as its document finishes, so a run that
    stops has already refreshed those of the documents it completed.
    """
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not {".digest", "translations"} & set(p.relative_to(out).parts)
    }


def _last_run_status(out: Path) -> str:
    with sqlite3.connect(f"file:{out / '.digest' / 'state.sqlite'}?mode=ro", uri=True) as conn:
        return str(conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0])


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [
        (signal.SIGTERM, 143, "error: stopped by SIGTERM: finished work is kept; run again to complete"),
        (signal.SIGINT, 130, "error: interrupted: finished work is kept; run again to complete"),
    ],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_stopped_run_keeps_its_work_and_says_so(
    signum: int, code: int, line: str, tiny_model_dir: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    total = _big_corpus(inbox, files=48)
    out = tmp_path / "out"
    args = ["run", str(inbox), "--model-dir", str(tiny_model_dir), "--out", str(out),
            "--summarizer", "extractive"]
    proc = subprocess.Popen(
        [*digest_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while _tm_rows(out) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be stopped: make the corpus bigger"
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    assert stderr.splitlines() == [line]
    assert stdout == ""
    assert _last_run_status(out) == "interrupted"
    assert 0 < _tm_rows(out) < total  # finished translations kept
    assert list(out.rglob("*.tmp")) == []


def test_a_corrupt_store_stops_the_run_and_keeps_the_published_digest(tmp_path: Path) -> None:
    inbox = _english_inbox(tmp_path / "inbox", 36)
    out = tmp_path / "out"
    args = ["run", inbox, "--out", out, "--summarizer", "extractive"]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    _, digest = load_digest(out)
    assert len(digest["items"]) == 36
    before = _published(out)

    from tests.digest.test_state import _fill

    database = _fill(out, 20_000)  # a translation memory of some size
    overwrite_middle(database)

    second = run_cli(*args)
    assert second.returncode == 1
    [message] = second.stderr.splitlines()
    assert message.startswith(f"error: state database {database} is corrupt (")
    assert message.endswith(
        "move it aside with its -wal and -shm files and run again (every file is then translated afresh)"
    )
    assert _published(out) == before


def _hindi_inbox(folder: Path, files: int) -> Path:
    _big_corpus(folder, files)
    return folder


def _settings(tiny_model_dir: Path, out: Path) -> Settings:
    from digest.settings import resolve_settings

    return resolve_settings({"model_dir": tiny_model_dir, "out_dir": out, "summarizer": "extractive"})


def _touch_all(inbox: Path) -> None:
    # New sentences in every file, so the next run translates (and consults the memory) again.
    for doc in sorted(inbox.iterdir()):
        doc.write_text(doc.read_text(encoding="utf-8") + f"यह {doc.stem} का नया वाक्य है।\n", encoding="utf-8")


def test_a_store_failure_mid_run_publishes_nothing(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import StateCorrupt
    from digest.pipeline import run_digest
    from digest.state import TranslationMemory, corrupt_message

    inbox = _hindi_inbox(tmp_path / "inbox", 8)
    out = tmp_path / "out"
    settings = _settings(tiny_model_dir, out)
    first = run_digest([inbox], settings=settings)
    assert len(first.digest.items) == 8 and not first.digest.failures
    before = _published(out)

    _touch_all(inbox)
    calls = 0

    def damaged(self: TranslationMemory, *args: object) -> dict[int, str]:
        # The memory's pages read back as garbage after the first window.
        nonlocal calls
        calls += 1
        if calls > 1:
            database = out / ".digest" / "state.sqlite"
            raise StateCorrupt(corrupt_message(database, "database disk image is malformed"))
        return {}

    monkeypatch.setattr(TranslationMemory, "lookup", damaged)
    monkeypatch.setattr("digest.pipeline.WINDOW_SEGMENTS", 1)  # one file a window
    with pytest.raises(StateCorrupt):
        run_digest([inbox], settings=settings)
    assert calls > 1
    assert _published(out) == before  # not replaced by a digest of per-file failures
    assert _last_run_status(out) == "failed"


class _LockOnFirstFile:
    """Progress that, as the first file starts, has another process take the store's write lock."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.holder: subprocess.Popen[str] | None = None

    def file_started(self, path: str) -> None:
        if self.holder is None:
            self.holder = subprocess.Popen(
                [sys.executable, "-c", _HOLDER, str(self.database)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            assert self.holder.stdout is not None and self.holder.stdout.readline().strip() == "locked"

    def files_total(self, count: int) -> None: ...
    def file_done(self, path: str, *, ok: bool) -> None: ...
    def text_total(self, chars: int) -> None: ...
    def text_done(self, chars: int) -> None: ...
    def phase(self, name: str, detail: str) -> None: ...


def test_a_lock_held_mid_run_still_gets_the_night_its_digest(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from digest.pipeline import run_digest

    monkeypatch.setattr("digest.state.BUSY_TIMEOUT_MS", 300)
    monkeypatch.setattr("digest.state.BUSY_RETRY_MS", 50)
    inbox = _hindi_inbox(tmp_path / "inbox", 8)
    out = tmp_path / "out"
    progress = _LockOnFirstFile(out / ".digest" / "state.sqlite")
    caplog.set_level(logging.WARNING, logger="digest")
    try:
        result = run_digest([inbox], settings=_settings(tiny_model_dir, out), progress=progress)
    finally:
        if progress.holder is not None:
            assert progress.holder.stdin is not None
            progress.holder.stdin.close()
            progress.holder.wait(timeout=30)
    assert progress.holder is not None
    assert not result.digest.failures
    _, digest = load_digest(out)
    assert sorted(Path(i["path"]).name for i in digest["items"]) == [f"doc-{i:03d}.txt" for i in range(8)]
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"is locked by another process (pid {progress.holder.pid} " in warning

    # With the lock gone, the next run saves its work again.
    again = run_digest([inbox], settings=_settings(tiny_model_dir, out))
    assert not again.digest.failures
    assert _last_run_status(out) == "ok"


def test_a_run_sweeps_temporaries_left_by_killed_runs(tmp_path: Path) -> None:
    inbox = _english_inbox(tmp_path / "inbox", 1)
    out = tmp_path / "out"
    day = out / "2026-01-02"
    (day / "translations").mkdir(parents=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    gone = child.pid
    litter = [
        out / f".index.html.{gone}.k2j4h5g6.tmp",
        day / f".digest.md.{gone}.abcdefgh.tmp",
        day / "translations" / f".note-000.en.md.{gone}.x1y2z3w4.tmp",
        day / ".digest.json.a1b2c3d4.tmp",
    ]
    kept = [out / f".feed.xml.{os.getpid()}.k2j4h5g6.tmp", out / ".my-notes.tmp", day / "notes.tmp"]
    for path in [*litter, *kept]:
        path.write_text("half a file")
    result = run_cli("run", inbox, "--out", out, "--summarizer", "extractive")
    assert result.returncode == 0, result.stderr
    assert [p for p in litter if p.exists()] == []
    assert all(p.exists() for p in kept)
