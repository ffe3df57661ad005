"""The Ray benchmark measures both parts on tiny models and reports the runs, the ratios and the targets (timings are not judged)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "ray_speed.py"


@pytest.mark.slow
@pytest.mark.ray
def test_tiny_quick_run_reports_overhead_and_scaling(tmp_path: Path) -> None:
    parts = ["overhead", "scaling"] if len(os.sched_getaffinity(0)) >= 2 else ["overhead"]
    command = [sys.executable, str(SCRIPT), "--tiny", "--quick", "--json", "--models", str(tmp_path / "models"),
               "--parts", *parts]

    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600, cwd=tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["documents"] == 4 and len({d["name"] for d in report["corpus"]}) == 4
    assert report["machine"]["load_average"] and report["machine"]["ray"]
    for engine in ("local", "ray"):
        run = report["overhead"][engine]
        assert run["wall_s"] > 0 and run["files"] == 4 and run["segments_translated"] > 0
    assert report["overhead"]["ray"]["nodes_used"] == 1
    assert report["ratios"]["overhead"] > 0
    if "scaling" in parts:
        assert report["scaling"]["one_node"]["nodes_used"] == 1
        assert report["scaling"]["two_nodes"]["nodes_used"] == 2  # the second node took stage calls
        assert report["ratios"]["scaling"] > 0
    assert len(report["targets"]) == 2
    assert all(isinstance(t["met"], bool) for t in report["targets"] if t["measured"] is not None)
    assert (tmp_path / "models" / "tiny" / "sshleifer" / "distilbart-cnn-12-6").is_dir()  # built once, kept
    assert not list((tmp_path / "models").glob("ray-speed-*"))  # work dir removed
