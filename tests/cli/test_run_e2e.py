"""`digest run` end to end: the real CLI, real transformers models (tiny, random weights), no fakes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.cli.helpers import SAMPLES, load_digest, run_cli

pytestmark = pytest.mark.e2e

HINDI = "hi-quang-nam-party-members-2024.txt"
URDU = "ur-hai-duong-organising-committee-q1-2024.txt"


@pytest.fixture(scope="module")
def sample_run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """One `digest run samples/ --model-dir ...` shared by the assertions below."""
    out = tmp_path_factory.mktemp("digest-out")
    result = run_cli("run", SAMPLES, "--model-dir", tiny_model_dir, "--out", out)
    return out, result


def _by_name(items: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {Path(str(item["path"])).name: item for item in items}


def test_run_writes_one_entry_per_sample(sample_run: tuple[Path, object]) -> None:
    out, result = sample_run
    assert result.returncode == 0, result.stderr
    day, digest = load_digest(out)
    samples = sorted(p.name for p in SAMPLES.iterdir() if p.suffix in (".txt", ".md"))
    assert sorted(_by_name(digest["items"])) == samples
    assert digest["failures"] == []
    assert set(digest) >= {"generated_at", "inputs", "items", "failures", "stats"}
    assert digest["stats"]["files"] == len(samples)
    assert digest["stats"]["segments_translated"] > 0
    for item in digest["items"]:
        assert set(item) == {
            "path", "title", "language", "languages", "confidence", "route", "model",
            "summary", "source_url", "link", "translation", "original_title", "published",
        }
        assert item["summary"].strip()
        assert (day / item["translation"]).is_file()
    assert "digest:" in result.stdout and "0 failed" in result.stdout


def test_hindi_and_urdu_go_to_their_opus_mt_models(sample_run: tuple[Path, object]) -> None:
    out, _ = sample_run
    _, digest = load_digest(out)
    items = _by_name(digest["items"])
    hindi, urdu = items[HINDI], items[URDU]
    assert (hindi["language"], hindi["route"], hindi["model"]) == ("hi", "marian", "Helsinki-NLP/opus-mt-hi-en")
    assert (urdu["language"], urdu["route"], urdu["model"]) == ("ur", "marian", "Helsinki-NLP/opus-mt-ur-en")
    assert hindi["confidence"] > 0.9 and urdu["confidence"] > 0.9


def test_source_links(sample_run: tuple[Path, object]) -> None:
    out, _ = sample_run
    _, digest = load_digest(out)
    items = _by_name(digest["items"])
    hindi, urdu = items[HINDI], items[URDU]
    assert str(hindi["source_url"]).startswith("https://baoquangnam.vn/nam-2024-dang-bo-tinh-quang-nam")
    assert hindi["link"] == hindi["source_url"]
    # The Urdu article names no URL ("ماخذ" alone): it links to its file.
    assert urdu["source_url"] is None
    assert urdu["link"] == (SAMPLES / URDU).resolve().as_uri()


def test_every_route_is_used(sample_run: tuple[Path, object]) -> None:
    out, _ = sample_run
    _, digest = load_digest(out)
    routes = {item["route"] for item in digest["items"]}
    assert routes == {"marian", "nllb", "identity"}
    for item in digest["items"]:
        if item["route"] == "identity":
            assert item["model"] is None and item["language"] == "en"
        if item["route"] == "nllb":
            assert item["model"] == "facebook/nllb-200-distilled-600M"


def test_translation_files_keep_paragraphs_and_name_their_source(sample_run: tuple[Path, object]) -> None:
    out, _ = sample_run
    day, digest = load_digest(out)
    hindi = _by_name(digest["items"])[HINDI]
    text = (day / hindi["translation"]).read_text(encoding="utf-8")
    assert HINDI in text
    assert "https://baoquangnam.vn/" in text
    assert "Helsinki-NLP/opus-mt-hi-en" in text
    # The source has 11 body paragraphs (one per line); the translation keeps them apart.
    body_paragraphs = [p for p in (SAMPLES / HINDI).read_text(encoding="utf-8").splitlines() if p.strip()]
    assert text.count("\n\n") >= len(body_paragraphs) - 3


def test_markdown_html_and_feed(sample_run: tuple[Path, object]) -> None:
    out, _ = sample_run
    day, digest = load_digest(out)
    from digest.render import md_inline

    markdown = (day / "digest.md").read_text(encoding="utf-8")
    for item in digest["items"]:
        assert md_inline(item["title"]) in markdown
        assert item["translation"] in markdown
    assert "https://baoquangnam.vn/" in markdown
    assert (day / "digest.html").is_file()
    assert (out / "index.html").is_file()
    import xml.etree.ElementTree as ET

    feed = ET.parse(out / "feed.xml").getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"


def test_detect_json(tiny_model_dir: Path) -> None:
    result = run_cli("detect", "--json", SAMPLES)
    assert result.returncode == 0, result.stderr
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)}
    assert rows[HINDI]["language"] == "hi" and rows[HINDI]["route"] == "marian"
    assert rows[URDU]["model"] == "Helsinki-NLP/opus-mt-ur-en"
    assert set(rows[HINDI]) == {"path", "language", "confidence", "route", "model"}


def test_translate_one_file(tiny_model_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "hi.en.txt"
    result = run_cli("translate", SAMPLES / HINDI, "--model-dir", tiny_model_dir, "-o", target)
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.strip()
    assert "\n\n" in text  # paragraphs kept
    stdout = run_cli("translate", SAMPLES / HINDI, "--model-dir", tiny_model_dir)
    assert stdout.returncode == 0
    assert stdout.stdout.strip() == text.strip()  # greedy or beam: deterministic either way


def test_no_models_and_no_hub_fails_fast_with_one_line(tmp_path: Path) -> None:
    empty_cache = tmp_path / "empty-hf"
    env = {"HF_HOME": str(empty_cache), "HF_HUB_OFFLINE": "1"}
    result = run_cli("run", SAMPLES, "--out", tmp_path / "out", env=env, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    # Every model the samples need, named at once, with the command that fetches them.
    assert lines[0].startswith("error: 4 models not available ")
    assert "digest models download" in lines[0] and "--summarizer extractive" in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_translation_model_fails_only_its_files(tiny_model_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir, models)
    shutil.rmtree(models / "Helsinki-NLP" / "opus-mt-ur-en")
    out = tmp_path / "out"
    result = run_cli("run", SAMPLES, "--model-dir", models, "--out", out)
    assert result.returncode == 1
    _, digest = load_digest(out)
    failed = {Path(f["path"]).name: f["error"] for f in digest["failures"]}
    assert list(failed) == [URDU]
    assert "Helsinki-NLP/opus-mt-ur-en" in failed[URDU] and "--model-dir" in failed[URDU]
    assert HINDI in _by_name(digest["items"])
    assert "Traceback" not in result.stderr


def test_bad_files_never_stop_the_run(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / HINDI, inbox / HINDI)
    (inbox / "empty.txt").write_text("")
    (inbox / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (inbox / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e.".encode("latin-1"))
    (inbox / "numbers.txt").write_text("12345 67890\n3.14 2.71\n")
    (inbox / "report.pdf").write_bytes(b"%PDF-1.4")  # a PDF cut off after its header
    (inbox / "slides.odp").write_bytes(b"PK\x03\x04")
    os.symlink(inbox, inbox / "loop")
    out = tmp_path / "out"
    result = run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out, "--summarizer", "extractive")
    assert result.returncode == 1
    _, digest = load_digest(out)
    assert [Path(i["path"]).name for i in digest["items"]] == [HINDI]
    failed = {Path(f["path"]).name for f in digest["failures"]}
    assert failed == {"empty.txt", "binary.txt", "latin1.txt", "numbers.txt", "report.pdf"}
    assert [Path(s["path"]).name for s in digest["skipped"]] == ["slides.odp"]
    for line in result.stderr.strip().splitlines():
        assert line.startswith("failed: ")


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = run_cli("run", SAMPLES, "--backend", "nope", "--out", tmp_path)
    assert result.returncode == 2
    assert "backend" in result.stderr


def test_a_sentence_longer_than_the_model_input_is_split_not_truncated(tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    words = (SAMPLES / HINDI).read_text(encoding="utf-8").split()[:120]
    sentence = " ".join(words * 12).replace("।", "").replace(".", "").replace("?", "").replace("!", "")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "long.txt").write_text(sentence + "\n", encoding="utf-8")
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir / "Helsinki-NLP" / "opus-mt-hi-en"))
    assert len(tokenizer(sentence)["input_ids"]) > 512  # beyond the model's positions
    out = tmp_path / "out"
    result = run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out, "--summarizer", "extractive",
                     "--fast")
    assert result.returncode == 0, result.stderr
    _, digest = load_digest(out)
    assert digest["stats"]["segments_translated"] >= 3
