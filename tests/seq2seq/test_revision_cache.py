"""Local checkpoints keep their revision across runs without hashing their weights again."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from seq2seq import hub
from seq2seq.hub import locate_model, user_cache_root, weights_revision

MODEL = "Helsinki-NLP/opus-mt-hi-en"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A model dir holding one checkpoint with safetensors weights."""
    checkpoint = tmp_path / "models" / MODEL
    checkpoint.mkdir(parents=True)
    (checkpoint / "config.json").write_text('{"model_type": "marian"}')
    (checkpoint / "model.safetensors").write_bytes(b"weights" * 1000)
    return checkpoint


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Every set of files hashed, with the in-process memo cleared: each call acts as a new run."""
    calls: list[tuple[str, ...]] = []
    real = hub._hash_files

    def counting(files: tuple[tuple[str, str], ...]) -> str:
        calls.append(tuple(name for name, _path in files))
        return real(files)

    monkeypatch.setattr(hub, "_hash_files", counting)
    return calls


def new_run(folder: Path) -> str:
    """The revision of `folder` as a new process finds it: without this process's memo."""
    hub._revision.cache_clear()
    return weights_revision(folder)


def test_an_unchanged_checkpoint_is_not_hashed_again(folder: Path, hashed: list[tuple[str, ...]]) -> None:
    hub._revision.cache_clear()
    first = locate_model(MODEL, model_dir=folder.parent.parent).revision
    hub._revision.cache_clear()
    second = locate_model(MODEL, model_dir=folder.parent.parent).revision

    assert first == second
    assert hashed == [("model.safetensors", "config.json")]
    assert (user_cache_root() / "revisions.json").is_file()


def test_rewritten_weights_of_the_same_size_and_mtime_are_hashed_again(
    folder: Path, hashed: list[tuple[str, ...]]
) -> None:
    weights = folder / "model.safetensors"
    first = new_run(folder)
    before = weights.stat()
    weights.write_bytes(b"WEIGHTS" * 1000)
    # As `cp -p` or `rsync -t` leave it: same size, same mtime; only the ctime tells.
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))
    if weights.stat().st_ctime_ns == before.st_ctime_ns:
        pytest.skip("the filesystem's ctime did not move between two writes")

    assert new_run(folder) != first
    assert len(hashed) == 2


def test_weights_replaced_by_a_rename_are_hashed_again(folder: Path, hashed: list[tuple[str, ...]]) -> None:
    weights = folder / "model.safetensors"
    first = new_run(folder)
    before = weights.stat()
    replacement = folder / "new.tmp"
    replacement.write_bytes(b"WEIGHTS" * 1000)
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, weights)  # a new inode, created while the old one still existed

    assert new_run(folder) != first
    assert len(hashed) == 2


def test_a_touched_config_is_hashed_again_to_the_same_revision(
    folder: Path, hashed: list[tuple[str, ...]]
) -> None:
    first = new_run(folder)
    stat = (folder / "config.json").stat()
    os.utime(folder / "config.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    assert new_run(folder) == first
    assert len(hashed) == 2


@pytest.mark.parametrize(
    "content", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"version": 1, "checkpoints": []}']
)
def test_a_corrupt_cache_is_ignored_and_replaced(
    folder: Path, hashed: list[tuple[str, ...]], content: bytes
) -> None:
    first = new_run(folder)
    cache = user_cache_root() / "revisions.json"
    cache.write_bytes(content)

    assert new_run(folder) == first
    assert new_run(folder) == first
    assert len(hashed) == 2  # hashed once more, then cached again


def test_an_unwritable_cache_only_means_hashing_every_run(
    folder: Path, hashed: list[tuple[str, ...]]
) -> None:
    # A file where the cache folder should be: nothing can be written under it, even as root.
    blocker = Path(os.environ["XDG_CACHE_HOME"])
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")

    first = new_run(folder)

    assert new_run(folder) == first
    assert len(hashed) == 2


def test_revisions_of_single_format_checkpoints_are_what_they_were(tmp_path: Path) -> None:
    def old_revision(folder: Path, patterns: tuple[str, ...]) -> str:
        # The revision before transformers' preference was followed: every weights file, by name.
        digest = hashlib.sha256()
        weights = sorted({p for pattern in patterns for p in folder.glob(pattern)})
        for path in [*weights, folder / "config.json"]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return "sha256-" + digest.hexdigest()[:16]

    layouts = {
        "single": ["model.safetensors"],
        "sharded": ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"],
        "bin": ["pytorch_model.bin"],
    }
    for layout, names in layouts.items():
        folder = tmp_path / layout
        folder.mkdir()
        (folder / "config.json").write_text("{}")
        for i, name in enumerate(names):
            (folder / name).write_bytes(f"{layout}-{i}".encode())
        if layout == "sharded":
            weight_map = {f"w{i}": name for i, name in enumerate(names)}
            (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))

        assert new_run(folder) == old_revision(folder, ("*.safetensors", "pytorch_model*.bin")), layout


def test_only_the_safetensors_are_hashed_when_both_formats_are_present(
    folder: Path, hashed: list[tuple[str, ...]]
) -> None:
    alone = new_run(folder)
    (folder / "pytorch_model.bin").write_bytes(b"the same weights, in the format transformers skips")

    assert new_run(folder) == alone
    assert hashed[-1] == ("model.safetensors", "config.json")
    (folder / "pytorch_model.bin").write_bytes(b"changed")
    assert new_run(folder) == alone


def test_sharded_safetensors_are_found_through_their_index(tmp_path: Path) -> None:
    folder = tmp_path / "sharded"
    folder.mkdir()
    (folder / "model.safetensors.index.json").write_text(
        '{"weight_map": {"a": "model-2.safetensors", "b": "model-1.safetensors", "c": "model-2.safetensors"}}'
    )
    for name in ("model-1.safetensors", "model-2.safetensors", "pytorch_model.bin"):
        (folder / name).write_bytes(b"w")

    assert [p.name for p in hub.loaded_weights(folder)] == ["model-1.safetensors", "model-2.safetensors"]
