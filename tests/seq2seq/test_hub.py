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
    import httpx2
    from huggingface_hub.errors import LocalEntryNotFoundError

    assert _hub_problem(LocalEntryNotFoundError("ConnectError")) == "the hub cannot be reached"
    assert _hub_problem(OSError("disk")) == "the hub failed (OSError)"
    assert _hub_problem(httpx2.ConnectError("refused")) == "the hub cannot be reached"


HUB_REPO = {  # a typical opus-mt repo on the hub, sizes in bytes
    "config.json": 1_300, "generation_config.json": 300, "tokenizer_config.json": 800, "vocab.json": 1_600_000,
    "source.spm": 800_000, "target.spm": 790_000, "README.md": 2_000, ".gitattributes": 1_500,
    "model.safetensors": 300_000_000, "pytorch_model.bin": 300_000_000, "tf_model.h5": 300_000_000,
    "flax_model.msgpack": 300_000_000, "rust_model.ot": 300_000_000, "onnx/encoder_model.onnx": 200_000_000,
    "onnx/config.json": 1_300, "metadata.json": 100,
}


def test_a_download_takes_config_tokenizer_and_one_copy_of_the_weights() -> None:
    from seq2seq.hub import files_to_download

    chosen = files_to_download(HUB_REPO)

    assert set(chosen) == {"config.json", "generation_config.json", "tokenizer_config.json", "vocab.json",
                           "source.spm", "target.spm", "metadata.json", "model.safetensors"}
    assert chosen["model.safetensors"] == 300_000_000


def test_without_safetensors_a_download_takes_the_pytorch_weights() -> None:
    from seq2seq.hub import files_to_download

    repo = {k: v for k, v in HUB_REPO.items() if k != "model.safetensors"}
    assert {"pytorch_model.bin", "config.json"} <= set(files_to_download(repo))
    assert not {"tf_model.h5", "flax_model.msgpack", "rust_model.ot"} & set(files_to_download(repo))


def test_sharded_weights_come_with_their_index_and_every_shard() -> None:
    from seq2seq.hub import files_to_download

    repo = {"config.json": 1, "sentencepiece.bpe.model": 2, "tokenizer.json": 3,
            "model.safetensors.index.json": 4, "model-00001-of-00002.safetensors": 5,
            "model-00002-of-00002.safetensors": 6, "pytorch_model.bin.index.json": 7,
            "pytorch_model-00001-of-00002.bin": 8, "pytorch_model-00002-of-00002.bin": 9}

    assert set(files_to_download(repo)) == {
        "config.json", "sentencepiece.bpe.model", "tokenizer.json", "model.safetensors.index.json",
        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
    }


def test_finding_a_model_locally_reads_no_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seq2seq import hub
    from seq2seq.hub import find_local

    folder = tmp_path / "Helsinki-NLP" / "opus-mt-hi-en"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"w")

    def no_hashing(*args: object) -> str:
        raise AssertionError("weights were read")

    monkeypatch.setattr(hub, "_hash_files", no_hashing)

    assert find_local("Helsinki-NLP/opus-mt-hi-en", model_dir=tmp_path) == folder
    assert find_local("Helsinki-NLP/opus-mt-ur-en", model_dir=tmp_path) is None
