"""Abstractive summaries with a transformers seq2seq model (distilBART by default), any input length."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import islice

from core.segment import pack_pieces, split_long
from seq2seq.hf import Seq2SeqRunner, max_new_tokens_for
from seq2seq.hub import ModelLocation
from summarize.extractive import sentences_of

MAX_SENTENCES = 4

# The summarizer's own batch budget in hypothesis tokens (beams x source tokens): the translators' 4096
# holds one 1,024-token chunk at beam 4, so every chunk ran alone. Measured on the distilbart-cnn-12-6
# shape, CTranslate2 int8, beam 4, 2 shared CPU cores (benchmarks/summarize_batching.py: 6 texts of
# ~1,500 tokens, 12 chunks then 6 final passes), source tokens per CPU second and peak RSS: 4096 -> 147,
# 805 MB; 12288 (3 chunks a batch) -> 232, 1130 MB; 16384 (4) -> 256, 1201 MB. 6 chunks a batch gained
# about 5% more for 400-480 MB over one chunk. A whole run (benchmarks/run_speed.py: translators loaded,
# the next window translating beside the summaries) at 16384 took 275 s and peaked at 1,732 MiB, over
# the 1.5 GB budget (the decoder's cross-attention cache is 48 MB per hypothesis of a 1,024-token
# chunk); at 8192 it took 334 s and peaked at 1,461 MiB. The default keeps the budget;
# --summary-batch-tokens 16384 is the faster choice where memory allows.
SUMMARY_BATCH_TOKENS = 8192


def first_sentences(text: str, count: int = MAX_SENTENCES) -> str:
    """The first `count` sentences of `text`."""
    return " ".join(sentences_of(text)[:count])


class HFSummarizer:
    """Summarizer backed by transformers, loaded from a local checkpoint folder.

    A text longer than the model's input is cut at sentence boundaries into chunks that fit; each chunk
    is summarized to at most half its length, and the joined chunk summaries are summarized again the
    same way until they fit, so the final summary still sees the whole document.
    """

    def __init__(
        self,
        location: ModelLocation,
        *,
        device: str = "auto",
        num_beams: int | None = None,
        max_batch_tokens: int = SUMMARY_BATCH_TOKENS,
        max_input_tokens: int | None = None,
    ) -> None:
        if max_input_tokens is not None and max_input_tokens < 16:
            raise ValueError("max_input_tokens must be at least 16")
        self.model_id: str | None = location.model_id
        self.revision = location.revision
        self.runner = Seq2SeqRunner(
            location, device=device, num_beams=num_beams, max_batch_tokens=max_batch_tokens, summary=True
        )
        self._max_input_tokens = max_input_tokens

    def prepare(self) -> None:
        """Load the model now, so a broken one fails before any document is translated."""
        self.runner.prepare()

    @property
    def max_input_tokens(self) -> int:
        """The longest text, in tokens, summarized in one pass (the model's limit unless set lower)."""
        limit = self.runner.max_input_tokens
        return min(limit, self._max_input_tokens) if self._max_input_tokens else limit

    def summarize(self, texts: Sequence[str]) -> list[str]:
        """Summarize each text in at most four sentences ("" for a blank text), in the order given."""
        todo = [i for i, text in enumerate(texts) if text.strip()]
        fitted = self._reduce([texts[i] for i in todo])
        summaries = self._generate(fitted, halve=False)
        out = [""] * len(texts)
        for i, summary in zip(todo, summaries):
            out[i] = first_sentences(summary)
        return out

    def _reduce(self, texts: Sequence[str]) -> list[str]:
        """Each text, or the joined summaries of its chunks, repeated until it fits the input.

        Every round summarizes the chunks of all texts still too long in one `generate` call, so chunks
        of different documents share batches; each text's rounds are the ones it would have alone.
        """
        limit = self.max_input_tokens
        texts = list(texts)
        tokens = [self.runner.count_tokens(text) for text in texts]
        pending = [i for i, count in enumerate(tokens) if count > limit]
        while pending:
            chunks = [self._chunks(texts[i], limit) for i in pending]
            summaries = iter(self._generate([chunk for group in chunks for chunk in group], halve=True))
            still_long: list[int] = []
            for i, group in zip(pending, chunks):
                shorter = " ".join(s for s in islice(summaries, len(group)) if s)
                shorter_tokens = self.runner.count_tokens(shorter)
                if shorter_tokens >= tokens[i]:
                    raise RuntimeError(
                        f"{self.model_id}: summarizing {tokens[i]} tokens in chunks did not shorten them"
                    )
                texts[i], tokens[i] = shorter, shorter_tokens
                if shorter_tokens > limit:
                    still_long.append(i)
            pending = still_long
        return texts

    def _generate(self, texts: Sequence[str], *, halve: bool) -> list[str]:
        """One summary per text: at most half its tokens (`halve`), else the usual length bound."""
        inputs = [self.runner.encode(text) for text in texts]
        options = self.runner.options
        if halve:
            maximum = [max(1, min(options.limit, len(ids) // 2)) for ids in inputs]
        else:
            maximum = [max_new_tokens_for(len(ids), limit=options.limit) for ids in inputs]
        # The model's min_length, but never more than half the input: short texts get short summaries.
        minimum = [min(options.min_new_tokens, len(ids) // 2, high) for ids, high in zip(inputs, maximum)]
        generated = self.runner.generate(inputs, maximum=maximum, minimum=minimum) if inputs else []
        return [self.runner.decode(ids) for ids in generated]

    def _chunks(self, text: str, limit: int) -> list[str]:
        """Consecutive sentences of `text` grouped into chunks of at most `limit` tokens."""
        # split_long counts each sentence and pack_pieces each piece again: most pieces are sentences.
        count = cache(self.runner.count_tokens)
        pieces = [
            piece
            for sentence in sentences_of(text)
            for piece in split_long(sentence, count_tokens=count, max_tokens=limit)
        ]
        return pack_pieces(pieces, count, limit)
