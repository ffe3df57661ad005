"""Summaries that need no weights: TextRank over TF-IDF sentence similarity, pure Python."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from translate.segment import segment_text

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


def _tfidf(sentences: Sequence[list[str]]) -> list[dict[str, float]]:
    documents = len(sentences)
    frequency = Counter(term for terms in sentences for term in set(terms))
    vectors = []
    for terms in sentences:
        counts = Counter(terms)
        vector = {t: c * math.log(1 + documents / frequency[t]) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values()))
        vectors.append({t: v / norm for t, v in vector.items()} if norm else {})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def textrank(sentences: Sequence[str]) -> list[float]:
    """A TextRank score per sentence: PageRank over the TF-IDF cosine similarity graph."""
    count = len(sentences)
    if count == 0:
        return []
    vectors = _tfidf([_terms(s) for s in sentences])
    weights = [[_cosine(vectors[i], vectors[j]) if i != j else 0.0 for j in range(count)] for i in range(count)]
    totals = [sum(row) for row in weights]
    # incoming[i]: (j, share of j's score that flows to i) for every neighbour j of i
    incoming = [
        [(j, weights[j][i] / totals[j]) for j in range(count) if weights[j][i] > 0.0] for i in range(count)
    ]
    dead_ends = [j for j in range(count) if totals[j] == 0.0]
    scores = [1.0 / count] * count
    for _ in range(_MAX_ITERATIONS):
        # A sentence sharing no term with any other spreads its score evenly, as PageRank does for dead ends.
        spread = sum(scores[j] for j in dead_ends) / count
        updated = [
            (1 - _DAMPING) / count + _DAMPING * (spread + sum(share * scores[j] for j, share in incoming[i]))
            for i in range(count)
        ]
        converged = sum(abs(u - s) for u, s in zip(updated, scores)) < _TOLERANCE
        scores = updated
        if converged:
            break
    return scores


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
        scores = textrank(sentences)
        # Ties go to the earlier sentence: news puts what matters first.
        best = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[:keep]
        return " ".join(sentences[i] for i in sorted(best))
