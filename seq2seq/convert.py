"""Convert a transformers seq2seq checkpoint to CTranslate2 once, and cache the result."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from core.errors import BackendFailed, BackendUnavailable, ConfigError, first_line
from seq2seq.hf import broken, load_tokenizer, read_checkpoint_config
from seq2seq.hub import ModelLocation

# Written last into a conversion folder: a folder without it (or whose files no longer match it)
# is a crashed or damaged conversion and is never loaded.
MANIFEST = "digest-ct2.json"
_MANIFEST_VERSION = 1

# Files the tokenizer and generation defaults need, copied next to model.bin so a converted
# folder is self-contained. config.json is left out: CTranslate2 writes its own under that name,
# so the transformers config is kept as hf_config.json instead.
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "target_vocab.json",
    "merges.txt",
    "source.spm",
    "target.spm",
    "sentencepiece.bpe.model",
    "spiece.model",
    "generation_config.json",
)
HF_CONFIG = "hf_config.json"

# Architectures the CTranslate2 converter handles that the product uses.
_SUPPORTED = {"marian", "m2m_100", "bart"}

# Leftovers of conversions killed mid-way are swept once they are this old (seconds); younger ones
# may belong to a conversion still running in another process.
_STALE_AFTER = 3600.0


def default_cache_root(model_dir: Path | None) -> Path:
    """Where converted models live: beside the models in `model_dir`, else the user cache."""
    if model_dir is not None:
        return Path(model_dir)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "digest"


def default_quantization(device: str) -> str:
    """The weight type converted models use on `device` ("cpu", "cuda", "cuda:N" or "auto")."""
    if device == "auto":
        device = "cuda" if _cuda_devices() > 0 else "cpu"
    # CPU: int8 weights with float32 activations is CTranslate2's fastest CPU mode and stays close
    # to float32 in accuracy. CUDA: int8 weights with float16 activations halves the memory of
    # float16 again and runs on every GPU CTranslate2 supports float16 on (compute 7.0+); bfloat16
    # would need compute 8.0+ and is no faster for models of this size.
    return "int8_float16" if device.startswith("cuda") else "int8"


def model_dir_of(location: ModelLocation) -> Path | None:
    """The --model-dir a location was found in (DIR for DIR/<org>/<name>), else None."""
    if location.origin != "model-dir":
        return None
    root = Path(location.path)
    for _ in Path(location.model_id).parts:
        root = root.parent
    return root


def cache_root_for(location: ModelLocation) -> Path:
    """Where `location`'s conversions go by default: its model dir when writable, else the user cache."""
    # Beside the models when they come from --model-dir, so a model dir carries its conversions;
    # a read-only model dir (or a model from the Hugging Face cache) uses the user cache.
    model_dir = model_dir_of(location)
    if model_dir is not None and os.access(model_dir, os.W_OK):
        return default_cache_root(model_dir)
    return default_cache_root(None)


def conversion_dir(location: ModelLocation, *, quantization: str, cache_root: Path) -> Path:
    """The folder a converted `location` lives in: ct2/<org>/<name>/<revision>-<quantization>."""
    return Path(cache_root) / "ct2" / _safe_model_path(location.model_id) / f"{location.revision}-{quantization}"


def is_complete(folder: Path) -> bool:
    """True when `folder` holds a finished conversion whose files match its manifest."""
    manifest = _read_manifest(folder)
    if manifest is None or manifest.get("version") != _MANIFEST_VERSION:
        return False
    files = manifest.get("files")
    if not isinstance(files, dict) or "model.bin" not in files:
        return False
    for name, size in files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True


