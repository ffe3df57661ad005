"""The smaller commands, driven through the CLI: models list, schedule, overrides, quiet/verbose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import SAMPLES, load_digest, run_cli

HINDI = SAMPLES / "hi-quang-nam-party-members-2024.txt"


def test_models_list_shows_routes_and_local_availability(tiny_model_dir: Path) -> None:
    result = run_cli("models", "list", "--json", "--model-dir", tiny_model_dir)
    assert result.returncode == 0, result.stderr
    rows = {row["language"]: row for row in json.loads(result.stdout)}
    assert rows["hi"]["route"] == "marian" and rows["hi"]["available"]
    assert rows["hi"]["location"] == str(tiny_model_dir / "Helsinki-NLP" / "opus-mt-hi-en")
    assert rows["fa"]["route"] == "nllb" and rows["fa"]["source_code"] == "pes_Arab" and rows["fa"]["available"]
    assert rows["en"]["route"] == "identity" and rows["en"]["model"] is None
    assert rows["de"]["model"] == "Helsinki-NLP/opus-mt-de-en" and not rows["de"]["available"]

    routed = run_cli("models", "list", "--json", "--route", "hi=nllb", "--model-dir", tiny_model_dir)
    hi = next(r for r in json.loads(routed.stdout) if r["language"] == "hi")
    assert (hi["route"], hi["source_code"]) == ("nllb", "hin_Deva")

    table = run_cli("models", "list", "--model-dir", tiny_model_dir)
    assert "Helsinki-NLP/opus-mt-ur-en" in table.stdout and "not available locally" in table.stdout


def test_schedule_install_show_remove_through_the_cli(tmp_path: Path) -> None:
    crontab = tmp_path / "crontab"
    crontab.write_text("0 5 * * * /usr/bin/backup\n")
    env = {"DIGEST_CRONTAB": str(crontab)}
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for _ in range(2):  # installing twice never duplicates the entry
        result = run_cli("schedule", "install", inbox, "--at", "02:30", "--out", tmp_path / "out", env=env)
        assert result.returncode == 0, result.stderr
    lines = crontab.read_text().splitlines()
    assert lines[0] == "0 5 * * * /usr/bin/backup"
    nightly = [line for line in lines if "digest" in line and "backup" not in line]
    assert len(nightly) == 1
    assert nightly[0].startswith("30 2 * * * ") and " /" in nightly[0]
    assert " run --new-only " in nightly[0] and str(inbox) in nightly[0]
    assert str(tmp_path / "out" / ".digest" / "nightly.log") in nightly[0]

    shown = run_cli("schedule", "show", env=env)
    assert shown.returncode == 0 and "30 2 * * *" in shown.stdout
    assert run_cli("schedule", "remove", env=env).returncode == 0
    assert crontab.read_text() == "0 5 * * * /usr/bin/backup\n"
    assert run_cli("schedule", "show", env=env).returncode == 1


def test_schedule_rejects_a_bad_time(tmp_path: Path) -> None:
    result = run_cli("schedule", "install", tmp_path, "--at", "25:00", "--crontab-file", tmp_path / "c")
    assert result.returncode == 2  # a usage error, as the README promises
    assert result.stderr.startswith("error: ") and "25:00" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_lang_override_and_quiet(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("run", HINDI, "--lang", "mr", "--route", "mr=nllb", "--model-dir", tiny_model_dir,
                     "--out", out, "--summarizer", "extractive", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    _, digest = load_digest(out)
    (item,) = digest["items"]
    assert (item["language"], item["confidence"], item["route"]) == ("mr", 1.0, "nllb")


def test_verbose_shows_a_traceback_only_for_the_unexpected(tmp_path: Path) -> None:
    quiet = run_cli("run", SAMPLES, "--out", tmp_path / "o", env={"HF_HOME": str(tmp_path / "hf")})
    loud = run_cli("run", SAMPLES, "--out", tmp_path / "o", "--verbose", env={"HF_HOME": str(tmp_path / "hf")})
    assert quiet.returncode == loud.returncode == 1
    assert "Traceback" not in quiet.stderr
    assert "error: 4 models not available " in loud.stderr.splitlines()[-1]
