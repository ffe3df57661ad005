"""Every command documents itself, and --help needs no heavy imports."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from cli import app

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
            "schedule install", "schedule show", "schedule remove"} <= names


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
