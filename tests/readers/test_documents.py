"""Reading input files and separating scraped-news boilerplate from the article."""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
from pathlib import Path

import pytest

from core.errors import UnreadableDocument
from readers.documents import (
    SUPPORTED_SUFFIXES,
    clean_text,
    make_title,
    read_document,
    shorten,
    walk_inputs,
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
HINDI = SAMPLES / "hi-quang-nam-party-members-2024.txt"
URDU = SAMPLES / "ur-hai-duong-organising-committee-q1-2024.txt"


def _permissions_enforced() -> bool:
    """False where this process reads files whatever their mode (root, or a file system without modes)."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_text("x")
        probe.chmod(0)
        try:
            probe.read_text()
        except PermissionError:
            return True
        finally:
            probe.chmod(0o600)
        return False


IGNORES_PERMISSIONS = not _permissions_enforced()


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# --- the real samples -------------------------------------------------------------------------


def test_hindi_sample() -> None:
    document = read_document(HINDI)
    assert document.source_url == (
        "https://baoquangnam.vn/nam-2024-dang-bo-tinh-quang-nam-ket-nap-2-203-dang-vien-moi-3146881.html"
    )
    for boilerplate in ("[विज्ञापन_2]", "स्रोत", "टिप्पणी (0)", "https://"):
        assert boilerplate in document.text
        assert boilerplate not in document.body
    assert document.body.startswith("2024 में, प्रांत का पार्टी निर्माण")
    assert document.body.endswith("योजनाओं के विकास और नियोजन पर ध्यान केंद्रित करना...")
    assert "\n\n" not in document.body
    assert len(document.body.splitlines()) == 10
    assert document.sha256 == hashlib.sha256(HINDI.read_bytes()).hexdigest()


def test_urdu_sample_has_a_source_label_without_a_link() -> None:
    document = read_document(URDU)
    assert document.source_url is None
    assert "ماخذ" in document.text and "ماخذ" not in document.body
    assert "تبصرہ (0)" in document.text and "تبصرہ" not in document.body
    assert document.body.endswith("پر توجہ دیں۔")
    assert len(document.body.splitlines()) == 8


def test_titles_are_the_first_sentence_shortened_at_a_word() -> None:
    for path in (HINDI, URDU):
        title = read_document(path).title
        assert len(title) <= 100 and title.endswith("…")
        assert read_document(path).body.startswith(title[:-1])
        assert read_document(path).body[len(title) - 1] == " "  # cut between words


@pytest.mark.parametrize(
    ("name", "url"),
    [
        (
            "en-riverside-bike-lanes-2024.txt",
            "https://www.example.com/news/2024/11/riverside-council-approves-protected-bike-lanes",
        ),
        (
            "fa-isfahan-central-library-2024.txt",
            "https://www.example.com/fa/news/2024/10/isfahan-central-library-reopens",
        ),
    ],
)
def test_english_and_persian_samples(name: str, url: str) -> None:
    document = read_document(SAMPLES / name)
    assert document.source_url == url
    assert "Source:" not in document.body and "منبع" not in document.body
    assert 5 <= len(document.body.splitlines()) <= 9
    assert document.title == document.body.splitlines()[0]


# --- boilerplate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    ["[विज्ञापन_2]", "[Advertisement 1]", "[advertisement]", "[اشتہار]", "[إعلان_3]", "[تبلیغات]", "[Ad]"],
)
def test_advertisement_markers_are_removed(marker: str) -> None:
    body, url = clean_text(f"First paragraph.\n{marker}\nSecond paragraph {marker} continues.")
    assert body == "First paragraph.\nSecond paragraph continues."
    assert url is None


def test_bracketed_text_that_is_not_an_advertisement_stays() -> None:
    text = "He said [the adviser] would come. [Advertisements of the era] were loud."
    assert clean_text(text) == (text, None)


@pytest.mark.parametrize(
    "counter", ["टिप्पणी (0)", "تبصرہ (0)", "Comments (12)", "تعليقات (3)", "comment (1)", "Bình luận (0)"]
)
def test_comment_counters_are_removed(counter: str) -> None:
    assert clean_text(f"The article.\n{counter}") == ("The article.", None)


def test_a_sentence_mentioning_comments_stays() -> None:
    text = "Comments (12) were received by the ministry before the deadline."
    assert clean_text(text) == (text, None)


@pytest.mark.parametrize(
    ("line", "url"),
    [
        ("Source: https://example.org/a/b.html", "https://example.org/a/b.html"),
        ("स्रोत: https://baoquangnam.vn/x-1.html", "https://baoquangnam.vn/x-1.html"),
        ("منبع: https://example.ir/news/1", "https://example.ir/news/1"),
        ("المصدر: https://example.com/ar/2", "https://example.com/ar/2"),
        ("ماخذ: https://example.pk/ur/3", "https://example.pk/ur/3"),
        ("ماخذ", None),
        ("Source", None),
        ("https://example.org/bare-link", "https://example.org/bare-link"),
        ("Source: gemini://example.org/feed", "gemini://example.org/feed"),
    ],
)
def test_the_closing_source_line(line: str, url: str | None) -> None:
    body, found = clean_text(f"Paragraph one.\nParagraph two.\n{line}\n[Advertisement]\nComments (0)\n")
    assert body == "Paragraph one.\nParagraph two."
    assert found == url


def test_a_source_line_with_a_name_is_content() -> None:
    text = "The article.\nSource: Reuters"
    assert clean_text(text) == (text, None)


def test_a_link_early_in_the_article_is_content() -> None:
    text = "Intro.\nhttps://example.org/early\nOne.\nTwo.\nThree.\nFour."
    assert clean_text(text) == (text, None)


def test_blank_lines_left_behind_collapse() -> None:
    text = "One.\n\n[Advertisement]\n\nTwo.\n\n\n\nThree.\n\nComments (2)\n\nSource: https://e.org/x\n\n"
    assert clean_text(text) == ("One.\n\nTwo.\n\nThree.", "https://e.org/x")


# --- titles -----------------------------------------------------------------------------------


def test_markdown_heading_is_the_title() -> None:
    assert make_title("Intro text first.\n\n# The Real Title #\n\nBody.") == "The Real Title"


def test_title_is_the_first_sentence() -> None:
    assert make_title("\n  First sentence here. Second one.\nNext line.") == "First sentence here."


def test_shorten() -> None:
    assert shorten("short", 100) == "short"
    long = "word " * 40
    cut = shorten(long, 100)
    assert len(cut) <= 100 and cut.endswith("word…")
    assert shorten("x" * 150, 100) == "x" * 99 + "…"


# --- reading files ----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="file does not exist: check the path"):
        read_document(tmp_path / "nope.txt")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="is a folder, not a file"):
        read_document(tmp_path)


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(UnreadableDocument, match="file is empty: nothing to translate"):
        read_document(write(tmp_path / "empty.txt", content))


def test_only_boilerplate(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="only boilerplate"):
        read_document(write(tmp_path / "ads.txt", "[Advertisement 1]\nComments (0)\n"))


def test_binary_file_with_nul_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnreadableDocument, match=r"binary file \(it contains NUL bytes\)"):
        read_document(path)


def test_binary_file_of_control_characters(tmp_path: Path) -> None:
    path = write(tmp_path / "data.txt", bytes(range(1, 32)) * 10 + b"abc")
    with pytest.raises(UnreadableDocument, match="mostly control characters"):
        read_document(path)


def test_latin_1_file(tmp_path: Path) -> None:
    path = write(tmp_path / "old.txt", "Le café est fermé.".encode("latin-1"))
    with pytest.raises(
        UnreadableDocument, match=r"not UTF-8 text \(byte 0xE9 at offset 6 is invalid\): save it as UTF-8"
    ):
        read_document(path)


def test_too_large(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", "word " * 300)
    with pytest.raises(UnreadableDocument) as error:
        read_document(path, max_bytes=1024)
    message = str(error.value)
    assert "1.5 KiB, over the 1.0 KiB limit" in message
    assert "--max-file-bytes" in message and "DIGEST_MAX_FILE_BYTES" in message
    assert read_document(path, max_bytes=2048).body.startswith("word word")


@pytest.mark.skipif(IGNORES_PERMISSIONS, reason="this process reads files whatever their permissions (root)")
def test_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", "text")
    path.chmod(0)
    try:
        with pytest.raises(UnreadableDocument, match="permission denied"):
            read_document(path)
    finally:
        path.chmod(0o644)


def test_permission_denied_as_reported_by_the_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "secret.txt", "text")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(UnreadableDocument, match=r"permission denied: make the file readable \(chmod \+r\)"):
        read_document(path)


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + "नमस्ते दुनिया।\r\nदूसरी पंक्ति।".encode(),
        codecs.BOM_UTF16_LE + "नमस्ते दुनिया।\r\nदूसरी पंक्ति।".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "नमस्ते दुनिया।\rदूसरी पंक्ति।".encode("utf-16-be"),
    ],
)
def test_utf8_and_utf16_with_byte_order_marks(tmp_path: Path, data: bytes) -> None:
    document = read_document(write(tmp_path / "doc.txt", data))
    assert document.text == "नमस्ते दुनिया।\nदूसरी पंक्ति।"
    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_utf16_with_a_broken_tail(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "text".encode("utf-16-le") + b"\x00\xd8"
    with pytest.raises(UnreadableDocument, match="not UTF-16 text"):
        read_document(write(tmp_path / "doc.txt", data))


HELDOUT = Path(__file__).resolve().parents[1] / "data" / "heldout"


@pytest.mark.parametrize("language", ["hi", "ur", "en"])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark(tmp_path: Path, language: str, encoding: str) -> None:
    text = (HELDOUT / f"{language}.txt").read_text(encoding="utf-8")
    for sample in (text, text[:200], text.splitlines()[0] + "\n"):
        path = write(tmp_path / "doc.txt", sample.encode(encoding))
        assert read_document(path).text == sample.replace("\r\n", "\n")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_in_a_script_without_spaces(tmp_path: Path, encoding: str) -> None:
    text = "北京市今天发布了新的交通规划，计划在未来五年内建设更多的地铁线路。\n市民对此表示欢迎。\n"
    assert read_document(write(tmp_path / "zh.txt", text.encode(encoding))).text == text


@pytest.mark.parametrize(
    "data",
    [
        b"Hello world\x00",
        b"The council met on Monday to discuss the new budget.\n\x00\x00",
        "यह हिंदी है।\x00".encode(),
        b"Some text\x00more text here ok\n",
    ],
)
def test_text_with_stray_nul_bytes_is_not_taken_for_utf16(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnreadableDocument, match=r"binary file \(it contains NUL bytes\)"):
        read_document(write(tmp_path / "doc.txt", data))


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(b"\x00" + bytes([x * 7 % 256, x, 255 - x]) * 16 for x in range(16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("hi.txt", (HELDOUT / "hi.txt").read_text(encoding="utf-8"))
        archive.writestr("en.txt", "plain text, stored\n" * 20)
    return buffer.getvalue()


def _elf() -> bytes:
    import sys

    return Path(os.path.realpath(sys.executable)).read_bytes()[:65536]


@pytest.mark.parametrize("make", [_png, _zip, _elf], ids=["png", "zip", "elf"])
def test_real_binaries_stay_binary(tmp_path: Path, make: object) -> None:
    data = make()  # type: ignore[operator]
    for cut in (data, data[:64], data[: len(data) // 2 * 2]):
        with pytest.raises(UnreadableDocument, match="binary file"):
            read_document(write(tmp_path / "file.txt", cut))


# --- walking the inputs -----------------------------------------------------------------------


def test_folders_are_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b.txt", "a.md", "sub/c.txt", "sub/deeper/d.TXT", "z/e.txt"):
        write(tmp_path / "in" / name, "text")
    found = walk_inputs([tmp_path / "in"])
    assert [p.relative_to(tmp_path / "in").as_posix() for p in found.files] == [
        "a.md",
        "b.txt",
        "sub/c.txt",
        "sub/deeper/d.TXT",
        "z/e.txt",
    ]
    assert found.skipped == () and found.failures == ()


def test_hidden_files_and_folders_are_skipped_silently(tmp_path: Path) -> None:
    write(tmp_path / "in" / ".digest" / "state.txt", "x")
    write(tmp_path / "in" / ".hidden.txt", "x")
    write(tmp_path / "in" / "seen.txt", "x")
    found = walk_inputs([tmp_path / "in"])
    assert [p.name for p in found.files] == ["seen.txt"]
    assert found.skipped == () and found.failures == ()


def test_unsupported_types_are_listed_as_skipped_naming_the_supported_ones(tmp_path: Path) -> None:
    write(tmp_path / "in" / "slides.odp", b"PK")
    write(tmp_path / "in" / "README", "x")
    write(tmp_path / "in" / "ok.txt", "x")
    write(tmp_path / "in" / "page.html", "<p>x</p>")
    write(tmp_path / "in" / "page.HTM", "<p>x</p>")
    write(tmp_path / "in" / "page.xhtml", "<p>x</p>")
    write(tmp_path / "in" / "statement.docx", b"PK")
    found = walk_inputs([tmp_path / "in"])
    assert [p.name for p in found.files] == [
        "ok.txt", "page.HTM", "page.html", "page.xhtml", "statement.docx",
    ]
    reasons = {Path(s.path).name: s.reason for s in found.skipped}
    supported = ", ".join(SUPPORTED_SUFFIXES[:-1]) + f" and {SUPPORTED_SUFFIXES[-1]}"
    assert reasons == {
        "README": f"unsupported file type (no extension): only {supported} are read",
        "slides.odp": f"unsupported file type .odp: only {supported} are read",
    }
    assert {".txt", ".md", ".html", ".htm", ".xhtml", ".docx"} <= set(SUPPORTED_SUFFIXES)
    assert supported.startswith(".txt, .md, .html, .htm, .xhtml")


def test_pages_digest_published_are_not_read_but_other_pages_are(tmp_path: Path) -> None:
    from digest.publish import index_html

    write(tmp_path / "in" / "index.html", index_html(None, days=[]))
    write(tmp_path / "in" / "news.html", "<!DOCTYPE html>\n<html><head><title>Digest</title></head></html>")
    found = walk_inputs([tmp_path / "in"])
    assert [p.name for p in found.files] == ["news.html"]
    assert [(Path(s.path).name, s.reason) for s in found.skipped] == [
        ("index.html", "written by digest (a digest's web page): its output is never read as input")
    ]


def test_a_missing_path_is_a_failure(tmp_path: Path) -> None:
    found = walk_inputs([tmp_path / "gone", tmp_path])
    assert found.files == ()
    assert [(f.path, f.error) for f in found.failures] == [
        (str(tmp_path / "gone"), "no such file or folder: check the path")
    ]


def test_a_file_given_twice_or_through_a_link_appears_once(tmp_path: Path) -> None:
    article = write(tmp_path / "in" / "article.txt", "text")
    (tmp_path / "in" / "alias.txt").symlink_to(article)
    found = walk_inputs([article, tmp_path / "in", article])
    assert found.files == (article,)


def test_a_link_out_of_the_inputs_is_refused_and_says_where_it_points(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere" / "note.md", "text")
    write(tmp_path / "in" / "kept.txt", "text")
    (tmp_path / "in" / "link.md").symlink_to(outside)
    (tmp_path / "in" / "passwd.txt").symlink_to("/etc/passwd")
    (tmp_path / "in" / "folder").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    found = walk_inputs([tmp_path / "in"])
    assert [p.name for p in found.files] == ["kept.txt"]
    errors = {Path(f.path).name: f.error for f in found.failures}
    assert sorted(errors) == ["folder", "link.md", "passwd.txt"]
    assert errors["passwd.txt"] == (
        f"symbolic link to {os.path.realpath('/etc/passwd')}, outside the input folders: not followed; "
        "pass that path itself, or --follow-outside-links (DIGEST_FOLLOW_OUTSIDE_LINKS=1) "
        "to follow such links"
    )
    assert str(outside) in errors["link.md"] and str(tmp_path / "elsewhere") in errors["folder"]


def test_links_out_of_the_inputs_are_followed_on_request(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere" / "note.md", "text")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "link.md").symlink_to(outside)
    (tmp_path / "in" / "folder").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    found = walk_inputs([tmp_path / "in"], follow_outside_links=True)
    assert found.files == (tmp_path / "in" / "folder" / "note.md",)  # the same file once
    assert found.failures == ()


def test_links_between_the_folders_given_are_followed(tmp_path: Path) -> None:
    other = write(tmp_path / "b" / "note.md", "text")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "link.md").symlink_to(other)
    (tmp_path / "a" / "up.md").symlink_to(write(tmp_path / "a" / "sub" / "deep.md", "text"))
    found = walk_inputs([tmp_path / "a", tmp_path / "b"])
    assert [p.relative_to(tmp_path).as_posix() for p in found.files] == ["a/link.md", "a/sub/deep.md"]
    assert found.failures == ()


def test_a_link_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere" / "note.md", "text")
    (tmp_path / "named.md").symlink_to(outside)
    (tmp_path / "inbox").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert walk_inputs([tmp_path / "named.md"]).files == (tmp_path / "named.md",)
    assert walk_inputs([tmp_path / "inbox"]).files == (tmp_path / "inbox" / "note.md",)


@pytest.mark.parametrize("follow", [False, True])
def test_system_files_are_never_read(tmp_path: Path, follow: bool) -> None:
    (tmp_path / "in").mkdir()
    links = [("status.txt", "/proc/self/status"), ("zero.txt", "/dev/zero"), ("sys", "/sys/kernel")]
    for name, target in links:
        (tmp_path / "in" / name).symlink_to(target)
    found = walk_inputs([tmp_path / "in", Path("/proc/self/environ")], follow_outside_links=follow)
    assert found.files == ()
    errors = {Path(f.path).name: f.error for f in found.failures}
    assert sorted(errors) == ["environ", "status.txt", "sys", "zero.txt"]
    assert errors["zero.txt"] == (
        "/dev/zero is a device or system file (under /dev): nothing under /dev, /proc or /sys is read; "
        "copy the text to a regular file"
    )
    assert "(under /proc)" in errors["status.txt"] and "(under /proc)" in errors["environ"]
    assert "(under /sys)" in errors["sys"]


@pytest.mark.parametrize(
    "path", ["/proc/self/status", "/dev/zero", "/dev/stdin", "/sys/kernel/uevent_seqnum"]
)
def test_reading_a_system_file_is_refused(path: str) -> None:
    with pytest.raises(UnreadableDocument, match=r"is a device or system file \(under /(proc|dev|sys)\)"):
        read_document(Path(path))


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_document(fifo)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a named pipe blocked")
    assert isinstance(outcome[0], UnreadableDocument)
    assert str(outcome[0]) == (
        "not a regular file (a named pipe): only regular files are read; save the text to one"
    )
    found = walk_inputs([tmp_path])
    assert found.files == ()
    assert [s.reason for s in found.skipped] == [
        "not a regular file (a named pipe): only regular files are read"
    ]


def test_a_socket_is_refused() -> None:
    import socket

    with tempfile.TemporaryDirectory(prefix="s") as short, socket.socket(socket.AF_UNIX) as server:
        where = Path(short) / "s.txt"  # a socket's path must be short: not under tmp_path
        server.bind(str(where))
        with pytest.raises(UnreadableDocument, match=r"not a regular file \(a socket\)"):
            read_document(where)


def _remove_deep(top: Path) -> None:
    # Bottom up without recursion: pytest's own recursive clean-up of the shared temporary folder
    # would fail on a tree this deep.
    folders = [top]
    while (folders[-1] / "d").is_dir():
        folders.append(folders[-1] / "d")
    for folder in reversed(folders):
        for entry in folder.iterdir():
            if not entry.is_dir():
                entry.unlink()
        folder.rmdir()


def test_a_tree_hundreds_of_folders_deep_is_walked(tmp_path: Path) -> None:
    depth = 600  # a recursive walk stops with RecursionError well before this
    folder = top = tmp_path / "in"
    folder.mkdir()
    try:
        write(folder / "top.txt", "text")
        for _ in range(depth):
            folder = folder / "d"
            folder.mkdir()
        write(folder / "bottom.txt", "text")
        write(top / "z.txt", "text")
        found = walk_inputs([top])
        assert [p.name for p in found.files] == ["bottom.txt", "top.txt", "z.txt"]  # "d" sorts first
        assert len(found.files[0].relative_to(top).parts) == depth + 1
        assert found.failures == ()
    finally:
        _remove_deep(top)


# --- digest's own output ----------------------------------------------------------------------


def test_the_output_folder_is_never_read(tmp_path: Path) -> None:
    write(tmp_path / "inbox" / "article.txt", "text")
    write(tmp_path / "inbox" / "digests" / "2024-04-02" / "notes.txt", "text")
    (tmp_path / "inbox" / "alias").symlink_to(tmp_path / "inbox" / "digests", target_is_directory=True)
    found = walk_inputs([tmp_path / "inbox"], exclude=[tmp_path / "inbox" / "digests"])
    assert [p.name for p in found.files] == ["article.txt"]
    assert [(Path(s.path).name, s.reason) for s in found.skipped] == [
        ("alias", "digest's own output folder: it is never read as input"),
        ("digests", "digest's own output folder: it is never read as input"),
    ]


@pytest.mark.parametrize("marker", ["state.sqlite", "lock"])
def test_a_folder_holding_a_digests_state_is_never_read(tmp_path: Path, marker: str) -> None:
    write(tmp_path / "inbox" / "article.txt", "text")
    write(tmp_path / "inbox" / "old-out" / ".digest" / marker, b"")
    write(tmp_path / "inbox" / "old-out" / "2024-04-02" / "notes.txt", "text")
    found = walk_inputs([tmp_path / "inbox"])
    assert [p.name for p in found.files] == ["article.txt"]
    assert [(Path(s.path).name, s.reason) for s in found.skipped] == [
        ("old-out", "a digest output folder (it holds .digest state): it is never read as input")
    ]


def test_files_digest_wrote_are_recognised_and_skipped(tmp_path: Path) -> None:
    from core.records import Digest, Stats
    from digest.render import digest_to_markdown, translation_to_markdown

    day = Digest(generated_at="2024-04-02T03:00:00+00:00", date="2024-04-02", inputs=("in",), items=(),
                 failures=(), skipped=(), stats=Stats(files=0))
    translation = translation_to_markdown(
        title="A title", source_path="in/a.txt", source_url=None, language="hi", model="m/x", text="Body."
    )
    write(tmp_path / "in" / "copied" / "digest.md", digest_to_markdown(day))
    write(tmp_path / "in" / "copied" / "a.en.md", translation)
    write(tmp_path / "in" / "renamed.md", translation.replace("\n", "\r\n"))
    # A user's own notes that merely look alike are read.
    write(tmp_path / "in" / "about-digests.md", "# Digest of the week\n\n- Source file: mine\n")
    write(tmp_path / "in" / "mine.txt", digest_to_markdown(day))  # digest writes only .md files
    found = walk_inputs([tmp_path / "in"])
    assert [p.name for p in found.files] == ["about-digests.md", "mine.txt"]
    reasons = {Path(s.path).name: s.reason for s in found.skipped}
    assert reasons == {
        "digest.md": "written by digest (a day's digest.md): its output is never read as input",
        "a.en.md": "written by digest (an English translation): its output is never read as input",
        "renamed.md": "written by digest (an English translation): its output is never read as input",
    }


# --- paths that do not exist ------------------------------------------------------------------


def test_missing_inputs_are_a_usage_error(tmp_path: Path) -> None:
    from core.errors import ConfigError
    from readers.documents import check_inputs

    (tmp_path / "dead").symlink_to(tmp_path / "nowhere")
    check_inputs([tmp_path])
    with pytest.raises(ConfigError) as one:
        check_inputs([tmp_path, tmp_path / "typo"])
    assert str(one.value) == (
        f"input path {tmp_path / 'typo'} does not exist: check the path; nothing was read or written"
    )
    with pytest.raises(ConfigError) as two:
        check_inputs([tmp_path / "typo", tmp_path / "dead"])
    assert str(two.value) == (
        f"input paths {tmp_path / 'typo'}, {tmp_path / 'dead'} (a broken symbolic link) do not exist: "
        "check the paths; nothing was read or written"
    )


def test_symlink_loops_end(tmp_path: Path) -> None:
    write(tmp_path / "in" / "sub" / "doc.txt", "text")
    (tmp_path / "in" / "sub" / "up").symlink_to(tmp_path / "in", target_is_directory=True)
    (tmp_path / "in" / "self").symlink_to(tmp_path / "in" / "self")
    found = walk_inputs([tmp_path / "in"])
    assert found.files == (tmp_path / "in" / "sub" / "doc.txt",)
    assert [Path(f.path).name for f in found.failures] == ["self"]
    assert "symbolic links" in found.failures[0].error


def test_a_broken_link_is_a_failure(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "dead.txt").symlink_to(tmp_path / "missing.txt")
    found = walk_inputs([tmp_path / "in"])
    assert [(Path(f.path).name, f.error) for f in found.failures] == [
        ("dead.txt", "broken symbolic link: its target does not exist: fix the link or remove it")
    ]


@pytest.mark.skipif(
    IGNORES_PERMISSIONS, reason="this process reads folders whatever their permissions (root)"
)
def test_an_unreadable_folder_is_a_failure(tmp_path: Path) -> None:
    locked = tmp_path / "in" / "locked"
    write(locked / "doc.txt", "text")
    write(tmp_path / "in" / "open.txt", "text")
    locked.chmod(0)
    try:
        found = walk_inputs([tmp_path / "in"])
    finally:
        locked.chmod(0o755)
    assert [p.name for p in found.files] == ["open.txt"]
    assert [Path(f.path).name for f in found.failures] == ["locked"]
    assert "permission denied" in found.failures[0].error


def test_an_unreadable_folder_as_reported_by_the_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "in" / "doc.txt", "text")
    real_scandir = os.scandir

    def scandir(path: Path) -> object:
        if Path(path).name == "in":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = walk_inputs([tmp_path / "in"])
    assert found.files == ()
    assert (
        found.failures[0].error == "folder cannot be read (permission denied): make it readable (chmod +rx)"
    )


def test_a_source_line_with_any_scheme_is_removed_and_kept_as_found() -> None:
    from readers.documents import clean_text

    body, url = clean_text("The port opens in May.\n\nSource: javascript:alert(document.cookie)\n")
    assert body.strip() == "The port opens in May."
    assert url == "javascript:alert(document.cookie)"
    body, url = clean_text("Markets rose.\nSource: Reuters\n")
    assert "Source: Reuters" in body and url is None  # a label without a link is not a source line
