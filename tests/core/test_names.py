"""File names as text: escaped for people, lossless as state keys."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest

from core.names import display_path, key_path, path_key
from core.records import Digest, DigestEntry, Failure, Route, Skipped
from digest.atomic import write_text_atomic
from digest.render import digest_from_json, digest_to_json, digest_to_markdown
from digest.state import FileRecord, StateStore


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("plain/नमस्ते.txt", "plain/नमस्ते.txt"),
        ("نامه\u200cها.txt", "نامه\u200cها.txt"),  # ZWNJ is part of Persian spelling: kept
        (os.fsdecode(b"\xff\xfe.txt"), "\\xff\\xfe.txt"),
        ("evil\x1b[31m\nnext\ttab\r.txt", "evil\\x1b[31m\\nnext\\ttab\\r.txt"),
        ("csi\x9b2J.txt", "csi\\x9b2J.txt"),
        ("rtl\u202etxt.exe", "rtl\\u202etxt.exe"),
        ("back\\slash.txt", "back\\slash.txt"),
    ],
)
def test_display_path_escapes_what_a_terminal_would_act_on(name: str, shown: str) -> None:
    assert display_path(name) == shown
    assert display_path(Path(name)) == shown
    assert display_path(shown) == shown  # shown names pass through unchanged (digest.json round trip)
    shown.encode("utf-8")  # always writable


def test_path_key_of_a_name_that_is_not_utf8_is_a_lossless_uri(tmp_path: Path) -> None:
    odd = tmp_path / os.fsdecode(b"a\xffb.txt")
    literal = tmp_path / "a\\xffb.txt"  # the escaped spelling, as a real name
    assert path_key(odd) == f"file://{tmp_path}/a%FFb.txt"
    assert path_key(path_key(odd)) == path_key(odd)
    assert key_path(path_key(odd)) == odd
    assert path_key(literal) == str(literal) != path_key(odd)


def test_the_state_store_keeps_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    odd = tmp_path / os.fsdecode(b"\xff.txt")
    record = FileRecord(
        path=str(odd), sha256="aaa", language="en", confidence=1.0, route="identity", model=None,
        model_revision=None, summarizer="extractive", translation_path=None, title="t", summary="s",
        source_url=None, processed_at="2024-05-01T00:00:00+00:00",
    )
    with StateStore.open(tmp_path / "out") as store:
        store.put_file(record)
        assert store.get_file(odd) is not None
        assert store.get_file(tmp_path / "\\xff.txt") is None
        assert store.mark_digested([odd], date="2024-05-01", at="2024-05-01T00:00:00+00:00") == 1


ODD = DigestEntry(
    path="in/" + os.fsdecode(b"\xff") + "\x1b[2J.txt", title="", language="en", confidence=1.0,
    route=Route.IDENTITY, model=None, summary="s", source_url="javascript:alert(1)",
    link="file:///in/%FF%1B%5B2J.txt", translation="translations/document.en.md",
)


def test_digest_json_holds_shown_names_and_only_http_source_urls() -> None:
    d = Digest(
        generated_at="2024-05-01T00:00:00+00:00", date="2024-05-01", inputs=(os.fsdecode(b"in\xff"),),
        items=(ODD, dataclasses.replace(ODD, path="b.txt", source_url="https://example.org/b")),
        failures=(Failure("bad\n" + os.fsdecode(b"\xfe"), "binary"),),
        skipped=(Skipped("x\x07.jpg", "not text"),),
    )
    text = digest_to_json(d)
    data = json.loads(text)
    assert data["inputs"] == ["in\\xff"]
    assert data["items"][0]["path"] == "in/\\xff\\x1b[2J.txt"
    assert [i["source_url"] for i in data["items"]] == [None, "https://example.org/b"]
    assert data["failures"][0]["path"] == "bad\\n\\xfe" and data["skipped"][0]["path"] == "x\\x07.jpg"
    assert digest_to_json(digest_from_json(text)) == text
    markdown = digest_to_markdown(d)
    assert "\x1b" not in markdown and "\x07" not in markdown and "bad\\\\n\\\\xfe" in markdown


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o027, 0o640)])
def test_atomic_writes_follow_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    site = tmp_path / "site"
    old = os.umask(mask)
    try:
        write_text_atomic(site / "page.html", "<p>hi</p>\n")
        write_text_atomic(site / "page.html", "<p>again</p>\n")  # replacing keeps to the umask
    finally:
        os.umask(old)
    assert stat.S_IMODE((site / "page.html").stat().st_mode) == mode
    assert [p.name for p in site.iterdir()] == ["page.html"]


def test_inside_remembered_keys_each_path_is_resolved_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core import names

    target = tmp_path / "doc.txt"
    target.write_text("x", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    resolved: list[Path] = []
    original = Path.resolve

    def counting(self: Path, strict: bool = False) -> Path:
        resolved.append(self)
        return original(self, strict=strict)

    monkeypatch.setattr(Path, "resolve", counting)
    with names.remembered_keys():
        keys = {names.path_key(link) for _ in range(5)} | {names.path_key(str(target))}
        assert names.path_key(names.path_key(link)) == str(target)
    assert keys == {str(target)}
    assert len(resolved) == 1  # the link, once; the target is known as its key
    # Outside the block nothing is remembered: a link pointed elsewhere is seen.
    other = tmp_path / "other.txt"
    other.write_text("y", encoding="utf-8")
    link.unlink()
    link.symlink_to(other)
    assert names.path_key(link) == str(other)
