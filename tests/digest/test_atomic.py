"""Atomic writes: no half-written files, temporaries named for their writer, litter swept."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import DiskFull
from digest.atomic import is_stale_temporary, sweep_temporaries, write_text_atomic


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_carry_the_writers_pid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr("digest.atomic.os.replace", spy)
    write_text_atomic(tmp_path / "digest.md", "hello\n")
    assert (tmp_path / "digest.md").read_text() == "hello\n"
    [name] = seen
    assert name.startswith(f".digest.md.{os.getpid()}.") and name.endswith(".tmp")
    assert not is_stale_temporary(name)  # this process is alive


def test_sweep_removes_only_temporaries_no_live_process_owns(tmp_path: Path) -> None:
    out = tmp_path / "out"
    day = out / "2026-11-21"
    (day / "translations").mkdir(parents=True)
    gone = dead_pid()
    stale = [
        out / f".index.html.{gone}.k2j4h5g6.tmp",
        out / f".feed.xml.{gone}.abcdefgh.tmp",
        day / f".digest.json.{gone}.x_y_z123.tmp",
        day / "translations" / f".doc-001.en.md.{gone}.qwertyui.tmp",
        day / ".digest.md.a1b2c3d4.tmp",  # written before temporaries carried a pid
        out / ".digest" / f".feed.json.{gone}.abcdefgh.tmp",  # the feed's identity, in the state folder
    ]
    kept = [
        out / f".index.html.{os.getpid()}.k2j4h5g6.tmp",  # a live writer's
        out / ".notes.tmp",  # the user's own
        out / "draft.tmp",
        out / ".notes.txt.a1b2c3d4.tmp",  # not a name a run publishes
        out / "elsewhere" / f".digest.md.{gone}.a1b2c3d4.tmp",  # not a day folder
        out / "index.html",
        day / "digest.md",
    ]
    for path in [*stale, *kept]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    removed = sweep_temporaries(out)
    assert sorted(removed) == sorted(stale)
    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in kept)


def test_sweep_of_a_missing_folder_does_nothing(tmp_path: Path) -> None:
    assert sweep_temporaries(tmp_path / "nowhere") == []


def test_a_full_disk_is_named_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out" / "digest.json"
    target.parent.mkdir()
    target.write_text("old\n")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("digest.atomic.os.fsync", no_space)
    with pytest.raises(DiskFull) as caught:
        write_text_atomic(target, "new\n")
    assert str(caught.value).startswith(f"disk full: cannot write {target} (No space left on device)")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["digest.json"]
