"""How the pipeline reports progress; the CLI supplies a progress bar, the library prints nothing."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress events from a run."""

    def files_total(self, count: int) -> None:
        """The run will process `count` files.

        Args:
            count: files found after walking the inputs.
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

    def segments_total(self, count: int) -> None:
        """`count` more segments are queued for translation.

        Args:
            count: segments added to the total.
        """
        ...

    def segments_done(self, count: int) -> None:
        """`count` more segments were translated or served from the translation memory.

        Args:
            count: segments finished since the last call.
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

    def segments_total(self, count: int) -> None:
        """Ignore."""

    def segments_done(self, count: int) -> None:
        """Ignore."""
