"""CTranslate2 conversion runs in a child process: same results, same one-line errors, nothing left behind."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.errors import BackendFailed
from seq2seq import convert
from seq2seq.convert import conversion_dir, convert_model, is_complete
from seq2seq.hub import locate_model

pytest.importorskip("ctranslate2")

MARIAN = "Helsinki-NLP/opus-mt-hi-en"


@pytest.fixture
def models(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A model dir of its own holding a copy of the tiny Marian checkpoint."""
    root = tmp_path / "models"
    shutil.copytree(tiny_model_dir / MARIAN, root / MARIAN)
    return root


def test_a_failure_in_the_child_is_one_line_and_leaves_nothing(models: Path, tmp_path: Path) -> None:
    # Weights the tokenizer check in the parent cannot notice: only the converter, in the child, reads them.
    (models / MARIAN / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00not json")
    location = locate_model(MARIAN, model_dir=models)
    cache = tmp_path / "cache"

    with pytest.raises(BackendFailed) as info:
        convert_model(location, quantization="int8", cache_root=cache)

    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"the ct2 backend cannot use {MARIAN} (conversion failed: ")
    assert message.endswith("use --backend hf")
    assert "Traceback" in str(info.value.__cause__)  # the child's traceback, for --verbose
    target = conversion_dir(location, quantization="int8", cache_root=cache)
    assert list(target.parent.iterdir()) == []


def test_an_interrupt_while_converting_kills_the_child_and_removes_its_folder(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    children: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    class Interrupted:
        def read(self) -> bytes:
            raise KeyboardInterrupt  # Ctrl-C (or SIGTERM, see digest.signals) while the child works

        def close(self) -> None:
            pass

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        child = real_popen(*args, **kwargs)
        child.stdout.close()  # type: ignore[union-attr]
        child.stdout = Interrupted()  # type: ignore[assignment]
        children.append(child)
        return child

    monkeypatch.setattr(convert.subprocess, "Popen", popen)
    location = locate_model(MARIAN, model_dir=models)
    cache = tmp_path / "cache"

    with pytest.raises(KeyboardInterrupt):
        convert_model(location, quantization="int8", cache_root=cache)

    [child] = children
    assert child.returncode is not None  # killed and reaped, not left running
    target = conversion_dir(location, quantization="int8", cache_root=cache)
    assert list(target.parent.iterdir()) == []


def test_float32_conversion_is_the_same_as_converting_in_process(models: Path, tmp_path: Path) -> None:
    location = locate_model(MARIAN, model_dir=models)
    folder = convert_model(location, quantization="float32", cache_root=tmp_path / "cache")
    here = tmp_path / "here"
    here.mkdir()
    convert._convert_here(location, here, quantization="float32")

    assert is_complete(folder)
    for name in ("model.bin", "config.json", "shared_vocabulary.json", convert.HF_CONFIG):
        assert (folder / name).read_bytes() == (here / name).read_bytes(), name
