"""The translation stage's contracts: small Protocols that every backend satisfies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from core.records import Detection


@runtime_checkable
class Detector(Protocol):
    """Tells which language a text is in."""

    def detect(self, text: str) -> Detection:
        """Detect the language of `text`.

        Args:
            text: a document body, boilerplate already removed.

        Returns:
            The language code and a confidence in 0..1.

        Raises:
            UnsupportedLanguage: the text has too little language in it to tell.
        """
        ...


@runtime_checkable
class Translator(Protocol):
    """Turns segments in one source language into English, one output per input, same order."""

    model_id: str | None
    revision: str  # changes whenever the model's weights do; keys the translation memory

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        """Translate `segments` to English.

        Args:
            segments: sentences, each within the model's input limit.
            source_code: the model's code for the source language (NLLB's "hin_Deva");
                None for models with one source language.

        Returns:
            One English string per segment, in the order given.
        """
        ...

    def count_tokens(self, text: str) -> int:
        """How many input tokens `text` takes for this model (used to split long sentences).

        Args:
            text: one segment.

        Returns:
            The number of tokens the model's tokenizer produces, special tokens included.
        """
        ...

    @property
    def max_input_tokens(self) -> int:
        """The longest input, in tokens, the model accepts."""
        ...
