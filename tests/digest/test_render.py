"""digest.json / digest.md rendering: golden files, the JSON contract, escaping of document text."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from core.records import Digest, DigestEntry, Failure, Route, Skipped, Stats
from digest.render import (
    clean_text,
    digest_from_json,
    digest_to_json,
    digest_to_markdown,
    is_web_url,
    language_name,
    md_block,
    md_inline,
    safe_link,
    translation_to_markdown,
)

GOLDEN = Path(__file__).parent / "golden"

HINDI = DigestEntry(
    path="samples/hi-quang-nam-party-members-2024.txt",
    title="2024 में क्वांग नाम प्रांत की पार्टी ने 2,203 नए सदस्य शामिल किए",
    language="hi",
    confidence=0.999,
    route=Route.MARIAN,
    model="Helsinki-NLP/opus-mt-hi-en",
    summary=(
        "In 2024, the provincial party building sector will focus on advising on 29 key tasks.\n\n"
        "It admitted 2,203 new members."
    ),
    source_url="https://baoquangnam.vn/nam-2024-dang-bo-tinh-quang-nam-ket-nap-2-203-dang-vien-moi-3146881.html",
    link="https://baoquangnam.vn/nam-2024-dang-bo-tinh-quang-nam-ket-nap-2-203-dang-vien-moi-3146881.html",
    translation="translations/hi-quang-nam-party-members-2024.en.md",
)
URDU = DigestEntry(
    path="samples/ur-hai-duong-organising-committee-q1-2024.txt",
    title="مرکزی تنظیمی کمیٹی نے پہلی سہ ماہی کا جائزہ لیا",
    language="ur",
    confidence=0.97,
    route=Route.NLLB,
    model="facebook/nllb-200-distilled-600M",
    summary="The Central Organizing Committee held an online conference to review the first quarter of 2024.",
    source_url=None,
    link="file:///srv/news/samples/ur-hai-duong-organising-committee-q1-2024.txt",
    translation="translations/ur-hai-duong-organising-committee-q1-2024.en.md",
)
ENGLISH = DigestEntry(
    path="samples/en-harbour-report.txt",
    title="Harbour traffic [weekly] report",
    language="en",
    confidence=0.9,
    route=Route.IDENTITY,
    model=None,
    summary="Traffic rose by 4% *again* this week.",
    source_url="https://example.org/harbour?week=12&lang=en",
    link="https://example.org/harbour?week=12&lang=en",
    translation="translations/en-harbour-report.en.md",
)


def sample_digest() -> Digest:
    """A fixed digest: Hindi, Urdu and English entries, one failure, one skipped file."""
    return Digest(
        generated_at="2024-04-02T03:00:00+05:30",
        date="2024-04-02",
        inputs=("samples",),
        items=(ENGLISH, HINDI, URDU),
        failures=(Failure("samples/broken.txt", "not valid UTF-8 text: save it as UTF-8 and run again"),),
        skipped=(Skipped("samples/photo.jpg", "not a text file"),),
        stats=Stats(files=5, segments_translated=42, segments_from_cache=3, files_unchanged=1, seconds=12.34),
    )


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs; rerun with UPDATE_GOLDEN=1 if intended"
    )


def test_markdown_matches_golden() -> None:
    _golden("digest.md", digest_to_markdown(sample_digest()))


def test_json_matches_golden() -> None:
    _golden("digest.json", digest_to_json(sample_digest()))


def test_json_has_exactly_the_contract_keys() -> None:
    data = json.loads(digest_to_json(sample_digest()))
    assert list(data) == ["version", "generated_at", "date", "inputs", "items", "failures", "skipped", "stats"]
    assert data["version"] == 1
    assert list(data["items"][0]) == [
        "path",
        "title",
        "language",
        "languages",
        "confidence",
        "route",
        "model",
        "summary",
        "source_url",
        "link",
        "translation",
        "original_title",
        "published",
    ]
    assert [i["route"] for i in data["items"]] == ["identity", "marian", "nllb"]
    assert data["items"][0]["model"] is None
    assert data["items"][2]["source_url"] is None
    assert data["failures"] == [
        {"path": "samples/broken.txt", "error": "not valid UTF-8 text: save it as UTF-8 and run again"}
    ]
    assert list(data["stats"]) == [
        "files",
        "segments_translated",
        "segments_from_cache",
        "files_unchanged",
        "seconds",
        "lines_removed",
    ]


def test_json_keeps_non_ascii_text_and_ends_with_newline() -> None:
    text = digest_to_json(sample_digest())
    assert "क्वांग" in text and "مرکزی" in text
    assert text.endswith("}\n")


def test_json_rounds_confidence_and_seconds() -> None:
    entry = DigestEntry(
        "a", "t", "hi", 0.98765, Route.MARIAN, "m", "s", None, "file:///a", "translations/a.en.md"
    )
    d = Digest("2024-01-01T00:00:00+00:00", "2024-01-01", (), (entry,), stats=Stats(seconds=1.23456))
    data = json.loads(digest_to_json(d))
    assert data["items"][0]["confidence"] == 0.988
    assert data["stats"]["seconds"] == 1.23


def test_json_round_trip() -> None:
    d = sample_digest()
    assert digest_from_json(digest_to_json(d)) == d


def test_json_round_trip_of_empty_digest() -> None:
    d = Digest("2024-04-03T03:00:00+00:00", "2024-04-03", ("samples",), ())
    assert digest_from_json(digest_to_json(d)) == d


def test_older_digest_without_optional_keys_loads() -> None:
    data = json.loads(digest_to_json(sample_digest()))
    del data["version"]  # written before digest.json had one: version 1
    del data["skipped"]
    del data["stats"]["files_unchanged"]
    del data["stats"]["seconds"]
    del data["items"][0]["model"]
    loaded = digest_from_json(json.dumps(data))
    assert loaded.skipped == ()
    assert loaded.stats == Stats(files=5, segments_translated=42, segments_from_cache=3)
    assert loaded.items[0].model is None


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_a_version_this_digest_cannot_read_raises_value_error(version: object) -> None:
    data = json.loads(digest_to_json(sample_digest()))
    data["version"] = version
    with pytest.raises(ValueError, match="version"):
        digest_from_json(json.dumps(data))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"date": "2024-04-02", "items": []}',
        '{"generated_at": "2024-04-02T03:00:00", "date": "yesterday", "items": []}',
        '{"generated_at": "2024-04-02T03:00:00", "date": "2024-02-30", "items": []}',
        '{"generated_at": "soon", "date": "2024-04-02", "items": []}',
        '{"generated_at": "2024-04-02T03:00:00", "date": "2024-04-02"}',
        '{"generated_at": "2024-04-02T03:00:00", "date": "2024-04-02", "items": {}}',
        '{"generated_at": "2024-04-02T03:00:00", "date": "2024-04-02", "items": [1]}',
        '{"generated_at": "2024-04-02T03:00:00", "date": "2024-04-02", "items": [], "stats": {"files": "3"}}',
        '{"generated_at": "2024-04-02T03:00:00", "date": "2024-04-02", "items": [], "failures": [{"p": 1}]}',
    ],
)
def test_malformed_json_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        digest_from_json(text)


def test_unknown_route_and_bad_confidence_raise_value_error() -> None:
    data = json.loads(digest_to_json(sample_digest()))
    data["items"][0]["route"] = "google"
    with pytest.raises(ValueError, match="route"):
        digest_from_json(json.dumps(data))
    data["items"][0]["route"] = "identity"
    data["items"][0]["confidence"] = True
    with pytest.raises(ValueError, match="confidence"):
        digest_from_json(json.dumps(data))


def test_nothing_new_digest() -> None:
    d = Digest("2024-04-03T03:00:00+00:00", "2024-04-03", ("samples",), ())
    assert digest_to_markdown(d) == "# Digest — 2024-04-03\n\nNothing new today.\n"


def test_markdown_entry_lines() -> None:
    md = digest_to_markdown(sample_digest())
    assert "3 documents in English, Hindi and Urdu; 1 failure; 1 skipped." in md
    assert "Hindi (hi) · 100% confidence · Helsinki-NLP/opus-mt-hi-en" in md
    assert "Urdu (ur) · 97% confidence · facebook/nllb-200-distilled-600M" in md
    assert "English (en) · 90% confidence · already English" in md
    assert f"[Original source]({HINDI.source_url})" in md
    assert f"[Original file]({URDU.link})" in md
    assert "[Full English translation](translations/ur-hai-duong-organising-committee-q1-2024.en.md)" in md
    assert "- samples/broken.txt — not valid UTF-8 text" in md


def test_language_names() -> None:
    assert [language_name(c) for c in ("hi", "ur", "fa", "ar", "mr", "en")] == [
        "Hindi",
        "Urdu",
        "Persian",
        "Arabic",
        "Marathi",
        "English",
    ]
    assert language_name("xyz") == "xyz"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a", True),
        ("HTTP://EXAMPLE.ORG", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("file:///etc/passwd", False),
        ("http://", False),
        ("https:///path-only", False),
        ("//example.org/a", False),
        ("ftp://example.org/a", False),
        (" https://example.org", False),
        ("https://exa mple.org", False),
        ("https://example.org/\x00", False),
        ("http://[::1", False),
        ("", False),
        (None, False),
    ],
)
def test_is_web_url(url: str | None, expected: bool) -> None:
    assert is_web_url(url) is expected


def test_safe_link_falls_back_to_the_local_file() -> None:
    hostile = DigestEntry(
        "a.txt",
        "t",
        "hi",
        0.5,
        Route.MARIAN,
        "m",
        "s",
        "javascript:alert(1)",
        "javascript:alert(1)",
        "t.en.md",
    )
    assert safe_link(hostile) is None
    local = DigestEntry(
        "a.txt", "t", "hi", 0.5, Route.MARIAN, "m", "s", "data:text/html,x", "file:///a.txt", "t"
    )
    assert safe_link(local) == "file:///a.txt"
    assert safe_link(HINDI) == HINDI.source_url


def test_hostile_source_url_is_not_linked_in_markdown() -> None:
    entry = DigestEntry(
        "in/a.txt",
        "Title",
        "hi",
        0.5,
        Route.MARIAN,
        "m",
        "s",
        "javascript:alert(1)",
        "file:///in/a.txt",
        "translations/a.en.md",
    )
    md = digest_to_markdown(Digest("2024-01-01T00:00:00Z", "2024-01-01", (), (entry,)))
    assert "javascript:" not in md
    assert "[Original file](file:///in/a.txt)" in md


def test_hostile_translation_path_is_kept_relative_in_markdown() -> None:
    entry = DigestEntry("a", "T", "hi", 0.5, Route.MARIAN, "m", "s", None, "file:///a", "javascript:alert(1)")
    md = digest_to_markdown(Digest("2024-01-01T00:00:00Z", "2024-01-01", (), (entry,)))
    assert "[Full English translation](./javascript:alert%281%29)" in md


def test_markdown_escapes_structure_in_document_text() -> None:
    entry = DigestEntry(
        path="in/a.txt",
        title="# Breaking [news](javascript:alert(1)) <script>alert(1)</script>\n## injected",
        language="hi",
        confidence=0.5,
        route=Route.MARIAN,
        model="m",
        summary=(
            "- not a list\n> not a quote\n1. not numbered\n    not code\n```\n<img src=x onerror=alert(1)>"
        ),
        source_url=None,
        link="file:///in/a.txt",
        translation="translations/a.en.md",
    )
    md = digest_to_markdown(Digest("2024-01-01T00:00:00Z", "2024-01-01", (), (entry,)))
    lines = md.splitlines()
    # The title stays on its heading line and cannot start a second heading or a link.
    assert r"## \# Breaking \[news\](javascript:alert(1)) \<script\>alert(1)\</script\> ## injected" in lines
    assert not any(line.startswith("## injected") for line in lines)
    for line in (
        r"\- not a list",
        r"\> not a quote",
        r"1\. not numbered",
        "not code",
        r"\`\`\`",
        r"\<img src=x onerror=alert(1)\>",
    ):
        assert line in lines
    # Every "<" is backslash-escaped, so no renderer sees raw HTML.
    assert re.search(r"(?<!\\)<", md) is None


def test_md_inline_and_block_escape() -> None:
    assert md_inline("a *b* _c_ `d` |e| ~f~ &amp;") == r"a \*b\* \_c\_ \`d\` \|e\| \~f\~ \&amp;"
    assert md_inline("  many\n\nlines  ") == "many lines"
    assert md_block("para one\n\n\n\n+ two") == "para one\n\n\\+ two"


def test_clean_text_removes_controls_and_bidi_overrides() -> None:
    assert clean_text("a\x00b\x07c\u202ed\u2066e\u2069f\x7f") == "abcdef"
    assert clean_text("line\r\nnext\ttab") == "line\nnext\ttab"
    # Zero-width direction marks are part of real Urdu/Persian text and cannot reorder markup.
    assert clean_text("\u200fہے\u200e") == "\u200fہے\u200e"


def test_translation_file() -> None:
    md = translation_to_markdown(
        title=HINDI.title,
        source_path=HINDI.path,
        source_url=HINDI.source_url,
        language="hi",
        model="Helsinki-NLP/opus-mt-hi-en",
        text="In 2024, the province will focus on 29 key tasks.\n\nIt admitted 2,203 new members.",
    )
    assert md.startswith(f"# {HINDI.title}\n")
    assert "- Source file: samples/hi-quang-nam-party-members-2024.txt" in md
    assert f"- Source URL: [{HINDI.source_url}]({HINDI.source_url})" in md
    assert "- Language: Hindi (hi)" in md
    assert "- Model: Helsinki-NLP/opus-mt-hi-en" in md
    assert md.endswith(
        "In 2024, the province will focus on 29 key tasks.\n\nIt admitted 2,203 new members.\n"
    )


def test_translation_file_without_web_source() -> None:
    md = translation_to_markdown(
        title="Notes",
        source_path="in/notes.txt",
        source_url="javascript:alert(1)",
        language="en",
        model=None,
        text="Already English.",
    )
    assert "- Source URL: javascript:alert(1)" in md  # shown as text, never as a link
    assert "](javascript:" not in md
    assert "- Model: none (already English)" in md
    none = translation_to_markdown(
        title="Notes", source_path="in/notes.txt", source_url=None, language="xx", model=None, text="x"
    )
    assert "- Source URL: none" in none and "- Language: xx" in none


def test_translation_file_keeps_the_whole_text() -> None:
    sentences = [f"Sentence number {n} of a long document." for n in range(2000)]
    text = "\n".join(sentences)
    md = translation_to_markdown(
        title="Long", source_path="long.txt", source_url=None, language="hi", model="m", text=text
    )
    assert md.endswith(text + "\n")
