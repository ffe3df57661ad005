"""The transformers runtime's decoding rules, length bounds, devices and backend choice, without a translator."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from core.errors import ConfigError
from seq2seq import backends
from seq2seq.hf import RowLengthBounds, collapse_repeats, decode_options, max_new_tokens_for, resolve_device


def test_max_new_tokens_for_is_twice_plus_ten_within_the_limit() -> None:
    assert max_new_tokens_for(1, limit=510) == 12
    assert max_new_tokens_for(40, limit=510) == 90
    assert max_new_tokens_for(400, limit=510) == 510
    assert max_new_tokens_for(0, limit=0) == 1


def test_row_length_bounds_forces_and_forbids_the_end_token_per_row() -> None:
    import torch

    bounds = RowLengthBounds([0, 2], [1, 5], eos_token_id=0)
    start = torch.zeros((4, 1), dtype=torch.long)  # two rows x two beams
    bounds(start, torch.zeros(4, 6))
    after_one = torch.zeros((4, 2), dtype=torch.long)

    scores = bounds(after_one, torch.zeros(4, 6))

    # Row 0 (beams 0, 1) reached its cap of 1: only the end token is left.
    assert scores[0].argmax().item() == 0 and torch.isinf(scores[0, 1:]).all()
    assert torch.isinf(scores[1, 1:]).all()
    # Row 1 (beams 2, 3) is below its minimum of 2: everything but the end token.
    assert torch.isinf(scores[2:, 0]).all() and not torch.isinf(scores[2:, 1:]).any()


def test_collapse_repeats_cuts_loops_and_keeps_prose() -> None:
    assert collapse_repeats("the the the the the end") == "the end"
    assert collapse_repeats("Party Committee Party Committee Party Committee Party Committee met.") == (
        "Party Committee met."
    )
    kept = "It was very very very good, and the provincial Party Committee and the provincial Party Committee agreed."
    assert collapse_repeats(kept) == kept
    assert collapse_repeats("  spaced   text  ") == "  spaced   text  "


def test_decode_options_need_no_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tiny_model_dir / "sshleifer" / "distilbart-cnn-12-6"
    config_only = tmp_path / "bart"
    config_only.mkdir()
    for name in ("config.json", "generation_config.json"):
        (config_only / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")

    summary = decode_options(config_only, summary=True)

    generation = json.loads((source / "generation_config.json").read_text(encoding="utf-8"))
    assert summary.limit == generation["max_length"] - 2
    assert summary.min_new_tokens == generation["min_length"] - 1
    assert summary.no_repeat_ngram_size == 3 and summary.num_beams == 4
    assert decode_options(config_only).min_new_tokens == 0


def test_devices_resolve_to_what_this_machine_has(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cuda:1") == "cuda:1"


def test_auto_backend_prefers_ctranslate2_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    present = importlib.util.find_spec("ctranslate2") is not None
    assert backends.resolve_backend("auto") == ("ct2" if present else "hf")
    assert backends.resolve_backend("hf") == "hf"

    monkeypatch.setattr(backends, "installed", lambda package: False)
    assert backends.resolve_backend("auto") == "hf"
