"""The detection-in-chrome benchmark: runs end to end, and every short article is translated (deterministic)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "detect_in_chrome.py"
sys.path.insert(0, str(REPO / "benchmarks"))

import detect_in_chrome  # benchmarks/ is not a package: imported by path


def test_quick_json_run_reports_every_language(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json"],
        check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout)["results"]
    assert [r["language"] for r in rows] == ["hi", "ur", "fa", "ar", "mr", "bn"]
    assert all(r["documents"] == 20 and r["failures"] == 0 for r in rows)


@pytest.mark.parametrize("language", detect_in_chrome.LANGUAGES)
def test_a_one_sentence_article_in_english_chrome_is_translated_at_least_98_percent(language: str) -> None:
    row = detect_in_chrome.measure(language)

    assert row["documents"] >= 130
    assert row["translated"] >= 0.98, row
    assert row["main_right"] >= 0.98, row
    assert row["chrome_english"] >= 0.98, row


def test_the_chrome_holds_about_300_letters() -> None:
    sentence = "भारत में नई लाइब्रेरी खुली है।"
    for document, _sentence in detect_in_chrome.documents("hi", [sentence]):
        chrome = document.body.replace(sentence, "")
        assert 290 <= detect_in_chrome._letters(chrome) <= 340
