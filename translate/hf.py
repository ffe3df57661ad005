"""Translation with transformers: MarianMT (`Helsinki-NLP/opus-mt-*`) and NLLB-200, on the seq2seq runtime.

The runtime (`seq2seq.hf.Seq2SeqRunner`) loads, tokenizes, batches and generates; the translator adds only
what translation needs: NLLB's source language codes, blank segments, the input limit and the length caps.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import UnsupportedLanguage
from seq2seq.hf import DecodeOptions, Seq2SeqRunner, is_nllb, max_new_tokens_for
from seq2seq.hub import ModelLocation


class HFTranslator:
    """Translator backed by transformers (MarianMT or NLLB-200), loaded from a local checkpoint folder."""

    def __init__(
        self,
        location: ModelLocation,
        *,
        device: str = "auto",
        num_beams: int | None = None,
        max_batch_tokens: int = 4096,
    ) -> None:
        self.model_id: str | None = location.model_id
        self.revision = location.revision
        self.runner = Seq2SeqRunner(
            location, device=device, num_beams=num_beams, max_batch_tokens=max_batch_tokens
        )
        self.nllb = is_nllb(location.path)

    @property
    def max_input_tokens(self) -> int:
        """The longest segment, in tokens, the model accepts."""
        return self.runner.max_input_tokens

    def count_tokens(self, text: str) -> int:
        """Input tokens `text` takes for this model, special tokens included."""
        return self.runner.count_tokens(text)

    def generation_options(self) -> DecodeOptions:
        """How this translator decodes; another backend reproduces its output for num_beams 1 by following it.

        Force `target_prefix` as the first token(s), never emit `suppressed_token_ids`, end each segment
        after at most `max_new_tokens_for(count_tokens(segment), limit=limit)` tokens (the prefix counts),
        decode skipping special tokens, strip, then apply `collapse_repeats`.
        """
        return self.runner.options

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        """Translate `segments` to English, one output per segment in the same order ("" for blank ones)."""
        return [self.runner.decode(ids) if ids is not None else "" for ids in self._ids(segments, source_code)]

    def generate_ids(self, segments: Sequence[str], *, source_code: str | None = None) -> list[list[int]]:
        """The token ids generated for each segment (prefix token included, end token not); [] for blank ones."""
        return [ids or [] for ids in self._ids(segments, source_code)]

    def _ids(self, segments: Sequence[str], source_code: str | None) -> list[list[int] | None]:
        self._set_source(source_code)
        todo = [i for i, s in enumerate(segments) if s.strip()]
        inputs = [self.runner.encode(segments[i]) for i in todo]
        limit = self.max_input_tokens
        for i, ids in zip(todo, inputs):
            if len(ids) > limit:
                raise ValueError(
                    f"segment {i} has {len(ids)} tokens; {self.model_id} accepts at most {limit}: split it first"
                )
        caps = [max_new_tokens_for(len(ids), limit=self.runner.options.limit) for ids in inputs]
        generated = self.runner.generate(inputs, maximum=caps) if inputs else []
        out: list[list[int] | None] = [None] * len(segments)
        for i, ids in zip(todo, generated):
            out[i] = ids
        return out

    def _set_source(self, source_code: str | None) -> None:
        if not self.nllb:
            return  # opus-mt-xx-en models have one source language and need no code
        if not source_code:
            raise ValueError(f"{self.model_id} translates from many languages: pass source_code, e.g. 'hin_Deva'")
        tokenizer = self.runner.tokenizer
        if tokenizer.convert_tokens_to_ids(source_code) in (None, tokenizer.unk_token_id):
            raise UnsupportedLanguage(
                f"{self.model_id} has no language code {source_code!r}: use a FLORES-200 code such as hin_Deva"
            )
        tokenizer.src_lang = source_code

