"""`digest config`: every setting, its value and where it came from; one name per setting on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from digest.settings import SETTINGS
from tests.cli.helpers import SAMPLES, run_cli


def _lines(text: str) -> dict[str, str]:
    rows = {}
    for line in text.splitlines()[1:]:
        name, rest = line.split(None, 1)
        rows[name] = " ".join(rest.split())
    return rows


def test_config_shows_each_value_and_its_origin(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('summarizer = "extractive"\nbackend = "hf"\n[route]\nur = "nllb"\n', encoding="utf-8")
    shown = run_cli("config", "--config", config, env={"DIGEST_BACKEND": "ct2", "DIGEST_BEAMS": "2"})
    assert shown.returncode == 0, shown.stderr
    first, *_ = shown.stdout.splitlines()
    assert first == f"config file: {config}"
    rows = _lines(shown.stdout)
    assert list(rows) == [spec.name for spec in SETTINGS]
    assert rows["summarizer"] == f"extractive config file {config}"
    assert rows["route"] == f"ur=nllb config file {config}"
    assert rows["backend"] == "ct2 environment DIGEST_BACKEND"
    assert rows["beams"] == "2 environment DIGEST_BEAMS"
    assert rows["out"] == "digests default"
    assert rows["model_dir"] == "none (the Hugging Face cache, then the hub) default"
    assert rows["offline"] == "on environment HF_HUB_OFFLINE"  # the test suite runs offline


def test_config_json(tmp_path: Path) -> None:
    config_home = tmp_path / "xdg"
    shown = run_cli("config", "--json", env={"XDG_CONFIG_HOME": str(config_home), "DIGEST_MODEL_DIR": "/m"})
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["config_file"] == {"path": str(config_home / "digest" / "config.toml"), "found": False}
    assert set(data["settings"]) == {spec.name for spec in SETTINGS}
    assert data["settings"]["model_dir"] == {
        "value": "/m", "origin": "environment", "from": "DIGEST_MODEL_DIR", "env": "DIGEST_MODEL_DIR",
        "option": "--model-dir",
    }
    assert data["settings"]["beams"]["value"] is None and data["settings"]["beams"]["origin"] == "default"


def test_a_misspelt_key_is_one_line_with_a_did_you_mean(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("beam = 2\n", encoding="utf-8")
    for command in (("config",), ("run", SAMPLES, "--out", tmp_path / "out")):
        refused = run_cli(*command, "--config", config)
        assert refused.returncode == 2
        assert refused.stderr.splitlines() == [
            f"error: unknown setting 'beam' in config file {config}: did you mean 'beams'?"
        ]
        assert refused.stdout == ""
    assert not (tmp_path / "out").exists()


def test_run_reads_the_same_names_as_its_options(tmp_path: Path) -> None:
    # `beams` in the file is the setting --beams sets: its bad value stops the run, naming the file.
    config = tmp_path / "config.toml"
    config.write_text("beams = 0\n", encoding="utf-8")
    refused = run_cli("run", SAMPLES, "--out", tmp_path / "out", "--config", config)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"error: beams must be at least 1, got 0 (from config file {config}): pass --beams 1 or more"
    ]
    # ... and an option beats the file.
    config.write_text("beams = 0\nmax_batch_tokens = 8\n", encoding="utf-8")
    refused = run_cli("run", SAMPLES, "--out", tmp_path / "out", "--config", config, "--beams", "1")
    assert refused.stderr.splitlines() == [
        f"error: max_batch_tokens must be at least 16, got 8 (from config file {config}): "
        "pass --max-batch-tokens 16 or more"
    ]
    renamed = run_cli("run", SAMPLES, "--out", tmp_path / "out", env={"DIGEST_OUT_DIR": str(tmp_path / "o")})
    assert renamed.returncode == 2
    assert renamed.stderr.splitlines() == ["error: environment variable DIGEST_OUT_DIR was renamed: use DIGEST_OUT"]
    assert not (tmp_path / "out").exists() and not (tmp_path / "o").exists()
