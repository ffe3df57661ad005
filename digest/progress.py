"""How the pipeline reports progress; the CLI supplies a progress bar, the library prints nothing.

Totals are reported once, before any work is counted against them, so a bar drawn from these
events never moves backwards. Translation is counted in characters of source text: the number of
segments is known only once a model's tokenizer has split the documents, while the characters to
translate are known as soon as the documents are read and routed, and decoding time follows them.

Phases name the slow steps that advance no count (downloading, converting or loading a model,
waiting for summaries): `phase` is called as each begins. Models are found and loaded deep inside
the backends, possibly in the stage thread, so those steps announce themselves through
core.phases, which the pipeline forwards to `phase` for the length of a run.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress events from a run."""

    def files_total(self, count: int) -> None:
        """The run will report `count` files done; called once, before any file_done.

        Args:
            count: the files found, less those left out unread (unchanged, with --new-only).
        """
        ...

    def file_started(self, path: str) -> None:
        """Work on `path` has begun.

        Args:
            path: the file, as shown to the user.
        """
        ...

    def file_done(self, path: str, *, ok: bool) -> None:
        """Work on `path` has ended.

        Args:
            path: the file, as shown to the user.
            ok: False when the file failed.
        """
        ...

    def text_total(self, chars: int) -> None:
        """The run will translate `chars` characters; called once, before any text_done.

        Args:
            chars: characters of source text on model routes (English passed through is not counted).
        """
        ...

    def text_done(self, chars: int) -> None:
        """`chars` more characters were translated or served from the translation memory.

        Args:
            chars: characters finished since the last call; all calls together add up to the total.
        """
        ...

    def phase(self, name: str, detail: str) -> None:
        """A step of the run has begun; it lasts until the next phase.

        Args:
            name: what is happening: "reading", "detecting", "downloading", "converting", "loading",
                "translating", "summarizing", "publishing".
            detail: what it is happening to (a model id, "4 documents"); may be empty.
        """
        ...


class NoProgress:
    """A Progress that ignores every event (used without a terminal, and in tests)."""

    def files_total(self, count: int) -> None:
        """Ignore."""

    def file_started(self, path: str) -> None:
        """Ignore."""

    def file_done(self, path: str, *, ok: bool) -> None:
        """Ignore."""

    def text_total(self, chars: int) -> None:
        """Ignore."""

    def text_done(self, chars: int) -> None:
        """Ignore."""

    def phase(self, name: str, detail: str) -> None:
        """Ignore."""


class TextMeter:
    """Counts one window's translated characters against the share of the total it was given.

    The total is estimated from sentences before any tokenizer runs; a model may split a long
    sentence at other spaces, so the characters actually sent can differ slightly. The meter never
    reports more than its share while the window runs, and reports the rest when it ends, so the
    bar is monotonic and ends at exactly its total.
    """

    def __init__(self, progress: Progress, share: int) -> None:
        self.progress = progress
        self.share = share
        self.reported = 0

    def __call__(self, chars: int) -> None:
        """Report `chars` more characters, up to the window's share."""
        step = min(chars, self.share - self.reported)
        if step > 0:
            self.reported += step
            self.progress.text_done(step)

    def finish(self) -> None:
        """Report what is left of the share (the window ended, translated or failed)."""
        self(self.share - self.reported)
