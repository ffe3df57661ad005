"""Token-budget batching: the budget, the output caps a batch may mix, order restored, outputs unchanged."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from seq2seq.batching import CAP_RATIO, run_batched, token_batches
from seq2seq.hf import Seq2SeqRunner, max_new_tokens_for
from seq2seq.hub import locate_model
from tests.checkpoints import MARIAN_MODELS, sample_text


def random_rows(seed: int, count: int = 300) -> tuple[list[int], list[int]]:
    rng = random.Random(seed)
    lengths = [rng.randint(1, 120) for _ in range(count)]
    caps = [rng.choice([max_new_tokens_for(n, limit=200), rng.randint(1, 300)]) for n in lengths]
    return lengths, caps


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ratio", [1.0, 1.25, CAP_RATIO, 3.0])
def test_batches_never_mix_caps_beyond_the_ratio(seed: int, ratio: float) -> None:
    lengths, caps = random_rows(seed)

    batches = token_batches(lengths, max_tokens=400, caps=caps, cap_ratio=ratio)

    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        high, low = max(caps[i] for i in batch), min(caps[i] for i in batch)
        assert high <= ratio * low
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 400


def test_caps_that_grow_with_length_keep_batches_of_similar_lengths_whole() -> None:
    lengths = [30, 31, 29, 32, 30, 28]
    caps = [max_new_tokens_for(n, limit=510) for n in lengths]

    assert token_batches(lengths, max_tokens=1000, caps=caps) == token_batches(lengths, max_tokens=1000)
    assert len(token_batches(lengths, max_tokens=1000)) == 1


def test_a_short_cap_starts_its_own_batch() -> None:
    lengths = [40, 40, 40, 40]
    caps = [100, 10, 90, 12]

    batches = token_batches(lengths, max_tokens=1000, caps=caps)

    assert sorted(sorted(batch) for batch in batches) == [[0, 2], [1, 3]]


def test_bad_caps_are_refused() -> None:
    with pytest.raises(ValueError, match="caps"):
        token_batches([1, 2], max_tokens=10, caps=[1])
    with pytest.raises(ValueError, match="cap_ratio"):
        token_batches([1, 2], max_tokens=10, caps=[1, 2], cap_ratio=0.5)


def test_run_batched_restores_the_order() -> None:
    lengths, caps = random_rows(7, count=100)
    seen: list[int] = []

    def fn(batch: list[int]) -> list[str]:
        seen.append(len(batch))
        return [f"out{i}" for i in batch]

    out = run_batched(list(range(100)), lengths, fn, max_tokens=300, caps=caps)

    assert out == [f"out{i}" for i in range(100)]
    assert len(seen) > 1


def test_generation_is_the_same_whatever_the_batching(tiny_model_dir: Path) -> None:
    runner = Seq2SeqRunner(
        locate_model(MARIAN_MODELS[0], model_dir=tiny_model_dir), device="cpu", num_beams=1
    )
    lines = [line for line in sample_text("hi").splitlines() if line.strip()][:12]
    inputs = [runner.encode(line)[:60] for line in lines]
    # Caps both short and long, so the caps alone split batches that the budget would keep together.
    maximum = [max_new_tokens_for(len(ids), limit=60) if i % 2 else 3 + i for i, ids in enumerate(inputs)]
    alone = [runner.generate([ids], maximum=[cap])[0] for ids, cap in zip(inputs, maximum)]
    assert len(token_batches([len(ids) for ids in inputs], max_tokens=10_000, caps=maximum)) > 1

    runner.max_batch_tokens = 10_000
    batched = runner.generate(inputs, maximum=maximum)

    assert batched == alone
    assert all(len(ids) <= cap for ids, cap in zip(batched, maximum))
