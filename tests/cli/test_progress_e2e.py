"""What a run tells the user as it goes: the bar, the --verbose stage timings, the summary line."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tests.cli.helpers import SAMPLES, run_cli

pytestmark = pytest.mark.e2e

SECONDS = r"\d+\.\d\d s"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    shutil.copytree(SAMPLES, folder)
    (folder / "scan.xyz").write_bytes(b"\x00not a document")  # skipped while walking: an unsupported type
    return folder


def test_verbose_logs_every_stage_with_its_timing_and_the_summary_counts_skipped_files(
    inbox: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ("run", inbox, "--model-dir", tiny_model_dir, "--out", out, "--summarizer", "extractive", "--backend", "hf")
    first = run_cli(*args, "--verbose")
    assert first.returncode == 0, first.stderr
    for line in (
        rf"read: 4 files in {SECONDS}",
        rf"plan: 4 documents to process, 0 unchanged in {SECONDS}",
        rf"detect: 4 documents in {SECONDS}",
        rf"load: extractive in {SECONDS}",
        rf"translate Helsinki-NLP/opus-mt-hi-en: \d+ segments \(0 from memory\) for 1 document in {SECONDS}",
        rf"translate Helsinki-NLP/opus-mt-ur-en: \d+ segments \(0 from memory\) for 1 document in {SECONDS}",
        rf"translate: \d+ segments \(0 from memory\) in {SECONDS}, \d+ tokens generated",
        rf"summarize extractive: 4 documents in {SECONDS}",
        rf"publish: \d+ files in {SECONDS}",
    ):
        assert re.search(rf"^INFO digest: {line}$", first.stderr, re.MULTILINE), (line, first.stderr)
    assert re.search(r"; 0 unchanged, 1 skipped, 0 failed; [1-9]\d* segments translated, 0 from cache; ", first.stdout)
    assert first.stdout.startswith("digest: 4 of 4 files (en 1, fa 1, hi 1, ur 1); ")

    quiet = run_cli(*args, "--new-only")
    assert quiet.returncode == 0, quiet.stderr
    assert "INFO" not in quiet.stderr  # the timings are for --verbose only
    assert "digest: 4 of 4 files" in quiet.stdout  # today's digest keeps the entries written earlier
    assert "; 4 unchanged, 1 skipped, 0 failed; 0 segments translated, 0 from cache; " in quiet.stdout


def _render(events: Callable[[Any], None]) -> str:
    """The last frame the bar drew for `events` (the terminal's bytes, no colour)."""
    import logging
    import sys

    import cli

    # A CliRunner run earlier in this process leaves the root logger writing to its own stream,
    # closed since; the command line itself always starts from stderr.
    logging.basicConfig(stream=sys.stderr, force=True)
    screen = StringIO()
    console = Console(file=screen, force_terminal=True, width=140, color_system=None)
    with cli._progress(True, console=console) as progress:
        events(progress)
        progress.bar.refresh()
        shown = screen.getvalue()  # before the bar, which is transient, is cleared
    # rich redraws its rows in place: each frame follows the sequences that erase the last one.
    return shown.rsplit("\x1b[2K", 1)[-1]


def test_the_bar_shows_files_text_with_an_eta_and_the_phase() -> None:
    def events(progress: Any) -> None:
        progress.phase("reading", "4 files")
        progress.files_total(4)
        progress.text_total(1000)
        progress.phase("loading", "Helsinki-NLP/opus-mt-hi-en")
        progress.file_started("/inbox/hi-news.txt")
        progress.text_done(250)
        time.sleep(0.5)
        progress.text_done(250)
        progress.file_done("/inbox/hi-news.txt", ok=True)

    frame = _render(events)
    rows = [row.strip() for row in frame.splitlines() if row.strip()]
    files, text, step = (r for r in rows if r.split()[0] in ("files", "translate", "loading"))
    assert re.search(r"^files .* 1/4 0:00:0\d -:--:-- hi-news\.txt$", files), files
    # Half of the text in about half a second: about half a second left.
    assert re.search(r"^translate .* 50% 0:00:0\d 0:00:0\d$", text), text
    assert re.search(r"^loading .* 0:00:00 +Helsinki-NLP/opus-mt-hi-en$", step), step


def test_nothing_to_translate_shows_no_text_bar() -> None:
    def events(progress: Any) -> None:
        progress.files_total(2)
        progress.text_total(0)
        progress.phase("publishing", "2024-05-01")

    frame = _render(events)
    assert "translate" not in frame
    assert "publishing" in frame and "0/2" in frame
