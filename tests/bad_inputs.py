"""Lay out a corpus of bad inputs beside good ones: `python -m tests.bad_inputs DEST`.

Every kind of file a user might drop into the inbox: empty, blank, binary, too large, the wrong
encoding, UTF-16 without a byte-order mark, mixed languages, a scraped page full of menus, links
out of the tree and into /proc and /dev, a named pipe, a folder 600 levels deep, names that are
not UTF-8 or hold control characters, and a PDF with no text. `tests/data/bad_inputs/README.md`
says where each text comes from.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
DATA = REPO / "tests" / "data" / "bad_inputs"
HELDOUT = REPO / "tests" / "data" / "heldout"

# The run over the corpus passes this limit; `huge.txt` is over it and every good file under it.
MAX_FILE_BYTES = 256 * 1024
DEPTH = 600
# A name whose control characters would forge a summary line if echoed raw.
FORGING_NAME = "evil\x1b[31m\ndigest: 99 of 99 files (hi 99); 0 failed.txt"
NOT_UTF8_NAME = os.fsdecode(b"caf\xe9-\xff.txt")


@dataclass
class Corpus:
    """Where the corpus lies, and the path, as given to `digest run`, of each good and bad file."""

    inbox: Path
    good: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def _lines(name: str, count: int) -> str:
    return "\n".join((HELDOUT / name).read_text(encoding="utf-8").splitlines()[:count]) + "\n"


def _sample(prefix: str) -> str:
    return next(SAMPLES.glob(f"{prefix}-*.txt")).read_text(encoding="utf-8")


def build(dest: Path) -> Corpus:
    """Lay the corpus out under `dest/inbox` (and `dest/elsewhere`, outside it)."""
    inbox = Path(dest) / "inbox"
    inbox.mkdir(parents=True)
    corpus = Corpus(inbox)

    def good(relative: str, data: bytes) -> Path:
        path = inbox / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        corpus.good.append(path)
        return path

    def bad(relative: str, data: bytes, *, skipped: bool = False) -> Path:
        path = inbox / relative
        path.write_bytes(data)
        (corpus.skipped if skipped else corpus.failed).append(path)
        return path

    def link(relative: str, target: str | Path) -> None:
        path = inbox / relative
        path.symlink_to(target)
        corpus.failed.append(path)

    # Good files.
    for sample in SAMPLES.glob("*.txt"):
        good(sample.name, sample.read_bytes())
    good("mixed-hi-en.txt", (_lines("hi.txt", 4) + "\n" + _sample("en")).encode())
    good("scraped-menus-hi.txt", (DATA / "scraped-menus-hi.txt").read_bytes())
    good("utf16le-no-bom-hi.txt", _lines("hi.txt", 6).encode("utf-16-le"))
    good("utf16be-no-bom-ur.txt", _lines("ur.txt", 6).encode("utf-16-be"))
    good(NOT_UTF8_NAME, _sample("en").encode())
    good(FORGING_NAME, _sample("hi").encode())
    good("/".join(["deep"] * DEPTH) + "/article-ur.txt", _sample("ur").encode())
    locked = good("no-permission.txt", _lines("ne.txt", 3).encode())
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads it anyway; anyone else gets one failure line for it
        corpus.good.remove(locked)
        corpus.failed.append(locked)
    # A second way to the same file: read once, listed once.
    (inbox / "same-article.txt").symlink_to(next(SAMPLES.glob("hi-*.txt")).name)

    # Bad files: one failure line each.
    bad("empty.txt", b"")
    bad("blank.txt", b" \n\t\n\n")
    bad("binary-elf.txt", Path(sys.executable).resolve().read_bytes()[:4096])
    bad("huge.txt", (_sample("en") * (MAX_FILE_BYTES // len(_sample("en").encode()) + 2)).encode())
    bad("ar-windows-1256.txt", _lines("ar.txt", 5).encode("cp1256"))
    bad("boilerplate-only.txt", (DATA / "boilerplate-only.txt").read_bytes())
    link("passwd.txt", "/etc/passwd")
    link("proc-status.txt", "/proc/self/status")
    link("dev-zero.txt", "/dev/zero")
    outside = Path(dest) / "elsewhere" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text("API_KEY=do-not-publish. This file lies outside the inbox.\n", encoding="utf-8")
    link("outside.txt", outside)
    link("broken.txt", "no-such-file.txt")
    link("loop-a.txt", "loop-b.txt")
    link("loop-b.txt", "loop-a.txt")
    # Skipped: one line each in the digest's `skipped`.
    fifo = inbox / "fifo.txt"
    os.mkfifo(fifo)
    corpus.skipped.append(fifo)
    bad("scan-no-text.pdf", (DATA / "scan-no-text.pdf").read_bytes())
    return corpus


def remove(dest: Path) -> None:
    """Delete a laid-out corpus; its deep folder is too deep for a recursive delete."""
    stack = [Path(dest)]
    while stack:
        folder = stack[-1]
        children = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()] if folder.exists() else []
        if children:
            stack.extend(children)
            continue
        for entry in folder.iterdir() if folder.exists() else []:
            entry.unlink()
        if folder.exists():
            folder.rmdir()
        stack.pop()


def main(argv: list[str]) -> int:
    """Lay the corpus out in the folder named on the command line."""
    if len(argv) != 1:
        print("usage: python -m tests.bad_inputs DEST", file=sys.stderr)
        return 2
    corpus = build(Path(argv[0]))
    print(f"{corpus.inbox}: {len(corpus.good)} good, {len(corpus.failed)} failing, {len(corpus.skipped)} skipped")
    print(f"try: digest run {corpus.inbox} --max-file-bytes {MAX_FILE_BYTES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
