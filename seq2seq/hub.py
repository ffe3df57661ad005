"""Find a model by id: the local model dir first, then the Hugging Face cache, then the hub."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.errors import ModelUnavailable

# What a seq2seq checkpoint needs; skips the TF/Flax/ONNX copies a hub repo may also hold.
_ALLOW = ["*.json", "*.safetensors", "*.model", "*.spm", "*.txt", "*.bin"]
_WEIGHTS = ("*.safetensors", "pytorch_model*.bin")


@dataclass(frozen=True)
class ModelLocation:
    """A model found on disk, with a revision that changes whenever its weights do."""

    model_id: str
    path: Path
    revision: str  # hub commit hash for cached snapshots, else a hash of the weights
    origin: str  # "model-dir", "path", "cache" or "hub"


def local_candidate(model_id: str, model_dir: Path | None) -> Path | None:
    """The folder `DIR/<org>/<name>` for `model_id`, if it holds a config.json."""
    if model_dir is None:
        return None
    folder = Path(model_dir) / model_id
    return folder if (folder / "config.json").is_file() else None


def locate_model(model_id: str, *, model_dir: Path | None = None, offline: bool = False) -> ModelLocation:
    """Find `model_id` without loading it, or raise ModelUnavailable with the fix."""
    folder = local_candidate(model_id, model_dir)
    if folder is not None:
        return ModelLocation(model_id, folder, weights_revision(folder), "model-dir")
    as_path = Path(os.path.expanduser(model_id))
    if (as_path / "config.json").is_file():
        return ModelLocation(model_id, as_path, weights_revision(as_path), "path")

    offline = offline or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    # Imported here: huggingface_hub is heavy and not needed for --help or local models.
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError, LocalEntryNotFoundError

    try:
        cached = snapshot_download(model_id, local_files_only=True, allow_patterns=_ALLOW)
        return ModelLocation(model_id, Path(cached), Path(cached).name, "cache")
    except HFValidationError:
        raise ModelUnavailable(model_id, "not a valid model id or folder") from None
    except LocalEntryNotFoundError:
        pass  # not cached: the hub is tried next unless offline
    where = f"not in {model_dir}" if model_dir else "no --model-dir given"
    if offline:
        raise ModelUnavailable(model_id, f"{where}, not in the Hugging Face cache, and HF_HUB_OFFLINE is set")
    try:
        fetched = snapshot_download(model_id, allow_patterns=_ALLOW, etag_timeout=5)
    except (HfHubHTTPError, OSError) as exc:  # unreachable, unknown repo, gated: all "not available"
        raise ModelUnavailable(model_id, f"{where}, not in the Hugging Face cache, and {_hub_problem(exc)}") from None
    return ModelLocation(model_id, Path(fetched), Path(fetched).name, "hub")


def _hub_problem(exc: Exception) -> str:
    """What went wrong with the hub, in words (huggingface_hub reports a network failure as a cache miss)."""
    from huggingface_hub.errors import GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError

    if isinstance(exc, GatedRepoError):
        return "the hub requires accepting its terms and logging in (`hf auth login`)"
    if isinstance(exc, RepositoryNotFoundError):
        return "the hub has no model of that name"
    if isinstance(exc, LocalEntryNotFoundError):
        return "the hub cannot be reached"
    return f"the hub failed ({type(exc).__name__})"


def weights_revision(folder: Path) -> str:
    """A short content hash of a local checkpoint's config and weights."""
    files = sorted({p for pattern in _WEIGHTS for p in folder.glob(pattern)})
    files.append(folder / "config.json")
    return _hash_files(tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))


@lru_cache(maxsize=64)
def _hash_files(files: tuple[tuple[str, int, int], ...]) -> str:
    # Keyed by (path, size, mtime) so each checkpoint is hashed once per process.
    digest = hashlib.sha256()
    for name, _size, _mtime in files:
        digest.update(Path(name).name.encode())
        with open(name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return "sha256-" + digest.hexdigest()[:16]
