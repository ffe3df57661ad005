"""Shared fixtures: every test runs isolated from the user's home, caches, config and the hub."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"


def pytest_configure(config: pytest.Config) -> None:
    # Set before anything imports huggingface_hub, which reads these once at import time.
    hf_home = Path(tempfile.mkdtemp(prefix="digest-test-hf-"))
    os.environ["HF_HOME"] = str(hf_home)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_VERBOSITY"] = "error"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    # Tiny models spend their time in per-op overhead, which extra threads only add to;
    # read by torch at import, here and in every CLI subprocess the tests start.
    os.environ["OMP_NUM_THREADS"] = "1"
    # The installed package exposes only `digest_translate`; the Python processes the tests start
    # themselves (`python -c "from digest... "`, `python -m digest`) import the source tree's packages
    # by their short names, as pytest does (pythonpath = ["."]).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point home, config and cache at a temporary folder and clear DIGEST_* settings."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in list(os.environ):
        if name.startswith("DIGEST_"):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny real-architecture checkpoints for every model the samples route to, by model id."""
    from tests.checkpoints import build_all

    root = tmp_path_factory.mktemp("models")
    build_all(root)
    return root
