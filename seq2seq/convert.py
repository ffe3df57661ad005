"""Convert a transformers seq2seq checkpoint to CTranslate2 once, and cache the result."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.errors import BackendFailed, BackendUnavailable, ConfigError, first_line
from core.phases import announce
from seq2seq.hf import broken, load_tokenizer, missing_tokenizer_files, read_checkpoint_config
from seq2seq.hub import ModelLocation, user_cache_root

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
    return Path(model_dir) if model_dir is not None else user_cache_root()


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
    # Missing files are seen without loading anything; the tokenizer itself is loaded only once the
    # converter's process has ended, so this process (transformers and torch, once imported, stay)
    # and the converter never hold their memory at the same time.
    config = read_checkpoint_config(location)
    missing = missing_tokenizer_files(Path(location.path), config.get("model_type"))
    if missing:
        raise broken(location, f"its tokenizer files are missing ({missing} in {location.path})")
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
    # One conversion per folder at a time: processes sharing a model folder (workers on one machine,
    # or runs started together) wait for the first, then use its copy.
    with _conversion_lock(target):
        if is_complete(target):
            return target
        announce("converting", location.model_id)
        return _convert_locked(location, target, quantization=quantization, config=config, version=ctranslate2.__version__)


@contextlib.contextmanager
def _conversion_lock(target: Path) -> Iterator[None]:
    """An exclusive lock beside `target`, held while it is converted (no-op where flock is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: conversions are not shared between processes there
        yield
        return
    path = target.parent / f".{target.name}.lock"
    while True:
        with open(path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                same = os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False  # its holder finished and removed it: lock the next one
            if not same:
                continue
            try:
                yield
                return
            finally:
                path.unlink(missing_ok=True)  # removed while still held, so nothing is left behind
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _convert_locked(
    location: ModelLocation, target: Path, *, quantization: str, config: dict[str, Any], version: str
) -> Path:
    _sweep_stale(target.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".partial-{target.name}-", dir=target.parent))
    try:
        # The converter raises anything (AttributeError, KeyError, ...); --verbose shows the cause.
        try:
            _convert_into(location, staging, quantization=quantization)
        except Exception as exc:
            load_tokenizer(location, config)  # a damaged tokenizer is the cause to report, if it is one
            reason = exc.reason if isinstance(exc, ConversionCrashed) else first_line(exc)
            raise BackendFailed(location.model_id, f"conversion failed: {reason}") from exc
        load_tokenizer(location, config)
        _write_manifest(staging, location=location, quantization=quantization, version=version)
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
            # Mapped, float32 weights are used in place; read, they would all be copied at once.
            as_float16 = getattr(self, "_load_as_float16", False)
            with _weights_read_not_mapped() if as_float16 else contextlib.nullcontext():
                model = super().load_model(model_class, model_name_or_path, **kwargs)
            if getattr(model.config, "model_type", None) == "bart":
                for name, value in _BART_LEGACY.items():
                    if not hasattr(model.config, name):
                        setattr(model.config, name, value)
            return model

        def _load(self) -> Any:
            spec = super()._load()
            # The torch model is unreachable now but held in reference cycles: collected here, each
            # weight is freed as soon as its quantized copy replaces it, rather than at the very end.
            gc.collect()
            return spec

    return Converter


class ConversionCrashed(RuntimeError):
    """The converter failed in its child process; `reason` is the child's error as one line."""

    def __init__(self, reason: str, details: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}\n{details}".rstrip())


# Quantizations whose weights end at 16 bits or fewer: the checkpoint is loaded as float16, so the
# float32 model (1.2 GB for distilBART) is never built. float32, int16 and the bfloat16 types keep
# the checkpoint's own precision (float16 rounding before bfloat16 rounding would change weights).
_LOAD_AS_FLOAT16 = {"int8", "int8_float32", "int8_float16", "float16"}


@contextlib.contextmanager
def _weights_read_not_mapped() -> Iterator[None]:
    # transformers memory-maps safetensors files, and every page of the mapping it touches counts in
    # the process's resident memory until the file is closed: loading distilBART as float16 touched
    # its whole 1.2 GB float32 file besides the 0.6 GB float16 copy. Read tensor by tensor instead
    # (safetensors' "pread" backend, what transformers itself uses on Windows); only the converter's
    # child process loads this way, and only where transformers names the backend it wants.
    from transformers import modeling_utils

    mapped = getattr(modeling_utils, "safe_open", None)
    if mapped is None:
        yield
        return

    def safe_open(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("backend") == "mmap":
            kwargs["backend"] = "pread"
        return mapped(*args, **kwargs)

    modeling_utils.safe_open = safe_open
    try:
        yield
    finally:
        modeling_utils.safe_open = mapped


def _convert_into(location: ModelLocation, out: Path, *, quantization: str) -> None:
    # In a child process: the converter holds the whole torch model and its converted copy at once,
    # memory the parent would otherwise keep (Python rarely returns freed memory to the system) for
    # the rest of a run that goes on to load translators and summarizers. A fresh interpreter, not
    # multiprocessing: its "spawn" re-runs the caller's main script, which breaks unguarded scripts.
    request = {
        "location": {**asdict(location), "path": str(location.path)},
        "out": str(out),
        "quantization": quantization,
    }
    env = dict(os.environ)
    # This package's root first, so the child imports this very module, installed or not.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    # One heap arena (glibc): torch's threads would each keep freed weight copies in their own.
    env.setdefault("MALLOC_ARENA_MAX", "1")
    child = subprocess.Popen(
        [sys.executable, "-m", "seq2seq.convert"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        # stdin stays open while the parent lives: the child takes its end as the parent's death.
        child.stdin.write(json.dumps(request).encode() + b"\n")
        child.stdin.flush()
        answer = child.stdout.read()
        child.wait()
    finally:
        # Ctrl-C or SIGTERM while waiting: the child is killed and reaped before the caller removes
        # the staging folder it writes into, so nothing keeps writing after the parent cleans up.
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdin.close()
        child.stdout.close()
    try:
        result = json.loads(answer)
    except ValueError:  # no answer: the child died (killed, out of memory) before it could give one
        reason = f"the converter process ended with exit code {child.returncode}"
        raise ConversionCrashed(reason, "") from None
    if result.get("error") is not None:
        raise ConversionCrashed(str(result["error"]), str(result.get("details", "")))


_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _child_main() -> None:
    # The child's stdout carries only the answer; anything a library prints goes to stderr.
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    # Ctrl-C reaches the whole process group; the parent decides what happens, killing the child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    request = json.loads(sys.stdin.readline())
    threading.Thread(target=_exit_at_end_of_input, daemon=True).start()
    where = request["location"]
    location = ModelLocation(where["model_id"], Path(where["path"]), where["revision"], where["origin"])
    try:
        _convert_here(location, Path(request["out"]), quantization=request["quantization"])
    except Exception as exc:  # noqa: BLE001 - the converter raises anything; sent as one line
        json.dump({"error": first_line(exc), "details": traceback.format_exc()}, answer)
    else:
        json.dump({"error": None}, answer)
    answer.close()


def _exit_at_end_of_input() -> None:
    # The parent never closes our stdin while it waits: end of input means it is gone (killed, even
    # by SIGKILL), and a conversion nobody will publish is not worth finishing.
    sys.stdin.read()
    os._exit(1)


def _convert_here(location: ModelLocation, out: Path, *, quantization: str) -> None:
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
    as_float16 = quantization in _LOAD_AS_FLOAT16
    converter = _converter_class()(str(source), copy_files=copy, load_as_float16=as_float16)
    # Loaded as float16, "int8" would keep the unquantized weights (biases, norms) in float16, and
    # CTranslate2 would infer int8_float16 and warn on every CPU load; "int8_float32" stores them as
    # float32, which is what "int8" always wrote from a float32 checkpoint.
    stored = "int8_float32" if as_float16 and quantization == "int8" else quantization
    # The converter refuses an existing folder unless forced; `out` is our own empty staging folder.
    converter.convert(str(out), quantization=stored, force=True)
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


if __name__ == "__main__":
    _child_main()
