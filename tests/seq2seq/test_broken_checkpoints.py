"""Damaged checkpoints fail at load with one line naming the model, the file and the fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.errors import ModelBroken
from seq2seq.hub import locate_model
from summarize.abstractive import HFSummarizer
from tests.checkpoints import BART_MODEL, MARIAN_MODELS, NLLB_MODEL
from translate.hf import HFTranslator

MARIAN = MARIAN_MODELS[0]


def copy_model(tiny_model_dir: Path, tmp_path: Path, model_id: str) -> Path:
    """A private copy of one tiny checkpoint, as DIR/<model id>, to damage; returns DIR."""
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / model_id, models / model_id)
    return models


def assert_one_line_with_fix(exc: BaseException, model_id: str, *names: str) -> None:
    message = str(exc)
    assert "\n" not in message
    assert message.startswith(f"model {model_id} is broken: ")
    assert f"`hf download {model_id} --local-dir " in message
    for name in names:
        assert name in message


@pytest.mark.parametrize("model_id", [MARIAN, NLLB_MODEL, BART_MODEL])
def test_the_tiny_checkpoints_pass_the_tokenizer_check(tiny_model_dir: Path, model_id: str) -> None:
    runner = HFTranslator(locate_model(model_id, model_dir=tiny_model_dir), device="cpu").runner

    assert len(runner.tokenizer) >= runner.config["vocab_size"] // 2


def test_nllb_without_its_tokenizer_files_fails_at_load_naming_them(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    models = copy_model(tiny_model_dir, tmp_path, NLLB_MODEL)
    for name in ("tokenizer.json", "sentencepiece.bpe.model"):
        (models / NLLB_MODEL / name).unlink()
    translator = HFTranslator(locate_model(NLLB_MODEL, model_dir=models), device="cpu")

    with pytest.raises(ModelBroken) as info:
        translator.translate(["नमस्ते दुनिया।"], source_code="hin_Deva")

    assert_one_line_with_fix(info.value, NLLB_MODEL, "tokenizer.json", "sentencepiece.bpe.model")


def test_a_summarizer_without_its_tokenizer_files_fails_at_load(tiny_model_dir: Path, tmp_path: Path) -> None:
    models = copy_model(tiny_model_dir, tmp_path, BART_MODEL)
    for path in (models / BART_MODEL).glob("tokenizer*.json"):
        path.unlink()
    summarizer = HFSummarizer(locate_model(BART_MODEL, model_dir=models), device="cpu")

    with pytest.raises(ModelBroken) as info:
        summarizer.prepare()

    assert_one_line_with_fix(info.value, BART_MODEL, "tokenizer.json")


def test_a_tokenizer_far_smaller_than_the_models_vocabulary_is_refused(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    # Whatever the files, a tokenizer that does not cover the model's vocabulary is not the model's own.
    models = copy_model(tiny_model_dir, tmp_path, MARIAN)
    config_file = models / MARIAN / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config_file.write_text(json.dumps({**config, "vocab_size": config["vocab_size"] * 10}), encoding="utf-8")
    translator = HFTranslator(locate_model(MARIAN, model_dir=models), device="cpu")

    with pytest.raises(ModelBroken) as info:
        translator.count_tokens("नमस्ते")

    assert_one_line_with_fix(info.value, MARIAN, "tokenizer", str(config["vocab_size"] * 10))


def test_marian_without_source_spm_names_the_file(tiny_model_dir: Path, tmp_path: Path) -> None:
    models = copy_model(tiny_model_dir, tmp_path, MARIAN)
    (models / MARIAN / "source.spm").unlink()
    translator = HFTranslator(locate_model(MARIAN, model_dir=models), device="cpu")

    with pytest.raises(ModelBroken) as info:
        translator.translate(["नमस्ते दुनिया।"])

    assert_one_line_with_fix(info.value, MARIAN, "source.spm")


@pytest.mark.parametrize("name", ["config.json", "generation_config.json"])
def test_a_garbage_config_names_the_file(tiny_model_dir: Path, tmp_path: Path, name: str) -> None:
    models = copy_model(tiny_model_dir, tmp_path, MARIAN)
    (models / MARIAN / name).write_text("<html>rate limited</html>", encoding="utf-8")

    with pytest.raises(ModelBroken) as info:
        HFTranslator(locate_model(MARIAN, model_dir=models), device="cpu")

    assert_one_line_with_fix(info.value, MARIAN, name, "JSONDecodeError")


def test_garbage_weights_name_the_folder(tiny_model_dir: Path, tmp_path: Path) -> None:
    models = copy_model(tiny_model_dir, tmp_path, MARIAN)
    (models / MARIAN / "model.safetensors").write_bytes(b"\0garbage" * 64)
    translator = HFTranslator(locate_model(MARIAN, model_dir=models), device="cpu")

    with pytest.raises(ModelBroken) as info:
        translator.translate(["नमस्ते दुनिया।"])

    assert_one_line_with_fix(info.value, MARIAN, "weights")


def test_converting_a_broken_checkpoint_names_the_checkpoints_problem(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    pytest.importorskip("ctranslate2")
    from seq2seq.convert import convert_model

    models = copy_model(tiny_model_dir, tmp_path, NLLB_MODEL)
    for name in ("tokenizer.json", "sentencepiece.bpe.model"):
        (models / NLLB_MODEL / name).unlink()

    with pytest.raises(ModelBroken) as info:
        location = locate_model(NLLB_MODEL, model_dir=models)
        convert_model(location, quantization="int8", cache_root=tmp_path / "c")

    assert_one_line_with_fix(info.value, NLLB_MODEL, "tokenizer.json")
    assert not (tmp_path / "c" / "ct2").exists() or not any((tmp_path / "c" / "ct2").rglob("model.bin"))
