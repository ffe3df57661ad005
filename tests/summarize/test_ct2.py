"""The ct2 summarizer: the transformers summarizer's answers, long texts chunked the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from seq2seq.hub import locate_model
from summarize.abstractive import HFSummarizer
from summarize.base import Summarizer
from summarize.ct2 import CT2Summarizer
from tests.checkpoints import BART_MODEL, ENGLISH_TEXT


@pytest.fixture(scope="module")
def ct2_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion cache for the module."""
    return tmp_path_factory.mktemp("ct2-cache")


def test_float32_greedy_summaries_match_hf_including_chunked_long_texts(
    tiny_model_dir: Path, ct2_cache: Path
) -> None:
    location = locate_model(BART_MODEL, model_dir=tiny_model_dir)
    # A small input limit makes the long text go through chunk summaries first.
    texts = [ENGLISH_TEXT, ENGLISH_TEXT[:300], "", "The committee met on Monday.", ENGLISH_TEXT * 3]
    hf = HFSummarizer(location, device="cpu", num_beams=1, max_input_tokens=200)
    ct2 = CT2Summarizer(
        location, device="cpu", num_beams=1, max_input_tokens=200, quantization="float32", cache_root=ct2_cache
    )

    expected = hf.summarize(texts)

    assert ct2.summarize(texts) == expected
    assert expected[2] == "" and all(expected[i] for i in (0, 1, 3, 4))


def test_int8_with_the_models_beams_gives_one_summary_per_text(tiny_model_dir: Path, ct2_cache: Path) -> None:
    location = locate_model(BART_MODEL, model_dir=tiny_model_dir)
    ct2 = CT2Summarizer(location, device="cpu", quantization="int8", cache_root=ct2_cache)

    out = ct2.summarize([ENGLISH_TEXT, "Officials met."])

    assert isinstance(ct2, Summarizer)
    assert ct2.model_id == BART_MODEL and ct2.quantization == "int8"
    assert len(out) == 2 and all(out)
    assert ct2.converted_path.is_relative_to(ct2_cache)


def test_a_forced_first_token_is_forced_in_ct2_too(tiny_model_dir: Path, tmp_path: Path) -> None:
    import json
    import shutil

    # The real distilbart-cnn checkpoints force <s> (id 0) as the first generated token.
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / BART_MODEL, models / BART_MODEL)
    generation = models / BART_MODEL / "generation_config.json"
    config = json.loads(generation.read_text(encoding="utf-8"))
    generation.write_text(json.dumps({**config, "forced_bos_token_id": 0}), encoding="utf-8")
    location = locate_model(BART_MODEL, model_dir=models)
    hf = HFSummarizer(location, device="cpu", num_beams=1)
    ct2 = CT2Summarizer(location, device="cpu", num_beams=1, quantization="float32", cache_root=tmp_path / "c")
    inputs = [hf.runner.encode(ENGLISH_TEXT[:400])]

    expected = hf.runner.generate(inputs, maximum=[30])

    assert expected[0][0] == 0
    assert ct2.runner.generate(inputs, maximum=[30]) == expected


def test_a_bart_saved_by_current_transformers_converts(tiny_model_dir: Path, tmp_path: Path) -> None:
    import json
    import shutil

    # Configs saved by transformers 5 lack the fairseq-era layout flags CTranslate2's converter reads.
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / BART_MODEL, models / BART_MODEL)
    config_file = models / BART_MODEL / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    legacy = ("normalize_before", "normalize_embedding", "add_final_layer_norm", "static_position_embeddings",
              "add_bias_logits", "extra_pos_embeddings")
    for name in legacy:
        config.pop(name, None)
    config_file.write_text(json.dumps(config), encoding="utf-8")
    location = locate_model(BART_MODEL, model_dir=models)
    hf = HFSummarizer(location, device="cpu", num_beams=1)
    cache = tmp_path / "c"
    ct2 = CT2Summarizer(location, device="cpu", num_beams=1, quantization="float32", cache_root=cache)

    expected = hf.summarize([ENGLISH_TEXT[:400]])

    assert ct2.summarize([ENGLISH_TEXT[:400]]) == expected and expected[0]
