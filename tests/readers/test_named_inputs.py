"""Files named on purpose: of an unsupported type they fail, and standard input is read within the limit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from core.errors import ConfigError, UnreadableDocument, UnsupportedFileType
from readers.documents import check_inputs, document_from_bytes, read_document, read_stream, walk_inputs


def test_an_unsupported_file_named_is_a_failure_and_one_in_a_folder_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "notes.xyz").write_text("words")
    (tmp_path / "README").write_text("words")
    found = walk_inputs([tmp_path / "notes.xyz", tmp_path / "README"])
    assert found.files == () and found.skipped == ()
    assert [(Path(f.path).name, f.error.split(":")[0]) for f in found.failures] == [
        ("notes.xyz", "unsupported file type .xyz"),
        ("README", "unsupported file type (no extension)"),
    ]
    assert found.failures[0].error.endswith("; convert it to one of them")
    in_folder = walk_inputs([tmp_path])
    assert in_folder.failures == () and len(in_folder.skipped) == 2


def test_read_document_refuses_an_unknown_type_only_when_asked(tmp_path: Path) -> None:
    notes = tmp_path / "notes.xyz"
    notes.write_text("Plain words here.\n")
    assert read_document(notes).body == "Plain words here."
    with pytest.raises(UnsupportedFileType, match=r"^unsupported file type \.xyz: only \.txt"):
        read_document(notes, known_type=True)


def test_standard_input_is_read_within_the_limit() -> None:
    assert read_stream(io.BytesIO(b"x" * 10), max_bytes=10) == b"x" * 10
    with pytest.raises(UnreadableDocument, match="more than the 10 bytes limit"):
        read_stream(io.BytesIO(b"x" * 11), max_bytes=10)
    document = document_from_bytes(Path("-"), "Hello there.\n".encode("utf-16"))
    assert (document.body, document.format) == ("Hello there.", "text")


def test_a_dash_outside_translate_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^- \(standard input\) is read only by `digest translate -`"):
        check_inputs([Path("-")])
    (tmp_path / "-").write_text("a file really named -")
    check_inputs([Path("-")])  # it exists: it is that file
