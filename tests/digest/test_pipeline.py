"""Pipeline stages over batches, with a fake translator (unit tests; the CLI tests use real models)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.records import Document, ModelRoute, Route
from digest.engine import LocalEngine
from digest.pipeline import translate_window, windows
from digest.stages import fixed_translators, segment_for


class WordTranslator:
    """Counts words as tokens; 'translates' by bracketing, so every input word is visible in the output."""

    model_id = "test/fake"
    revision = "r1"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.calls: list[list[str]] = []

    @property
    def max_input_tokens(self) -> int:
        return self.limit

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        self.calls.append(list(segments))
        assert all(self.count_tokens(s) <= self.limit for s in segments), "a segment over the limit was sent"
        return [f"[{s}]" for s in segments]


def _doc(name: str, body: str) -> Document:
    return Document(Path(name), body, body, name, None, name)


def test_over_long_sentence_is_split_and_nothing_is_dropped() -> None:
    words = [f"शब्द{i}" for i in range(1000)]
    body = "पहला वाक्य छोटा है। " + " ".join(words) + "।\nदूसरा अनुच्छेद।"
    translator = WordTranslator(limit=50)
    segments = segment_for(body, translator)
    assert all(translator.count_tokens(s.text) <= 50 for s in segments)
    joined = " ".join(s.text for s in segments)
    assert all(word in joined.split() or word + "।" in joined.split() for word in words)
    assert len(segments) >= 1000 // 50 + 2


def test_documents_are_batched_together_and_rebuilt_in_order() -> None:
    docs = [
        _doc("a.txt", "एक। दो।\nतीन।"),
        _doc("b.txt", "चार।"),
    ]
    translator = WordTranslator(limit=50)
    result, revision = translate_window(
        docs, route=ModelRoute(Route.MARIAN, "test/fake"), stage=fixed_translators({"test/fake": translator}),
        engine=LocalEngine(), memory=None,
    )
    assert revision == "r1"
    assert len(translator.calls) == 1  # one call across both documents
    assert sorted(translator.calls[0]) == sorted(["एक।", "दो।", "तीन।", "चार।"])
    first, second = result.translations
    assert first.text == "[एक।] [दो।]\n\n[तीन।]"  # paragraphs kept
    assert second.text == "[चार।]"
    assert (result.translated, result.from_cache) == (4, 0)


def test_windows_cover_every_document_once() -> None:
    from core.records import Detection
    from digest.stages import Detected

    route = ModelRoute(Route.MARIAN, "m")
    items = [Detected(_doc(f"{i}.txt", "line\n" * 20), Detection("hi", 1.0), route) for i in range(30)]
    groups = list(windows(items, size=100))
    assert len(groups) > 1
    assert [d for g in groups for d in g] == items