def convert_model(location: ModelLocation, *, quantization: str, cache_root: Path) -> Path:
    """The CTranslate2 copy of `location` at `quantization`, converting it on first use."""
    target = conversion_dir(location, quantization=quantization, cache_root=cache_root)
    if is_complete(target):
        return target
    _check_supported(location)
    # A damaged checkpoint is the checkpoint's problem on every backend: reported as such, not as a
    # conversion failure (the converter would build from transformers 5's near-empty stand-in tokenizer).
    load_tokenizer(location, read_checkpoint_config(location))
    # Imported here: the converter pulls in torch and transformers.
    try:
        import ctranslate2
    except ImportError:
        raise BackendUnavailable(
            "the ct2 backend needs CTranslate2: pip install 'digest-translate[ct2]', or use --backend hf"
        ) from None
    if quantization not in ctranslate2.specs.model_spec.ACCEPTED_MODEL_TYPES:
        choices = ", ".join(ctranslate2.specs.model_spec.ACCEPTED_MODEL_TYPES)
        raise ConfigError(f"unknown quantization {quantization!r}: choose one of {choices}")

    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(target.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".partial-{target.name}-", dir=target.parent))
    try:
        # The converter raises anything (AttributeError, KeyError, ...); --verbose shows the cause.
        try:
            _convert_into(location, staging, quantization=quantization)
        except Exception as exc:
            raise BackendFailed(location.model_id, f"conversion failed: {first_line(exc)}") from exc
        _write_manifest(staging, location=location, quantization=quantization, version=ctranslate2.__version__)
        _publish(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def discard(folder: Path) -> None:
    """Remove a conversion folder (a damaged one); the next `convert_model` converts again."""
    if not folder.exists():
        return
    # Moved aside first, so a reader never sees a half-deleted folder under the published name.
    doomed = Path(tempfile.mkdtemp(prefix=f".partial-{folder.name}-", dir=folder.parent))
    os.replace(folder, doomed / "old")
    shutil.rmtree(doomed)


# Layout flags of fairseq-era configs that CTranslate2's BART converter reads but configs saved by
# transformers 5 no longer carry. BART is post-norm with a layer norm on its embeddings.
_BART_LEGACY = {"normalize_before": False, "normalize_embedding": True}


def _converter_class() -> Any:
    from ctranslate2.converters import TransformersConverter

    class Converter(TransformersConverter):  # type: ignore[misc]
        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            model = super().load_model(model_class, model_name_or_path, **kwargs)
            if getattr(model.config, "model_type", None) == "bart":
                for name, value in _BART_LEGACY.items():
                    if not hasattr(model.config, name):
                        setattr(model.config, name, value)
            return model

    return Converter


def _convert_into(location: ModelLocation, out: Path, *, quantization: str) -> None:
    # CTranslate2 4.x's TransformersConverter works with transformers 5 for the three architectures
    # used here: it loads with `dtype=` and AutoTokenizer, and the module layout it reads (positions,
    # final_logits_bias, q/k/v/out projections) is unchanged; BART's and M2M100's embed_scale moved
    # onto the embedding module, and the converter's fallback (config.scale_embedding) gives the same
    # value. One 5.x change does reach it: `special_tokens_map` no longer lists the additional
    # special tokens, so its M2M100 step that appends NLLB language codes missing from the vocabulary
    # sees none. The codes are already in the vocabulary in 5.x, which _check_vocabulary verifies
    # for every conversion instead of trusting it.
    source = Path(location.path)
    copy = [name for name in _TOKENIZER_FILES if (source / name).is_file()]
    converter = _converter_class()(str(source), copy_files=copy)
    # The converter refuses an existing folder unless forced; `out` is our own empty staging folder.
    converter.convert(str(out), quantization=quantization, force=True)
    shutil.copyfile(source / "config.json", out / HF_CONFIG)
    _check_vocabulary(out, source)


def _check_vocabulary(out: Path, source: Path) -> None:
    # CTranslate2 maps tokens to ids through the vocabulary it writes, built by sorting the
    # tokenizer's vocab by id. If that list ever disagrees with the tokenizer (ids with gaps,
    # special tokens transformers 5 reports differently) every output would be garbage, so the
    # conversion is rejected rather than cached.
    from transformers import AutoTokenizer

    vocab_file = next((out / name for name in ("shared_vocabulary.json", "target_vocabulary.json")
                       if (out / name).is_file()), None)
    if vocab_file is None:
        raise RuntimeError(f"CTranslate2 wrote no vocabulary into {out}")
    tokens: list[str] = json.loads(vocab_file.read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
    known = min(len(tokens), len(tokenizer))
    expected = tokenizer.convert_ids_to_tokens(list(range(known)))
    wrong = [i for i, (got, want) in enumerate(zip(tokens, expected)) if got != want]
    if wrong:
        i = wrong[0]
        raise RuntimeError(
            f"converted vocabulary of {source} disagrees with its tokenizer at {len(wrong)} ids "
            f"(first: id {i} is {tokens[i]!r}, tokenizer says {expected[i]!r})"
        )


def _write_manifest(folder: Path, *, location: ModelLocation, quantization: str, version: str) -> None:
    files = {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}
    manifest = {
        "version": _MANIFEST_VERSION,
        "model_id": location.model_id,
        "revision": location.revision,
        "quantization": quantization,
        "ctranslate2": version,
        "files": files,
    }
    with open(folder / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.flush()
        os.fsync(f.fileno())


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):  # unreadable or truncated: treated as a damaged conversion
        return None
    return data if isinstance(data, dict) else None


def _publish(staging: Path, target: Path) -> None:
    # A rename is atomic: readers see the old state or the finished folder, never half of one.
    if target.exists():
        if is_complete(target):
            return  # another process finished the same conversion first; ours is discarded
        discard(target)  # damaged: moved aside and removed, so the rename below cannot meet it
    try:
        os.rename(staging, target)
    except OSError:
        if not is_complete(target):  # lost a race to a finished conversion: fine; else a real error
            raise


def _sweep_stale(parent: Path) -> None:
    now = time.time()
    for leftover in parent.glob(".partial-*"):
        try:
            age = now - leftover.stat().st_mtime
        except FileNotFoundError:
            continue  # removed by a concurrent sweep
        if age > _STALE_AFTER:
            try:
                shutil.rmtree(leftover)
            except FileNotFoundError:
                continue  # removed by a concurrent sweep


def _check_supported(location: ModelLocation) -> None:
    try:
        config = json.loads((Path(location.path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise broken(location, f"its config.json cannot be read ({first_line(exc)})") from None
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type not in _SUPPORTED:
        raise BackendFailed(location.model_id, f"CTranslate2 cannot convert model type {model_type!r}")


def _cuda_devices() -> int:
    try:
        import ctranslate2
    except ImportError:
        return 0  # without CTranslate2 nothing is converted; the caller reports the missing package
    return int(ctranslate2.get_cuda_device_count())


def _safe_model_path(model_id: str) -> Path:
    # Hub ids ("org/name") map to folders as they are; a filesystem path given as the model id is
    # reduced to its last two parts, the revision in the folder name keeping different weights apart.
    parts = [p for p in re.split(r"[\\/]+", model_id) if p not in ("", ".", "..", "~")]
    parts = [re.sub(r"[^A-Za-z0-9._-]", "_", p) for p in parts[-2:]] or ["model"]
    return Path(*parts)
