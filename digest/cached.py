"""The driver's side of the translation memory: look segments up before they go out, store what returns.

Segments the memory already holds for (model id, revision, source code) are served from it,
whichever file they first came from; duplicates are translated once. The rest go to the translate
stage in chunks, each stored as soon as it is back, so a killed run keeps every chunk finished
before the kill.

A driver may keep several windows in flight (digest.pipeline, on an engine with several workers).
A segment that an earlier window has sent out and not yet stored is then not sent again: the later
window takes its translation from the earlier one (`InFlight`), as it would have taken it from the
memory had the windows run one after another, so the calls, and the digest, are the same.
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


Send = Callable[[list[TranslateRequest]], Iterator[tuple[str, ...]]]


@dataclass(eq=False)
class PendingTranslation:
    """One route's segments on their way: served ones known, the rest in chunks sent through `send`."""

    segments: Sequence[str]
    key: MemoryKey
    done: dict[str, str]
    borrowed: dict[str, PendingTranslation]  # segment -> the earlier window translating it
    chunks: list[list[str]]
    outputs: Iterator[tuple[str, ...]]
    served: int
    finished: bool = False
    translated: int = 0


class InFlight:
    """Segments sent out by windows not yet finished, by memory key: a later window waits for them."""

    def __init__(self) -> None:
        self._lenders: dict[tuple[MemoryKey, str], PendingTranslation] = {}

    def lender(self, key: MemoryKey, segment: str) -> PendingTranslation | None:
        return self._lenders.get((key, segment))

    def add(self, pending: PendingTranslation) -> None:
        for chunk in pending.chunks:
            for segment in chunk:
                self._lenders[(pending.key, segment)] = pending

    def remove(self, pending: PendingTranslation) -> None:
        for chunk in pending.chunks:
            for segment in chunk:
                if self._lenders.get((pending.key, segment)) is pending:
                    del self._lenders[(pending.key, segment)]


def start_cached(
    segments: Sequence[str],
    *,
    key: MemoryKey,
    memory: TranslationMemory | None,
    send: Send,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: Callable[[int], None] | None = None,
    in_flight: InFlight | None = None,
) -> PendingTranslation:
    """Look `segments` up and hand the chunks the memory lacks to `send`; `finish_cached` collects them.

    `send` may start the calls at once (an engine with several workers) or when its iterator is read
    (engine.map). Segments an earlier window still has in flight (`in_flight`) are not sent again.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    report = on_progress or (lambda count: None)
    unique = list(dict.fromkeys(segments))
    done: dict[str, str] = {}
    if memory is not None and unique:
        found = memory.lookup(key.model_id, key.revision, key.source_code, unique)
        done = {unique[i]: text for i, text in found.items() if _usable(unique[i], text)}
    borrowed: dict[str, PendingTranslation] = {}
    if in_flight is not None:
        for segment in unique:
            lender = None if segment in done else in_flight.lender(key, segment)
            if lender is not None:
                borrowed[segment] = lender
    # Longest first, so each chunk holds segments of similar length and the model's batches
    # (sorted again inside the chunk) pad little and stop at similar lengths.
    missing = sorted((s for s in unique if s not in done and s not in borrowed), key=len, reverse=True)
    served = len(segments) - len(missing)
    served_chars = sum(map(len, segments)) - sum(map(len, missing))
    if served_chars:
        report(served_chars)
    chunks = [missing[start : start + chunk_size] for start in range(0, len(missing), chunk_size)]
    requests = [TranslateRequest(key.model_id, key.source_code, tuple(chunk)) for chunk in chunks]
    pending = PendingTranslation(segments, key, done, borrowed, chunks, send(requests), served)
    if in_flight is not None:
        in_flight.add(pending)
    return pending


def finish_cached(
    pending: PendingTranslation,
    *,
    memory: TranslationMemory | None,
    send: Send,
    on_progress: Callable[[int], None] | None = None,
) -> Cached:
    """Wait for `pending`'s chunks, storing each in `memory` as it returns; every segment's translation.

    A segment borrowed from an earlier window whose chunk failed, or whose translation is unusable, is
    sent now, as it would have been had that window finished before this one looked it up. The caller
    marks `pending` finished and takes it out of `InFlight` once its window has ended, failed or not.
    """
    report = on_progress or (lambda count: None)
    key, done = pending.key, pending.done
    for chunk, outputs in zip(pending.chunks, pending.outputs):
        _take(chunk, outputs, key=key, memory=memory, done=done)
        pending.translated += len(chunk)
        report(sum(map(len, chunk)))
    again: list[str] = []
    for segment, lender in pending.borrowed.items():
        text = lender.done.get(segment) if lender.finished else None  # the chunks it stored before failing
        if text is not None and _usable(segment, text):
            done[segment] = text
        else:
            again.append(segment)
    if again:
        # Only on the rare path of a lender failing: its segments go out again, as this window's.
        again.sort(key=len, reverse=True)
        requests = [TranslateRequest(key.model_id, key.source_code, tuple(again))]
        for outputs in send(requests):
            _take(again, outputs, key=key, memory=memory, done=done)
        pending.translated += len(again)
        pending.served -= len(again)
    return Cached(tuple(done[segment] for segment in pending.segments), pending.translated, pending.served)


def _take(
    chunk: Sequence[str], outputs: Sequence[str], *, key: MemoryKey, memory: TranslationMemory | None,
    done: dict[str, str],
) -> None:
    if len(outputs) != len(chunk):
        raise RuntimeError(f"{key.model_id} returned {len(outputs)} translations for {len(chunk)} segments")
    pairs = list(zip(chunk, outputs))
    if memory is not None:
        memory.store(key.model_id, key.revision, key.source_code, [p for p in pairs if _usable(*p)])
    done.update(pairs)


def translate_cached(
    segments: Sequence[str],
    *,
    key: MemoryKey,
    memory: TranslationMemory | None,
    send: Send,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> Cached:
    """Translate `segments`, sending only those the memory lacks, in chunks, through `send`.

    `send` runs the translate stage over the requests and yields each chunk's output in order
    (engine.map); each is stored in `memory` as it returns. Without a memory, repeats are still
    translated once. `on_progress` gets the characters of `segments` finished as they finish (those
    served without the model first); its calls add up to the characters of all `segments`.
    """
    pending = start_cached(segments, key=key, memory=memory, send=send, chunk_size=chunk_size,
                           on_progress=on_progress)
    return finish_cached(pending, memory=memory, send=send, on_progress=on_progress)
