"""Seq2seq checkpoints on CTranslate2: the transformers checkpoint converted once, then decoded in C++.

Only the decoding engine differs from `seq2seq.hf`: tokenizing, token counting, batching by tokens,
the per-segment length caps, the NLLB language tokens and the decoding rules (`decode_options`) are
the transformers backend's own, so with float32 weights and greedy decoding both backends produce the
same tokens.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from core.errors import BackendFailed, BackendUnavailable, ConfigError, first_line
from seq2seq.convert import (
    cache_root_for,
    conversion_dir,
    convert_model,
    default_quantization,
    discard,
    is_complete,
)
from seq2seq.hf import Seq2SeqRunner
from seq2seq.memory import release_free_memory, share_heap_arenas
from seq2seq.hub import ModelLocation


def cpu_cores() -> int:
    """CPU cores this process may run on (the container's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not available on macOS or Windows
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Threads:
    """How CTranslate2 spreads one model over the CPU: batches in parallel x threads per batch."""

    inter: int  # batches decoded at the same time, each by its own replica (weights shared on CPU)
    intra: int  # threads inside one batch's matrix products


def threads_for(cores: int) -> Threads:
    """The thread split for `cores` CPU cores.

    Decoding is many small matrix products per step, which one thread keeps busier than two: on
    2 cores two batches of one thread each translated 22% faster than one batch of two threads.
    From 8 cores on, each batch gets a few threads so a lone long batch still finishes quickly.
    """
    if cores < 2:
        return Threads(inter=1, intra=1)
    inter = max(2, min(4, cores // 4))
    return Threads(inter=inter, intra=max(1, cores // inter))


def resolve_ct2_device(device: str) -> tuple[str, int]:
    """"auto" -> ("cuda", 0) when CTranslate2 sees a GPU, else ("cpu", 0); "cuda:N" -> ("cuda", N)."""
    ctranslate2 = _import_ctranslate2()
    gpus = ctranslate2.get_cuda_device_count()
    if device == "auto":
        return ("cuda", 0) if gpus > 0 else ("cpu", 0)
    kind, _, index = device.partition(":")
    if kind == "cpu":
        return "cpu", 0
    if kind != "cuda":
        raise ConfigError(f"invalid device {device!r}: choose auto, cpu or cuda")
    if gpus == 0:
        raise ConfigError(
            f"device {device!r} was asked for but CTranslate2 sees no CUDA GPU: use --device cpu or auto"
        )
    return "cuda", int(index or 0)


class CT2Runner(Seq2SeqRunner):
    """A `Seq2SeqRunner` whose generation runs in CTranslate2; converts the checkpoint on first use."""

    def __init__(
        self,
        location: ModelLocation,
        *,
        device: str = "auto",
        num_beams: int | None = None,
        max_batch_tokens: int = 4096,
        summary: bool = False,
        quantization: str | None = None,
        cache_root: Path | None = None,
    ) -> None:
        super().__init__(
            location, device=device, num_beams=num_beams, max_batch_tokens=max_batch_tokens, summary=summary
        )
        self.ct2_device, self.ct2_device_index = resolve_ct2_device(device)
        self.quantization = quantization or default_quantization(self.ct2_device)
        self.cache_root = Path(cache_root) if cache_root is not None else cache_root_for(location)
        self._converted: Path | None = None
        self.threads = threads_for(cpu_cores()) if self.ct2_device == "cpu" else Threads(inter=1, intra=0)

    def prepare(self) -> None:
        """Convert (in a child process) before anything else is loaded here, then load."""
        _ = self.converted_path, self.model, self.tokenizer

    @property
    def converted_path(self) -> Path:
        """The CTranslate2 model folder, converting the checkpoint the first time it is needed."""
        if self._converted is None:
            self._converted = convert_model(
                self.location, quantization=self.quantization, cache_root=self.cache_root
            )
        return self._converted

    @property
    def model(self) -> Any:
        """The `ctranslate2.Translator`, loaded on first use with one thread per core.

        A cached conversion that does not load is damaged: it is discarded and converted again, once.
        """
        if self._model is None:
            target = conversion_dir(self.location, quantization=self.quantization, cache_root=self.cache_root)
            cached = is_complete(target)
            try:
                self._model = self._open(self.converted_path)
            except BackendFailed:
                if not cached:
                    raise
                discard(target)
                self._converted = None
                self._model = self._open(self.converted_path)
            self._device = self.ct2_device
        return self._model

    def _open(self, path: Path) -> Any:
        ctranslate2 = _import_ctranslate2()
        share_heap_arenas()  # before CTranslate2 starts its threads, so they share one heap arena
        try:
            # "default" keeps the quantization the folder was converted with; CTranslate2 falls
            # back to the nearest supported type itself when the device lacks it.
            return ctranslate2.Translator(
                str(path),
                device=self.ct2_device,
                device_index=self.ct2_device_index,
                compute_type="default",
                intra_threads=self.threads.intra,
                inter_threads=self.threads.inter,
            )
        except Exception as exc:  # a damaged model.bin surfaces as RuntimeError, IndexError, ...
            reason = f"its conversion in {path} does not load: {first_line(exc)}"
            raise BackendFailed(self.location.model_id, reason) from exc

    @cached_property
    def _suppressed(self) -> list[list[str]]:
        # The converter drops MarianMT's "<pad>" from the vocabulary (CTranslate2 starts the decoder
        # from a zero embedding instead), so it can never be generated; suppressing a token the
        # vocabulary lacks would suppress "<unk>" in its place.
        folder = self.converted_path
        name = next(n for n in ("shared_vocabulary.json", "target_vocabulary.json") if (folder / n).is_file())
        vocabulary = set(json.loads((folder / name).read_text(encoding="utf-8")))
        tokens = self.tokenizer.convert_ids_to_tokens(list(self.options.suppressed_token_ids))
        return [[token] for token in tokens if token in vocabulary]

    @cached_property
    def _target_prefix(self) -> list[str]:
        if self.options.target_prefix:
            return list(self.options.target_prefix)
        # transformers forces a generation config's forced_bos_token_id as the first token (the real
        # distilbart-cnn checkpoints set it to <s>); CTranslate2 needs it as an explicit prefix.
        forced = _generation_config(Path(self.location.path)).get("forced_bos_token_id")
        return [self.tokenizer.convert_ids_to_tokens(int(forced))] if forced is not None else []

    def _generate_batch(
        self,
        inputs: list[Sequence[int]],
        maximum: list[int],
        minimum: list[int],
    ) -> list[list[int]]:
        # CTranslate2 bounds lengths per batch, transformers per row (RowLengthBounds). The maximum:
        # the batch runs to its longest cap and each row is cut to its own; before a row's cap its
        # tokens do not depend on the cap (the bound only acts at that step) and rows do not interact,
        # so with greedy decoding the cut row is the row transformers generates. The minimum cannot be
        # cut afterwards, so rows are decoded in groups sharing one: rows with the same minimum, plus
        # one group for rows whose minimum equals their maximum (exact lengths), which the group's
        # largest maximum bounds exactly. Translation has one group (every minimum is 0).
        groups: dict[int | None, list[int]] = {}
        for i, (low, high) in enumerate(zip(minimum, maximum)):
            groups.setdefault(None if low >= high else low, []).append(i)
        rows: list[list[int]] = [[] for _ in inputs]
        for shared, members in groups.items():
            caps = [maximum[i] for i in members]
            floor = max(caps) if shared is None else shared
            for i, ids in zip(members, self._decode([inputs[i] for i in members], caps, floor)):
                rows[i] = ids
        return rows

    def _decode(self, inputs: list[Sequence[int]], caps: list[int], floor: int) -> list[list[int]]:
        model, tokenizer, options = self.model, self.tokenizer, self.options
        source = [tokenizer.convert_ids_to_tokens(list(ids)) for ids in inputs]
        prefix = self._target_prefix
        results = model.translate_batch(
            source,
            target_prefix=[prefix for _ in source] if prefix else None,
            beam_size=options.num_beams,
            length_penalty=options.length_penalty,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
            repetition_penalty=options.repetition_penalty,
            suppress_sequences=self._suppressed or None,
            max_input_length=0,  # inputs were checked against the model's limit; never cut one silently
            max_decoding_length=max(caps),
            # 0 when there is no minimum: transformers lets a row end at its first step, which
            # CTranslate2's default minimum (1) would not.
            min_decoding_length=floor,
            # Split so every replica gets a share of the batch: a batch of rows decoded on one core
            # while the other waits would leave half the machine idle.
            max_batch_size=math.ceil(len(source) / self.threads.inter),
        )
        release_free_memory()  # the batch's buffers, freed by now; the next batch may be smaller
        rows: list[list[int]] = []
        for result, cap in zip(results, caps):
            tokens = result.hypotheses[0][:cap]  # the target prefix is included, as transformers counts it
            rows.append([int(i) for i in tokenizer.convert_tokens_to_ids(tokens)])
        return rows


def _generation_config(folder: Path) -> dict[str, Any]:
    """config.json overlaid with generation_config.json, as transformers reads generation defaults."""
    merged: dict[str, Any] = {}
    for name in ("config.json", "generation_config.json"):
        path = folder / name
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                merged.update(data)
    return merged


def _import_ctranslate2() -> Any:
    try:
        import ctranslate2
    except ImportError:
        raise BackendUnavailable(
            "the ct2 backend needs CTranslate2: pip install 'digest-translate[ct2]', or use --backend hf"
        ) from None
    return ctranslate2
