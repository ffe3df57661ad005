"""A full `digest run samples/` on the tiny checkpoints gives, byte for byte, the items it always gave.

The golden file was captured before the run was reorganised into layers and stages; a refactoring
that changes any title, summary, route, model, link or translation shows here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import REPO, load_digest, run_cli

pytestmark = pytest.mark.e2e

GOLDEN = Path(__file__).parent / "golden" / "samples_run.json"


def golden_view(out: Path) -> dict[str, Any]:
    """The run's items and translations, with the checkout's location replaced by REPO."""
    day, digest = load_digest(out)
    text = json.dumps(
        {
            "items": digest["items"],
            "translations": {
                # The Markdown translations; the side-by-side pages have their own tests (test_pages_e2e).
                p.name: p.read_text(encoding="utf-8") for p in sorted((day / "translations").glob("*.en.md"))
            },
        },
        ensure_ascii=False,
        indent=1,
        sort_keys=True,
    )
    return json.loads(text.replace(REPO.as_uri(), "file://REPO"))


def test_a_run_over_the_samples_gives_the_golden_items(tiny_model_dir: Path, tmp_path: Path) -> None:
    # transformers in float32: the same numbers on any CPU (CTranslate2's int8 kernels vary with it).
    result = run_cli(
        "run", "samples", "--model-dir", tiny_model_dir, "--out", tmp_path / "out", "--backend", "hf", cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    if os.environ.get("UPDATE_GOLDEN") == "1":
        view = json.dumps(golden_view(tmp_path / "out"), ensure_ascii=False, indent=1, sort_keys=True)
        GOLDEN.write_text(view + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden_view(tmp_path / "out") == expected

    # The stages' busy times and the tokens the models generated, for the run's speed figures.
    _day, digest = load_digest(tmp_path / "out")
    stages = digest["stats"]["stages"]
    assert {"read", "plan", "load", "detect", "translate", "summarize", "record"} <= set(stages)
    assert all(stage["seconds"] >= 0 for stage in stages.values())
    for name in ("translate", "summarize"):
        assert stages[name]["tokens"] > 0
        assert stages[name]["tokens_per_second"] > 0
