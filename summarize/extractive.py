"""Summaries that need no weights: TextRank over TF-IDF sentence similarity, in time linear in the text."""

from __future__ import annotations

import heapq
import math
import re
from array import array
from collections import Counter
from collections.abc import Sequence

import numpy as np

from core.segment import segment_text

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Function words carry no topic; "said"/"says" are everywhere in news.
_STOPWORDS = frozenset(
    {
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
        "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
        "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had",
        "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i",
        "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no",
        "nor", "not", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out",
        "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs",
        "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
        "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "said", "says",
    }
)

_DAMPING = 0.85
_TOLERANCE = 1e-6
_MAX_ITERATIONS = 200


def sentences_of(text: str) -> list[str]:
    """The sentences of `text`, paragraph by paragraph, split as translation splits them."""
    return [segment.text for segment in segment_text(text)]


# Sentence ends in the scripts the product reads, closing quotes and brackets allowed after them.
_COMPLETE = re.compile(r"[.!?।॥۔؟。！？…][\"'”’»)\]]*$")


def complete_sentences(sentences: Sequence[str]) -> list[str]:
    """Sentences with a closing mark, when at least two have one.

    Headlines, captions and bylines have none; the headline is already the entry's title, and a
    summary of them reads as run-on text. A text made only of such lines keeps them all.
    """
    complete = [s for s in sentences if _COMPLETE.search(s.strip())]
    return complete if len(complete) >= 2 else list(sentences)


def _terms(sentence: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(sentence)) if w not in _STOPWORDS and len(w) > 1]


def _tfidf(sentences: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The unit-length TF-IDF vectors of `sentences`, as parallel arrays: sentence, term id, weight.

    One entry per distinct term of a sentence, sentences in order; a sentence with no terms has none.
    """
    vocabulary: dict[str, int] = {}
    rows = array("q")
    columns = array("q")
    counts = array("d")
    for row, sentence in enumerate(sentences):
        for term, count in Counter(_terms(sentence)).items():
            rows.append(row)
            columns.append(vocabulary.setdefault(term, len(vocabulary)))
            counts.append(count)
    row_of = np.frombuffer(rows, dtype=np.int64).astype(np.intp)
    term_of = np.frombuffer(columns, dtype=np.int64).astype(np.intp)
    frequency = np.bincount(term_of, minlength=len(vocabulary))
    weight = np.frombuffer(counts, dtype=np.float64) * np.log1p(len(sentences) / frequency)[term_of]
    norm = np.sqrt(np.bincount(row_of, weights=weight * weight, minlength=len(sentences)))
    return row_of, term_of, weight / norm[row_of]


def textrank(sentences: Sequence[str]) -> list[float]:
    """A TextRank score per sentence: PageRank over the TF-IDF cosine similarity graph.

    The graph is never built. Its edge weights are the Gram matrix of the unit TF-IDF vectors (one
    row of X per sentence) less its diagonal, and PageRank only needs that matrix times a vector:
    X (Xᵀ v) less the diagonal's part, two passes over the text's (sentence, term) entries. Time and
    memory grow with the length of the text, where an n x n matrix grows with its square (and so does
    an edge list: in a long text, common terms link most pairs of sentences). The scores are those of
    the full matrix, to rounding; no sentence pair is left out and no term is capped.
    """
    count = len(sentences)
    if count == 0:
        return []
    row_of, term_of, weight = _tfidf(sentences)
    terms = int(term_of.max(initial=-1)) + 1

    def from_others(values: np.ndarray) -> np.ndarray:
        """For each sentence i, the sum over the other sentences j of similarity(i, j) * values[j]."""
        own = weight * values[row_of]
        by_term = np.bincount(term_of, weights=own, minlength=terms)
        # A term's total less the sentence's own share: exactly 0.0 for a term no other sentence has,
        # so a sentence that shares no term receives exactly nothing.
        return np.bincount(row_of, weights=weight * (by_term[term_of] - own), minlength=count)

    totals = from_others(np.ones(count))  # each sentence's total similarity to the others
    dead_ends = totals == 0.0
    shares = np.divide(1.0, totals, out=np.zeros(count), where=~dead_ends)
    scores = np.full(count, 1.0 / count)
    for _ in range(_MAX_ITERATIONS):
        # A sentence sharing no term with any other spreads its score evenly, as PageRank does for dead ends.
        spread = scores[dead_ends].sum() / count
        updated = (1 - _DAMPING) / count + _DAMPING * (spread + from_others(scores * shares))
        converged = np.abs(updated - scores).sum() < _TOLERANCE
        scores = updated
        if converged:
            break
    return [float(score) for score in scores]


def _tie_level(score: float) -> float:
    """`score` to nine significant digits, for ranking.

    Sentences that the graph cannot tell apart (copies; pairs that resemble only each other) score
    the same only to rounding, about 1e-15, and rounding must not decide between them: rounded,
    they tie, and the tie goes to the earlier sentence.
    """
    return float(f"{score:.9g}")


def summary_size(sentences: int, *, most: int = 4) -> int:
    """How many sentences a summary of a `sentences`-sentence text keeps: about the square root, 2..`most`."""
    if sentences <= 2:
        return sentences
    return max(2, min(most, math.ceil(math.sqrt(sentences))))


class ExtractiveSummarizer:
    """Picks the 2-4 most central sentences of a text (TextRank) and returns them in their original order."""

    model_id: str | None = None

    def __init__(self, *, max_sentences: int = 4) -> None:
        self.max_sentences = max_sentences

    def summarize(self, texts: Sequence[str]) -> list[str]:
        """One extractive summary per text, in the order given ("" for a blank text)."""
        return [self._summarize(text) for text in texts]

    def _summarize(self, text: str) -> str:
        sentences = complete_sentences(sentences_of(text))
        keep = summary_size(len(sentences), most=self.max_sentences)
        scores = [_tie_level(score) for score in textrank(sentences)]
        # Ties go to the earlier sentence: news puts what matters first.
        best = heapq.nsmallest(keep, range(len(sentences)), key=lambda i: (-scores[i], i))
        return " ".join(sentences[i] for i in sorted(best))
