"""What users see when inputs are bad: links out of the tree, special files, typos, digest's own output."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.cli.helpers import SAMPLES, inbox_of, load_digest, run_cli

HINDI = "hi-quang-nam-party-members-2024.txt"
URDU = "ur-hai-duong-organising-committee-q1-2024.txt"
EXTRACTIVE = ("--summarizer", "extractive", "--fast")


def _everything_written(out: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in sorted(out.rglob("*")) if p.is_file()
    )


# --- links out of the input tree (no model needed: the run fails them before translating) ---------


def test_detect_refuses_links_out_of_the_inputs_and_follows_them_on_request(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / HINDI
    outside.parent.mkdir()
    shutil.copy(SAMPLES / HINDI, outside)
    inbox = inbox_of(tmp_path)
    (inbox / "passwd.txt").symlink_to("/etc/passwd")
    (inbox / "status.txt").symlink_to("/proc/self/status")
    (inbox / "article.txt").symlink_to(outside)

    result = run_cli("detect", inbox, "--json")
    assert result.returncode == 1
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)}
    assert set(rows) == {"article.txt", "passwd.txt", "status.txt"}
    passwd = os.path.realpath("/etc/passwd")
    assert rows["passwd.txt"]["error"].startswith(f"symbolic link to {passwd}, outside the input folders")
    assert "--follow-outside-links" in rows["article.txt"]["error"]
    assert "nothing under /dev, /proc or /sys is read" in rows["status.txt"]["error"]
    assert "root:" not in result.stdout

    followed = run_cli("detect", inbox, "--json", env={"DIGEST_FOLLOW_OUTSIDE_LINKS": "1"})
    rows = {Path(r["path"]).name: r for r in json.loads(followed.stdout)}
    assert rows["article.txt"]["language"] == "hi"
    assert "error" in rows["status.txt"]  # never read, whatever the option
    flag = run_cli("detect", inbox / "article.txt", inbox / "status.txt", "--follow-outside-links")
    assert flag.returncode == 1
    assert flag.stdout.splitlines()[0].split("\t")[:2] == [str(inbox / "article.txt"), "hi"]


@pytest.mark.e2e
def test_run_publishes_nothing_from_a_link_out_of_the_inputs(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = inbox_of(tmp_path, HINDI)
    (inbox / "x.txt").symlink_to("/etc/passwd")
    (inbox / "status.txt").symlink_to("/proc/self/status")
    out = tmp_path / "out"
    result = run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out, *EXTRACTIVE)
    assert result.returncode == 1
    _, digest = load_digest(out)
    assert [Path(i["path"]).name for i in digest["items"]] == [HINDI]
    failed = {Path(f["path"]).name: f["error"] for f in digest["failures"]}
    assert sorted(failed) == ["status.txt", "x.txt"]
    assert "--follow-outside-links" in failed["x.txt"]
    assert "root:x:0:0" not in _everything_written(out)
    assert sorted(result.stderr.splitlines()) == [
        f"failed: {inbox / 'status.txt'}: {failed['status.txt']}",
        f"failed: {inbox / 'x.txt'}: {failed['x.txt']}",
    ]


# --- special files ----------------------------------------------------------------------------


def test_translate_refuses_a_named_pipe_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    result = run_cli("translate", fifo, timeout=60)  # used to wait forever for a writer
    assert result.returncode == 1
    assert result.stderr == (
        f"error: {fifo}: not a regular file (a named pipe): only regular files are read; "
        "save the text to one\n"
    )


@pytest.mark.parametrize("path", ["/dev/zero", "/proc/self/environ"])
def test_translate_refuses_devices_and_proc_files(path: str) -> None:
    result = run_cli("translate", path, timeout=60)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "is a device or system file" in line
    assert result.stdout == ""


def test_translate_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("translate", tmp_path / "typo.txt")
    assert result.returncode == 2
    assert result.stderr == (
        f"error: input path {tmp_path / 'typo.txt'} does not exist: check the path; "
        "nothing was read or written\n"
    )


# --- a mistyped input ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_mistyped_input_leaves_the_days_digest_alone(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = inbox_of(tmp_path, HINDI)
    out = tmp_path / "out"
    good = run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out, *EXTRACTIVE)
    assert good.returncode == 0, good.stderr
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}

    typo = tmp_path / "inbx"
    result = run_cli("run", typo, "--model-dir", tiny_model_dir, "--out", out, *EXTRACTIVE)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: input path {typo} does not exist: check the path; nothing was read or written\n"
    )
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    assert after == before

    # One good path beside the typo is still a typo: nothing is written, not even a new folder.
    fresh = tmp_path / "fresh"
    mixed = run_cli("run", inbox, typo, "--out", fresh, *EXTRACTIVE)
    assert mixed.returncode == 2 and "inbx" in mixed.stderr
    assert not fresh.exists()


def test_detect_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("detect", SAMPLES, tmp_path / "typo")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: input path {tmp_path / 'typo'} does not exist: ")


def test_an_input_that_is_the_output_folder_is_a_usage_error(tmp_path: Path) -> None:
    inbox = inbox_of(tmp_path, HINDI)
    result = run_cli("run", ".", "--out", inbox, *EXTRACTIVE, cwd=inbox)
    assert result.returncode == 2
    assert result.stderr == (
        "error: input . is the output folder: digest never reads its own output; "
        "put the documents in another folder or choose another --out\n"
    )
    assert sorted(p.name for p in inbox.iterdir()) == [HINDI]


# --- digest's own output inside the inbox --------------------------------------------------------


@pytest.mark.e2e
def test_running_inside_the_inbox_never_reads_its_own_output(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = inbox_of(tmp_path, HINDI, URDU)
    counts = []
    for _ in range(3):
        result = run_cli("run", ".", "--model-dir", tiny_model_dir, *EXTRACTIVE, cwd=inbox)
        assert result.returncode == 0, result.stderr
        _, digest = load_digest(inbox / "digests")
        counts.append(digest["stats"]["files"])
        assert sorted(Path(i["path"]).name for i in digest["items"]) == [HINDI, URDU]
        assert digest["skipped"] == [
            {"path": "digests", "reason": "digest's own output folder: it is never read as input"}
        ]
    assert counts == [2, 2, 2]

    # A copy of the output moved elsewhere (or read with another --out) is still recognised.
    day, _ = load_digest(inbox / "digests")
    shutil.copytree(inbox / "digests", inbox / "archive", ignore=shutil.ignore_patterns(".digest"))
    result = run_cli("run", ".", "--model-dir", tiny_model_dir, "--out", tmp_path / "elsewhere", *EXTRACTIVE,
                     cwd=inbox)
    assert result.returncode == 0, result.stderr
    _, digest = load_digest(tmp_path / "elsewhere")
    assert sorted(Path(i["path"]).name for i in digest["items"]) == [HINDI, URDU]
    skipped = {s["path"]: s["reason"] for s in digest["skipped"]}
    assert skipped["digests"] == "a digest output folder (it holds .digest state): it is never read as input"
    archived = {p: r for p, r in skipped.items() if p.startswith("archive/") and p.endswith(".md")}
    assert len(archived) == 3  # digest.md and two translations
    assert all(r.startswith("written by digest (") for r in archived.values())
    pages = {p: r for p, r in skipped.items() if p.startswith("archive/") and p.endswith(".html")}
    translation_pages = [f"archive/{day.name}/translations/{Path(name).stem}.en.html" for name in (HINDI, URDU)]
    assert sorted(pages) == sorted(["archive/index.html", f"archive/{day.name}/digest.html", *translation_pages])
    assert set(pages.values()) == {"written by digest (a digest's web page): its output is never read as input"}


# --- UTF-16 without a byte order mark -------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_detect_reads_utf16_without_a_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    text = (SAMPLES / URDU).read_text(encoding="utf-8")
    (tmp_path / "urdu.txt").write_bytes(text.encode(encoding))
    result = run_cli("detect", tmp_path / "urdu.txt", "--json")
    assert result.returncode == 0, result.stdout
    (row,) = json.loads(result.stdout)
    assert row["language"] == "ur"
