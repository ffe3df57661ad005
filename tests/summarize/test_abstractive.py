"""The abstractive summarizer on a tiny real-architecture distilBART, and the summarizer registry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from core.errors import BackendUnavailable, ConfigError
from seq2seq import backends
from seq2seq.hub import ModelLocation, locate_model
from summarize.abstractive import HFSummarizer, first_sentences
from summarize.base import Summarizer
from summarize.extractive import ExtractiveSummarizer, sentences_of
from summarize.registry import get_summarizer
from tests.checkpoints import BART_MODEL, ENGLISH_TEXT

NEWS = ENGLISH_TEXT.replace("\n", " ")


@pytest.fixture(scope="module")
def bart(tiny_model_dir: Path) -> ModelLocation:
    return locate_model(BART_MODEL, model_dir=tiny_model_dir)


@pytest.fixture(scope="module")
def summarizer(bart: ModelLocation) -> HFSummarizer:
    return HFSummarizer(bart, device="cpu")


def test_one_summary_per_text_in_order(summarizer: HFSummarizer) -> None:
    texts = [NEWS, "", "The committee met on Monday. It approved the plan."]

    out = summarizer.summarize(texts)

    assert len(out) == 3
    assert out[1] == ""
    assert out[0] and out[2] and out[0] != out[2]
    assert all(len(sentences_of(s)) <= 4 for s in out)
    assert out == summarizer.summarize(texts)  # deterministic
    assert summarizer.summarize([texts[2]]) == [out[2]]  # batching does not change a summary


def test_long_text_is_summarized_in_chunks_that_fit(bart: ModelLocation, monkeypatch: pytest.MonkeyPatch) -> None:
    small = HFSummarizer(bart, device="cpu", max_input_tokens=64)
    assert small.runner.count_tokens(NEWS) > 4 * small.max_input_tokens
    calls: list[list[int]] = []
    generate = small.runner.generate

    def recording(inputs: Sequence[Sequence[int]], **kwargs: object) -> list[list[int]]:
        calls.append([len(ids) for ids in inputs])
        return generate(inputs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(small.runner, "generate", recording)

    (summary,) = small.summarize([NEWS])

    assert summary
    assert len(calls) >= 3  # chunks, at least one more round of chunk summaries, the final summary
    assert len(calls[0]) > 1
    assert all(length <= small.max_input_tokens for call in calls for length in call)
    assert len(calls[-1]) == 1


def test_all_long_texts_share_each_round(bart: ModelLocation, monkeypatch: pytest.MonkeyPatch) -> None:
    small = HFSummarizer(bart, device="cpu", num_beams=1, max_input_tokens=64)
    texts = [NEWS, "The committee met on Monday. It approved the plan.", NEWS[: len(NEWS) // 2], ""]
    calls: list[int] = []
    generate = small.runner.generate

    def recording(inputs: Sequence[Sequence[int]], **kwargs: object) -> list[list[int]]:
        calls.append(len(inputs))
        return generate(inputs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(small.runner, "generate", recording)
    alone = [small.summarize([text])[0] for text in texts]
    rounds_of_news = len(calls[: calls.index(1) + 1])  # NEWS alone: its chunk rounds, then the final pass
    calls.clear()

    together = small.summarize(texts)

    assert together == alone  # greedy: the same tokens whatever the batching
    first_round = len(small._chunks(NEWS, 64)) + len(small._chunks(texts[2], 64))
    assert calls[0] == first_round  # the chunks of both long texts in one call
    assert calls[-1] == 3  # one final pass for every non-blank text
    assert len(calls) == rounds_of_news  # as many calls as the longest text needs alone


def test_chunks_keep_every_word_in_order(bart: ModelLocation) -> None:
    small = HFSummarizer(bart, device="cpu", max_input_tokens=32)

    chunks = small._chunks(NEWS, 32)

    assert len(chunks) > 1
    assert " ".join(chunks).split() == NEWS.split()
    assert all(small.runner.count_tokens(chunk) <= 32 for chunk in chunks)


def test_summaries_respect_the_generation_config_bounds(summarizer: HFSummarizer) -> None:
    options = summarizer.runner.options
    inputs = [summarizer.runner.encode(NEWS)]

    (ids,) = summarizer.runner.generate(inputs, maximum=[options.limit], minimum=[options.min_new_tokens])

    assert options.min_new_tokens <= len(ids) <= options.limit


def test_first_sentences_keeps_at_most_four() -> None:
    text = "One. Two. Three. Four. Five."
    assert first_sentences(text) == "One. Two. Three. Four."
    assert first_sentences("Just one") == "Just one"


def test_max_input_tokens_can_only_be_lowered(bart: ModelLocation) -> None:
    assert HFSummarizer(bart).max_input_tokens == 1024
    assert HFSummarizer(bart, max_input_tokens=100).max_input_tokens == 100
    assert HFSummarizer(bart, max_input_tokens=5000).max_input_tokens == 1024
    with pytest.raises(ValueError):
        HFSummarizer(bart, max_input_tokens=8)


def test_registry_builds_each_summarizer(bart: ModelLocation) -> None:
    extractive = get_summarizer("extractive", location=None)
    abstractive = get_summarizer("abstractive", location=bart, backend="hf", device="cpu", num_beams=1)

    assert isinstance(extractive, ExtractiveSummarizer)
    assert isinstance(abstractive, HFSummarizer)
    assert isinstance(abstractive, Summarizer)
    assert abstractive.model_id == BART_MODEL
    assert abstractive.runner.options.num_beams == 1


def test_registry_names_the_problem(bart: ModelLocation, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="unknown summarizer 'lexrank'"):
        get_summarizer("lexrank", location=bart)
    with pytest.raises(BackendUnavailable, match="unknown backend 'onnx'"):
        get_summarizer("abstractive", location=bart, backend="onnx")
    with pytest.raises(ValueError):
        get_summarizer("abstractive", location=None)

    monkeypatch.setattr(backends, "installed", lambda package: False)
    with pytest.raises(BackendUnavailable, match="pip install"):
        get_summarizer("abstractive", location=bart, backend="ct2")
    assert isinstance(get_summarizer("abstractive", location=bart, backend="auto"), HFSummarizer)
