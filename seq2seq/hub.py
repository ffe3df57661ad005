"""Find a model by id: the local model dir first, then the Hugging Face cache, then the hub."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.errors import ModelUnavailable
from core.phases import announce

# A cached snapshot counts as here when it holds the config: huggingface_hub checks a local lookup's
# files against the repo's whole listing, and a download takes only some of them (files_to_download).
# A file missing beside it is named when the model loads (seq2seq.hf: ModelBroken).
_LOOKUP = ["config.json"]
_WEIGHTS = ("*.safetensors", "pytorch_model*.bin")
# Revisions of local checkpoints, kept in the user cache so unchanged weights are not hashed again.
_REVISIONS = "revisions.json"
_KEEP_REVISIONS = 256  # checkpoints remembered; the oldest entries go first


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

    offline = hub_offline(offline)
    # Imported here: huggingface_hub is heavy and not needed for --help or local models.
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        cached = snapshot_download(model_id, local_files_only=True, allow_patterns=_LOOKUP)
        return ModelLocation(model_id, Path(cached), Path(cached).name, "cache")
    except HFValidationError:
        raise ModelUnavailable(model_id, "not a valid model id or folder") from None
    except LocalEntryNotFoundError:
        pass  # not cached: the hub is tried next unless offline
    where = f"not in {model_dir}" if model_dir else "no --model-dir given"
    if offline:
        raise ModelUnavailable(model_id, f"{where}, not in the Hugging Face cache, and HF_HUB_OFFLINE is set")
    announce("downloading", model_id)
    try:
        fetched, _files = download_model(model_id, progress=False)
    except ModelUnavailable as exc:  # unreachable, unknown repo, gated: all "not available"
        raise ModelUnavailable(model_id, f"{where}, not in the Hugging Face cache, and {exc.reason}") from None
    assert fetched is not None
    return ModelLocation(model_id, fetched, fetched.name, "hub")


def find_local(model_id: str, *, model_dir: Path | None = None) -> Path | None:
    """Where `model_id` is on this machine (model dir, a folder path, the Hugging Face cache), or None.

    Nothing is read but folder listings and the cache's refs: no weights are hashed or loaded, and
    the hub is never contacted.
    """
    folder = local_candidate(model_id, model_dir)
    if folder is not None:
        return folder
    as_path = Path(os.path.expanduser(model_id))
    if (as_path / "config.json").is_file():
        return as_path
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model_id, local_files_only=True, allow_patterns=_LOOKUP))
    except (HFValidationError, LocalEntryNotFoundError):  # not a hub id, or not cached: not here
        return None


def hub_offline(offline: bool = False) -> bool:
    """Whether the hub must not be contacted: `offline`, or HF_HUB_OFFLINE set."""
    return offline or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


# What a download keeps of a hub repo: the files transformers reads for a seq2seq checkpoint, and
# one copy of the weights. Repos also hold TensorFlow, Flax, Rust and ONNX copies of the same
# weights (tf_model.h5, flax_model.msgpack, rust_model.ot, onnx/), several times the size.
_SUPPORT_FILES = ("*.json", "*.spm", "*.model", "merges.txt", "vocab.txt")
_WEIGHT_FORMATS = (
    ("model.safetensors", "model.safetensors.index.json"),
    ("pytorch_model.bin", "pytorch_model.bin.index.json"),
)


def files_to_download(repo_files: dict[str, int | None]) -> dict[str, int | None]:
    """The files of a hub repo (name -> size) that a run reads: config, tokenizer, one weights format."""
    import fnmatch

    top = {name: size for name, size in repo_files.items() if "/" not in name}
    indexes = {index for _, index in _WEIGHT_FORMATS} | {n for n in top if n.endswith(".index.json")}
    chosen = {
        name: size for name, size in top.items()
        if name not in indexes and any(fnmatch.fnmatch(name, pattern) for pattern in _SUPPORT_FILES)
    }
    for single, index in _WEIGHT_FORMATS:
        if single in top:
            return chosen | {single: top[single]}
        if index in top:
            stem = single.rsplit(".", 1)
            shards = {n: s for n, s in top.items() if n.startswith(stem[0] + "-") and n.endswith("." + stem[1])}
            return chosen | {index: top[index]} | shards
    return chosen  # no weights: the caller says so


def download_model(
    model_id: str, *, model_dir: Path | None = None, progress: bool = True, plan_only: bool = False
) -> tuple[Path | None, dict[str, int | None]]:
    """Fetch the files a run reads of `model_id` from the hub into `model_dir/<id>` or the Hugging Face cache.

    Returns where it went (None with `plan_only`) and the files with their sizes. Files already
    there are not fetched again.
    """
    import httpx2
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    try:
        info = HfApi().model_info(model_id, files_metadata=True, timeout=10)
        repo_files = {s.rfilename: s.size for s in info.siblings or []}
        files = files_to_download(repo_files)
        if not any(name in files for single, index in _WEIGHT_FORMATS for name in (single, index)):
            raise ModelUnavailable(
                model_id, "the hub has no PyTorch or safetensors weights for it (only "
                f"{', '.join(sorted(repo_files)) or 'no files'})"
            )
        if plan_only:
            return None, files
        bar = _progress_class(progress)
        target = Path(model_dir) / model_id if model_dir is not None else None
        # The default revision, not info.sha: the cache then records it as `main`, where lookups go.
        fetched = snapshot_download(
            model_id, allow_patterns=sorted(files), local_dir=target, tqdm_class=bar, etag_timeout=10
        )
    except HFValidationError:
        raise ModelUnavailable(model_id, "not a valid model id") from None
    except (HfHubHTTPError, OSError, httpx2.TransportError) as exc:
        raise ModelUnavailable(model_id, _hub_problem(exc)) from None
    return Path(fetched), files


def _progress_class(progress: bool) -> Any:
    # A plain tqdm class draws its bars whatever HF_HUB_DISABLE_PROGRESS_BARS and the log level say,
    # which is what a command run to download wants; huggingface_hub's own class obeys them.
    from tqdm.auto import tqdm

    if progress:
        return tqdm

    class Silent(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return Silent


def _hub_problem(exc: Exception) -> str:
    """What went wrong with the hub, in words (huggingface_hub reports a network failure as a cache miss)."""
    import httpx2
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    if isinstance(exc, GatedRepoError):
        return "the hub requires accepting its terms and logging in (`hf auth login`)"
    if isinstance(exc, RepositoryNotFoundError):
        return "the hub has no model of that name"
    if isinstance(exc, OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE is set"
    if isinstance(exc, (LocalEntryNotFoundError, httpx2.TransportError)):
        return "the hub cannot be reached"
    return f"the hub failed ({type(exc).__name__})"


def user_cache_root() -> Path:
    """The user cache folder for digest: `$XDG_CACHE_HOME/digest`, else `~/.cache/digest`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "digest"


