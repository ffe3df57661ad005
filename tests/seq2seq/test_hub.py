"""Model lookup: the model dir first, then the cache; a clear one-line error otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ModelUnavailable
from seq2seq.hub import _hub_problem, locate_model


def test_model_dir_is_looked_up_by_model_id(tmp_path: Path) -> None:
    folder = tmp_path / "Helsinki-NLP" / "opus-mt-hi-en"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"weights")
    found = locate_model("Helsinki-NLP/opus-mt-hi-en", model_dir=tmp_path)
    assert (found.path, found.origin) == (folder, "model-dir")
    (folder / "model.safetensors").write_bytes(b"new weights")
    assert locate_model("Helsinki-NLP/opus-mt-hi-en", model_dir=tmp_path).revision != found.revision


def test_offline_miss_names_the_model_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable) as info:
        locate_model("Helsinki-NLP/opus-mt-xx-en", model_dir=tmp_path, offline=True)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("model Helsinki-NLP/opus-mt-xx-en is not available")
    assert "HF_HUB_OFFLINE" in message and "--model-dir" in message


def test_hub_problems_in_words() -> None:
    from huggingface_hub.errors import LocalEntryNotFoundError

    assert _hub_problem(LocalEntryNotFoundError("ConnectError")) == "the hub cannot be reached"
    assert _hub_problem(OSError("disk")) == "the hub failed (OSError)"
