"""Fixtures shared by the application's tests: an output folder and its state store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.state import StateStore


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def store(out_dir: Path) -> Iterator[StateStore]:
    with StateStore.open(out_dir) as opened:
        yield opened
