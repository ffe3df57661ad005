"""The extractive summarizer benchmark runs end to end and reports every row (timings are not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "summarize_speed.py"


def test_quick_json_run_reports_both_summarizers_at_each_size(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json"],
        check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    rows = report["results"]
    assert [(r["text"], r["summarizer"]) for r in rows] == [
        ("10 KiB", "textrank"), ("10 KiB", "dense"), ("30 KiB", "textrank"), ("30 KiB", "dense"),
    ]
    assert report["input"]["distinct_sentences"] > 50
    for row in rows:
        assert 0 < row["file_bytes"] <= row["size_bytes"]
        assert row["sentences"] > 50 and row["seconds"] > 0
        assert row["peak_rss_mb"] >= row["rss_before_mb"] > 0
    assert rows[2]["sentences"] > 2 * rows[0]["sentences"]
    # The same text ranked through the sentence-term entries or through the full matrix: one summary.
    assert [r["same_summary_as_textrank"] for r in rows if r["summarizer"] == "dense"] == [True, True]
    assert all(r["time_vs_textrank"] > 0 for r in rows if r["summarizer"] == "dense")
    for key in ("cpu", "cores", "python", "numpy", "date"):
        assert report["machine"][key]
