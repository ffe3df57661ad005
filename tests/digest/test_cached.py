"""The driver's translation memory: nothing is translated twice, and finished chunks survive a failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from digest.cached import DEFAULT_CHUNK_SIZE, Cached, MemoryKey, translate_cached
from digest.engine import LocalEngine
from digest.stages import fixed_translators
from digest.state import StateStore, TranslationMemory
from translate.base import Translator


class CountingTranslator:
    """A fake model: upper-cases its input and remembers every call; can fail on a given call."""

    def __init__(
        self,
        model_id: str = "Helsinki-NLP/opus-mt-hi-en",
        revision: str = "rev1",
        *,
        fail_on_call: int | None = None,
    ) -> None:
        self.model_id: str | None = model_id
        self.revision = revision
        self.fail_on_call = fail_on_call
        self.calls: list[tuple[list[str], str | None]] = []

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        self.calls.append((list(segments), source_code))
        if self.fail_on_call == len(self.calls):
            raise RuntimeError("model crashed")
        return [f"{segment.upper()} [{self.revision}]" for segment in segments]

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    @property
    def max_input_tokens(self) -> int:
        return 512

    @property
    def sent(self) -> list[str]:
        return [segment for segments, _ in self.calls for segment in segments]


def cached(
    inner: CountingTranslator,
    memory: TranslationMemory | None,
    segments: Sequence[str],
    *,
    source_code: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> Cached:
    """Translate as the driver does: memory looked up first, misses sent to the translate stage in chunks."""
    assert inner.model_id is not None
    stage = fixed_translators({inner.model_id: inner})
    engine = LocalEngine()
    return translate_cached(
        segments,
        key=MemoryKey(inner.model_id, inner.revision, source_code),
        memory=memory,
        send=lambda requests: engine.map(stage.translate, requests),
        chunk_size=chunk_size,
        on_progress=on_progress,
    )


def test_second_call_over_the_same_segments_translates_nothing(store: StateStore) -> None:
    segments = ["ek", "do", "teen"]
    first = cached(CountingTranslator(), store.memory, segments)
    assert first.texts == ("EK [rev1]", "DO [rev1]", "TEEN [rev1]")
    assert (first.translated, first.from_cache) == (3, 0)

    inner = CountingTranslator()
    second = cached(inner, store.memory, segments)
    assert second.texts == first.texts
    assert inner.calls == []
    assert (second.translated, second.from_cache) == (0, 3)


def test_a_segment_seen_in_another_file_is_not_translated_again(store: StateStore) -> None:
    inner = CountingTranslator()
    one = cached(inner, store.memory, ["shared line", "only in file one"])
    two = cached(inner, store.memory, ["only in file two", "shared line"])
    assert two.texts == ("ONLY IN FILE TWO [rev1]", "SHARED LINE [rev1]")
    assert inner.sent == ["only in file one", "shared line", "only in file two"]  # longest first
    assert (one.translated + two.translated, one.from_cache + two.from_cache) == (3, 1)


def test_duplicates_within_one_call_are_translated_once(store: StateStore) -> None:
    inner = CountingTranslator()
    result = cached(inner, store.memory, ["a", "b", "a", "a"])
    assert result.texts == ("A [rev1]", "B [rev1]", "A [rev1]", "A [rev1]")
    assert inner.sent == ["a", "b"]
    assert (result.translated, result.from_cache) == (2, 2)


def test_duplicates_are_translated_once_without_a_memory() -> None:
    inner = CountingTranslator()
    result = cached(inner, None, ["a", "b", "a"])
    assert result.texts == ("A [rev1]", "B [rev1]", "A [rev1]")
    assert inner.sent == ["a", "b"]
    assert (result.translated, result.from_cache) == (2, 1)


def test_a_new_revision_invalidates_only_that_models_entries(store: StateStore) -> None:
    cached(CountingTranslator("hi-en", "rev1"), store.memory, ["x", "y"])
    cached(CountingTranslator("ur-en", "rev1"), store.memory, ["x", "y"])

    upgraded_inner = CountingTranslator("hi-en", "rev2")
    assert cached(upgraded_inner, store.memory, ["x", "y"]).texts == ("X [rev2]", "Y [rev2]")
    assert upgraded_inner.sent == ["x", "y"]

    urdu_again_inner = CountingTranslator("ur-en", "rev1")
    assert cached(urdu_again_inner, store.memory, ["x", "y"]).texts == ("X [rev1]", "Y [rev1]")
    assert urdu_again_inner.calls == []

    assert store.memory.prune("hi-en", keep_revision="rev2") == 2
    assert store.memory.count("hi-en") == 2 and store.memory.count("ur-en") == 2


def test_source_codes_of_one_model_are_kept_apart(store: StateStore) -> None:
    inner = CountingTranslator("facebook/nllb-200-distilled-600M")
    cached(inner, store.memory, ["same text"], source_code="hin_Deva")
    cached(inner, store.memory, ["same text"], source_code="urd_Arab")
    cached(inner, store.memory, ["same text"], source_code="hin_Deva")
    assert inner.calls == [(["same text"], "hin_Deva"), (["same text"], "urd_Arab")]


def test_chunks_finished_before_a_failure_are_committed(out_dir: Path) -> None:
    segments = [f"sentence {i}" for i in range(7)]
    with StateStore.open(out_dir) as store:
        failing = CountingTranslator(fail_on_call=3)
        progress: list[int] = []
        with pytest.raises(RuntimeError, match="model crashed"):
            cached(failing, store.memory, segments, chunk_size=2, on_progress=progress.append)
        assert progress == [20, 20]  # two chunks (of 10 characters a segment) reported before the crash

    with StateStore.open(out_dir) as reopened:
        found = reopened.memory.lookup("Helsinki-NLP/opus-mt-hi-en", "rev1", None, segments)
        assert sorted(found) == [0, 1, 2, 3]
        # The next run picks up where the failed one stopped.
        inner = CountingTranslator()
        resumed = cached(inner, reopened.memory, segments, chunk_size=2)
        assert resumed.texts == tuple(f"SENTENCE {i} [rev1]" for i in range(7))
        assert inner.sent == segments[4:]
        assert (resumed.translated, resumed.from_cache) == (3, 4)


def test_misses_go_to_the_inner_translator_in_chunks(store: StateStore) -> None:
    inner = CountingTranslator()
    progress: list[int] = []
    cached(inner, store.memory, ["a", "b"], chunk_size=3, on_progress=progress.append)
    cached(inner, store.memory, ["a", "c", "d", "e", "f", "b", "g", "h"], chunk_size=3, on_progress=progress.append)
    assert [segments for segments, _ in inner.calls] == [["a", "b"], ["c", "d", "e"], ["f", "g", "h"]]
    assert progress == [2, 2, 3, 3]  # characters: first call's chunk; then the two hits, then each chunk


def test_an_inner_translator_returning_the_wrong_count_stores_nothing(store: StateStore) -> None:
    class Dropping(CountingTranslator):
        def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
            return super().translate(segments, source_code=source_code)[:-1]

    with pytest.raises(RuntimeError, match="returned 1 translations for 2 segments"):
        cached(Dropping(), store.memory, ["a", "b"])
    assert store.memory.count() == 0


def test_a_stage_returning_the_wrong_count_stores_nothing(store: StateStore) -> None:
    # The driver checks too: a remote stage is not trusted to have checked.
    def short(requests: list) -> Iterator[tuple[str, ...]]:
        for request in requests:
            yield tuple(request.segments)[:-1]

    with pytest.raises(RuntimeError, match="returned 1 translations for 2 segments"):
        translate_cached(["a", "b"], key=MemoryKey("m", "r", None), memory=store.memory, send=short)
    assert store.memory.count() == 0


def test_no_call_is_made_for_nothing_to_translate(store: StateStore) -> None:
    inner = CountingTranslator()
    assert cached(inner, store.memory, []).texts == ()
    assert inner.calls == []


def test_the_fake_is_a_translator() -> None:
    assert isinstance(CountingTranslator("m", "r9"), Translator)


def test_the_chunk_size_must_be_positive(store: StateStore) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        cached(CountingTranslator(), store.memory, ["a"], chunk_size=0)


class EmptyTranslator(CountingTranslator):
    """A broken model: every translation comes out empty."""

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        super().translate(segments, source_code=source_code)
        return ["" for _ in segments]


def test_empty_translations_of_real_text_are_neither_kept_nor_served(store: StateStore) -> None:
    assert cached(EmptyTranslator(), store.memory, ["ek", "do"]).texts == ("", "")
    # As an earlier release would have left them: stored despite being empty.
    store.memory.store("Helsinki-NLP/opus-mt-hi-en", "rev1", None, [("teen", "")])

    repaired = CountingTranslator()  # same weights, so the same revision, tokenizer files restored
    out = cached(repaired, store.memory, ["ek", "do", "teen"])

    assert out.texts == ("EK [rev1]", "DO [rev1]", "TEEN [rev1]")
    assert sorted(repaired.sent) == ["do", "ek", "teen"]
    assert (out.translated, out.from_cache) == (3, 0)


def test_segments_go_out_longest_first_so_each_chunk_holds_similar_lengths(store: StateStore) -> None:
    inner = CountingTranslator()
    segments = ["a", "a much longer segment here", "mid size", "tiny", "the longest segment of them all"]
    result = cached(inner, store.memory, segments, chunk_size=2)
    assert [segments for segments, _code in inner.calls] == [
        ["the longest segment of them all", "a much longer segment here"],
        ["mid size", "tiny"],
        ["a"],
    ]
    assert result.texts == tuple(f"{s.upper()} [rev1]" for s in segments)  # back in the order given


def test_chunks_are_longest_first_slices() -> None:
    inner = CountingTranslator()
    segments = [f"{'x' * n} {n}" for n in range(1, 8)]
    cached(inner, None, segments, chunk_size=3)
    assert [len(chunk) for chunk, _ in inner.calls] == [3, 3, 1]
    assert inner.calls[0][0] == sorted(segments, key=len, reverse=True)[:3]
