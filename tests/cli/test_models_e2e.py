"""Getting the models: `models download` from a hub over HTTP, `models check`, and a run naming every missing model."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.checkpoints import BART_MODEL, MARIAN_MODELS, NLLB_MODEL
from tests.cli.helpers import SAMPLES, inbox_of, load_digest, run_cli
from tests.fakehub import FakeHub, serve

pytestmark = pytest.mark.e2e

HINDI_MODEL, URDU_MODEL = MARIAN_MODELS
HINDI = "hi-quang-nam-party-members-2024.txt"
URDU = "ur-hai-duong-organising-committee-q1-2024.txt"
# What the hub holds beside a checkpoint: other frameworks' copies of the same weights.
DECOYS = {
    "tf_model.h5": b"tensorflow weights",
    "flax_model.msgpack": b"flax weights",
    "rust_model.ot": b"rust weights",
    "onnx/encoder_model.onnx": b"onnx weights",
    "pytorch_model.bin": b"a second copy of the weights, in the older format",
    "README.md": b"# model card",
}
# A tiny opus-mt checkpoint as tests.checkpoints builds it.
NEEDED = {"config.json", "generation_config.json", "model.safetensors", "source.spm", "target.spm",
          "tokenizer_config.json", "vocab.json"}


@pytest.fixture
def hub(tiny_model_dir: Path) -> Iterator[FakeHub]:
    """A hub on localhost holding the tiny Hindi model, among the decoys the real hub holds."""
    fake = FakeHub()
    fake.add_folder(HINDI_MODEL, tiny_model_dir / HINDI_MODEL, **DECOYS)
    with serve(fake):
        yield fake


@pytest.fixture
def cache(tmp_path: Path) -> dict[str, str]:
    """This test's own Hugging Face cache: what it downloads stays out of the other tests'."""
    return {"HF_HOME": str(tmp_path / "hf-home")}


def online(hub: FakeHub, cache: dict[str, str]) -> dict[str, str]:
    """The environment of a process that reaches `hub` as the Hugging Face hub."""
    return {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", **cache}


def files_under(folder: Path) -> set[str]:
    """The files of a downloaded model, without huggingface_hub's own bookkeeping folder."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(folder).parts}


def test_download_fetches_only_what_a_run_reads_with_progress_and_the_model_then_translates(
    hub: FakeHub, cache: dict[str, str], tmp_path: Path
) -> None:
    models = tmp_path / "models"

    result = run_cli("models", "download", "hi", "--model-dir", models, env=online(hub, cache))

    assert result.returncode == 0, result.stderr
    assert files_under(models / HINDI_MODEL) == NEEDED
    assert {name for repo, name in hub.fetched} == NEEDED  # the decoys never left the hub
    assert f"{HINDI_MODEL} (hi): 7 files" in result.stdout and str(models / HINDI_MODEL) in result.stdout
    assert "Fetching 7 files" in result.stderr and "100%" in result.stderr  # progress, though not a terminal

    translated = run_cli("translate", SAMPLES / HINDI, "--model-dir", models, "--backend", "hf", "--offline")
    assert translated.returncode == 0, translated.stderr
    assert translated.stdout.strip()

    hub.fetched.clear()
    again = run_cli("models", "download", HINDI_MODEL, "--model-dir", models, "--quiet", env=online(hub, cache))
    assert again.returncode == 0, again.stderr
    assert hub.fetched == [] and again.stdout == "" and again.stderr == ""  # already there, and quiet


def test_download_without_a_model_dir_fills_the_cache_where_check_finds_it(
    hub: FakeHub, cache: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli("models", "download", HINDI_MODEL, env=online(hub, cache))
    assert result.returncode == 0, result.stderr
    assert "Hugging Face cache" not in result.stdout  # the snapshot's own folder is named

    checked = run_cli("models", "check", inbox_of(tmp_path, HINDI), "--summarizer", "extractive", "--json",
                      env=cache)
    assert checked.returncode == 0, checked.stdout
    report = json.loads(checked.stdout)
    assert [m["model"] for m in report["models"]] == [HINDI_MODEL]
    assert "snapshots" in report["models"][0]["location"] and report["missing"] == []


def test_a_model_the_hub_lacks_is_named_and_the_others_are_still_fetched(
    hub: FakeHub, cache: dict[str, str], tmp_path: Path
) -> None:
    models = tmp_path / "models"

    result = run_cli("models", "download", "nobody/nothing", "hi", "--model-dir", models, env=online(hub, cache))

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [line for line in errors if "nobody/nothing" in line] and len(errors) == 1
    assert "the hub has no model of that name" in errors[0]
    assert files_under(models / HINDI_MODEL) == NEEDED


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        ((), {}, "name what to download"),
        (("xx",), {"HF_HUB_OFFLINE": "0"}, "no model translates 'xx'"),
        (("en",), {"HF_HUB_OFFLINE": "0"}, "'en' is English"),
        (("hi",), {"HF_HUB_OFFLINE": "1"}, "cannot download while offline"),
    ],
)
def test_download_usage_errors_exit_2_with_one_line(args: tuple[str, ...], env: dict[str, str], says: str) -> None:
    result = run_cli("models", "download", *args, env={"HF_ENDPOINT": "http://127.0.0.1:9", **env})

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], result.stderr


