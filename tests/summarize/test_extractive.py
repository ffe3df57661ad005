"""The extractive summarizer: central sentences of the text itself, in their original order."""

from __future__ import annotations

import math
import tracemalloc
from collections import Counter

import pytest

from summarize.base import Summarizer
from summarize.extractive import ExtractiveSummarizer, _terms, sentences_of, summary_size, textrank
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


def _dense_textrank(sentences: list[str]) -> list[float]:
    """TextRank by the book, for reference: the n x n cosine similarity matrix, then PageRank on it."""
    terms = [Counter(_terms(s)) for s in sentences]
    count = len(sentences)
    frequency = Counter(t for counts in terms for t in counts)
    vectors = []
    for counts in terms:
        vector = {t: c * math.log(1 + count / frequency[t]) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors.append({t: v / norm for t, v in vector.items()})
    weights = [
        [0.0 if a is b else sum(v * b.get(t, 0.0) for t, v in a.items()) for b in vectors] for a in vectors
    ]
    totals = [sum(row) for row in weights]
    scores = [1.0 / count] * count
    for _ in range(200):  # 0.85 ** 200 < 1e-14: converged whatever the graph
        spread = sum(s for s, total in zip(scores, totals) if total == 0.0) / count
        scores = [
            0.15 / count
            + 0.85 * (spread + sum(weights[j][i] / totals[j] * scores[j] for j in range(count) if totals[j]))
            for i in range(count)
        ]
    return scores


def test_textrank_scores_are_those_of_the_full_similarity_matrix() -> None:
    # Copies, a sentence that shares no term with any other, and one with no terms at all.
    sentences = [*sentences_of(NEWS), "Bananas are yellow.", "It is.", sentences_of(NEWS)[3]]

    assert textrank(sentences) == pytest.approx(_dense_textrank(sentences), rel=1e-5)


def test_sentences_that_only_rounding_tells_apart_tie_and_the_earlier_is_kept() -> None:
    # Three pairs, each pair alike and unlike the rest: all six score the same, and three are kept.
    pairs = [("apples", "orchard", "ripe"), ("boats", "harbour", "moored"), ("goats", "meadow", "grazing")]
    text = " ".join(f"The {a} in the {b} were {c}. The {b} had {a}." for a, b, c in pairs)

    (summary,) = ExtractiveSummarizer().summarize([text])

    assert summary == (
        "The apples in the orchard were ripe. The orchard had apples. The boats in the harbour were moored."
    )


def _textrank_peak_bytes(sentences: list[str]) -> int:
    tracemalloc.start()
    try:
        textrank(sentences)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_textrank_memory_grows_linearly_with_the_text() -> None:
    # The same news sentences over and over: every term is shared by a fixed share of all sentences,
    # so a similarity matrix or edge list would grow four times as the text doubles.
    news = sentences_of(NEWS)
    short = news * (300 // len(news))
    textrank(short)  # first-call allocations (numpy's own) are not the text's

    ratio = _textrank_peak_bytes(short * 2) / _textrank_peak_bytes(short)

    assert ratio < 2.5
