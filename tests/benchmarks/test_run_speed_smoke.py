"""The whole-run benchmark runs both sides end to end and reports every row and ratio (timings are not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "run_speed.py"


def _worktrees() -> str:
    return subprocess.run(["git", "-C", str(REPO), "worktree", "list"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.slow
def test_tiny_quick_run_against_head_reports_both_sides_and_the_ratios(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--tiny", "--quick", "--baseline", "HEAD", "--json",
               "--models", str(tmp_path / "models")]

    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600, cwd=tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert [d["name"] for d in report["corpus"]] == ["hi-quang-nam", "ur-hai-duong", "hi-news-briefs",
                                                     "ur-news-briefs"]
    for side in ("baseline", "current"):
        runs = report["sides"][side]
        for key in ("first_run", "run", "rerun"):
            assert runs[key]["wall_s"] > 0 and runs[key]["peak_rss_mb"] > 0
            assert runs[key]["files"] == 4
        assert runs["run"]["segments_translated"] > 0
        assert runs["rerun"]["segments_translated"] == 0  # nothing changed: nothing translated again
        assert report["ratios"]["rerun_fraction"][side] > 0
    raw = report["raw_engine"]
    assert raw["sentences"] == report["sides"]["current"]["run"]["segments_translated"]
    assert raw["tokens"] > 0 and raw["tokens_per_s"] > 0
    ratios = report["ratios"]
    assert ratios["speedup"] > 0 and ratios["first_run_speedup"] > 0
    assert ratios["raw_tokens_per_s"] == raw["tokens_per_s"]
    assert {"translate_tokens_per_s", "translate_vs_raw"} <= ratios.keys()  # None until stages are written
    assert len(report["targets"]) == 4 and all(isinstance(t["met"], bool) for t in report["targets"])
    assert (tmp_path / "models" / "tiny" / "sshleifer" / "distilbart-cnn-12-6").is_dir()  # built once, kept
    assert not list((tmp_path / "models").glob("run-speed-*"))  # work dir removed
    assert str(tmp_path) not in _worktrees()  # the baseline's worktree removed
