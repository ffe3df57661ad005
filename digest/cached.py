"""A Translator that never translates the same segment twice with the same model."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from digest.state import TranslationMemory
from translate.base import Translator

DEFAULT_CHUNK_SIZE = 64


class CachedTranslator:
    """Wraps any Translator with the translation memory, committing each finished chunk.

    Segments the memory already holds for (model id, revision, source code) are served from it,
    whichever file they first came from; duplicates within one call are translated once. The rest
    go to the inner translator in chunks, each stored as soon as it is done, so a killed run keeps
    every chunk finished before the kill.
    """

    def __init__(
        self,
        inner: Translator,
        memory: TranslationMemory,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        if inner.model_id is None:
            # Without a model id there is nothing to key the memory by (identity needs no memory).
            raise ValueError("CachedTranslator needs an inner translator with a model_id")
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.inner = inner
        self.memory = memory
        self.chunk_size = chunk_size
        self.on_progress = on_progress
        # Plain attributes, as the Translator protocol declares them; a backend's revision is
        # known before its weights load, so fixing it here is safe.
        self.model_id: str | None = inner.model_id
        self.revision: str = inner.revision
        self.translated = 0  # segments sent to the inner translator
        self.from_cache = 0  # segments served without it (memory hits and repeats within a call)

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        """Translate `segments`, sending only those the memory lacks to the inner translator."""
        model_id = self.model_id
        assert model_id is not None  # checked in __init__
        unique = list(dict.fromkeys(segments))
        # An empty translation of a non-blank segment (stored by a release without this check, from a
        # model with missing tokenizer files) is a miss, so a repaired model translates it again.
        done: dict[str, str] = {
            unique[index]: text
            for index, text in self.memory.lookup(model_id, self.revision, source_code, unique).items()
            if text.strip() or not unique[index].strip()
        }
        missing = [segment for segment in unique if segment not in done]
        served = len(segments) - len(missing)
        self.from_cache += served
        self._report(served)
        for start in range(0, len(missing), self.chunk_size):
            chunk = missing[start : start + self.chunk_size]
            outputs = self.inner.translate(chunk, source_code=source_code)
            if len(outputs) != len(chunk):
                raise RuntimeError(
                    f"{model_id} returned {len(outputs)} translations for {len(chunk)} segments"
                )
            pairs = list(zip(chunk, outputs))
            # An empty translation of a non-blank segment is a model failure, never remembered: once
            # the model is repaired (same weights, so same revision) the segment is translated again.
            kept = [(segment, text) for segment, text in pairs if text.strip() or not segment.strip()]
            self.memory.store(model_id, self.revision, source_code, kept)
            done.update(pairs)
            self.translated += len(chunk)
            self._report(len(chunk))
        return [done[segment] for segment in segments]

    def _report(self, count: int) -> None:
        if self.on_progress is not None and count:
            self.on_progress(count)

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes for the inner model."""
        return self.inner.count_tokens(text)

    @property
    def max_input_tokens(self) -> int:
        """The inner model's input limit, in tokens."""
        return self.inner.max_input_tokens
