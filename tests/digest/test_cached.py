"""CachedTranslator: nothing is translated twice, and finished chunks survive a failure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from digest.cached import CachedTranslator
from digest.state import StateStore
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


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def store(out_dir: Path) -> Iterator[StateStore]:
    with StateStore.open(out_dir) as opened:
        yield opened


def test_second_call_over_the_same_segments_translates_nothing(store: StateStore) -> None:
    segments = ["ek", "do", "teen"]
    first = CachedTranslator(CountingTranslator(), store.memory)
    english = first.translate(segments)
    assert english == ["EK [rev1]", "DO [rev1]", "TEEN [rev1]"]
    assert (first.translated, first.from_cache) == (3, 0)

    inner = CountingTranslator()
    second = CachedTranslator(inner, store.memory)
    assert second.translate(segments) == english
    assert inner.calls == []
    assert (second.translated, second.from_cache) == (0, 3)


def test_a_segment_seen_in_another_file_is_not_translated_again(store: StateStore) -> None:
    inner = CountingTranslator()
    cached = CachedTranslator(inner, store.memory)
    cached.translate(["shared line", "only in file one"])
    assert cached.translate(["only in file two", "shared line"]) == [
        "ONLY IN FILE TWO [rev1]",
        "SHARED LINE [rev1]",
    ]
    assert inner.sent == ["shared line", "only in file one", "only in file two"]
    assert (cached.translated, cached.from_cache) == (3, 1)


def test_duplicates_within_one_call_are_translated_once(store: StateStore) -> None:
    inner = CountingTranslator()
    cached = CachedTranslator(inner, store.memory)
    assert cached.translate(["a", "b", "a", "a"]) == ["A [rev1]", "B [rev1]", "A [rev1]", "A [rev1]"]
    assert inner.sent == ["a", "b"]
    assert (cached.translated, cached.from_cache) == (2, 2)


def test_a_new_revision_invalidates_only_that_models_entries(store: StateStore) -> None:
    hindi = CachedTranslator(CountingTranslator("hi-en", "rev1"), store.memory)
    urdu = CachedTranslator(CountingTranslator("ur-en", "rev1"), store.memory)
    hindi.translate(["x", "y"])
    urdu.translate(["x", "y"])

    upgraded_inner = CountingTranslator("hi-en", "rev2")
    upgraded = CachedTranslator(upgraded_inner, store.memory)
    assert upgraded.translate(["x", "y"]) == ["X [rev2]", "Y [rev2]"]
    assert upgraded_inner.sent == ["x", "y"]

    urdu_again_inner = CountingTranslator("ur-en", "rev1")
    assert CachedTranslator(urdu_again_inner, store.memory).translate(["x", "y"]) == ["X [rev1]", "Y [rev1]"]
    assert urdu_again_inner.calls == []

    assert store.memory.prune("hi-en", keep_revision="rev2") == 2
    assert store.memory.count("hi-en") == 2 and store.memory.count("ur-en") == 2


def test_source_codes_of_one_model_are_kept_apart(store: StateStore) -> None:
    inner = CountingTranslator("facebook/nllb-200-distilled-600M")
    cached = CachedTranslator(inner, store.memory)
    cached.translate(["same text"], source_code="hin_Deva")
    cached.translate(["same text"], source_code="urd_Arab")
    cached.translate(["same text"], source_code="hin_Deva")
    assert inner.calls == [(["same text"], "hin_Deva"), (["same text"], "urd_Arab")]


def test_chunks_finished_before_a_failure_are_committed(out_dir: Path) -> None:
    segments = [f"sentence {i}" for i in range(7)]
    with StateStore.open(out_dir) as store:
        failing = CountingTranslator(fail_on_call=3)
        cached = CachedTranslator(failing, store.memory, chunk_size=2)
        with pytest.raises(RuntimeError, match="model crashed"):
            cached.translate(segments)
        assert cached.translated == 4

    with StateStore.open(out_dir) as reopened:
        found = reopened.memory.lookup("Helsinki-NLP/opus-mt-hi-en", "rev1", None, segments)
        assert sorted(found) == [0, 1, 2, 3]
        # The next run picks up where the failed one stopped.
        inner = CountingTranslator()
        resumed = CachedTranslator(inner, reopened.memory, chunk_size=2)
        assert resumed.translate(segments) == [f"SENTENCE {i} [rev1]" for i in range(7)]
        assert inner.sent == segments[4:]


def test_misses_go_to_the_inner_translator_in_chunks(store: StateStore) -> None:
    inner = CountingTranslator()
    progress: list[int] = []
    cached = CachedTranslator(inner, store.memory, chunk_size=3, on_progress=progress.append)
    cached.translate(["a", "b"])
    cached.translate(["a", "c", "d", "e", "f", "b", "g", "h"])
    assert [segments for segments, _ in inner.calls] == [["a", "b"], ["c", "d", "e"], ["f", "g", "h"]]
    assert progress == [2, 2, 3, 3]  # first call's chunk; then the two hits, then each chunk


def test_an_inner_translator_returning_the_wrong_count_stores_nothing(store: StateStore) -> None:
    class Dropping(CountingTranslator):
        def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
            return super().translate(segments, source_code=source_code)[:-1]

    cached = CachedTranslator(Dropping(), store.memory)
    with pytest.raises(RuntimeError, match="returned 1 translations for 2 segments"):
        cached.translate(["a", "b"])
    assert store.memory.count() == 0


def test_no_call_is_made_for_nothing_to_translate(store: StateStore) -> None:
    inner = CountingTranslator()
    cached = CachedTranslator(inner, store.memory)
    assert cached.translate([]) == []
    assert inner.calls == []


def test_it_is_a_translator_passing_through_the_inner_model(store: StateStore) -> None:
    cached = CachedTranslator(CountingTranslator("m", "r9"), store.memory)
    assert isinstance(cached, Translator)
    assert (cached.model_id, cached.revision) == ("m", "r9")
    assert cached.count_tokens("three word text") == 4
    assert cached.max_input_tokens == 512


def test_a_translator_without_a_model_id_cannot_be_cached(store: StateStore) -> None:
    identity = CountingTranslator()
    identity.model_id = None
    with pytest.raises(ValueError, match="model_id"):
        CachedTranslator(identity, store.memory)


class EmptyTranslator(CountingTranslator):
    """A broken model: every translation comes out empty."""

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        super().translate(segments, source_code=source_code)
        return ["" for _ in segments]


def test_empty_translations_of_real_text_are_neither_kept_nor_served(store: StateStore) -> None:
    broken = CachedTranslator(EmptyTranslator(), store.memory)
    assert broken.translate(["ek", "do"]) == ["", ""]
    # As an earlier release would have left them: stored despite being empty.
    store.memory.store("Helsinki-NLP/opus-mt-hi-en", "rev1", None, [("teen", "")])

    repaired = CountingTranslator()  # same weights, so the same revision, tokenizer files restored
    out = CachedTranslator(repaired, store.memory).translate(["ek", "do", "teen"])

    assert out == ["EK [rev1]", "DO [rev1]", "TEEN [rev1]"]
    assert repaired.sent == ["ek", "do", "teen"]
