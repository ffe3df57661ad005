"""The summarization stage's contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Summarizer(Protocol):
    """Turns English texts into short summaries."""

    model_id: str | None  # None for summarizers that need no weights

    def summarize(self, texts: Sequence[str]) -> list[str]:
        """Summarize each text in 2-4 sentences.

        Args:
            texts: full English documents; any length (long ones are summarized in chunks).

        Returns:
            One summary per text, in the order given.
        """
        ...
