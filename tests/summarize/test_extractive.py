"""The extractive summarizer: central sentences of the text itself, in their original order."""

from __future__ import annotations

import pytest

from summarize.base import Summarizer
from summarize.extractive import ExtractiveSummarizer, sentences_of, summary_size, textrank
from tests.checkpoints import ENGLISH_TEXT

NEWS = ENGLISH_TEXT.replace("\n", " ")


def test_summary_is_two_to_four_sentences_of_the_text_in_order() -> None:
    sentences = sentences_of(NEWS)
    assert len(sentences) > 20

    (summary,) = ExtractiveSummarizer().summarize([NEWS])

    picked = sentences_of(summary)
    assert 2 <= len(picked) <= 4
    assert all(s in sentences for s in picked)
    positions = [sentences.index(s) for s in picked]
    assert positions == sorted(positions)


def test_the_central_sentence_is_kept_and_the_outlier_dropped() -> None:
    text = (
        "The provincial party committee met on Monday. "
        "Officials of the provincial party committee reviewed the quarter. "
        "The committee approved the plan of the provincial party for the quarter. "
        "Bananas are yellow. "
        "Party officials said the plan of the committee for the quarter was approved."
    )

    (summary,) = ExtractiveSummarizer().summarize([text])

    assert "Bananas are yellow." not in summary
    assert "The committee approved the plan of the provincial party for the quarter." in summary


def test_short_and_blank_texts() -> None:
    summarizer = ExtractiveSummarizer()

    assert summarizer.summarize(["Only one sentence here.", "", "   ", "First one. Second one."]) == [
        "Only one sentence here.",
        "",
        "",
        "First one. Second one.",
    ]
    assert summarizer.summarize([]) == []


def test_output_is_deterministic_and_per_text() -> None:
    summarizer = ExtractiveSummarizer()
    texts = [NEWS, "Short text. Very short.", NEWS]

    first = summarizer.summarize(texts)

    assert first == summarizer.summarize(texts)
    assert first[0] == first[2] != first[1]


def test_no_weights_needed() -> None:
    summarizer = ExtractiveSummarizer()
    assert summarizer.model_id is None
    assert isinstance(summarizer, Summarizer)


@pytest.mark.parametrize(("sentences", "kept"), [(0, 0), (1, 1), (2, 2), (3, 2), (9, 3), (10, 4), (200, 4)])
def test_summary_size_grows_with_the_text(sentences: int, kept: int) -> None:
    assert summary_size(sentences) == kept


def test_textrank_scores_form_a_distribution() -> None:
    scores = textrank(sentences_of(NEWS))

    assert len(scores) == len(sentences_of(NEWS))
    assert sum(scores) == pytest.approx(1.0)
    assert all(score > 0 for score in scores)
    assert textrank([]) == []


def test_headlines_without_a_closing_mark_are_left_out() -> None:
    from summarize.extractive import ExtractiveSummarizer

    text = (
        "# Council approves bike lanes\n"
        "Council approves bike lanes\n"
        "The council approved twelve miles of bike lanes on Tuesday. "
        "The lanes link the council district with the bike network downtown. "
        "Shops worry about parking near the new lanes.\n"
        "Photo: city council press office\n"
    )
    (summary,) = ExtractiveSummarizer().summarize([text])
    assert "#" not in summary and "Photo" not in summary
    assert summary.startswith("The council approved")
