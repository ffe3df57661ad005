"""The JSON contracts: real output of `run`, `translate` and `detect` validated against the schemas the package ships."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli.helpers import SAMPLES, load_digest, run_cli

pytestmark = pytest.mark.e2e

HINDI = SAMPLES / "hi-quang-nam-party-members-2024.txt"


def schema(name: str) -> dict[str, Any]:
    """A schema as installed with the package (digest/schemas/NAME.schema.json)."""
    text = resources.files("digest").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def validate(instance: Any, name: str) -> None:
    jsonschema.Draft202012Validator(
        schema(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(instance)


@pytest.mark.slow
def test_run_json_is_the_digest_and_both_follow_the_schema(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES, inbox)
    (inbox / "empty.txt").write_text("")  # a failure
    (inbox / "photo.jpg").write_bytes(b"\xff\xd8\xff")  # skipped
    out = tmp_path / "out"
    result = run_cli("run", inbox, "--json", "--model-dir", tiny_model_dir, "--out", out, "--backend", "hf")
    assert result.returncode == 1, result.stderr  # the empty file failed
    printed = json.loads(result.stdout)  # stdout holds the JSON and nothing else
    _day, written = load_digest(out)
    assert printed == written
    validate(written, "digest")
    assert written["version"] == 1
    assert {i["route"] for i in written["items"]} == {"identity", "marian", "nllb"}
    assert [Path(f["path"]).name for f in written["failures"]] == ["empty.txt"]
    assert [Path(s["path"]).name for s in written["skipped"]] == ["photo.jpg"]
    assert written["stats"]["stages"]["translate"]["tokens"] > 0
    # The failure is still reported on stderr, where the operator looks.
    assert "failed: " in result.stderr and "empty.txt" in result.stderr

    # An unchanged rerun under --quiet still prints what it was asked for.
    again = run_cli("run", inbox, "--json", "--quiet", "--model-dir", tiny_model_dir, "--out", out, "--backend", "hf")
    rerun = json.loads(again.stdout)
    validate(rerun, "digest")
    assert rerun["stats"]["files_unchanged"] == 4 and rerun["stats"]["segments_translated"] == 0


def test_the_schema_rejects_what_the_contract_forbids(tmp_path: Path) -> None:
    # A schema that accepted anything would make the test above pass whatever was written.
    out = tmp_path / "out"
    result = run_cli("run", SAMPLES / "en-riverside-bike-lanes-2024.txt", "--json", "--summarizer", "extractive",
                     "--out", out)
    assert result.returncode == 0, result.stderr
    good = json.loads(result.stdout)
    validate(good, "digest")
    for broken in (
        {**good, "version": 2},
        {k: v for k, v in good.items() if k != "items"},
        {**good, "items": [{**good["items"][0], "route": "google"}]},
        {**good, "items": [{**good["items"][0], "source_url": "javascript:alert(1)"}]},
        {**good, "stats": {**good["stats"], "files": -1}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken, "digest")


@pytest.mark.slow
def test_translate_json_follows_the_schema(tiny_model_dir: Path, tmp_path: Path) -> None:
    # With -o the file is written too, and the JSON says where.
    target = tmp_path / "hi.en.md"
    result = run_cli("translate", HINDI, "--json", "-o", target, "--model-dir", tiny_model_dir, "--backend", "hf")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    validate(data, "translate")
    assert (data["language"], data["route"], data["model"]) == ("hi", "marian", "Helsinki-NLP/opus-mt-hi-en")
    assert data["path"] == str(HINDI) and data["output"] == str(target) and data["segments"] > 0
    assert data["translation"].strip() and target.read_text(encoding="utf-8") == data["translation"] + "\n"


def test_detect_json_follows_the_schema(tmp_path: Path) -> None:
    notes = tmp_path / "notes.xyz"
    notes.write_text("words")
    result = run_cli("detect", "--json", SAMPLES, notes)
    assert result.returncode == 1  # the unsupported file named on the command line
    rows = json.loads(result.stdout)
    validate(rows, "detect")
    assert {r["route"] for r in rows} == {"identity", "marian", "nllb", None}
