"""The `digest` command: the console script, and `python -m digest_translate`."""

from __future__ import annotations

from digest_translate import use


def main() -> None:
    """Run the command line with digest's own packages first on this process's path."""
    use()
    # By its short name, as the packages import one another, and only now that `use()` has run.
    from cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
