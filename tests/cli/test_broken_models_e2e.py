"""Broken models end to end: one line naming the model, the file and the fix; never an empty success."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.checkpoints import BART_MODEL, MARIAN_MODELS, NLLB_MODEL
from tests.cli.helpers import SAMPLES, load_digest, run_cli

pytestmark = pytest.mark.e2e

HINDI = "hi-quang-nam-party-members-2024.txt"
MARIAN = MARIAN_MODELS[0]  # opus-mt-hi-en


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A folder holding the Hindi sample only."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(SAMPLES / HINDI, folder / HINDI)
    return folder


def copy_models(tiny_model_dir: Path, tmp_path: Path, *model_ids: str) -> Path:
    """A model dir holding private copies of `model_ids`, to damage."""
    models = tmp_path / "models"
    for model_id in model_ids:
        shutil.copytree(tiny_model_dir / model_id, models / model_id)
    return models


def edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, **changes}), encoding="utf-8")


def bias_towards(folder: Path, token_id: int) -> None:
    """Make the checkpoint in `folder` always prefer `token_id` (its final logits bias)."""
    from safetensors.torch import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    weights["final_logits_bias"][0, token_id] = 1e4
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})


def failures_of(out: Path) -> dict[str, str]:
    _, digest = load_digest(out)
    return {Path(f["path"]).name: f["error"] for f in digest["failures"]}


def assert_only_failure_lines(stderr: str) -> None:
    assert "Traceback" not in stderr
    for line in stderr.strip().splitlines():
        assert line.startswith("failed: "), stderr


def test_nllb_without_tokenizer_files_fails_its_files_naming_them(
    tiny_model_dir: Path, tmp_path: Path, inbox: Path
) -> None:
    models = copy_models(tiny_model_dir, tmp_path, NLLB_MODEL)
    for name in ("tokenizer.json", "sentencepiece.bpe.model"):
        (models / NLLB_MODEL / name).unlink()
    out = tmp_path / "out"

    result = run_cli("run", inbox, "--model-dir", models, "--out", out, "--route", "hi=nllb",
                     "--summarizer", "extractive", "--backend", "hf")

    assert result.returncode == 1
    error = failures_of(out)[HINDI]
    assert f"model {NLLB_MODEL} is broken" in error
    assert "tokenizer.json" in error and "sentencepiece.bpe.model" in error and "hf download" in error
    assert_only_failure_lines(result.stderr)


def test_marian_without_source_spm_fails_its_files_naming_the_file(
    tiny_model_dir: Path, tmp_path: Path, inbox: Path
) -> None:
    models = copy_models(tiny_model_dir, tmp_path, MARIAN)
    (models / MARIAN / "source.spm").unlink()
    out = tmp_path / "out"

    result = run_cli("run", inbox, "--model-dir", models, "--out", out, "--summarizer", "extractive",
                     "--backend", "hf")

    assert result.returncode == 1
    error = failures_of(out)[HINDI]
    assert f"model {MARIAN} is broken" in error and "source.spm" in error and "hf download" in error
    assert "TypeError" not in error
    assert_only_failure_lines(result.stderr)


def test_a_garbage_translator_config_fails_its_files_naming_the_file(
    tiny_model_dir: Path, tmp_path: Path, inbox: Path
) -> None:
    models = copy_models(tiny_model_dir, tmp_path, MARIAN)
    (models / MARIAN / "config.json").write_text("{garbage", encoding="utf-8")
    out = tmp_path / "out"

    result = run_cli("run", inbox, "--model-dir", models, "--out", out, "--summarizer", "extractive")

    assert result.returncode == 1
    error = failures_of(out)[HINDI]
    assert f"model {MARIAN} is broken" in error and "config.json" in error and "hf download" in error
    assert_only_failure_lines(result.stderr)


@pytest.mark.parametrize("damage", ["no-tokenizer", "garbage-config"])
def test_a_broken_summarizer_stops_the_run_before_any_translation(
    tiny_model_dir: Path, tmp_path: Path, inbox: Path, damage: str
) -> None:
    models = copy_models(tiny_model_dir, tmp_path, MARIAN, BART_MODEL)
    if damage == "no-tokenizer":
        for path in (models / BART_MODEL).glob("tokenizer*.json"):
            path.unlink()
    else:
        (models / BART_MODEL / "config.json").write_text("not json at all", encoding="utf-8")
    out = tmp_path / "out"

    result = run_cli("run", inbox, "--model-dir", models, "--out", out, "--backend", "hf")

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: model {BART_MODEL} is broken: ")
    assert ("tokenizer.json" if damage == "no-tokenizer" else "config.json") in lines[0]
    assert "hf download" in lines[0]
    assert not any(p.is_dir() and not p.name.startswith(".") for p in out.iterdir())  # no digest


def test_an_empty_translation_is_a_failure_not_a_success(
    tiny_model_dir: Path, tmp_path: Path, inbox: Path
) -> None:
    models = copy_models(tiny_model_dir, tmp_path, MARIAN)
    bias_towards(models / MARIAN, 0)  # opus-mt's end token: every translation ends at once
    out = tmp_path / "out"

    result = run_cli("run", inbox, "--model-dir", models, "--out", out, "--summarizer", "extractive",
                     "--backend", "hf")

    assert result.returncode == 1
    error = failures_of(out)[HINDI]
    assert error.startswith("translation came out empty: ") and MARIAN in error
    _, digest = load_digest(out)
    assert digest["items"] == []

    single = run_cli("translate", inbox / HINDI, "--model-dir", models, "--backend", "hf")
    assert single.returncode == 1 and single.stdout == ""
    lines = single.stderr.strip().splitlines()
    assert len(lines) == 1 and "came out empty" in lines[0] and MARIAN in lines[0], single.stderr


def test_an_empty_summary_is_a_failure_not_a_success(
    tiny_model_dir: Path, tmp_path: Path, inbox: Path
) -> None:
    models = copy_models(tiny_model_dir, tmp_path, MARIAN, BART_MODEL)
    bias_towards(models / BART_MODEL, 2)  # BART's end token
    edit_json(models / BART_MODEL / "generation_config.json", min_length=0)
    out = tmp_path / "out"

    result = run_cli("run", inbox, "--model-dir", models, "--out", out, "--backend", "hf")

    assert result.returncode == 1
    error = failures_of(out)[HINDI]
    assert error.startswith("summary came out empty: ") and BART_MODEL in error
    assert_only_failure_lines(result.stderr)


def test_under_auto_a_model_ct2_cannot_convert_falls_back_with_one_warning(
    tiny_model_dir: Path, tmp_path: Path, inbox: Path
) -> None:
    pytest.importorskip("ctranslate2")
    models = copy_models(tiny_model_dir, tmp_path, MARIAN)
    # transformers runs this activation; CTranslate2 has no conversion for it.
    edit_json(models / MARIAN / "config.json", activation_function="relu6")
    out = tmp_path / "out"

    result = run_cli("run", inbox, "--model-dir", models, "--out", out, "--summarizer", "extractive",
                     "--backend", "auto")

    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, result.stderr
    assert MARIAN in warnings[0] and "relu6" in warnings[0] and "using transformers" in warnings[0]
    _, digest = load_digest(out)
    assert [Path(i["path"]).name for i in digest["items"]] == [HINDI]

    explicit = run_cli("run", inbox, "--model-dir", models, "--out", tmp_path / "out-ct2",
                       "--summarizer", "extractive", "--backend", "ct2")

    assert explicit.returncode == 1
    error = failures_of(tmp_path / "out-ct2")[HINDI]
    assert error.startswith(f"the ct2 backend cannot use {MARIAN} (") and "relu6" in error
    assert error.endswith("use --backend hf")
    assert_only_failure_lines(explicit.stderr)


def test_an_unchanged_rerun_loads_no_model_and_a_changed_file_still_fails_early(
    tiny_model_dir: Path, tmp_path: Path, inbox: Path
) -> None:
    models = copy_models(tiny_model_dir, tmp_path, MARIAN, BART_MODEL)
    out = tmp_path / "out"
    first = run_cli("run", inbox, "--model-dir", models, "--out", out, "--backend", "hf")
    assert first.returncode == 0, first.stderr
    (models / BART_MODEL / "config.json").write_text("not json at all", encoding="utf-8")

    # Nothing changed: nothing to summarize, so the broken summarizer is never loaded.
    again = run_cli("run", inbox, "--model-dir", models, "--out", out, "--backend", "hf")
    assert again.returncode == 0, again.stderr
    _day, digest = load_digest(out)
    assert digest["stats"]["files_unchanged"] == 1 and len(digest["items"]) == 1
    assert "translate" not in digest["stats"]["stages"]

    # A changed file needs the summarizer: the run stops on it before translating anything.
    with (inbox / HINDI).open("a", encoding="utf-8") as f:
        f.write("\nयह एक नया वाक्य है।\n")
    changed = run_cli("run", inbox, "--model-dir", models, "--out", out, "--backend", "hf")
    assert changed.returncode == 1
    assert changed.stderr.strip().startswith(f"error: model {BART_MODEL} is broken: ")
