"""Usage errors, caught before anything is read or written: one `error: ...` line and exit 2.

None of these needs a model: each fails (or, for English and the extractive summarizer, runs)
before any model would be looked at.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import SAMPLES, digest_command, load_digest, run_cli

ENGLISH = SAMPLES / "en-riverside-bike-lanes-2024.txt"
ANSI = re.compile(r"\x1b\[")


def assert_one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command failed as a usage error: exit 2, one `error:` line on stderr, nothing on stdout."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert not ANSI.search(result.stderr) and "╭" not in result.stderr and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run"], "missing argument 'PATH': see `digest run --help`"),
        (["run", "--beams", "many", "."], "invalid value for '--beams'"),
        (["run", "--no-such-option", "."], "no such option: --no-such-option"),
        (["frobnicate"], "no such command 'frobnicate': see `digest --help`"),
        (["models", "frobnicate"], "see `digest models --help`"),
        (["schedule", "install", "."], "missing option '--at'"),
        (["translate"], "missing argument"),
    ],
)
def test_errors_found_while_parsing_are_one_line_like_every_other(args: list[str], expected: str) -> None:
    line = assert_one_error_line(run_cli(*args))
    assert expected in line
    # NO_COLOR or not, the line is plain text.
    assert assert_one_error_line(run_cli(*args, env={"NO_COLOR": "1"})) == line


def test_a_missing_path_is_named_before_any_model_is_looked_at(tmp_path: Path) -> None:
    # No model anywhere, and the hub offline: the path is still the first (and only) thing named.
    result = run_cli("run", "nonexistent/", "--out", tmp_path / "out", env={"HF_HOME": str(tmp_path / "hf")})
    line = assert_one_error_line(result)
    assert "nonexistent" in line and "does not exist" in line and "model" not in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("how", "value", "expected"),
    [
        ("option", "xx", "lang 'xx' is not a language digest can translate"),
        ("option", "hindi", "lang 'hindi' is not a language code"),
        ("environment", "xx", "lang 'xx' is not a language digest can translate"),
        ("config", "xx", "lang 'xx' is not a language digest can translate"),
    ],
)
def test_an_unknown_language_is_a_usage_error_and_publishes_nothing(
    tmp_path: Path, how: str, value: str, expected: str
) -> None:
    out = tmp_path / "out"
    args: list[str | Path] = ["run", SAMPLES, "--out", out, "--summarizer", "extractive"]
    env = {}
    if how == "option":
        args += ["--lang", value]
    elif how == "environment":
        env["DIGEST_LANG"] = value
    else:
        config = tmp_path / "config.toml"
        config.write_text(f'lang = "{value}"\n')
        args += ["--config", config]
    line = assert_one_error_line(run_cli(*args, env=env))
    assert expected in line
    assert "--lang" not in line  # the language given is the problem: passing it again is no fix
    assert "digest models list" in line
    assert not out.exists()


def test_a_language_with_a_route_of_its_own_is_accepted() -> None:
    result = run_cli("detect", "--json", ENGLISH, "--lang", "xx", "--route", "xx=example/opus-mt-xx-en")
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["language"], row["route"], row["model"]) == ("xx", "marian", "example/opus-mt-xx-en")


def test_translate_given_a_folder_points_to_run() -> None:
    line = assert_one_error_line(run_cli("translate", SAMPLES))
    assert f"{SAMPLES} is a folder" in line and f"`digest run {SAMPLES}`" in line


def test_standard_input_is_only_for_translate(tmp_path: Path) -> None:
    tmp_path = tmp_path / "here"
    tmp_path.mkdir()
    for command in ("run", "detect", "inspect"):
        line = assert_one_error_line(run_cli(command, "-", cwd=tmp_path))
        assert "digest translate -" in line
    line = assert_one_error_line(run_cli("run", ENGLISH, "--out", "-", cwd=tmp_path))
    assert "--json" in line
    assert list(tmp_path.iterdir()) == []  # no folder named "-"


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "news.txt").write_bytes(ENGLISH.read_bytes())
    (inbox / "notes.xyz").write_text("Plain words in a file of an unknown type.\n")
    (inbox / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    return inbox


def test_a_file_of_an_unsupported_type_named_on_the_command_line_fails(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)
    out = tmp_path / "out"
    result = run_cli("run", inbox / "news.txt", inbox / "notes.xyz", inbox / "photo.jpg", "--out", out,
                     "--summarizer", "extractive")
    assert result.returncode == 1, result.stderr
    assert f"failed: {inbox / 'notes.xyz'}: unsupported file type .xyz: only .txt" in result.stderr
    assert f"failed: {inbox / 'photo.jpg'}: unsupported file type .jpg" in result.stderr
    _, digest = load_digest(out)
    assert [Path(i["path"]).name for i in digest["items"]] == ["news.txt"]
    assert sorted(Path(f["path"]).name for f in digest["failures"]) == ["notes.xyz", "photo.jpg"]

    detected = run_cli("detect", "--json", inbox / "notes.xyz")
    assert detected.returncode == 1
    assert "unsupported file type .xyz" in json.loads(detected.stdout)[0]["error"]
    inspected = run_cli("inspect", inbox / "photo.jpg")
    assert inspected.returncode == 1 and "error: unsupported file type .jpg" in inspected.stdout

    translated = run_cli("translate", inbox / "notes.xyz")
    assert translated.returncode == 1
    assert translated.stderr.startswith(f"error: {inbox / 'notes.xyz'}: unsupported file type .xyz")
    assert "digest translate -" in translated.stderr


def test_files_of_other_types_found_in_a_folder_are_skipped(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)
    out = tmp_path / "out"
    result = run_cli("run", inbox, "--out", out, "--summarizer", "extractive")
    assert result.returncode == 0, result.stderr
    _, digest = load_digest(out)
    assert digest["failures"] == []
    assert sorted(Path(s["path"]).name for s in digest["skipped"]) == ["notes.xyz", "photo.jpg"]


def _translate(
    *args: str | Path, stdin: bytes, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*digest_command(), "translate", *map(str, args)], input=stdin, capture_output=True,
                          cwd=cwd, timeout=120, env={**os.environ, **(env or {})}, check=False)


def test_translate_reads_standard_input_and_writes_standard_output(tmp_path: Path) -> None:
    tmp_path = tmp_path / "here"
    tmp_path.mkdir()
    text = ENGLISH.read_text(encoding="utf-8")
    plain = _translate("-", stdin=text.encode("utf-8"), cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.decode("utf-8") == _translate(ENGLISH, stdin=b"", cwd=tmp_path).stdout.decode("utf-8")
    assert "Riverside" in plain.stdout.decode("utf-8")
    # Decoded as files are: UTF-16 with its byte order mark reads the same.
    assert _translate("-", stdin=text.encode("utf-16"), cwd=tmp_path).stdout == plain.stdout
    # -o - is standard output, not a file named "-".
    dashed = _translate("-", "-o", "-", stdin=text.encode("utf-8"), cwd=tmp_path)
    assert dashed.returncode == 0 and dashed.stdout == plain.stdout
    assert list(tmp_path.iterdir()) == []


def test_translate_names_standard_input_in_its_errors(tmp_path: Path) -> None:
    empty = _translate("-", stdin=b"", cwd=tmp_path)
    assert empty.returncode == 1
    assert empty.stderr.decode() == "error: standard input: file is empty: nothing to translate\n"
    large = _translate("-", stdin=b"word " * 100, cwd=tmp_path, env={"DIGEST_MAX_FILE_BYTES": "100"})
    assert large.returncode == 1
    assert large.stderr.decode().startswith("error: standard input: more than the 100 bytes limit: raise it")
    both = _translate("-", "-o", "-", "--json", stdin=b"Some words.\n", cwd=tmp_path)
    assert both.returncode == 2 and both.stderr.decode().startswith("error: --json and -o - both print on stdout")
