"""The ct2 backend: same answers as the hf backend, converted once, never from a half-written folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from core.errors import BackendFailed, BackendUnavailable, ConfigError, UnsupportedLanguage
from core.segment import segment_text
from seq2seq import convert
from seq2seq.convert import (
    cache_root_for,
    conversion_dir,
    convert_model,
    default_cache_root,
    default_quantization,
    is_complete,
    model_dir_of,
)
from seq2seq.hf import max_new_tokens_for
from seq2seq.hub import ModelLocation, locate_model
from tests.checkpoints import SAMPLES
from translate.base import Translator
from translate.ct2 import CT2Translator
from translate.hf import HFTranslator

MARIAN = "Helsinki-NLP/opus-mt-hi-en"
NLLB = "facebook/nllb-200-distilled-600M"


def sample_sentences(language: str) -> list[str]:
    """Every sentence of the sample documents in `language`."""
    files = sorted(SAMPLES.glob(f"{language}-*.txt"))
    assert files, f"no {language} samples"
    return [s.text for f in files for s in segment_text(f.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def ct2_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion cache for the module, so each model is converted once per quantization."""
    return tmp_path_factory.mktemp("ct2-cache")


@pytest.fixture
def counted_conversions(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records every folder the converter writes into."""
    calls: list[Path] = []
    real = convert._convert_into

    def counting(location: ModelLocation, out: Path, *, quantization: str) -> None:
        calls.append(out)
        real(location, out, quantization=quantization)

    monkeypatch.setattr(convert, "_convert_into", counting)
    return calls


@pytest.mark.parametrize(
    ("model_id", "language", "source_code"),
    [(MARIAN, "hi", None), (NLLB, "hi", "hin_Deva"), (NLLB, "ur", "urd_Arab")],
    ids=["marian-hi", "nllb-hin_Deva", "nllb-urd_Arab"],
)
def test_float32_greedy_gives_exactly_the_hf_tokens(
    tiny_model_dir: Path, ct2_cache: Path, model_id: str, language: str, source_code: str | None
) -> None:
    location = locate_model(model_id, model_dir=tiny_model_dir)
    sentences = sample_sentences(language)
    hf = HFTranslator(location, device="cpu", num_beams=1)
    ct2 = CT2Translator(location, device="cpu", num_beams=1, quantization="float32", cache_root=ct2_cache)

    expected = hf.generate_ids(sentences, source_code=source_code)
    got = ct2.generate_ids(sentences, source_code=source_code)

    assert got == expected
    # Caps are reached by some rows, so the per-row cut is exercised, not just the end token.
    limit = hf.generation_options().limit
    caps = [max_new_tokens_for(hf.count_tokens(s), limit=limit) for s in sentences]
    assert any(len(ids) == cap for ids, cap in zip(got, caps))
    assert ct2.translate(sentences, source_code=source_code) == hf.translate(sentences, source_code=source_code)


def test_nllb_output_starts_with_the_english_code(tiny_model_dir: Path, ct2_cache: Path) -> None:
    location = locate_model(NLLB, model_dir=tiny_model_dir)
    ct2 = CT2Translator(location, device="cpu", num_beams=1, quantization="float32", cache_root=ct2_cache)
    english = ct2.runner.tokenizer.convert_tokens_to_ids("eng_Latn")

    rows = ct2.generate_ids(sample_sentences("ur")[:3], source_code="urd_Arab")

    assert [row[0] for row in rows] == [english] * 3


@pytest.mark.parametrize(("model_id", "source_code"), [(MARIAN, None), (NLLB, "hin_Deva")])
def test_int8_with_default_beams_returns_one_translation_per_segment(
    tiny_model_dir: Path, ct2_cache: Path, model_id: str, source_code: str | None
) -> None:
    location = locate_model(model_id, model_dir=tiny_model_dir)
    ct2 = CT2Translator(location, device="cpu", quantization="int8", cache_root=ct2_cache)
    segments = [*sample_sentences("hi")[:6], "   ", sample_sentences("hi")[0]]

    out = ct2.translate(segments, source_code=source_code)

    assert len(out) == len(segments)
    assert out[6] == ""  # a blank segment stays blank
    assert all(text.strip() for i, text in enumerate(out) if i != 6)
    assert out[7] == out[0]  # the same sentence translates the same wherever it stands
    assert ct2.quantization == "int8"
    assert ct2.converted_path.name.endswith("-int8")


def test_satisfies_the_translator_protocol_and_keeps_its_own_memory_key(
    tiny_model_dir: Path, ct2_cache: Path
) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    ct2 = CT2Translator(location, device="cpu", quantization="int8", cache_root=ct2_cache)

    assert isinstance(ct2, Translator)
    assert ct2.model_id == MARIAN
    # int8 weights translate slightly differently, so the translation memory must not mix them up.
    assert ct2.revision != HFTranslator(location).revision
    assert ct2.revision.startswith(location.revision)
    assert ct2.max_input_tokens == HFTranslator(location).max_input_tokens
    assert ct2.count_tokens("प्रांत का पार्टी") == HFTranslator(location).count_tokens("प्रांत का पार्टी")


def test_nllb_needs_a_known_source_code(tiny_model_dir: Path, ct2_cache: Path) -> None:
    location = locate_model(NLLB, model_dir=tiny_model_dir)
    ct2 = CT2Translator(location, device="cpu", quantization="int8", cache_root=ct2_cache)

    with pytest.raises(UnsupportedLanguage, match="xyz_Latn"):
        ct2.translate(["नमस्ते"], source_code="xyz_Latn")


def test_converted_once_then_reused(
    tiny_model_dir: Path, tmp_path: Path, counted_conversions: list[Path]
) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    cache = tmp_path / "cache"
    sentences = sample_sentences("hi")[:4]

    first = CT2Translator(location, device="cpu", quantization="int8", cache_root=cache)
    first_out = first.translate(sentences)
    folder = first.converted_path
    stamp = (folder / "model.bin").stat()

    second = CT2Translator(location, device="cpu", quantization="int8", cache_root=cache)
    assert second.translate(sentences) == first_out

    assert len(counted_conversions) == 1
    assert second.converted_path == folder
    after = (folder / "model.bin").stat()
    assert (after.st_ino, after.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)
    assert folder == cache / "ct2" / "Helsinki-NLP" / "opus-mt-hi-en" / f"{location.revision}-int8"


def test_converted_folder_is_self_contained(tiny_model_dir: Path, ct2_cache: Path) -> None:
    from transformers import AutoTokenizer

    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    folder = convert_model(location, quantization="int8", cache_root=ct2_cache)
    manifest = json.loads((folder / convert.MANIFEST).read_text(encoding="utf-8"))

    assert manifest["model_id"] == MARIAN and manifest["revision"] == location.revision
    assert {"model.bin", "source.spm", "target.spm", "vocab.json", "generation_config.json"} <= set(manifest["files"])
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    assert tokenizer("प्रांत").input_ids == AutoTokenizer.from_pretrained(str(location.path))("प्रांत").input_ids


@pytest.mark.parametrize("damage", ["no-manifest", "truncated-weights", "garbled-manifest"])
def test_a_damaged_conversion_is_redone_not_loaded(
    tiny_model_dir: Path, tmp_path: Path, counted_conversions: list[Path], damage: str
) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    cache = tmp_path / "cache"
    folder = convert_model(location, quantization="int8", cache_root=cache)
    weights = folder / "model.bin"
    if damage == "no-manifest":
        (folder / convert.MANIFEST).unlink()
    elif damage == "truncated-weights":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    else:
        (folder / convert.MANIFEST).write_text("{not json", encoding="utf-8")
    assert not is_complete(folder)

    ct2 = CT2Translator(location, device="cpu", quantization="int8", cache_root=cache)
    out = ct2.translate(sample_sentences("hi")[:2])

    assert len(counted_conversions) == 2
    assert is_complete(folder) and ct2.converted_path == folder
    assert len(out) == 2 and all(out)


def test_a_crash_mid_conversion_leaves_nothing_to_load(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    cache = tmp_path / "cache"

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "_write_manifest", crash)
    with pytest.raises(KeyboardInterrupt):
        convert_model(location, quantization="int8", cache_root=cache)

    target = conversion_dir(location, quantization="int8", cache_root=cache)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # the staging folder is gone too


def test_stale_leftovers_of_killed_conversions_are_swept(tiny_model_dir: Path, tmp_path: Path) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    cache = tmp_path / "cache"
    target = conversion_dir(location, quantization="int8", cache_root=cache)
    old = target.parent / f".partial-{target.name}-killed"
    young = target.parent / f".partial-{target.name}-running"
    for leftover in (old, young):
        leftover.mkdir(parents=True)
        (leftover / "model.bin").write_bytes(b"half")
    os.utime(old, (0, 0))

    convert_model(location, quantization="int8", cache_root=cache)

    assert not old.exists()
    assert young.exists()  # may belong to a conversion still running elsewhere


def test_default_cache_is_beside_the_model_dir(tiny_model_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / MARIAN, models / MARIAN)
    location = locate_model(MARIAN, model_dir=models)

    ct2 = CT2Translator(location, device="cpu", quantization="int8")

    assert model_dir_of(location) == models
    assert cache_root_for(location) == models
    assert ct2.converted_path.is_relative_to(models / "ct2" / MARIAN)


def test_a_read_only_model_dir_converts_into_the_user_cache(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / MARIAN, models / MARIAN)
    location = locate_model(MARIAN, model_dir=models)
    # Tests may run as root, who can write anywhere; the check itself is what is exercised.
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != models)

    assert cache_root_for(location) == Path(os.environ["XDG_CACHE_HOME"]) / "digest"


def test_default_cache_without_a_model_dir_is_the_user_cache(isolated: Path) -> None:
    assert default_cache_root(None) == Path(os.environ["XDG_CACHE_HOME"]) / "digest"
    assert default_cache_root(Path("/m")) == Path("/m")


def test_default_quantization_per_device() -> None:
    assert default_quantization("cpu") == "int8"
    assert default_quantization("cuda") == "int8_float16"


def test_a_model_ct2_cannot_convert_is_refused_with_the_fix(tmp_path: Path) -> None:
    folder = tmp_path / "t5"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "t5"}), encoding="utf-8")
    location = ModelLocation("google/t5-small", folder, "rev", "path")

    with pytest.raises(BackendUnavailable, match="--backend hf"):
        convert_model(location, quantization="int8", cache_root=tmp_path / "cache")


def test_an_unknown_quantization_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)

    with pytest.raises(ConfigError, match="int4"):
        convert_model(location, quantization="int4", cache_root=tmp_path / "cache")


def test_a_cached_conversion_that_does_not_load_is_converted_again_once(
    tiny_model_dir: Path, tmp_path: Path, counted_conversions: list[Path]
) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    cache = tmp_path / "cache"
    folder = convert_model(location, quantization="int8", cache_root=cache)
    weights = folder / "model.bin"
    weights.write_bytes(b"\0" * weights.stat().st_size)  # same size: the manifest cannot tell
    assert is_complete(folder)

    ct2 = CT2Translator(location, device="cpu", quantization="int8", cache_root=cache)
    out = ct2.translate(sample_sentences("hi")[:2])

    assert len(counted_conversions) == 2
    assert is_complete(folder) and (folder / "model.bin").read_bytes() != b"\0" * weights.stat().st_size
    assert len(out) == 2 and all(out)


def test_a_conversion_that_never_loads_fails_with_the_reason(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted_conversions: list[Path]
) -> None:
    import ctranslate2

    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    cache = tmp_path / "cache"
    convert_model(location, quantization="int8", cache_root=cache)

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Unsupported model binary version\nmore detail")

    monkeypatch.setattr(ctranslate2, "Translator", refuse)
    ct2 = CT2Translator(location, device="cpu", quantization="int8", cache_root=cache)

    with pytest.raises(BackendFailed) as info:
        ct2.translate(sample_sentences("hi")[:1])

    assert len(counted_conversions) == 2  # the first, then once more after discarding it; no loop
    message = str(info.value)
    assert "\n" not in message and MARIAN in message and "does not load" in message
    assert message.endswith("use --backend hf")


def test_a_converter_crash_becomes_a_one_line_reason(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)

    def crash(location: ModelLocation, out: Path, *, quantization: str) -> None:
        raise AttributeError("'BartConfig' object has no attribute 'normalize_before'")

    monkeypatch.setattr(convert, "_convert_into", crash)

    expected = r"conversion failed: AttributeError: .*normalize_before.*--backend hf$"
    with pytest.raises(BackendFailed, match=expected):
        convert_model(location, quantization="int8", cache_root=tmp_path / "cache")


def test_under_auto_a_model_ct2_cannot_load_falls_back_to_transformers_with_one_warning(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from translate.backends import get_translator

    # A model dir of its own: the shared one may already hold a conversion from another test.
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / MARIAN, models / MARIAN)
    location = locate_model(MARIAN, model_dir=models)

    def crash(location: ModelLocation, out: Path, *, quantization: str) -> None:
        raise KeyError("relu6")

    monkeypatch.setattr(convert, "_convert_into", crash)

    with caplog.at_level("WARNING", logger="digest"):
        auto = get_translator("auto", location, device="cpu")
    explicit = get_translator("ct2", location, device="cpu")

    assert isinstance(auto, HFTranslator) and not isinstance(auto, CT2Translator)
    reason = "conversion failed: KeyError: 'relu6'"
    assert [r.getMessage() for r in caplog.records] == [
        f"the ct2 backend cannot use {MARIAN} ({reason}); using transformers instead"
    ]
    with pytest.raises(BackendFailed, match="relu6"):
        explicit.translate(sample_sentences("hi")[:1])


def test_models_convert_stores_where_the_translator_looks(tiny_model_dir: Path, tmp_path: Path) -> None:
    from digest.models import convert_models
    from digest.settings import Settings

    # A model given as a path, with a --model-dir that does not hold it: the translator converts into
    # the user cache, so ahead-of-time conversion must too, or the model is converted twice.
    other_dir = tmp_path / "other-models"
    other_dir.mkdir()
    model_path = str(tiny_model_dir / MARIAN)
    settings = Settings(model_dir=other_dir, device="cpu")

    [(model_id, folder)] = convert_models([model_path], settings=settings, quantization="int8")

    location = locate_model(model_path, model_dir=other_dir)
    translator = CT2Translator(location, device="cpu", quantization="int8")
    assert model_id == model_path
    assert folder == translator.converted_path
    assert not (other_dir / "ct2").exists()
