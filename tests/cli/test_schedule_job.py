"""`digest schedule install` through the CLI: the job runs with the settings it was installed with."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli
from digest.settings import Settings
from tests.cli.helpers import run_cli


def job_line(crontab: Path) -> str:
    (line,) = [entry for entry in crontab.read_text().splitlines() if entry.endswith("# digest-nightly")]
    return line


def job_words(crontab: Path) -> tuple[dict[str, str], list[str]]:
    """The job's environment assignments and argv, as /bin/sh would split its crontab line."""
    command = job_line(crontab).split(" ", 5)[5].replace("\\%", "%")
    words = shlex.split(command.split(" >> ")[0])
    env = {}
    while "=" in words[0] and not words[0].startswith("/"):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words


def test_the_job_runs_with_the_settings_it_was_installed_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, models, out = tmp_path / "inbox", tmp_path / "models", tmp_path / "out"
    inbox.mkdir()
    models.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(
        'summarizer = "extractive"\nbackend = "ct2"\nnllb_model = "facebook/nllb-200-1.3B"\n'
        '[route]\nur = "nllb"\n',
        encoding="utf-8",
    )
    crontab = tmp_path / "crontab"
    # Settings from all three places: the environment, the config file and options.
    monkeypatch.setenv("DIGEST_MODEL_DIR", str(models))
    installed = CliRunner().invoke(cli.app, [
        "schedule", "install", str(inbox), "--at", "02:30", "--out", str(out), "--config", str(config),
        "--crontab-file", str(crontab), "--site-url", "https://digest.example/", "--fast", "--lang", "ur",
        "--engine", "ray", "--ray-address", "auto", "--max-file-bytes", "5000",
    ])
    assert installed.exit_code == 0, installed.output

    # At night: cron's bare environment, no config file.
    monkeypatch.delenv("DIGEST_MODEL_DIR")
    env, argv = job_words(crontab)
    assert argv[argv.index("--nllb-model") + 1] == "facebook/nllb-200-1.3B"
    assert "--config" not in argv
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen: dict[str, Any] = {}

    def capture(paths: list[Path], *, settings: Settings, progress: Any) -> None:
        seen.update(paths=paths, settings=settings)
        raise RuntimeError("captured")

    monkeypatch.setattr("digest.pipeline.run_digest", capture)
    CliRunner().invoke(cli.app, argv[1:])
    assert seen["paths"] == [inbox]
    assert seen["settings"] == Settings(
        out_dir=out, model_dir=models, lang="ur", routes={"ur": "nllb"}, nllb_model="facebook/nllb-200-1.3B",
        summarizer="extractive", backend="ct2", num_beams=1, summary_beams=1, max_file_bytes=5000,
        offline=True,  # the tests run with HF_HUB_OFFLINE=1, which the job keeps
        new_only=True, skip_empty=True, site_url="https://digest.example/", engine="ray", ray_address="auto",
    )


def test_install_and_show_print_the_whole_job(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    crontab = tmp_path / "crontab"
    env = {"DIGEST_CRONTAB": str(crontab), "DIGEST_SUMMARIZER": "extractive", "HF_HOME": str(tmp_path / "hf")}
    result = run_cli("schedule", "install", inbox, "--at", "03:15", "--out", tmp_path / "out", env=env)
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "out" / ".digest" / "nightly.log") in result.stdout
    shown = run_cli("schedule", "show", env=env)
    assert shown.returncode == 0
    assert shown.stdout.strip() == job_line(crontab)
    line = shown.stdout
    assert f"HF_HOME={tmp_path / 'hf'} " in line and "HF_HUB_OFFLINE=1 " in line
    assert " run --new-only --skip-empty --out " in line and " --summarizer extractive " in line
    # The log stays in the state folder, which is not published.
    assert f">> {tmp_path / 'out' / '.digest' / 'nightly.log'} 2>&1" in line


def test_publish_empty_keeps_quiet_nights_in_the_feed(tmp_path: Path) -> None:
    crontab = tmp_path / "crontab"
    result = run_cli("schedule", "install", tmp_path, "--at", "03:15", "--out", tmp_path / "out",
                     "--publish-empty", "--crontab-file", crontab)
    assert result.returncode == 0, result.stderr
    _, argv = job_words(crontab)
    assert argv[1:3] == ["run", "--new-only"] and "--skip-empty" not in argv


def test_a_path_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    crontab = tmp_path / "crontab"
    result = run_cli("schedule", "install", tmp_path / "inbx", "--at", "02:30", "--out", tmp_path / "out",
                     "--crontab-file", crontab)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: input path {tmp_path / 'inbx'} does not exist: check the path; nothing was read or written\n"
    )
    assert not crontab.exists() and not (tmp_path / "out").exists()


def test_a_ray_job_without_ray_installed_is_refused_at_install(tmp_path: Path) -> None:
    hidden = tmp_path / "no-ray" / "ray"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("no module named ray")\n', encoding="utf-8")
    crontab = tmp_path / "crontab"
    pythonpath = os.pathsep.join([str(hidden.parent), os.environ.get("PYTHONPATH", "")])
    result = run_cli("schedule", "install", tmp_path, "--at", "02:30", "--out", tmp_path / "out",
                     "--engine", "ray", "--crontab-file", crontab, env={"PYTHONPATH": pythonpath})
    assert result.returncode != 0
    assert result.stderr.startswith("error: --engine ray needs Ray: pip install")
    assert not crontab.exists()
