"""Seq2seq checkpoints on transformers: MarianMT (`Helsinki-NLP/opus-mt-*`), NLLB-200, BART, from a local folder.

`Seq2SeqRunner` holds what every transformers seq2seq stage shares (lazy loading, device, token counting,
length-bounded batched generation); `translate.hf.HFTranslator` adds only what translation needs, the
summarizer in `summarize.abstractive` only what summarization needs. The pure helpers (`max_new_tokens_for`,
`collapse_repeats`, `decode_options`) hold the decoding rules, so another backend can follow them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError, ModelBroken, first_line
from seq2seq.batching import run_batched
from seq2seq.hub import ModelLocation

if TYPE_CHECKING:
    import torch

NLLB_TARGET = "eng_Latn"

# Sane upper bound for tokenizer.model_max_length; tokenizers without a limit report int(1e30).
_NO_LIMIT = 1_000_000


def max_new_tokens_for(source_tokens: int, *, limit: int) -> int:
    """How many tokens a segment of `source_tokens` may generate before its end token: 2x + 10, at most `limit`.

    A translation is rarely more than twice its source; the cap stops a model that loops from running to
    the model's maximum length, and keeps one long segment from holding its whole batch.
    """
    return max(1, min(limit, 2 * source_tokens + 10))


# A run of 1-8 words repeated 4 or more times in a row is a decoding loop, not prose ("very very very"
# survives). Trimmed after decoding rather than prevented with no_repeat_ngram_size: a model translating
# "the provincial Party Committee" twice in one sentence must keep both, and a text rule stays identical
# across backends and deterministic.
_LOOP_MIN_REPEATS = 4
_LOOP_MAX_SPAN = 8


def collapse_repeats(text: str, *, min_repeats: int = _LOOP_MIN_REPEATS, max_span: int = _LOOP_MAX_SPAN) -> str:
    """`text` with every run of a 1..`max_span`-word phrase repeated `min_repeats`+ times cut to one copy."""
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        span, repeats = _loop_at(words, i, min_repeats=min_repeats, max_span=max_span)
        out.extend(words[i : i + max(span, 1)])
        i += span * repeats if span else 1
    return " ".join(out) if len(out) < len(words) else text


def _loop_at(words: list[str], start: int, *, min_repeats: int, max_span: int) -> tuple[int, int]:
    """(phrase length, repeats) of the shortest phrase repeated `min_repeats`+ times from `start`, else (0, 0)."""
    for span in range(1, min(max_span, (len(words) - start) // min_repeats) + 1):
        unit = words[start : start + span]
        repeats = 1
        while words[start + repeats * span : start + (repeats + 1) * span] == unit:
            repeats += 1
        if repeats >= min_repeats:
            return span, repeats
    return 0, 0


@dataclass(frozen=True)
class DecodeOptions:
    """How a checkpoint decodes here (see `decode_options`); all lengths count generated tokens."""

    num_beams: int
    length_penalty: float
    no_repeat_ngram_size: int  # 0: off
    repetition_penalty: float  # 1.0: off
    limit: int  # the `limit` of max_new_tokens_for: no output is longer
    min_new_tokens: int  # before the end token may come (summaries only; 0 for translation)
    target_prefix: tuple[str, ...]  # tokens forced first: ("eng_Latn",) for NLLB, else ()
    suppressed_token_ids: tuple[int, ...]  # never generated (MarianMT's <pad>, its decoder start)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as f:
        data = json.load(f)
    return data if isinstance(data, dict) else {}


# The files each architecture's tokenizer is read from: any one complete set will do.
_TOKENIZER_SOURCES: dict[str, tuple[tuple[str, ...], ...]] = {
    "marian": (("source.spm", "target.spm", "vocab.json"),),
    "m2m_100": (("tokenizer.json",), ("sentencepiece.bpe.model",)),
    "bart": (("tokenizer.json",), ("vocab.json", "merges.txt")),
}

# A tokenizer with fewer tokens than this share of the model's vocabulary is not the model's own:
# transformers 5 builds a near-empty tokenizer when its files are missing rather than failing, and
# such a tokenizer makes the model emit nothing. Real checkpoints differ by a few padding rows at most.
_MIN_VOCAB_SHARE = 0.5


def broken(location: ModelLocation, problem: str) -> ModelBroken:
    """The error for a checkpoint at `location` that is damaged: `problem` names the file."""
    folder = location.path if location.origin in ("model-dir", "path") else None
    if folder is not None:
        return ModelBroken(location.model_id, problem, folder=folder)
    # From the Hugging Face cache: the fix refreshes the cached snapshot.
    fix = f"re-download it with `hf download {location.model_id} --force-download`"
    return ModelBroken(location.model_id, problem, fix=fix)


def _checked_json(location: ModelLocation, name: str) -> dict[str, Any]:
    path = Path(location.path) / name
    try:
        return _read_json(path)
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise broken(location, f"{path} cannot be read ({first_line(exc)})") from None


def read_checkpoint_config(location: ModelLocation) -> dict[str, Any]:
    """The checkpoint's config.json, generation_config.json checked too; ModelBroken names a bad file."""
    _checked_json(location, "generation_config.json")  # read again by decode_options, which trusts it
    config = _checked_json(location, "config.json")
    if not config.get("model_type"):
        raise broken(location, f"{Path(location.path) / 'config.json'} names no model_type")
    return config