def test_check_names_each_paragraphs_model_and_the_command_for_the_missing(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / HINDI_MODEL, models / HINDI_MODEL)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    hindi = (SAMPLES / HINDI).read_text(encoding="utf-8")
    urdu = (SAMPLES / URDU).read_text(encoding="utf-8")
    (inbox / "mixed.txt").write_text(hindi + "\n\n" + urdu.split("\n")[2] + "\n", encoding="utf-8")

    text = run_cli("models", "check", inbox, "--model-dir", models)
    report = json.loads(run_cli("models", "check", inbox, "--model-dir", models, "--json").stdout)

    assert text.returncode == 1
    command = f"digest models download {BART_MODEL} {URDU_MODEL} --model-dir {models}"
    assert text.stdout.strip().splitlines()[-1] == (
        f"2 of 3 models missing: fetch them with `{command}`, or use --summarizer extractive"
    )
    assert {m["model"]: (m["uses"], m["missing"]) for m in report["models"]} == {
        BART_MODEL: (["summarizer"], True), HINDI_MODEL: (["hi"], False), URDU_MODEL: (["ur"], True),
    }
    assert report["command"] == command and report["documents"] == 1


def test_check_loads_no_model_and_passes_when_all_are_here(tiny_model_dir: Path, tmp_path: Path) -> None:
    result = run_cli("models", "check", SAMPLES, "--model-dir", tiny_model_dir)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "all 4 models are here"
    for model in (BART_MODEL, HINDI_MODEL, URDU_MODEL, NLLB_MODEL):
        assert model in result.stdout


@pytest.mark.parametrize("hub_state", ["offline", "unreachable"])
def test_a_run_with_nothing_available_names_every_missing_model_at_once(tmp_path: Path, hub_state: str) -> None:
    out = tmp_path / "out"
    env = {"HF_HUB_OFFLINE": "1"} if hub_state == "offline" else {
        "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"}

    result = run_cli("run", SAMPLES, "--out", out, env=env)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: 4 models not available (")
    for model in (BART_MODEL, HINDI_MODEL, URDU_MODEL, NLLB_MODEL):
        assert model in line
    assert f"{BART_MODEL} (summarizer)" in line and f"{URDU_MODEL} (ur)" in line
    assert (f"`digest models download {BART_MODEL} {HINDI_MODEL} {URDU_MODEL} {NLLB_MODEL}`") in line
    assert line.endswith("or summarize with no model: --summarizer extractive")
    assert ("HF_HUB_OFFLINE is set" if hub_state == "offline" else "the hub cannot be reached") in line
    assert not any(p.is_dir() and not p.name.startswith(".") for p in out.iterdir())  # nothing published


def test_missing_translation_models_fail_their_files_and_the_run_goes_on(tiny_model_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / HINDI_MODEL, models / HINDI_MODEL)
    out = tmp_path / "out"

    result = run_cli("run", SAMPLES, "--model-dir", models, "--out", out, "--summarizer", "extractive",
                     "--backend", "hf")

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: 2 models not available (") and URDU_MODEL in errors[0]
    assert NLLB_MODEL in errors[0] and f"`digest models download {URDU_MODEL} {NLLB_MODEL} --model-dir {models}`" in errors[0]
    assert "--summarizer extractive" not in errors[0]
    _, digest = load_digest(out)
    assert sorted(Path(i["path"]).name[:2] for i in digest["items"]) == ["en", "hi"]
    failures = {Path(f["path"]).name[:2]: f["error"] for f in digest["failures"]}
    assert failures == {
        "fa": f"model {NLLB_MODEL} is not available: fetch it with `digest models download {NLLB_MODEL} "
              f"--model-dir {models}`",
        "ur": f"model {URDU_MODEL} is not available: fetch it with `digest models download {URDU_MODEL} "
              f"--model-dir {models}`",
    }


def test_a_run_where_the_hub_is_reachable_fetches_what_is_missing_before_it_starts(
    hub: FakeHub, cache: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"

    result = run_cli("run", inbox_of(tmp_path, HINDI), "--out", out, "--summarizer", "extractive", "--backend", "hf",
                     env=online(hub, cache))

    assert result.returncode == 0, result.stderr
    assert {name for repo, name in hub.fetched} == NEEDED
    _, digest = load_digest(out)
    assert [i["model"] for i in digest["items"]] == [HINDI_MODEL]
