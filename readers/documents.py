"""Finding input files, reading them as text (or through a format's parser), and separating scraped-news
boilerplate from the body."""

from __future__ import annotations

import codecs
import hashlib
import importlib
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from core.errors import ConfigError, UnreadableDocument, UnsupportedFileType
from core.records import Document, Failure, Skipped
from core.segment import split_sentences
from readers.chrome import chrome_rules, fingerprint, is_date_line, is_dateline, is_weather
from readers.parsed import Parsed

# Plain text, decoded as it is.
TEXT_SUFFIXES = (".txt", ".md")
# Formats read by a parser, "module:function" taking the file's bytes and returning a Parsed. A
# parser is imported only when a file of its type is read: its library is an optional extra, and a
# missing one fails those files alone (core.errors.MissingExtra).
PARSERS: dict[str, str] = {
    ".html": "readers.html:parse_html",
    ".htm": "readers.html:parse_html",
    ".xhtml": "readers.html:parse_html",
    ".pdf": "readers.pdf:parse_pdf",
    ".docx": "readers.docx:parse_docx",
}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + tuple(PARSERS)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
TITLE_LENGTH = 100
# A text file may hold a tab or a form feed; a file where more than this share of the
# characters are other control characters is data, not text.
_CONTROL_SHARE = 0.1
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Byte order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one. A mark
# overrides any declared charset (web pages too), as it does in browsers.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class InputSet:
    """The files to read, in a stable order, and what was passed over or could not be read."""

    files: tuple[Path, ...]
    skipped: tuple[Skipped, ...] = ()
    failures: tuple[Failure, ...] = ()


# Pseudo-files and devices: reading them leaks the machine's state (/proc/self/environ) or never
# ends (/dev/zero), so they are refused whatever the options say.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")
FOLLOW_OPTION = "--follow-outside-links (DIGEST_FOLLOW_OUTSIDE_LINKS=1)"
# The state folder a digest keeps in its output folder (digest.state.STATE_DIRNAME and the files
# in it); a folder holding one is a digest's output, never input.
_STATE_MARKERS = (".digest/state.sqlite", ".digest/lock")
# What digest.render writes at the top of a day's digest.md and of each translation file.
_DIGEST_HEADER = re.compile(r"\A# Digest — \d{4}-\d{2}-\d{2}\n\n")
_TRANSLATION_HEADER = re.compile(
    r"\A# [^\n]*\n\n- Source file: [^\n]*\n- Source URL: [^\n]*\n- Language: [^\n]*\n"
    r"- Model: [^\n]*\n\n---\n"
)
# What digest.publish writes at the top of index.html and each day's digest.html.
_PAGE_HEADER = re.compile(
    r'\A<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport"[^\n]*\n'
    # Pages name their generator; earlier ones are known by their title.
    r'(?:<meta name="generator" content="digest">\n<title>[^\n]*</title>\n'
    r"|<title>Digest(?: — \d{4}-\d{2}-\d{2})?</title>\n)"
    r'<link rel="alternate" type="application/atom\+xml"'
)
_SNIFF_BYTES = 64 * 1024


def check_inputs(paths: Sequence[Path]) -> None:
    """Raise ConfigError naming every path that does not exist: a mistyped input is a usage error."""
    if any(str(path) == "-" and not os.path.lexists(path) for path in paths):
        raise ConfigError(
            "- (standard input) is read only by `digest translate -`: save the text to a file and name "
            "the file or its folder"
        )
    missing = [
        f"{path} (a broken symbolic link)" if os.path.islink(path) else str(path)
        for path in paths
        if not os.path.exists(path)
    ]
    if len(missing) == 1:
        raise ConfigError(
            f"input path {missing[0]} does not exist: check the path; nothing was read or written"
        )
    if missing:
        raise ConfigError(
            f"input paths {', '.join(missing)} do not exist: check the paths; nothing was read or written"
        )


def _area(real: str) -> str | None:
    """The system folder (/proc, /sys or /dev) that the resolved path `real` lies in, or None."""
    return next((top for top in SYSTEM_FOLDERS if _within(real, top)), None)


