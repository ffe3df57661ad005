"""digest's one top-level name in site-packages, so that installing it shadows no other distribution.

The wheel puts `cli.py` and the packages `digest`, `translate`, `summarize`, `readers`, `seq2seq` and
`core` inside this package, and they import one another by those short names (as they do in the
source tree, where they sit at the top). A process that runs digest, and only such a process, puts
their folder first on its own `sys.path` with `use()`: the `digest` command does, and so can a
program that uses digest as a library. Anywhere else, `import translate` or `import cli` finds
whatever else is installed under that name.

Importing this package changes nothing; only `use()` does.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["packages_root", "use"]


def packages_root() -> Path:
    """The folder that holds `cli.py`, `digest/`, `translate/` and the rest.

    In an installed wheel that is this package's own folder; in a checkout or an editable install,
    this package sits beside them, at the top of the source tree.
    """
    here = Path(__file__).resolve().parent
    return here if (here / "cli.py").is_file() else here.parent


def use() -> Path:
    """Put digest's packages first on this process's `sys.path`; their folder."""
    root = packages_root()
    entry = str(root)
    if sys.path[:1] != [entry]:
        while entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    return root
