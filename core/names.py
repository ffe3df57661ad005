"""File names as text: escaped when shown to people, lossless when stored as keys.

A POSIX file name is bytes. Python decodes one that is not valid UTF-8 with surrogate escapes
(byte 0xFF becomes U+DCFF), which no UTF-8 file, JSON document, SQLite column or terminal can
hold; and a valid name may still hold an escape sequence or a line break that would rewrite a
terminal or forge a line in a log. So a name never leaves the process as it is:

- `display_path` is what people see (terminal, logs, digest.json/md/html, feed): printable, one
  line, undecodable bytes as ``\\xff`` and control characters as ``\\x1b``, ``\\n``.
- `path_key` is what the state store keeps: the resolved path itself when it is valid UTF-8
  (so existing state databases keep their keys), else its ``file://`` URI, which percent-encodes
  every byte and so never collides with another file's key.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote_to_bytes

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Bidi embeddings, overrides and isolates reorder what follows them on screen ("Trojan Source");
# line and paragraph separators break a line in some viewers. Zero-width joiners stay: Persian and
# Indic names use them.
_INVISIBLE_LAYOUT = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
_URI_PREFIX = "file://"


def display_path(path: str | os.PathLike[str] | bytes) -> str:
    """`path` as printable one-line text: undecodable bytes as \\xNN, control characters escaped.

    Backslashes are left alone, so the result of `display_path` passed through it again is unchanged.
    """
    return printable(os.fsdecode(path))


def printable(text: str) -> str:
    """`text` with control characters, bidi overrides and lone surrogates escaped, as `display_path`."""
    if text.isprintable() and not (_INVISIBLE_LAYOUT & set(text)):
        return text
    return "".join(_escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode escaped it
        return f"\\x{code - 0xDC00:02x}"
    if char in _NAMED:
        return _NAMED[char]
    if char in _INVISIBLE_LAYOUT or unicodedata.category(char) in ("Cc", "Cs"):
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


# Keys already worked out, while `remembered_keys` is active (None: not remembering).
_remembered: dict[str, str] | None = None


@contextmanager
def remembered_keys() -> Iterator[None]:
    """Work out each path's key once inside the block (a run asks for the same ones many times).

    Resolving a path costs a system call per component; a run over thousands of small files asked
    for each key about seven times. Links that change inside the block are not seen: a run reads a
    file once, and the block ends with the run.
    """
    global _remembered
    previous, _remembered = _remembered, {}
    try:
        yield
    finally:
        _remembered = previous


def path_key(path: str | os.PathLike[str]) -> str:
    """The text under which the state store knows a file: absolute, symlinks resolved, lossless.

    A key passed in again comes back unchanged.
    """
    if isinstance(path, str) and path.startswith(_URI_PREFIX):
        return path
    memo = _remembered
    name = os.fspath(path)
    if memo is not None and name in memo:
        return memo[name]
    resolved = Path(path).expanduser().resolve()
    text = str(resolved)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = resolved.as_uri()
    if memo is not None:
        memo[name] = text
        memo[text] = text  # a key passed in again
    return text


def key_path(key: str) -> Path:
    """The path a `path_key` stands for."""
    if key.startswith(_URI_PREFIX):
        return Path(os.fsdecode(unquote_to_bytes(key[len(_URI_PREFIX) :])))
    return Path(key)
