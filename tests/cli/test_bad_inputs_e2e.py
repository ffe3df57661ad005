"""One `digest run` over a corpus of bad inputs beside good ones: the night is never lost."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.names import display_path
from tests import bad_inputs
from tests.cli.helpers import run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bad_inputs.Corpus]:
    root = tmp_path_factory.mktemp("bad-inputs")
    built = bad_inputs.build(root)
    yield built
    bad_inputs.remove(root)  # its deep folder is too deep for pytest's own clean-up


def _run(corpus: bad_inputs.Corpus, model_dir: Path) -> tuple[Any, dict[str, Any], Path]:
    out = corpus.inbox / "digests"
    result = run_cli(
        "run", corpus.inbox, "--out", out, "--model-dir", model_dir, "--summarizer", "extractive", "--fast",
        "--max-file-bytes", str(bad_inputs.MAX_FILE_BYTES), timeout=900,
    )
    days = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(days) == 1, (days, result.stderr)
    return result, json.loads((days[0] / "digest.json").read_text(encoding="utf-8")), days[0]


def _names(paths: list[Path]) -> set[str]:
    return {display_path(p) for p in paths}


def _check(result: Any, digest: dict[str, Any], corpus: bad_inputs.Corpus, *, also_skipped: set[str]) -> None:
    assert result.returncode == 1, result.stderr  # some files failed; the digest is written anyway
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr, result.stderr

    items = [item["path"] for item in digest["items"]]
    failures = {f["path"]: f["error"] for f in digest["failures"]}
    skipped = {s["path"]: s["reason"] for s in digest["skipped"]}
    # Every good file is in the digest, once; every bad one has exactly one line saying why.
    assert sorted(items) == sorted(_names(corpus.good))
    assert set(failures) == _names(corpus.failed), failures
    assert set(skipped) == _names(corpus.skipped) | also_skipped, skipped
    assert len(digest["failures"]) == len(failures) and len(digest["skipped"]) == len(skipped)

    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed_lines) == len(corpus.failed), result.stderr
    for path, error in failures.items():
        assert f"failed: {path}: {error}" in failed_lines
        assert ": " in error and "\n" not in error  # the problem, then the fix, on one line

    # Names are escaped: no raw escape sequence, no forged summary line.
    output = result.stdout + result.stderr
    assert "\x1b" not in output
    assert not any(line.startswith("digest: 99") for line in output.splitlines())
    assert len([line for line in result.stdout.splitlines() if line.startswith("digest: ")]) == 1


def _everything_published(day: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in [*day.rglob("*"), day.parent / "index.html", day.parent / "feed.xml"]
        if p.is_file()
    )


def test_one_run_over_the_corpus_finishes_with_a_line_per_bad_file(
    corpus: bad_inputs.Corpus, tiny_model_dir: Path
) -> None:
    result, digest, day = _run(corpus, tiny_model_dir)
    out = display_path(corpus.inbox / "digests")
    _check(result, digest, corpus, also_skipped={out})

    failures = {Path(f["path"]).name: f["error"] for f in digest["failures"]}
    assert failures["empty.txt"].startswith("file is empty")
    assert failures["binary-elf.txt"].startswith("binary file")
    assert "over the 256.0 KiB limit" in failures["huge.txt"]
    assert failures["ar-windows-1256.txt"].startswith("not UTF-8 text")
    assert "--follow-outside-links" in failures["passwd.txt"] and "--follow-outside-links" in failures["outside.txt"]
    for name in ("proc-status.txt", "dev-zero.txt"):
        assert "nothing under /dev, /proc or /sys is read" in failures[name]
    assert failures["broken.txt"].startswith("broken symbolic link")
    assert failures["scan-no-text.pdf"].startswith("PDF has no text layer")

    # Nothing outside the inbox, and nothing of the system, reaches what is published.
    published = _everything_published(day)
    assert "root:x:0:0" not in published and "API_KEY" not in published and "VmRSS" not in published

    languages = {Path(item["path"]).name: item["language"] for item in digest["items"]}
    assert languages["utf16le-no-bom-hi.txt"] == "hi" and languages["utf16be-no-bom-ur.txt"] == "ur"
    assert languages["scraped-menus-hi.txt"] == "hi" and languages["mixed-hi-en.txt"] == "hi"
    assert languages["article-ur.txt"] == "ur"  # 600 folders down


def test_a_second_run_never_reads_digests_own_output(corpus: bad_inputs.Corpus, tiny_model_dir: Path) -> None:
    out = corpus.inbox / "digests"
    if not out.is_dir():
        pytest.skip("needs the first run's output")
    day = next(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    archive = corpus.inbox / "archive"
    archive.mkdir(exist_ok=True)
    shutil.copy(day / "digest.md", archive / "digest.md")
    translation = next((day / "translations").glob("*.en.md"))
    shutil.copy(translation, archive / translation.name)

    result, digest, _ = _run(corpus, tiny_model_dir)
    copies = {display_path(archive / "digest.md"), display_path(archive / translation.name)}
    _check(result, digest, corpus, also_skipped={display_path(out)} | copies)
    assert digest["stats"]["segments_translated"] == 0  # every good file was served from the store
    for copy in copies:
        assert "digest" in {s["path"]: s["reason"] for s in digest["skipped"]}[copy]
