"""What a benchmark's numbers were measured on, for its report."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from typing import Any


def describe(*packages: str) -> dict[str, Any]:
    """The CPU, its usable cores, Python and `packages`' versions (read without importing them), and now.

    A package that is not installed is reported as None: its rows are simply not measured.
    """
    cpu = platform.processor() or platform.machine()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        cpu = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                    if line.startswith("Model name")), cpu)
    except FileNotFoundError:
        pass  # no lscpu (macOS): the platform's processor name stands
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": cores,
        "python": platform.python_version(),
        **{name: _version(name) for name in packages},
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None
