"""Nightly use end to end: incremental reruns, crash recovery, locking, hostile documents."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli.helpers import SAMPLES, committed_rows, digest_command, load_digest, run_cli

pytestmark = pytest.mark.e2e

HINDI = SAMPLES / "hi-quang-nam-party-members-2024.txt"
URDU = SAMPLES / "ur-hai-duong-organising-committee-q1-2024.txt"


def _inbox(tmp_path: Path, *files: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for f in files:
        shutil.copy(f, inbox / f.name)
    return inbox


def test_second_run_translates_nothing(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, HINDI, URDU)
    out = tmp_path / "out"
    first = run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out)
    assert first.returncode == 0, first.stderr
    _, one = load_digest(out)
    assert one["stats"]["segments_translated"] > 0

    second = run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out)
    assert second.returncode == 0, second.stderr
    _, two = load_digest(out)
    assert two["stats"]["segments_translated"] == 0
    assert two["stats"]["files_unchanged"] == 2
    # Without --new-only every file is still listed, served from the store unchanged.
    assert [(i["path"], i["summary"]) for i in two["items"]] == [(i["path"], i["summary"]) for i in one["items"]]
    assert "0 segments translated" in second.stdout


def test_changed_file_reuses_its_unchanged_sentences(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, HINDI)
    out = tmp_path / "out"
    assert run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out).returncode == 0
    _, one = load_digest(out)
    doc = inbox / HINDI.name
    doc.write_text(doc.read_text(encoding="utf-8") + "\nयह एक नया वाक्य है जो बाद में जोड़ा गया।\n", encoding="utf-8")
    assert run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out).returncode == 0
    _, two = load_digest(out)
    assert two["stats"]["segments_translated"] == 1
    assert two["stats"]["segments_from_cache"] == one["stats"]["segments_translated"]


def test_new_only_lists_only_new_files_on_a_later_night(tiny_model_dir: Path, tmp_path: Path) -> None:
    from digest.pipeline import run_digest
    from digest.settings import resolve_settings

    inbox = _inbox(tmp_path, HINDI)
    out = tmp_path / "out"
    settings = resolve_settings(
        {"model_dir": tiny_model_dir, "out_dir": out, "new_only": True, "summarizer": "extractive"}
    )
    night1 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    first = run_digest([inbox], settings=settings, now=night1)
    assert [Path(i.path).name for i in first.digest.items] == [HINDI.name]

    shutil.copy(URDU, inbox / URDU.name)
    second = run_digest([inbox], settings=settings, now=night1 + timedelta(days=1))
    assert [Path(i.path).name for i in second.digest.items] == [URDU.name]
    assert second.digest.stats.files_unchanged == 1

    third = run_digest([inbox], settings=settings, now=night1 + timedelta(days=2))
    assert third.digest.items == () and third.exit_code == 0
    assert "Nothing new" in (out / "2026-11-22" / "digest.md").read_text(encoding="utf-8")
    feed = ET.parse(out / "feed.xml").getroot()
    assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == 3

    skip = resolve_settings({"model_dir": tiny_model_dir, "out_dir": out, "new_only": True,
                             "summarizer": "extractive", "skip_empty": True})
    fourth = run_digest([inbox], settings=skip, now=night1 + timedelta(days=3))
    assert fourth.day_dir is None and not (out / "2026-11-23").exists()
    feed = ET.parse(out / "feed.xml").getroot()
    assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == 3  # no empty entry for a quiet night


def test_installed_job_runs_under_cron_with_the_settings_it_was_installed_with(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    inbox = _inbox(tmp_path, HINDI)
    out = tmp_path / "out"
    crontab = tmp_path / "crontab"
    config = tmp_path / "config.toml"
    config.write_text('summarizer = "extractive"\n', encoding="utf-8")
    installed = run_cli(
        "schedule", "install", inbox, "--at", "02:30", "--out", out, "--crontab-file", crontab,
        "--config", config, env={"DIGEST_MODEL_DIR": str(tiny_model_dir)},
    )
    assert installed.returncode == 0, installed.stderr
    (line,) = [entry for entry in crontab.read_text().splitlines() if entry.endswith("# digest-nightly")]
    command = line.split(" ", 5)[5].replace("\\%", "%")

    # As cron runs it: /bin/sh in a bare environment, from an empty home with no config file.
    # PYTHONPATH only points the installed `digest` script at this checkout.
    home = tmp_path / "cron-home"
    home.mkdir()
    bare = {"HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    subprocess.run(["/bin/sh", "-c", command], env=bare, cwd=home, check=True, timeout=300)

    log = (out / ".digest" / "nightly.log").read_text(encoding="utf-8")
    assert "error" not in log and "digest: 1 of 1 files" in log
    assert not (out / "digest.log").exists()
    _, digest = load_digest(out)
    (item,) = digest["items"]
    assert item["model"] == "Helsinki-NLP/opus-mt-hi-en" and item["language"] == "hi"
    feed = ET.parse(out / "feed.xml").getroot()
    (entry,) = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert entry.findtext("{http://www.w3.org/2005/Atom}title", "").endswith(": 1 document — Hindi")


def _big_corpus(folder: Path, files: int) -> int:
    """Hindi documents whose sentences are all distinct, so the memory cannot shortcut them."""
    folder.mkdir()
    from core.segment import segment_text

    sentences = [s.strip() for s in HINDI.read_text(encoding="utf-8").split("।") if len(s.strip()) > 20][:12]
    total = 0
    for i in range(files):
        body = "\n".join(f"{s} (अंक {i}-{j})।" for j, s in enumerate(sentences))
        (folder / f"doc-{i:03d}.txt").write_text(body + "\n", encoding="utf-8")
        total += len(segment_text(body))
    return total


def _tm_rows(out: Path) -> int:
    return committed_rows(out, "translation_memory")


def test_sigkilled_run_completes_on_restart(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    total = _big_corpus(inbox, files=48)
    out = tmp_path / "out"
    args = ["run", str(inbox), "--model-dir", str(tiny_model_dir), "--out", str(out), "--summarizer", "extractive"]
    proc = subprocess.Popen([*digest_command(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while _tm_rows(out) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed: make the corpus bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _tm_rows(out)
    assert 0 < done_before < total

    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    _, digest = load_digest(out)
    names = [Path(i["path"]).name for i in digest["items"]]
    assert sorted(names) == sorted(f"doc-{i:03d}.txt" for i in range(48))  # nothing missing
    assert len(names) == len(set(names))  # nothing doubled
    stats = digest["stats"]
    assert stats["segments_translated"] <= total - done_before  # finished work was reused
    per_file = total // 48
    assert stats["segments_translated"] + stats["segments_from_cache"] + per_file * stats["files_unchanged"] == total
    leftovers = [p for p in out.rglob("*.tmp")]
    assert leftovers == []


def test_second_run_exits_at_once_while_one_holds_the_lock(tiny_model_dir: Path, tmp_path: Path) -> None:
    from digest.lock import run_lock

    out = tmp_path / "out"
    out.mkdir()
    with run_lock(out):
        started = time.monotonic()
        result = run_cli("run", SAMPLES, "--model-dir", tiny_model_dir, "--out", out, timeout=60)
        assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert result.stderr.startswith("error: another digest run")
    assert "--wait" in result.stderr


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_hostile_documents_render_as_plain_text(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "<script>alert(1)<script>.md").write_text(
        "# <script>alert('title')</script> Breaking news\n\n"
        "The minister said <img src=x onerror=alert(1)> that \u202eevil\u202c text <b><i>broken.\n"
        "Markets closed higher ]]> on Friday & \"quotes\".\n\n"
        "Source: javascript:alert(document.cookie)\n",
        encoding="utf-8",
    )
    (inbox / "data-link.txt").write_text(
        "Officials confirmed the plan on Monday. The budget was approved by parliament.\n\n"
        "Source: data:text/html,<script>alert(2)</script>\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run_cli("run", inbox, "--model-dir", tiny_model_dir, "--out", out, "--summarizer", "extractive")
    assert result.returncode == 0, result.stderr
    day, digest = load_digest(out)
    for page in (day / "digest.html", out / "index.html"):
        html = page.read_text(encoding="utf-8")
        parser = _Tags()
        parser.feed(html)
        assert "script" not in {tag for tag, _ in parser.tags}
        assert "img" not in {tag for tag, _ in parser.tags}
        for _tag, attrs in parser.tags:
            for name, value in attrs:
                assert not name.startswith("on")
                assert not (value or "").strip().lower().startswith(("javascript:", "data:"))
        assert "&lt;script&gt;" in html
    for item in digest["items"]:
        assert item["link"].startswith("file://")  # non-http sources link to the local file
    feed = ET.parse(out / "feed.xml").getroot()  # parses: nothing broke the XML
    text = ET.tostring(feed, encoding="unicode")
    assert "<script>" not in text
    json.loads((day / "digest.json").read_text(encoding="utf-8"))