def missing_tokenizer_files(folder: Path, model_type: str | None) -> str:
    """The tokenizer files `folder` lacks for `model_type`, in words ("a or b"); "" when it lacks none.

    "" too for a model type without a known file list: `check_tokenizer` still guards those.
    """
    sources = _TOKENIZER_SOURCES.get(model_type or "")
    if not sources or any(all((folder / name).is_file() for name in names) for names in sources):
        return ""
    return " or ".join(" and ".join(n for n in names if not (folder / n).is_file()) for names in sources)


def check_tokenizer(location: ModelLocation, tokenizer: Any, config: dict[str, Any]) -> None:
    """Raise ModelBroken unless `tokenizer` fits the model's vocabulary (comparable size, ids in range)."""
    vocab_size = int(config.get("vocab_size") or 0)
    size = len(tokenizer)
    ids = (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id)
    special = [i for i in ids if i is not None]
    if vocab_size and (size < vocab_size * _MIN_VOCAB_SHARE or any(i >= vocab_size for i in special)):
        missing = missing_tokenizer_files(Path(location.path), config.get("model_type"))
        files = f"missing {missing}" if missing else "its tokenizer files are damaged"
        raise broken(
            location,
            f"its tokenizer has {size} tokens but the model has {vocab_size} ({files} in {location.path})",
        )


def load_tokenizer(location: ModelLocation, config: dict[str, Any]) -> Any:
    """The checkpoint's tokenizer, checked against its model; ModelBroken names missing or damaged files."""
    from transformers import AutoTokenizer

    folder = Path(location.path)
    missing = missing_tokenizer_files(folder, config.get("model_type"))
    if missing:
        raise broken(location, f"its tokenizer files are missing ({missing} in {folder})")
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError, TypeError) as exc:  # TypeError: a slow tokenizer missing a file
        raise broken(location, f"its tokenizer in {folder} cannot be loaded ({first_line(exc)})") from None
    check_tokenizer(location, tokenizer, config)
    return tokenizer


