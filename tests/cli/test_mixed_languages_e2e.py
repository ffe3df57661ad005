"""A run over documents mixing languages paragraph by paragraph, on the tiny checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import load_digest, run_cli

pytestmark = pytest.mark.e2e

URDU_1 = "لاہور میں نیا کتب خانہ آج سے سب کے لیے کھول دیا گیا ہے اور داخلہ مفت ہے۔"
URDU_2 = "شہر کے میئر نے کہا کہ یہ منصوبہ دو سال میں مکمل ہوا۔"
ENGLISH_1 = "The mayor told reporters that the library would stay open late on weekdays."
ENGLISH_2 = "Officials said the reading rooms can seat four hundred people at a time."
HINDI = "भारत में नई लाइब्रेरी खुली है और सभी के लिए मुफ्त प्रवेश है।"
MENU = "Home\nWorld\nSports\nBusiness\nLogin or Sign up"
FOOTER = "Share on Facebook\nTwitter\nRelated articles\nCopyright 2024 All rights reserved"


def _translation_body(path: Path) -> list[str]:
    """The translation file's paragraphs (its header's among them)."""
    return [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def test_english_paragraphs_pass_through_and_urdu_ones_go_to_the_urdu_model(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (inbox / "mixed.txt").write_text(f"{URDU_1}\n{ENGLISH_1}\n{URDU_2}\n{ENGLISH_2}\n", encoding="utf-8")
    (inbox / "chrome.txt").write_text(f"{MENU}\n{HINDI}\n{FOOTER}\n", encoding="utf-8")

    result = run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out, "--summarizer", "extractive",
                     "--backend", "hf")

    assert result.returncode == 0, result.stderr
    day, digest = load_digest(out)
    items = {Path(item["path"]).name: item for item in digest["items"]}
    mixed, chrome = items["mixed.txt"], items["chrome.txt"]
    assert (mixed["language"], mixed["route"], mixed["model"]) == ("ur", "marian", "Helsinki-NLP/opus-mt-ur-en")
    assert set(mixed["languages"]) == {"ur", "en"} and abs(sum(mixed["languages"].values()) - 1) < 0.011
    paragraphs = _translation_body(day / mixed["translation"])
    # The English paragraphs, verbatim, in their places; the Urdu ones went through the model.
    assert paragraphs[-3] == ENGLISH_1 and paragraphs[-1] == ENGLISH_2
    text = (day / mixed["translation"]).read_text(encoding="utf-8")
    assert URDU_1 not in text and URDU_2 not in text

    # A Hindi line inside English menus and footers is the item's language, and is translated.
    assert (chrome["language"], chrome["route"], chrome["model"]) == ("hi", "marian", "Helsinki-NLP/opus-mt-hi-en")
    # The menus and footers go first, as page chrome; the Hindi is then most of what is left.
    assert chrome["languages"]["hi"] > 0.5
    chrome_text = (day / chrome["translation"]).read_text(encoding="utf-8")
    assert HINDI not in chrome_text and "Login or Sign up" not in chrome_text
    assert digest["stats"]["segments_translated"] == 3  # two Urdu sentences and the Hindi one; no English
