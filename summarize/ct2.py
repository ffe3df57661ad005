"""Abstractive summaries with CTranslate2: the transformers summarizer with its generation in C++."""

from __future__ import annotations

from pathlib import Path

from seq2seq.ct2 import CT2Runner
from seq2seq.hub import ModelLocation
from summarize.abstractive import SUMMARY_BATCH_TOKENS, HFSummarizer


class CT2Summarizer(HFSummarizer):
    """Summarizer backed by CTranslate2 (BART), converted from a local checkpoint on first use.

    The chunking of long texts, the length bounds and the sentence trimming are HFSummarizer's own;
    only the runner that generates is CTranslate2's.
    """

    def __init__(
        self,
        location: ModelLocation,
        *,
        device: str = "auto",
        num_beams: int | None = None,
        max_batch_tokens: int = SUMMARY_BATCH_TOKENS,
        max_input_tokens: int | None = None,
        quantization: str | None = None,
        cache_root: Path | None = None,
    ) -> None:
        super().__init__(
            location,
            device=device,
            num_beams=num_beams,
            max_batch_tokens=max_batch_tokens,
            max_input_tokens=max_input_tokens,
        )
        self.runner: CT2Runner = CT2Runner(
            location,
            device=device,
            num_beams=num_beams,
            max_batch_tokens=max_batch_tokens,
            summary=True,
            quantization=quantization,
            cache_root=cache_root,
        )
        self.revision = f"{location.revision}+ct2-{self.runner.quantization}"

    @property
    def quantization(self) -> str:
        """The weight type the converted model uses."""
        return self.runner.quantization

    @property
    def converted_path(self) -> Path:
        """The CTranslate2 model folder (converted on first access)."""
        return self.runner.converted_path
