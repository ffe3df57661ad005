"""`digest inspect`: a document as digest reads it, with no model loaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli.helpers import REPO, SAMPLES, run_cli

URDU_1 = "لاہور میں نیا کتب خانہ آج سے سب کے لیے کھول دیا گیا ہے اور داخلہ مفت ہے۔"
URDU_2 = "شہر کے میئر نے کہا کہ یہ منصوبہ دو سال میں مکمل ہوا۔"
ENGLISH = "The mayor told reporters that the library would stay open late on weekdays."
CHROME = REPO / "tests" / "data" / "chrome"


def test_inspect_shows_paragraph_languages_routes_and_sentences(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.txt"
    mixed.write_text(f"{URDU_1} {URDU_2}\n{ENGLISH}\n", encoding="utf-8")

    # No --model-dir and the hub offline: inspect loads no model.
    result = run_cli("inspect", "--json", mixed)

    assert result.returncode == 0, result.stderr
    [shown] = json.loads(result.stdout)
    assert (shown["language"], shown["route"], shown["model"]) == ("ur", "marian", "Helsinki-NLP/opus-mt-ur-en")
    assert shown["format"] == "text"
    assert [(p["language"], p["route"], p["model"]) for p in shown["paragraphs"]] == [
        ("ur", "marian", "Helsinki-NLP/opus-mt-ur-en"),
        ("en", "identity", None),
    ]
    assert shown["paragraphs"][0]["sentences"] == [URDU_1, URDU_2]
    assert set(shown["languages"]) == {"ur", "en"}


def test_inspect_lists_each_removed_line_with_its_rule() -> None:
    page = CHROME / "ar-assabah.txt"

    result = run_cli("inspect", "--json", page)

    assert result.returncode == 0, result.stderr
    [shown] = json.loads(result.stdout)
    removed = {r["line"]: r["rule"] for r in shown["removed"]}
    assert removed["تجاوز إلى المحتوى الرئيسي"] == "menu"
    assert removed["Tweet"] == "widget"
    sentences = [s for p in shown["paragraphs"] for s in p["sentences"]]
    assert "تجاوز إلى المحتوى الرئيسي" not in sentences and "Tweet" not in sentences
    text = run_cli("inspect", page)
    assert "  removed   [menu] تجاوز إلى المحتوى الرئيسي" in text.stdout.splitlines()


def test_inspect_reads_every_format_with_its_metadata(tmp_path: Path) -> None:
    pdf = REPO / "tests" / "data" / "pdf" / "ur-udhr.pdf"
    page = REPO / "tests" / "data" / "html" / "tribune242.com-gunned.html"
    shutil.copy(SAMPLES / "hi-quang-nam-party-members-2024.txt", tmp_path / "hi.txt")

    result = run_cli("inspect", "--json", pdf, page, tmp_path / "hi.txt")

    assert result.returncode == 0, result.stderr
    shown = {Path(r["path"]).name: r for r in json.loads(result.stdout)}
    assert shown["ur-udhr.pdf"]["format"] == "pdf" and shown["ur-udhr.pdf"]["title"] == "انسانی حقوق کا عالمی منشور"
    assert shown["tribune242.com-gunned.html"]["format"] == "html"
    assert shown["tribune242.com-gunned.html"]["source_url"] == (
        "http://www.tribune242.com/news/2022/apr/22/two-more-gunned-down/"
    )
    assert shown["hi.txt"]["source_url"].startswith("https://baoquangnam.vn/")


def test_inspect_reports_a_bad_file_and_a_missing_path(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")

    bad = run_cli("inspect", tmp_path / "empty.txt")
    missing = run_cli("inspect", tmp_path / "typo.txt")

    assert bad.returncode == 1
    assert "error: file is empty: nothing to translate" in bad.stdout
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: input path") and len(missing.stderr.strip().splitlines()) == 1
