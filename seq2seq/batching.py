"""Batches by a token budget: segments sorted by length, order restored afterwards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def token_batches(lengths: Sequence[int], *, max_tokens: int, max_size: int | None = None) -> list[list[int]]:
    """Group indices into batches whose padded size (longest x count) stays within `max_tokens`.

    Indices are sorted longest first, so each batch holds similar lengths and padding is small;
    a single segment longer than the budget still gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        length = max(1, lengths[index])
        widest = max(longest, length)
        full = max_size is not None and len(current) >= max_size
        if current and (widest * (len(current) + 1) > max_tokens or full):
            batches.append(current)
            current, widest = [], length
        current.append(index)
        longest = widest
    if current:
        batches.append(current)
    return batches


def run_batched(
    items: Sequence[T],
    lengths: Sequence[int],
    fn: Callable[[list[T]], list[R]],
    *,
    max_tokens: int,
    max_size: int | None = None,
) -> list[R]:
    """Apply `fn` to token-budget batches of `items` and return its outputs in the original order."""
    if len(items) != len(lengths):
        raise ValueError("items and lengths differ in length")
    out: list[R | None] = [None] * len(items)
    for batch in token_batches(lengths, max_tokens=max_tokens, max_size=max_size):
        results = fn([items[i] for i in batch])
        if len(results) != len(batch):
            raise RuntimeError(f"backend returned {len(results)} outputs for {len(batch)} inputs")
        for i, result in zip(batch, results):
            out[i] = result
    done = [r for r in out if r is not None]
    if len(done) != len(out):
        raise RuntimeError(f"{len(out) - len(done)} segments got no output")
    return done