def _within(real: str, folder: str) -> bool:
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def walk_inputs(
    paths: Sequence[Path], *, follow_outside_links: bool = False, exclude: Sequence[Path] = ()
) -> InputSet:
    """Expand files and folders (recursively, sorted, hidden entries skipped) into the files to read.

    A symbolic link that leads out of every path given is refused unless `follow_outside_links`;
    files under /proc, /sys and /dev never are read. Folders in `exclude` (the output folder),
    folders holding a digest's state, and files digest wrote are skipped.
    """
    walker = _Walker(
        roots=[os.path.realpath(p) for p in paths],
        follow_outside_links=follow_outside_links,
        exclude=[os.path.realpath(p) for p in exclude],
    )
    for path in paths:
        walker.walk(Path(path))
    return InputSet(tuple(walker.files), tuple(walker.skipped), tuple(walker.failures))


class _Walker:
    def __init__(self, *, roots: Sequence[str], follow_outside_links: bool, exclude: Sequence[str]) -> None:
        self.roots = list(roots)
        self.follow_outside_links = follow_outside_links
        self.exclude = list(exclude)
        self.files: list[Path] = []
        self.skipped: list[Skipped] = []
        self.failures: list[Failure] = []
        self.seen_files: set[str] = set()
        self.seen_folders: set[str] = set()

    def walk(self, top: Path) -> None:
        # An explicit stack, not recursion: a tree thousands of folders deep must not exhaust
        # Python's recursion limit. Children go on in reverse so they come off in sorted order.
        # Each entry carries its folder's resolved path, so resolving it costs one step, not one
        # per folder above it.
        stack: list[tuple[Path, str | None]] = [(top, None)]
        while stack:
            path, parent = stack.pop()
            stack.extend(reversed(self._visit(path, parent=parent)))

    def _visit(self, path: Path, *, parent: str | None) -> list[tuple[Path, str]]:
        """Record `path` as a file, skip or failure; return a folder's children with its real path."""
        link = False
        try:
            link = path.is_symlink()
            info = path.stat()  # follows symbolic links
        except FileNotFoundError:
            if link:
                self.failures.append(
                    Failure(str(path), "broken symbolic link: its target does not exist: fix the link or remove it")
                )
            else:
                self.failures.append(Failure(str(path), "no such file or folder: check the path"))
            return []
        except OSError as exc:  # a link loop (ELOOP), or a folder on the way that cannot be searched
            self.failures.append(Failure(str(path), f"cannot be opened ({_reason(exc)}): check the path"))
            return []
        given = parent is None
        real = os.path.realpath(path) if parent is None or link else os.path.join(parent, path.name)
        area = _area(real)
        if area is not None:
            self.failures.append(Failure(str(path), _system_file(real, area)))
            return []
        # A path named on the command line was chosen on purpose; below it only links are checked,
        # since a plain entry lies where its folder does.
        if link and not given and not self.follow_outside_links:
            if not any(_within(real, root) for root in self.roots):
                self.failures.append(Failure(str(path), _outside_link(real)))
                return []
        # The folder itself, however it is reached; what lies in its day folders is recognised
        # file by file, so an inbox inside an output folder (`--out .`) is still read.
        if real in self.exclude:
            self.skipped.append(Skipped(str(path), "digest's own output folder: it is never read as input"))
            return []
        if stat.S_ISDIR(info.st_mode):
            return self._folder(path, real)
        if stat.S_ISREG(info.st_mode):
            self._file(path, real, given=given)
        else:
            reason = f"not a regular file ({_kind(info.st_mode)}): only regular files are read"
            self.skipped.append(Skipped(str(path), reason))
        return []

    def _file(self, path: Path, real: str, *, given: bool = False) -> None:
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            # Found in a folder, it is passed over; named on the command line, it was meant to be
            # read, so it fails rather than vanish from a run that still exits 0.
            if given:
                self.failures.append(Failure(str(path), f"{unsupported_type(suffix)}; convert it to one of them"))
            else:
                self.skipped.append(Skipped(str(path), unsupported_type(suffix)))
            return
        if real in self.seen_files:
            return  # the same file reached twice, by two arguments or through a link
        self.seen_files.add(real)
        written = _written_by_digest(path) if suffix in (".md", ".html") else None
        if written:
            reason = f"written by digest ({written}): its output is never read as input"
            self.skipped.append(Skipped(str(path), reason))
            return
        self.files.append(path)

    def _folder(self, path: Path, real: str) -> list[tuple[Path, str]]:
        if real in self.seen_folders:
            return []  # a link back into a folder already walked: following it would never end
        self.seen_folders.add(real)
        if any(os.path.exists(os.path.join(real, marker)) for marker in _STATE_MARKERS):
            reason = "a digest output folder (it holds .digest state): it is never read as input"
            self.skipped.append(Skipped(str(path), reason))
            return []
        try:
            with os.scandir(path) as entries:
                names = sorted(entry.name for entry in entries)
        except PermissionError:
            self.failures.append(
                Failure(str(path), "folder cannot be read (permission denied): make it readable (chmod +rx)")
            )
            return []
        except OSError as exc:
            self.failures.append(Failure(str(path), f"folder cannot be read ({_reason(exc)})"))
            return []
        # Hidden files and folders are passed over silently: editors' and tools' own files.
        return [(path / name, real) for name in names if not name.startswith(".")]


