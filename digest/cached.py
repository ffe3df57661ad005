"""The driver's side of the translation memory: look segments up before they go out, store what returns.

Segments the memory already holds for (model id, revision, source code) are served from it,
whichever file they first came from; duplicates are translated once. The rest go to the translate
stage in chunks, each stored as soon as it is back, so a killed run keeps every chunk finished
before the kill.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.stages import TranslateRequest

if TYPE_CHECKING:
    from digest.state import TranslationMemory

DEFAULT_CHUNK_SIZE = 128


@dataclass(frozen=True)
class MemoryKey:
    """What a remembered translation is keyed by, besides the segment's sha256."""

    model_id: str
    revision: str
    source_code: str | None


@dataclass(frozen=True)
class Cached:
    """Translations of every segment given, and how many were translated or served without the model."""

    texts: tuple[str, ...]
    translated: int  # segments sent to the translate stage
    from_cache: int  # segments served without it (memory hits and repeats)


def _usable(segment: str, text: str) -> bool:
    # An empty translation of a non-blank segment is a model failure (missing tokenizer files):
    # never remembered, and a miss when a release without this check stored one, so a repaired
    # model (same weights, same revision) translates it again.
    return bool(text.strip()) or not segment.strip()


def translate_cached(
    segments: Sequence[str],
    *,
    key: MemoryKey,
    memory: TranslationMemory | None,
    send: Callable[[list[TranslateRequest]], Iterator[tuple[str, ...]]],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> Cached:
    """Translate `segments`, sending only those the memory lacks, in chunks, through `send`.

    `send` runs the translate stage over the requests and yields each chunk's output in order
    (engine.map); each is stored in `memory` as it returns. Without a memory, repeats are still
    translated once. `on_progress` gets the characters of `segments` finished as they finish (those
    served without the model first); its calls add up to the characters of all `segments`.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    report = on_progress or (lambda count: None)
    unique = list(dict.fromkeys(segments))
    done: dict[str, str] = {}
    if memory is not None and unique:
        found = memory.lookup(key.model_id, key.revision, key.source_code, unique)
        done = {unique[i]: text for i, text in found.items() if _usable(unique[i], text)}
    # Longest first, so each chunk holds segments of similar length and the model's batches
    # (sorted again inside the chunk) pad little and stop at similar lengths.
    missing = sorted((segment for segment in unique if segment not in done), key=len, reverse=True)
    served = len(segments) - len(missing)
    served_chars = sum(map(len, segments)) - sum(map(len, missing))
    if served_chars:
        report(served_chars)
    chunks = [missing[start : start + chunk_size] for start in range(0, len(missing), chunk_size)]
    requests = [TranslateRequest(key.model_id, key.source_code, tuple(chunk)) for chunk in chunks]
    translated = 0
    for chunk, outputs in zip(chunks, send(requests)):
        if len(outputs) != len(chunk):
            raise RuntimeError(f"{key.model_id} returned {len(outputs)} translations for {len(chunk)} segments")
        pairs = list(zip(chunk, outputs))
        if memory is not None:
            memory.store(key.model_id, key.revision, key.source_code, [p for p in pairs if _usable(*p)])
        done.update(pairs)
        translated += len(chunk)
        report(sum(map(len, chunk)))
    return Cached(tuple(done[segment] for segment in segments), translated, served)
