"""The summarizers by name: "extractive" (no weights) or "abstractive" (a seq2seq model on a backend)."""

from __future__ import annotations

from core.errors import ConfigError
from seq2seq.backends import build_on_backend
from seq2seq.hub import ModelLocation
from summarize.abstractive import SUMMARY_BATCH_TOKENS
from summarize.base import Summarizer
from summarize.extractive import ExtractiveSummarizer

# backend name -> "module:Class" of the abstractive summarizer it runs.
SUMMARIZER_BACKENDS: dict[str, str] = {
    "hf": "summarize.abstractive:HFSummarizer",
    "ct2": "summarize.ct2:CT2Summarizer",
}

SUMMARIZERS = ("abstractive", "extractive")

__all__ = ["SUMMARIZERS", "SUMMARIZER_BACKENDS", "SUMMARY_BATCH_TOKENS", "get_summarizer"]


def get_summarizer(
    name: str,
    *,
    location: ModelLocation | None,
    backend: str = "hf",
    device: str = "auto",
    num_beams: int | None = None,
    max_batch_tokens: int = SUMMARY_BATCH_TOKENS,
) -> Summarizer:
    """The summarizer `name`; "abstractive" runs the model at `location` on `backend` ("auto", "hf", "ct2").

    Pass the summary's own `num_beams` and `max_batch_tokens` (default `SUMMARY_BATCH_TOKENS`), not the
    translators': a summary chunk fills 1,024 tokens, so the translation budget batches one chunk at a time.
    """
    if name == "extractive":
        return ExtractiveSummarizer()
    if name != "abstractive":
        raise ConfigError(f"unknown summarizer {name!r}: choose one of {', '.join(SUMMARIZERS)}")
    if location is None:
        raise ValueError("the abstractive summarizer needs the location of its model")
    summarizer: Summarizer = build_on_backend(
        backend,
        SUMMARIZER_BACKENDS,
        location,
        device=device,
        num_beams=num_beams,
        max_batch_tokens=max_batch_tokens,
    )
    return summarizer
