"""Every command documents itself, and --help needs no heavy imports."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from cli import app
from digest.settings import SETTINGS, SettingSpec
from tests.cli.helpers import run_cli

runner = CliRunner()


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if hasattr(command, "commands"):  # a sub-group such as `models`
            found += _commands(command, path)
    return found


ALL = _commands(typer.main.get_command(app))  # type: ignore[arg-type]


def test_the_commands_users_expect_exist() -> None:
    names = {" ".join(c) for c in ALL}
    assert {"run", "translate", "detect", "models list", "models convert",
            "schedule install", "schedule show", "schedule remove", "config"} <= names


@pytest.mark.parametrize("command", ALL, ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    click_command = typer.main.get_command(app)
    for name in command:
        click_command = click_command.commands[name]  # type: ignore[attr-defined]
    assert (click_command.help or "").strip(), f"{' '.join(command)} has no help text"


def test_help_imports_no_model_libraries() -> None:
    code = "import sys; from cli import app; from typer.testing import CliRunner; " \
           "CliRunner().invoke(app, ['run', '--help']); " \
           "print(sorted(m for m in ('torch', 'transformers', 'ctranslate2', 'langdetect') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("digest ")


def _help(command: tuple[str, ...], flag: str = "--help") -> str:
    result = runner.invoke(app, [*command, flag])
    assert result.exit_code == 0, result.output
    return result.output


def _squeezed(text: str) -> str:
    # Help is wrapped to the terminal: compare with the line breaks and indents taken out.
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("command", [(), *ALL], ids=lambda c: " ".join(c) or "digest")
def test_dash_h_is_help_everywhere(command: tuple[str, ...]) -> None:
    assert _help(command, "-h") == _help(command, "--help")


def _setting_options(command: tuple[str, ...]) -> list[SettingSpec]:
    click_command = typer.main.get_command(app)
    for name in command:
        click_command = click_command.commands[name]  # type: ignore[attr-defined]
    options = {opt for param in click_command.params for opt in param.opts}
    return [spec for spec in SETTINGS if spec.option in options]


LEAVES = [c for c in ALL if c not in {("models",), ("schedule",)}]


@pytest.mark.parametrize("command", LEAVES, ids=" ".join)
def test_every_setting_option_shows_its_variable_default_and_choices(command: tuple[str, ...]) -> None:
    text = _squeezed(_help(command))
    for spec in _setting_options(command):
        if spec.is_flag:
            assert _squeezed(f"[env var: {spec.env}=1]") in text, spec.name
        else:
            assert _squeezed(f"[env var: {spec.env}; default: {spec.default}]") in text, spec.name
        if spec.choices:
            assert _squeezed(f"{spec.option} <{'|'.join(spec.choices)}>") in text, spec.name


@pytest.mark.parametrize("command", [(), *ALL], ids=lambda c: " ".join(c) or "digest")
def test_flags_show_as_flags_and_no_markup_is_lost(command: tuple[str, ...]) -> None:
    text = _help(command)
    assert "<bool>" not in text
    # Rich markup used to swallow bracketed text and leave " ." behind.
    assert not re.search(r" \.$", text, re.MULTILINE), text


def test_run_help_reads_true() -> None:
    text = _squeezed(_help(("run",)))
    for shown in (
        "-o, --out <path>", "[env var: DIGEST_OUT; default: digests]",
        "--beams <int>", "[env var: DIGEST_BEAMS; default: the model's own]",
        "--max-batch-tokens <int>", "[env var: DIGEST_MAX_BATCH_TOKENS; default: 4096]",
        "--backend <auto|hf|ct2>", "--device <auto|cpu|cuda>", "--summarizer <abstractive|extractive>",
        "--engine <local|ray>", "--fast ", "--new-only ", "[env var: DIGEST_NEW_ONLY=1]",
        "--route LANG=MODEL", "[env var: DIGEST_CONFIG;",
    ):
        assert _squeezed(shown) in text, shown
    convert = _squeezed(_help(("models", "convert")))
    assert _squeezed("--quantization <int8|int8_float16|bfloat16|float16|float32>") in convert


def test_run_has_an_option_for_every_setting() -> None:
    assert {spec.name for spec in _setting_options(("run",))} == {spec.name for spec in SETTINGS}


def test_python_dash_m_digest() -> None:
    done = subprocess.run([sys.executable, "-m", "digest", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: digest [OPTIONS] COMMAND")  # the same command, by its name
    version = subprocess.run([sys.executable, "-m", "digest", "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("digest ")


def _complete(words: str) -> list[str]:
    env = {"_DIGEST_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    done = run_cli(env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_shell_completion() -> None:
    assert "config" in _complete("digest co")
    assert _complete("digest run --backend ") == ["auto", "hf", "ct2"]
    assert _complete("digest run --device c") == ["cpu", "cuda"]
    assert _complete("digest run --summ")[:2] == ["--summarizer", "--summary-model"]
    shown = run_cli("--show-completion", "bash")
    assert shown.returncode == 0 and "_DIGEST_COMPLETE=complete_bash" in shown.stdout