def weights_revision(folder: Path) -> str:
    """A short content hash of a local checkpoint's config and the weights transformers loads from it."""
    files = [*loaded_weights(folder), folder / "config.json"]
    return _revision(str(folder.resolve()), tuple(_stamp(p) for p in files))


def loaded_weights(folder: Path) -> list[Path]:
    """The weight files transformers (and so CTranslate2's converter) reads from `folder`."""
    # transformers' own order of preference; the files of the formats it skips never affect a run,
    # so they are neither hashed nor part of the revision.
    for single, index in (("model.safetensors", "model.safetensors.index.json"),
                          ("pytorch_model.bin", "pytorch_model.bin.index.json")):
        if (folder / single).is_file():
            return [folder / single]
        shards = _shards(folder / index)
        if shards:
            return shards
    # An unusual layout: every weights file, as revisions were computed before formats were told apart.
    return sorted({p for pattern in _WEIGHTS for p in folder.glob(pattern)})


def _shards(index: Path) -> list[Path]:
    try:
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map")
        names = set(weight_map.values())
    except (OSError, ValueError, AttributeError, TypeError):  # absent or unreadable: not a sharded checkpoint
        return []
    return sorted(shard for shard in (index.parent / str(n) for n in names) if shard.is_file())


# (name hashed, resolved path, size, mtime_ns, inode, ctime_ns): a file rewritten in place changes its
# ctime even when its size and mtime are kept (cp -p, rsync -t); one replaced by a rename changes inode.
_Stamp = tuple[str, str, int, int, int, int]


def _stamp(path: Path) -> _Stamp:
    st = path.stat()
    return (path.name, str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


@lru_cache(maxsize=64)
def _revision(key: str, stamps: tuple[_Stamp, ...]) -> str:
    # Hashing 1-2 GB of weights takes seconds warm and most of a minute from a cold page cache, so a
    # revision is kept on disk for as long as none of its files changed; lru_cache spares re-reading
    # that file within a process.
    cache = user_cache_root() / _REVISIONS
    entries = _read_revisions(cache)
    entry = entries.get(key)
    if isinstance(entry, dict) and entry.get("files") == [list(s) for s in stamps]:
        revision = entry.get("revision")
        if isinstance(revision, str):
            return revision
    revision = _hash_files(tuple((name, path) for name, path, *_ in stamps))
    entries.pop(key, None)
    entries[key] = {"files": [list(s) for s in stamps], "revision": revision}
    _write_revisions(cache, dict(list(entries.items())[-_KEEP_REVISIONS:]))
    return revision


def _read_revisions(cache: Path) -> dict[str, Any]:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable or corrupt: every revision is hashed again
        return {}
    entries = data.get("checkpoints") if isinstance(data, dict) and data.get("version") == 1 else None
    return entries if isinstance(entries, dict) else {}


def _write_revisions(cache: Path, entries: dict[str, Any]) -> None:
    # Written whole to a temporary file and renamed, so a concurrent run reads the old or the new
    # cache, never half of one; two runs writing at once lose one entry, which is only hashed again.
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{cache.name}-", dir=cache.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "checkpoints": entries}, f)
            os.replace(tmp, cache)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # an unwritable cache only costs hashing again on the next run


def _hash_files(files: tuple[tuple[str, str], ...]) -> str:
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return "sha256-" + digest.hexdigest()[:16]