def is_nllb(folder: Path) -> bool:
    """Whether the checkpoint in `folder` is NLLB-200: an M2M100 model whose tokenizer knows eng_Latn."""
    if _read_json(folder / "config.json").get("model_type") != "m2m_100":
        return False
    for name in ("tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
        path = folder / name
        if path.is_file() and f'"{NLLB_TARGET}"' in path.read_text(encoding="utf-8"):
            return True
    return False


def position_limit(config: dict[str, Any]) -> int:
    """The longest sequence the model's positions allow (decoder start and end token included)."""
    return int(config.get("max_position_embeddings") or 1024)


def decode_options(folder: Path, *, num_beams: int | None = None, summary: bool = False) -> DecodeOptions:
    """How the checkpoint in `folder` decodes, from its config.json and generation_config.json alone.

    Translation ignores the generation config's max_length (NLLB's 200 would cut long sentences) and is
    bounded by the decoder's positions; summaries also honour max_length and min_length, as the
    transformers summarization pipeline does (both count the decoder start token, hence the offsets).
    """
    config = _read_json(folder / "config.json")
    generation = {**config, **_read_json(folder / "generation_config.json")}
    limit = position_limit(config) - 2  # room for the decoder start and the end token
    min_new_tokens = 0
    if summary:
        if generation.get("max_length"):
            limit = min(limit, int(generation["max_length"]) - 2)
        min_new_tokens = max(0, int(generation.get("min_length") or 0) - 1)
    return DecodeOptions(
        num_beams=num_beams or int(generation.get("num_beams") or 1),
        length_penalty=float(generation.get("length_penalty") or 1.0),
        no_repeat_ngram_size=int(generation.get("no_repeat_ngram_size") or 0),
        repetition_penalty=float(generation.get("repetition_penalty") or 1.0),
        limit=max(1, limit),
        min_new_tokens=min(min_new_tokens, max(1, limit)),
        target_prefix=(NLLB_TARGET,) if is_nllb(folder) else (),
        suppressed_token_ids=tuple(ids[0] for ids in generation.get("bad_words_ids") or [] if len(ids) == 1),
    )


def resolve_device(device: str) -> str:
    """"auto" -> "cuda" when a GPU is usable, else "cpu"; a named device is checked."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for but CUDA is not available: use --device cpu or auto")
    return device


@contextmanager
def _quiet_loading() -> Iterator[None]:
    # transformers draws a tqdm bar per model load; the CLI reports progress itself.
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


class RowLengthBounds:
    """A logits processor giving each row of a batch its own minimum and maximum generated length.

    `generate(max_new_tokens=...)` bounds the whole batch; this forces the end token on a row once it has
    `maximum[i]` tokens, and forbids it before `minimum[i]`, so batching never changes a row's bounds.
    Rows are expanded per beam the way `generate` expands its inputs.
    """

    def __init__(self, minimum: Sequence[int], maximum: Sequence[int], *, eos_token_id: int) -> None:
        self.minimum = list(minimum)
        self.maximum = list(maximum)
        self.eos_token_id = eos_token_id
        self._start: int | None = None

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        import torch

        if self._start is None:
            self._start = input_ids.shape[1]  # the decoder start token(s) generate() began with
        generated = input_ids.shape[1] - self._start
        beams = input_ids.shape[0] // len(self.maximum)
        maximum = torch.tensor(self.maximum, device=scores.device).repeat_interleave(beams)
        minimum = torch.tensor(self.minimum, device=scores.device).repeat_interleave(beams)
        scores = scores.clone()
        scores[minimum > generated, self.eos_token_id] = -float("inf")
        done = maximum <= generated
        if bool(done.any()):
            scores[done] = -float("inf")
            scores[done, self.eos_token_id] = 0.0
        return scores


class Seq2SeqRunner:
    """A transformers seq2seq checkpoint, loaded on first use: tokenizing, counting, bounded generation."""

    def __init__(
        self,
        location: ModelLocation,
        *,
        device: str = "auto",
        num_beams: int | None = None,
        max_batch_tokens: int = 4096,
        summary: bool = False,
    ) -> None:
        self.location = location
        self.config = read_checkpoint_config(location)
        self.requested_device = device
        self.max_batch_tokens = max_batch_tokens
        self.options = decode_options(location.path, num_beams=num_beams, summary=summary)
        self._tokenizer: Any = None
        self._model: Any = None
        self._device: str | None = None
        self.generated_tokens = 0  # by every generate() call so far: a run's tokens/s

    @property
    def tokenizer(self) -> Any:
        """The checkpoint's tokenizer (loaded without the weights, so counting tokens stays cheap)."""
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.location, self.config)
        return self._tokenizer

    def prepare(self) -> None:
        """Load the tokenizer and the model now, so a broken checkpoint fails before any work starts."""
        _ = self.tokenizer, self.model

    @property
    def model(self) -> Any:
        """The model in eval mode on its device: bf16 (fp16 without bf16 support) on CUDA, fp32 on CPU."""
        if self._model is None:
            import torch
            from safetensors import SafetensorError
            from transformers import AutoModelForSeq2SeqLM

            device = resolve_device(self.requested_device)
            dtype = torch.float32
            if device.startswith("cuda"):
                dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            try:
                with _quiet_loading():
                    model = AutoModelForSeq2SeqLM.from_pretrained(
                        str(self.location.path), local_files_only=True, trust_remote_code=False, dtype=dtype
                    )
            except (OSError, ValueError, SafetensorError) as exc:
                raise broken(
                    self.location, f"its weights in {self.location.path} cannot be loaded ({first_line(exc)})"
                ) from None
            # Every call passes its own length bounds; leaving these set only makes generate() warn.
            model.generation_config.max_length = None
            model.generation_config.min_length = None
            self._model = model.to(device).eval()
            self._device = device
        return self._model

    @cached_property
    def max_input_tokens(self) -> int:
        """The longest input, special tokens included: the tokenizer's limit or the model's positions."""
        limits = [position_limit(self.config)]
        declared = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(declared, int) and 0 < declared < _NO_LIMIT:
            limits.append(declared)
        return min(limits)

    def encode(self, text: str) -> list[int]:
        """Token ids of `text` with the model's special tokens."""
        # verbose=False: counting a text longer than the model's limit is how callers learn to split it.
        return list(self.tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"])

    def count_tokens(self, text: str) -> int:
        """How many input tokens `text` takes, special tokens included."""
        return len(self.encode(text))

    def generate(
        self,
        inputs: Sequence[Sequence[int]],
        *,
        maximum: Sequence[int],
        minimum: Sequence[int] | None = None,
    ) -> list[list[int]]:
        """Generate for encoded inputs in token-budget batches; each row's ids, in input order.

        A row's ids exclude the decoder start and the end token and include the forced target prefix;
        row i has at most `maximum[i]` and, unless it hits that, at least `minimum[i]` of them.
        """
        rows = list(zip(inputs, maximum, minimum if minimum is not None else [0] * len(inputs)))

        def run(batch: list[tuple[Sequence[int], int, int]]) -> list[list[int]]:
            ids, high, low = zip(*batch)
            return self._generate_batch(list(ids), list(high), list(low))

        # The budget counts hypotheses: beam search keeps num_beams of them per row, each with its own
        # cache and logits over the whole vocabulary, so memory stays bounded whatever the beam size.
        budget = max(1, self.max_batch_tokens // max(1, self.options.num_beams))
        # Rows whose caps differ by more than CAP_RATIO do not share a batch: all decode to the longest cap.
        # The caps stay out of the budget itself: a summary's (at most 142) is small beside its 1,024-token
        # source, and a translation's (2x + 10) would cut every batch to a third of the size its budget was
        # measured at; grouping by cap already keeps the decoder's padded steps down.
        generated = run_batched(rows, [len(ids) for ids in inputs], run, max_tokens=budget, caps=list(maximum))
        self.generated_tokens += sum(len(ids) for ids in generated)
        return generated

    def _generate_batch(
        self,
        inputs: list[Sequence[int]],
        maximum: list[int],
        minimum: list[int],
    ) -> list[list[int]]:
        import torch
        from transformers import LogitsProcessorList

        model, tokenizer, options = self.model, self.tokenizer, self.options
        batch = tokenizer.pad({"input_ids": [list(ids) for ids in inputs]}, padding=True, return_tensors="pt")
        batch = {k: v.to(self._device) for k, v in batch.items()}
        eos = model.generation_config.eos_token_id
        eos = eos[0] if isinstance(eos, list) else eos
        extra: dict[str, Any] = {}
        if options.target_prefix:
            (prefix,) = options.target_prefix
            extra["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(prefix)
        bounds = RowLengthBounds(minimum, maximum, eos_token_id=eos)
        with torch.inference_mode():
            out = model.generate(
                **batch,
                num_beams=options.num_beams,
                do_sample=False,
                max_new_tokens=max(maximum) + 1,  # +1: the end token a capped row is forced to emit
                logits_processor=LogitsProcessorList([bounds]),
                **extra,
            )
        rows: list[list[int]] = []
        for sequence in out.tolist():
            generated = sequence[1:]  # after the decoder start token
            rows.append(generated[: generated.index(eos)] if eos in generated else generated)
        return rows

    def decode(self, ids: Sequence[int]) -> str:
        """Text of generated ids, special tokens dropped and decoding loops collapsed."""
        text = self.tokenizer.decode(list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=False)
        return collapse_repeats(text.strip())
