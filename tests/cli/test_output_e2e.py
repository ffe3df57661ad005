"""What `digest` writes and prints, as users see it: odd file names, file modes, usage errors, source URLs.

Every run here uses `--lang en --summarizer extractive`, so no model is needed.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import load_digest, run_cli

UNDECODABLE = os.fsdecode(b"\xff.txt")  # a name that is not UTF-8
FORGED = "digest: 99 of 99 files (en 99); 0 failed"
EVIL = f"evil\x1b[31m\n{FORGED}.txt"  # an escape sequence and a line break in a name
ENGLISH = "The council met on Monday. It approved the new budget for the library.\n"


def _run(*args: str | Path) -> object:
    return run_cli("run", *args, "--lang", "en", "--summarizer", "extractive")


@pytest.fixture
def odd_inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / UNDECODABLE).write_text(ENGLISH, encoding="utf-8")
    (inbox / EVIL).write_text(ENGLISH, encoding="utf-8")
    (inbox / "plain.txt").write_text(ENGLISH, encoding="utf-8")
    return inbox


@pytest.fixture
def umask() -> Iterator[Any]:
    """Set the umask the `digest` subprocess inherits; restored afterwards."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


# --- names that are not UTF-8, or hold control characters ----------------------------------------


def test_a_name_that_is_not_utf8_is_processed_and_shown_escaped(odd_inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(odd_inbox, "--out", out)
    assert result.returncode == 0, result.stderr
    day, digest = load_digest(out)
    items = {Path(item["path"]).name: item for item in digest["items"]}
    evil = "evil\\x1b[31m\\ndigest: 99 of 99 files (en 99); 0 failed.txt"
    assert set(items) == {"\\xff.txt", evil, "plain.txt"}
    odd = items["\\xff.txt"]
    assert odd["link"].endswith("/inbox/%FF.txt")  # the exact name, for machines
    assert (day / odd["translation"]).is_file()
    assert "/inbox/\\xff.txt\n" in (day / odd["translation"]).read_text(encoding="utf-8").replace("\\\\", "\\")
    assert digest["stats"]["files"] == 3 and digest["failures"] == []

    # The state store knows the file: a second run finds every file unchanged.
    again = _run(odd_inbox, "--out", out)
    assert again.returncode == 0, again.stderr
    _, digest = load_digest(out)
    assert digest["stats"]["files_unchanged"] == 3 and len(digest["items"]) == 3


def test_control_characters_in_names_never_reach_the_terminal_or_the_pages(
    odd_inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (odd_inbox / "plain.txt").write_bytes(b"\x00\x01\x02\x03" * 50)  # fails: binary, listed by name
    (odd_inbox / f"bad\x1b]0;owned\x07{UNDECODABLE}").write_bytes(b"\x00" * 100)
    result = _run(odd_inbox, "--out", out)
    assert result.returncode == 1
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
        assert FORGED not in stream.splitlines()  # no forged summary line of its own
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert any("bad\\x1b]0;owned\\x07\\xff.txt" in line for line in failed), result.stderr
    day, digest = load_digest(out)
    for page in [day / "digest.md", day / "digest.html", out / "index.html", out / "feed.xml",
                 *(day / "translations").iterdir()]:
        text = page.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\x07" not in text, page
        assert FORGED not in text.splitlines(), page
    # The reader's page only counts the failures; digest.json names the file, escaped (below).
    assert "2 documents could not be processed" in (day / "digest.html").read_text(encoding="utf-8")
    paths = [f["path"] for f in digest["failures"]]
    assert any(p.endswith("bad\\x1b]0;owned\\x07\\xff.txt") for p in paths), paths


def test_detect_and_translate_show_odd_names_escaped(odd_inbox: Path, tmp_path: Path) -> None:
    detected = run_cli("detect", odd_inbox, "--lang", "en")
    assert detected.returncode == 0, detected.stderr
    assert "\x1b" not in detected.stdout and "\\xff.txt\ten" in detected.stdout
    assert FORGED not in detected.stdout.splitlines()
    as_json = run_cli("detect", odd_inbox, "--lang", "en", "--json")
    assert {Path(row["path"]).name for row in json.loads(as_json.stdout)} >= {"\\xff.txt"}

    target = tmp_path / "english.md"
    translated = run_cli("translate", odd_inbox / EVIL, "--lang", "en", "-o", target)
    assert translated.returncode == 0, translated.stderr
    assert "\x1b" not in translated.stderr and len(translated.stderr.splitlines()) == 1


def test_schedule_install_keeps_the_exact_bytes_of_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    inbox = tmp_path / os.fsdecode(b"in\xffbox")
    inbox.mkdir()
    crontab = tmp_path / "crontab"
    result = run_cli("schedule", "install", inbox, "--at", "02:30", "--out", tmp_path / "out",
                     "--crontab-file", crontab)
    assert result.returncode == 0, result.stderr
    assert b"/in\xffbox" in crontab.read_bytes()  # cron runs the real path
    shown = run_cli("schedule", "show", "--crontab-file", crontab)
    assert shown.returncode == 0 and "in\\xffbox" in shown.stdout

    systemd = run_cli("schedule", "install", inbox, "--at", "02:30", "--out", tmp_path / "out",
                      "--systemd", "--unit-dir", tmp_path / "units")
    assert systemd.returncode == 1
    assert systemd.stderr.splitlines() == [
        f"error: {tmp_path}/in\\xffbox is not a UTF-8 name, which a systemd unit cannot hold: "
        "drop --systemd to use cron, or rename it"
    ]


# --- modes of published files ---------------------------------------------------------------------


def _published(out: Path) -> list[Path]:
    day, _ = load_digest(out)
    return [out / "index.html", out / "feed.xml", day / "digest.json", day / "digest.md",
            day / "digest.html", *(day / "translations").iterdir()]


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_published_files_follow_the_umask(umask: Any, tmp_path: Path, mask: int, mode: int) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text(ENGLISH, encoding="utf-8")
    umask(mask)
    out = tmp_path / "out"
    assert _run(inbox, "--out", out).returncode == 0
    target = tmp_path / "a.en.txt"
    assert run_cli("translate", inbox / "a.txt", "--lang", "en", "-o", target).returncode == 0
    for path in [*_published(out), target]:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    assert not list(out.rglob("*.tmp"))


# --- usage errors exit 2 with one line -----------------------------------------------------------


def _usage_error(result: object) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "unexpected" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("at", ["25:00", "2:3", "noon", "12:60", ""])
def test_an_invalid_at_is_a_usage_error(tmp_path: Path, at: str) -> None:
    line = _usage_error(run_cli("schedule", "install", tmp_path, "--at", at, "--crontab-file", tmp_path / "c"))
    assert "HH:MM" in line
    assert not (tmp_path / "c").exists()


def test_a_negative_max_file_bytes_is_a_usage_error(tmp_path: Path) -> None:
    assert "max_file_bytes" in _usage_error(_run(tmp_path, "--out", tmp_path / "o", "--max-file-bytes", "-1"))
    env = {"DIGEST_MAX_FILE_BYTES": "-5"}
    assert "max_file_bytes" in _usage_error(
        run_cli("run", tmp_path, "--out", tmp_path / "o", "--lang", "en", "--summarizer", "extractive", env=env)
    )


def test_an_out_that_names_a_file_is_a_usage_error(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text(ENGLISH, encoding="utf-8")
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    assert "is a file" in _usage_error(_run(inbox, "--out", afile))
    assert "not a directory" in _usage_error(_run(inbox, "--out", afile / "sub"))
    assert "is a file" in _usage_error(
        run_cli("schedule", "install", inbox, "--at", "02:30", "--out", afile, "--crontab-file", tmp_path / "c")
    )
    assert afile.read_text() == "mine\n"


def test_an_out_under_a_read_only_parent_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, whom no mode bit stops: the refusal a read-only parent gives is simulated.
    import errno

    from typer.testing import CliRunner

    from cli import app

    locked = tmp_path / "locked"
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if self == locked / "out":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(locked / "out"), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"error: cannot create output folder {locked}/out (permission denied): choose another with --out"
    ]

    monkeypatch.setattr(Path, "mkdir", real_mkdir)
    real_access = os.access
    def access(path: Any, *args: Any, **kwargs: Any) -> bool:
        return Path(path) != tmp_path / "ro" and real_access(path, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "ro"), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"error: output folder {tmp_path}/ro is not writable: fix its permissions or choose another with --out"
    ]


def test_a_translations_path_that_is_a_file_is_a_usage_error_before_any_work(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text(ENGLISH, encoding="utf-8")
    out = tmp_path / "out"
    first = _run(inbox, "--out", out)
    assert first.returncode == 0
    day, _ = load_digest(out)
    (day / "digest.json").unlink()
    for stale in (day / "translations").iterdir():
        stale.unlink()
    (day / "translations").rmdir()
    (day / "translations").write_text("not a folder\n")
    line = _usage_error(_run(inbox, "--out", out))
    assert "translations is a file" in line
    assert not (day / "digest.json").exists()  # nothing was written


# --- source_url --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>x</script>", "file:///etc/passwd"]
)
def test_source_url_in_digest_json_is_only_ever_http(tmp_path: Path, url: str) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text(f"{ENGLISH}\nSource: {url}\n", encoding="utf-8")
    (inbox / "b.txt").write_text(f"{ENGLISH}\nSource: https://example.org/b\n", encoding="utf-8")
    out = tmp_path / "out"
    assert _run(inbox, "--out", out).returncode == 0
    day, digest = load_digest(out)
    items = {Path(item["path"]).name: item for item in digest["items"]}
    assert items["a.txt"]["source_url"] is None
    assert items["a.txt"]["link"].startswith("file://")
    assert items["b.txt"]["source_url"] == "https://example.org/b"
    # Served again from the state store, the URL is still not there.
    (day / "digest.json").unlink()
    assert _run(inbox, "--out", out).returncode == 0
    _, again = load_digest(out)
    assert {Path(i["path"]).name: i["source_url"] for i in again["items"]}["a.txt"] is None