def unsupported_type(suffix: str) -> str:
    """Why a file of type `suffix` is not read, and what is."""
    kind = f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)"
    return f"{kind}: only {supported_types()} are read"


def supported_types() -> str:
    """The suffixes read, for messages: ".txt, .md, .html and .docx"."""
    return ", ".join(SUPPORTED_SUFFIXES[:-1]) + f" and {SUPPORTED_SUFFIXES[-1]}"


def _outside_link(real: str) -> str:
    return (
        f"symbolic link to {real}, outside the input folders: not followed; "
        f"pass that path itself, or {FOLLOW_OPTION} to follow such links"
    )


def _system_file(real: str, area: str) -> str:
    return (
        f"{real} is a device or system file (under {area}): nothing under /dev, /proc or /sys is read; "
        "copy the text to a regular file"
    )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a plain file"


def _written_by_digest(path: Path) -> str | None:
    """What digest wrote `path` as (a digest, a translation, a page), judged by the header it writes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            head = f.read(_SNIFF_BYTES)
    except OSError:
        return None  # reading it properly reports why
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff").replace("\r\n", "\n")
    if _DIGEST_HEADER.match(text):
        return "a day's digest.md"
    if _TRANSLATION_HEADER.match(text):
        return "an English translation"
    if _PAGE_HEADER.match(text):
        return "a digest's web page"
    return None


def _reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else type(exc).__name__


def read_document(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, template: Collection[str] = frozenset(),
    known_type: bool = False,
) -> Document:
    """Read `path` as text and split off its boilerplate, or raise UnreadableDocument saying why.

    `template` holds fingerprints of lines that recur across documents (readers.chrome), removed too.
    With `known_type`, a file whose type is not one of SUPPORTED_SUFFIXES is refused rather than
    read as plain text. The message names the problem and its fix, not the path: callers pair it
    with the path.
    """
    path = Path(path)
    raw = _read_bytes(path, max_bytes)  # first: a device or a pipe is refused as such, whatever its name
    if known_type and path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileType(unsupported_type(path.suffix.lower()))
    return document_from_bytes(path, raw, template=template)


def read_stream(stream: BinaryIO, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """All of `stream` (standard input), or UnreadableDocument when it holds more than `max_bytes`."""
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise UnreadableDocument(
            f"more than the {_size(max_bytes)} limit: raise it with --max-file-bytes or DIGEST_MAX_FILE_BYTES"
        )
    return raw


def document_from_bytes(path: Path, raw: bytes, *, template: Collection[str] = frozenset()) -> Document:
    """A Document from `raw`, read as `path`'s type says (plain text unless a parser's); UnreadableDocument if not."""
    parser = PARSERS.get(path.suffix.lower())
    if parser is not None:
        if not raw.strip():
            raise UnreadableDocument("file is empty: nothing to translate")
        return _parsed_document(path, raw, _load_parser(parser)(raw), template=template)
    text = decode_text(raw)
    if not text.strip():
        raise UnreadableDocument("file is empty: nothing to translate")
    cleaned = clean(text, template=template)
    if not cleaned.body:
        raise UnreadableDocument(
            "file holds only boilerplate (advertisement markers, comment counters, page chrome, a source line): "
            "nothing to translate"
        )
    body = title_first(cleaned.body)
    return Document(
        path=path,
        text=text,
        body=body,
        title=make_title(body),
        source_url=cleaned.source_url,
        sha256=hashlib.sha256(raw).hexdigest(),
        removed=cleaned.removed,
    )


def remove_template(document: Document, template: Collection[str]) -> Document:
    """`document` without the body lines whose fingerprints are in `template`.

    A title from the file's metadata stays; a text file's title is chosen again from what is left.
    """
    lines = document.body.split("\n")
    title = " ".join(document.title.split()) if document.format != "text" else None
    drop = {
        i
        for i, line in enumerate(lines)
        if fingerprint(line) in template and " ".join(line.split()) != title
    }
    if not drop or len(drop) == sum(1 for line in lines if line.strip()):
        return document  # nothing recurring, or nothing else left: the article is the template
    body = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    body = re.sub(r"\n[ \t]*(?:\n[ \t]*)+\n", "\n\n", body).strip()
    removed = document.removed + tuple(("site template", lines[i].strip()) for i in sorted(drop))
    if title is None:
        body = title_first(body)
        return replace(document, body=body, title=make_title(body), removed=removed)
    return replace(document, body=body, removed=removed)


def _load_parser(target: str) -> Callable[[bytes], Parsed]:
    module, _, function = target.partition(":")
    parser: Callable[[bytes], Parsed] = getattr(importlib.import_module(module), function)
    return parser


def _parsed_document(path: Path, raw: bytes, parsed: Parsed, *, template: Collection[str] = frozenset()) -> Document:
    """A Document from what a format's parser extracted: its metadata first, then what the text says."""
    if not parsed.text.strip():
        raise UnreadableDocument(f"no text found in the {parsed.format} file: nothing to translate")
    title = " ".join((parsed.title or "").split())
    cleaned = clean(parsed.text, template=template, keep=title or None, page=False)
    body = cleaned.body
    if not body:
        raise UnreadableDocument(
            "the text holds only boilerplate (advertisement markers, comment counters, page chrome, a source line): "
            "nothing to translate"
        )
    # The digest's entry title is the first line of the English translation: a headline found only
    # in the metadata goes at the top of the body, so that it is translated too.
    if title and not " ".join(body[: len(title) * 2].split()).startswith(title):
        body = f"{title}\n\n{body}"
    if not title:
        body = title_first(body)
    return Document(
        path=path,
        text=parsed.text,
        body=body,
        title=shorten(title) if title else make_title(body),
        source_url=parsed.source_url or cleaned.source_url,
        sha256=hashlib.sha256(raw).hexdigest(),
        format=parsed.format,
        published=parsed.published,
        removed=cleaned.removed,
    )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        real = os.path.realpath(path)
        area = _area(real)
        if area is not None:
            raise UnreadableDocument(_system_file(real, area))
        # Checked before opening: opening a named pipe waits for a writer, and a device may do
        # anything when opened. O_NONBLOCK and the second check close the race in between.
        _require_regular(os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            _require_regular(info.st_mode)
            if info.st_size > max_bytes:
                raise UnreadableDocument(_too_large(info.st_size, max_bytes))
            raw = f.read(max_bytes + 1)  # a file still growing is caught here
    except FileNotFoundError:
        raise UnreadableDocument("file does not exist: check the path") from None
    except PermissionError:
        raise UnreadableDocument("permission denied: make the file readable (chmod +r)") from None
    except IsADirectoryError:
        raise UnreadableDocument("is a folder, not a file: pass the folder to read the files in it") from None
    except OSError as exc:
        raise UnreadableDocument(
            f"file cannot be read ({_reason(exc)}): check the disk and the path"
        ) from None
    if len(raw) > max_bytes:
        raise UnreadableDocument(_too_large(len(raw), max_bytes))
    return raw


def _require_regular(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError()
    if not stat.S_ISREG(mode):
        raise UnreadableDocument(
            f"not a regular file ({_kind(mode)}): only regular files are read; "
            "save the text to one"
        )


def _too_large(size: int, limit: int) -> str:
    return (
        f"file is {_size(size)}, over the {_size(limit)} limit: raise it with --max-file-bytes "
        "or DIGEST_MAX_FILE_BYTES"
    )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count} bytes"


def decode_text(raw: bytes) -> str:
    """Decode UTF-8 (with or without a byte order mark), UTF-16 (with or without one) or UTF-32 with one.

    Newlines become \\n.
    """
    encoding = next((name for bom, name in BYTE_ORDER_MARKS if raw.startswith(bom)), None)
    if encoding is None and b"\x00" in raw:
        encoding = _bomless_utf16(raw)
        if encoding is None:
            raise UnreadableDocument("binary file (it contains NUL bytes): only plain text is read")
    try:
        text = raw.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        name = (encoding or "utf-8").removesuffix("-sig").upper()
        raise UnreadableDocument(
            f"not {name} text (byte 0x{raw[exc.start]:02X} at offset {exc.start} is invalid): "
            "save it as UTF-8"
        ) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if text and len(_CONTROL.findall(text)) > _CONTROL_SHARE * len(text):
        raise UnreadableDocument("binary file (mostly control characters): only plain text is read")
    return text


# In UTF-16 text the spaces, newlines, digits and punctuation that every script uses are code units
# below U+0100, whose high byte is 0: the NUL bytes of such a file fall almost all on one side.
# Other NUL bytes (U+0100, U+0900...) are rare; a binary file has them on both sides.
_OTHER_SIDE_NULS = 0.05
_TEXT_CATEGORIES_EXCLUDED = frozenset({"Cc", "Cn", "Co", "Cs"})
# ASCII text with a stray NUL byte also reads as UTF-16: as CJK ideographs whose two bytes are both
# printable ASCII. Real text has few such code units (about a quarter of them in Chinese).
_ASCII_PAIRS = 0.6
_SAMPLE_UNITS = 32 * 1024  # enough to judge; the whole file is decoded strictly afterwards


def _bomless_utf16(raw: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" if `raw` reads as plausible text in it, else None."""
    if len(raw) % 2:
        return None
    even = raw[0::2].count(0)
    odd = raw[1::2].count(0)
    # Little endian puts the high byte second: its NULs are at odd offsets.
    encoding, high, low = ("utf-16-le", odd, even) if odd >= even else ("utf-16-be", even, odd)
    if low > _OTHER_SIDE_NULS * high:
        return None
    sample = raw[: 2 * _SAMPLE_UNITS]
    highs, lows = (sample[1::2], sample[0::2]) if encoding == "utf-16-le" else (sample[0::2], sample[1::2])
    wide = [(h, l) for h, l in zip(highs, lows) if h]
    ascii_pairs = sum(1 for h, l in wide if 0x20 <= h <= 0x7E and 0x20 <= l <= 0x7E)
    if ascii_pairs > _ASCII_PAIRS * len(wide):
        return None
    # Cut at a code unit boundary; a surrogate pair cut in two is not counted against the file.
    text = sample.decode(encoding, errors="surrogatepass")
    # Text has no control characters but layout ones, and no unassigned, private-use or lone
    # surrogate code points; a binary file read as UTF-16 has them.
    unlikely = sum(
        1
        for char in text
        if char not in "\t\n\r\f" and unicodedata.category(char) in _TEXT_CATEGORIES_EXCLUDED
    )
    return encoding if unlikely <= len(text) // 200 + (1 if len(sample) < len(raw) else 0) else None


# --- boilerplate ----------------------------------------------------------------------------

# Bracketed advertisement slots left by scrapers: "[विज्ञापन_2]", "[Advertisement 1]", "[اشتہار]".
_AD_WORDS = (
    "advertisement|advertising|advert|ads?|sponsored|werbung|anzeige|publicité|publicidad|anuncio"
    "|pubblicità|publicidade|reklama|reklam|реклама|quảng cáo|iklan|विज्ञापन|जाहिरात|বিজ্ঞাপন"
    "|விளம்பரம்|ప్రకటన|ਇਸ਼ਤਿਹਾਰ|اشتہار|اشتهار|إعلان|اعلان|تبلیغات|تبليغات|آگهی|آگہی|广告|廣告|広告|광고|โฆษณา"
)
_AD_MARKER = re.compile(rf"\[\s*(?:{_AD_WORDS})(?:[\s_\-#]*\d+)?\s*\]", re.IGNORECASE)
# A line that only counts comments: "टिप्पणी (0)", "تبصرہ (0)", "Comments (12)", "تعليقات (3)".
_COMMENT_WORDS = (
    "comments?|kommentare?|commentaires?|comentarios?|commenti|comentários|komentar|yorumlar?"
    "|комментари[иейя]?|bình luận|टिप्पणी|टिप्पणियां|टिप्पणियाँ|प्रतिक्रिया|प्रतिक्रियाएं|प्रतिक्रियाएँ"
    "|मंतव्य|মন্তব্য|கருத்துகள்|கருத்து|تبصرہ|تبصرے|تعليق|تعليقات|تعلیقات|نظرات|نظر"
    "|评论|評論|コメント|댓글"
)
_COMMENT_COUNTER = re.compile(rf"^\s*(?:{_COMMENT_WORDS})\s*[(\[（]\s*\d+\s*[)\]）]\s*$", re.IGNORECASE)
# The closing "Source: URL" line, in the languages the scraped feeds come in. The label alone
# (the Urdu sample's "ماخذ") also marks the end of the article.
_SOURCE_WORDS = (
    "source|sources|quelle|source originale|fuente|fonte|bron|kaynak|источник|джерело|nguồn"
    "|स्रोत|स्त्रोत|स्रोतः|ماخذ|منبع|مأخذ|المصدر|مصدر|উৎস|সূত্র|மூலம்|来源|來源|出典|출처|ที่มา"
)
# "Read more: URL" lines pointing at the full story: a source link too, when they carry a URL.
_READ_MORE_WORDS = (
    "read more|read the full story|read full story|full story|continue reading|original article|read the original"
    "|पूरी खबर यहां पढ़ें|पूरी ख़बर यहां पढ़ें|पूरी खबर यहाँ पढ़ें|पूरी खबर पढ़ें|पूरी ख़बर पढ़ें|यहां पढ़ें|यहाँ पढ़ें"
    "|और पढ़ें|मूल लेख|مزید پڑھیں|مکمل خبر پڑھیں|پوری خبر پڑھیں|مکمل خبر|ادامه مطلب|بیشتر بخوانید|متن کامل خبر"
    "|متن کامل|اقرأ المزيد|اقرأ الخبر كاملا|اقرأ الخبر كاملاً|المقال الأصلي|للمزيد"
)
_URL = r"(?:[A-Za-z][A-Za-z0-9+.-]*://\S+|www\.\S+)"
# After a label any scheme counts ("javascript:…", "data:…"): the line is boilerplate whatever it
# links to, and the publisher decides which links are safe to show.
_LABELLED_URL = r"(?:[A-Za-z][A-Za-z0-9+.-]*:\S+|www\.\S+)"
# "Source: URL", "स्रोत- URL", "स्रोत – URL", "(स्रोत: URL)", "Read more: URL", with a closing "।".
_SOURCE_LINE = re.compile(
    rf"^\s*(?P<open>[(\[])?\s*(?:(?P<label>{_SOURCE_WORDS})|(?P<more>{_READ_MORE_WORDS}))"
    rf"\s*(?:[:：]|[-–—]+)?\s*(?P<url>{_LABELLED_URL})?\s*[)\]]?\s*[।۔.]?\s*$",
    re.IGNORECASE,
)
_BARE_URL_LINE = re.compile(rf"^\s*(?P<url>{_URL})\s*$")
_LABEL_ONLY_WINDOW = 3  # a label without a URL ends the article only among the last few lines
_SOURCE_SHARE = 3  # a labelled source line is looked for in the last third of the lines (at least 8)
_SOURCE_MIN_WINDOW = 8
_URL_TAIL = "।۔.,;:"
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Cleaned:
    """A text with its chrome removed: the body, the source link found, and each line removed with its rule."""

    body: str
    source_url: str | None
    removed: tuple[tuple[str, str], ...] = ()
    removed_at: tuple[int, ...] = ()  # the removed lines' indices in the text, in the same order


def clean_text(text: str) -> tuple[str, str | None]:
    """Remove page chrome and the source line; return (body, url)."""
    cleaned = clean(text)
    return cleaned.body, cleaned.source_url


def clean(
    text: str, *, template: Collection[str] = frozenset(), keep: str | None = None, page: bool = True
) -> Cleaned:
    """Remove advertisement markers, comment counters, page chrome and the source line.

    `template` holds fingerprints of lines that recur across documents (readers.chrome); a line
    equal to `keep` (a title from the file's metadata) is never removed. `page` is False for text a
    format's reader already extracted: then only markers, counters, template lines and the source
    line go (readers.chrome.chrome_rules).
    """
    # None marks a line that held only boilerplate: it goes, rather than leaving a blank line.
    lines: list[str | None] = []
    removed: dict[int, tuple[str, str]] = {}
    for i, line in enumerate(text.replace("\r\n", "\n").split("\n")):
        if _AD_MARKER.search(line):
            stripped = re.sub(r"[ \t]{2,}", " ", _AD_MARKER.sub(" ", line)).strip()
            if not stripped:
                removed[i] = ("advertisement", line.strip())
                lines.append(None)
                continue
            line = stripped
        if _COMMENT_COUNTER.match(line):
            removed[i] = ("comment counter", line.strip())
            lines.append(None)
            continue
        lines.append(line.rstrip())
    source_url = _take_source(lines, removed)
    kept = {i for i, line in enumerate(lines) if keep and line and " ".join(line.split()) == keep}
    chrome = chrome_rules(lines, template=template, keep=kept, page=page)
    if source_url is None:
        # A bare URL is the source only standing alone at the very end, never inside the article.
        last = next(
            (
                i
                for i in reversed(range(len(lines)))
                if (lines[i] or "").strip() and (i not in chrome or _BARE_URL_LINE.match(lines[i] or ""))
            ),
            None,
        )
        match = _BARE_URL_LINE.match(lines[last] or "") if last is not None else None
        if last is not None and match:
            source_url = _trim_url(match.group("url"), parenthesized=False)
            chrome[last] = "source line"
    for i, rule in chrome.items():
        removed[i] = (rule, (lines[i] or "").strip())
        lines[i] = None
    body = "\n".join(line for line in lines if line is not None)
    body = re.sub(r"\n[ \t]*(?:\n[ \t]*)+\n", "\n\n", body)  # blank lines that now run together
    return Cleaned(body.strip(), source_url, tuple(removed[i] for i in sorted(removed)), tuple(sorted(removed)))


def _take_source(lines: list[str | None], removed: dict[int, tuple[str, str]]) -> str | None:
    """Find the source line in the last part of the text, remove it, and return its URL."""
    content = [i for i, line in enumerate(lines) if line and line.strip()]
    window = max(_SOURCE_MIN_WINDOW, len(content) // _SOURCE_SHARE)
    for i in reversed(content[-window:]):
        match = _SOURCE_LINE.match(lines[i] or "")
        if not match:
            continue
        url = match.group("url")
        if url is None and (match.group("more") or i not in content[-_LABEL_ONLY_WINDOW:]):
            continue  # "Read more" alone is a widget; a bare label far from the end is a heading
        removed[i] = ("source line", (lines[i] or "").strip())
        lines[i] = None
        return _trim_url(url, parenthesized=bool(match.group("open"))) if url else None
    return None


def _trim_url(url: str, *, parenthesized: bool) -> str:
    """A URL without the sentence's closing "।", "۔" or "." (and ")" when the line opened one)."""
    while url and (url[-1] in _URL_TAIL or (parenthesized and url[-1] in ")]")):
        url = url[:-1]
    return url


def _title_line(line: str) -> bool:
    """Whether a body line may be the title: not a date, a dateline or a weather reading."""
    return not (is_date_line(line) or is_dateline(line) or is_weather(line))


def title_first(body: str) -> str:
    """`body` with its title line first: dates, datelines and weather readings above it go below it.

    The digest's entry title is the first line of the translation, so it must be the headline.
    """
    if body.startswith("#"):
        return body
    lines = body.split("\n")
    content = [i for i, line in enumerate(lines) if line.strip()]
    first = next((i for i in content if _title_line(lines[i])), None)
    if first is None or first == content[0]:
        return body
    head = lines[first]
    rest = lines[:first] + lines[first + 1 :]
    return re.sub(r"\n[ \t]*(?:\n[ \t]*)+\n", "\n\n", f"{head}\n\n" + "\n".join(rest)).strip()


def make_title(body: str) -> str:
    """A markdown "# Heading" if the body has one, else its first sentence, at most 100 characters."""
    heading = _HEADING.search(body)
    if heading:
        return shorten(heading.group(1).strip())
    lines = [line for line in body.split("\n") if line.strip()]
    first_line = next((line for line in lines if _title_line(line)), lines[0] if lines else "")
    sentences = split_sentences(first_line)
    return shorten(sentences[0] if sentences else first_line.strip())


def shorten(text: str, limit: int = TITLE_LENGTH) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—،") + "…"
