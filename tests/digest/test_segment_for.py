"""segment_for: sentences over the soft target are split at clauses; NLLB never gets more than 512 tokens."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from core.segment import rebuild
from digest.stages import NLLB_MAX_TOKENS, SOFT_TARGET_TOKENS, segment_for


class WordTranslator:
    """One token per word plus an end token, like a tokenizer on short words."""

    def __init__(self, *, limit: int, nllb: bool = False) -> None:
        self.model_id = "test/words"
        self.revision = "r1"
        self.limit = limit
        self.nllb = nllb

    @property
    def max_input_tokens(self) -> int:
        return self.limit

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        return list(segments)


def clauses(count: int, words: int) -> str:
    """A Hindi-like sentence of `count` clauses of `words` words, joined by commas."""
    return ", ".join(" ".join(f"शब्द{c}x{w}" for w in range(words)) for c in range(count)) + "।"


def test_a_short_sentence_is_left_alone() -> None:
    segments = segment_for("यह छोटा वाक्य है। दूसरा।", WordTranslator(limit=1024))
    assert [s.text for s in segments] == ["यह छोटा वाक्य है।", "दूसरा।"]


def test_a_long_sentence_is_split_at_clauses_to_the_soft_target() -> None:
    body = clauses(20, 40) + "\nदूसरा अनुच्छेद।"  # 800 words: under Marian's 1024, far over the target
    translator = WordTranslator(limit=1024)
    segments = segment_for(body, translator)
    pieces = [s for s in segments if s.paragraph == 0]
    assert len(pieces) > 1
    assert all(translator.count_tokens(s.text) <= SOFT_TARGET_TOKENS for s in pieces)
    assert all(s.text.endswith((",", "।")) for s in pieces)  # cut only at clause boundaries
    assert [s.trailer for s in pieces] == [" "] * (len(pieces) - 1) + ["\n"]
    assert rebuild(segments, [s.text for s in segments]).split() == body.split()


def test_the_target_can_be_set_and_never_exceeds_the_model_limit() -> None:
    body = clauses(10, 10)
    small = segment_for(body, WordTranslator(limit=1024), target_tokens=25)
    assert all(len(s.text.split()) + 1 <= 25 for s in small)
    capped = segment_for(body, WordTranslator(limit=15), target_tokens=200)
    assert all(len(s.text.split()) + 1 <= 15 for s in capped)


@pytest.mark.parametrize("target", [200, 800, 2000])
def test_nllb_never_gets_more_than_512_tokens(target: int) -> None:
    # One clause of 900 words and no boundary: only the hard limit can cut it.
    body = " ".join(f"کلمه{i}" for i in range(900)) + "."
    translator = WordTranslator(limit=1024, nllb=True)
    segments = segment_for(body, translator, target_tokens=target)
    assert max(translator.count_tokens(s.text) for s in segments) <= NLLB_MAX_TOKENS
    assert " ".join(s.text for s in segments).split() == body.split()


def test_a_model_that_is_not_nllb_keeps_its_own_limit_as_the_backstop() -> None:
    body = " ".join(f"w{i}" for i in range(900)) + "."
    translator = WordTranslator(limit=1024)
    segments = segment_for(body, translator, target_tokens=2000)
    assert len(segments) == 1  # 901 tokens fit the model, and the caller asked for no soft split
