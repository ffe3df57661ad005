"""The command line: the only package that knows about typer (see `cli.commands`).

A package rather than a module so that the import contracts in pyproject.toml can name it as the top layer.
"""

from cli.commands import app, main

__all__ = ["app", "main"]
