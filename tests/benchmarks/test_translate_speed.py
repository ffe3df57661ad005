"""The translation speed benchmark runs end to end and reports every row (timings are not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "translate_speed.py"


@pytest.mark.slow
def test_quick_json_run_reports_every_backend_and_its_ratio(tmp_path: Path) -> None:
    models = tmp_path / "models"
    command = [sys.executable, str(SCRIPT), "--quick", "--tiny", "--json", "--beams", "1",
               "--model-dir", str(models)]

    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=600, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    rows = report["results"]
    # One beam size keeps the test fast: each row is a fresh process that imports torch.
    assert [(r["backend"], r["beams"]) for r in rows] == [("baseline", 1), ("hf", 1), ("ct2", 1)]
    sentences = report["sentences"]["marian"]
    assert sentences >= 12
    for row in rows:
        assert row["route"] == "marian"
        assert row["sentences"] == sentences
        assert row["output_tokens"] > 0 and row["seconds"] > 0 and row["peak_rss_mb"] > 0
        assert row["tokens_per_s"] > 0 and row["sentences_per_s"] > 0
        assert row["tokens_per_s_ratio"] > 0 and row["sentences_per_s_ratio"] > 0
        if row["backend"] == "baseline":
            assert row["tokens_per_s_ratio"] == 1.0
    # Every backend generated exactly one token per source token: the lengths are forced alike.
    assert len({row["output_tokens"] for row in rows}) == 1
    assert report["conversions"]["marian"]["quantization"] == "int8"
    assert (models / "ct2" / "Helsinki-NLP" / "opus-mt-hi-en").is_dir()  # converted once, into the model dir
    for key in ("cpu", "cores", "torch", "transformers", "ctranslate2", "date"):
        assert report["machine"][key]
