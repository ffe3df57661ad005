"""The PDF extraction benchmark scores the committed PDFs and reports the machine."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "pdf_extraction.py"


@pytest.mark.skipif(find_spec("pypdf") is None or find_spec("pypdfium2") is None,
                    reason="the pdf extra (pypdf, pypdfium2) is not installed")
def test_json_run_scores_every_committed_pdf(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--pipelines", "pypdf+nfkc", "digest"],
        check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    rows = {(row["pdf"], row["pipeline"]): row for row in report["results"]}
    pdfs = {path.name for path in (REPO / "tests" / "data" / "pdf").glob("*.txt")}
    assert {pdf for pdf, _ in rows} == {name.replace(".txt", ".pdf") for name in pdfs}
    for name in ("hi-sample.pdf", "ur-sample.pdf"):
        assert rows[(name, "digest")]["similarity"] >= 0.95
    assert all(0 <= row["similarity"] <= 1 and row["seconds"] >= 0 for row in rows.values())
    for key in ("cpu", "cores", "python", "pypdf", "pypdfium2", "date"):
        assert report["machine"][key]
