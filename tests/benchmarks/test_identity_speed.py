"""The whole-run identity benchmark runs end to end and reports both trees (timings are not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "identity_speed.py"


def test_small_json_run_reports_files_per_second_for_both_trees(tmp_path: Path) -> None:
    work = tmp_path / "bench"
    work.mkdir()
    # This tree stands in for the baseline, so the test adds no git worktree.
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--files", "20", "--base-dir", str(REPO), "--work-dir", str(work), "--json"],
        check=False, capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert [row["tree"] for row in report["results"]] == ["baseline", "current"]
    for row in report["results"]:
        assert (row["files"], row["digest_items"], row["exit_codes"]) == (20, 20, [0])
        assert row["seconds"] > 0 and row["files_per_s"] > 0
    assert report["ratio"] > 0
    assert report["input"]["files"] == 20 and report["input"]["bytes"] > 20 * 300
    assert list(work.iterdir()) == []  # inputs and outputs removed
