"""Run the `digest` command the way a user does: as a process."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"


def digest_command() -> list[str]:
    """The installed console script, beside this interpreter."""
    script = Path(sys.executable).with_name("digest")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from cli import main; main()"]


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run `digest ARGS...` and capture its output (no terminal, as under cron)."""
    return subprocess.run(
        [*digest_command(), *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def load_digest(out: Path) -> tuple[Path, dict[str, Any]]:
    """The only day folder under `out`, and its digest.json."""
    days = sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert len(days) == 1, days
    return days[0], json.loads((days[0] / "digest.json").read_text(encoding="utf-8"))


def inbox_of(tmp_path: Path, *names: str) -> Path:
    """A folder `tmp_path/inbox` holding copies of the named samples."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in names:
        shutil.copy(SAMPLES / name, folder / name)
    return folder


def committed_rows(out: Path, table: str) -> int:
    """Rows of `table` a run writing to `out` has committed to its state store so far (0 before it exists)."""
    db = out / ".digest" / "state.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute(f"select count(*) from {table}").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet, or busy: the caller polls again
