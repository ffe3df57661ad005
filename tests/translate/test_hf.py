"""The transformers backend on tiny real-architecture checkpoints: MarianMT and NLLB-200."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import BackendUnavailable, UnsupportedLanguage
from core.segment import segment_text
from seq2seq import backends
from seq2seq.hf import max_new_tokens_for
from seq2seq.hub import locate_model
from tests.checkpoints import MARIAN_MODELS, NLLB_MODEL, MarianShape, NllbShape, build_marian, build_nllb
from tests.conftest import SAMPLES
from translate.backends import get_translator
from translate.base import Translator
from translate.hf import HFTranslator

MARIAN = MARIAN_MODELS[0]  # Helsinki-NLP/opus-mt-hi-en


def all_sentences(language: str) -> list[str]:
    """Every sentence of the sample documents in `language`."""
    files = sorted(SAMPLES.glob(f"{language}-*.txt"))
    return [s.text for f in files for s in segment_text(f.read_text(encoding="utf-8"))]


def sample_sentences(language: str, count: int = 6) -> list[str]:
    """The `count` shortest sample sentences, shortest first (batching sorts longest first, so it must reorder)."""
    return sorted(all_sentences(language), key=len)[:count]


@pytest.fixture(scope="module")
def marian(tiny_model_dir: Path) -> HFTranslator:
    return HFTranslator(locate_model(MARIAN, model_dir=tiny_model_dir), device="cpu", num_beams=1)


@pytest.fixture(scope="module")
def nllb(tiny_model_dir: Path) -> HFTranslator:
    return HFTranslator(locate_model(NLLB_MODEL, model_dir=tiny_model_dir), device="cpu")


def test_batched_translation_matches_one_by_one_in_the_original_order(marian: HFTranslator) -> None:
    # Lengths differ, so batching reorders them by length and must put every output back in place.
    sentences = sample_sentences("hi")
    assert len({marian.count_tokens(s) for s in sentences}) > 1

    together = marian.translate(sentences)

    assert together == [marian.translate([s])[0] for s in sentences]
    assert all(isinstance(t, str) and t for t in together)
    assert len(set(together)) > 1  # the tiny model's output follows its input


def test_small_token_budget_splits_batches_without_changing_outputs(tiny_model_dir: Path, marian: HFTranslator) -> None:
    sentences = sample_sentences("hi")
    small = HFTranslator(
        locate_model(MARIAN, model_dir=tiny_model_dir), device="cpu", num_beams=1, max_batch_tokens=64
    )

    assert small.translate(sentences) == marian.translate(sentences)


def test_blank_segments_come_back_empty_in_place(marian: HFTranslator) -> None:
    sentence = sample_sentences("hi", 1)[0]

    out = marian.translate(["", sentence, "   ", sentence])

    assert out[0] == "" and out[2] == ""
    assert out[1] == out[3] != ""
    assert marian.translate([]) == []


def test_each_segment_stops_at_its_own_length_cap(marian: HFTranslator) -> None:
    sentences = sample_sentences("hi")
    limit = marian.generation_options().limit
    caps = [max_new_tokens_for(marian.count_tokens(s), limit=limit) for s in sentences]
    assert len(set(caps)) > 1  # one batch mixes different caps

    generated = marian.generate_ids(sentences)

    assert all(len(ids) <= cap for ids, cap in zip(generated, caps))
    # Random weights rarely end a sentence, so the caps, not the end token, stop these rows.
    assert sum(len(ids) == cap for ids, cap in zip(generated, caps)) >= len(sentences) // 2


def test_marian_follows_the_checkpoint_generation_config(tiny_model_dir: Path) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    beams = HFTranslator(location, device="cpu")
    options = beams.generation_options()
    pad = json.loads((location.path / "vocab.json").read_text(encoding="utf-8"))["<pad>"]

    assert options.num_beams == 4  # opus-mt's generation_config
    assert options.suppressed_token_ids == (pad,)
    assert options.target_prefix == ()
    assert options.limit == 512 - 2
    assert HFTranslator(location, num_beams=2).generation_options().num_beams == 2
    out = beams.translate(sample_sentences("hi", 3))
    assert len(out) == 3 and all(out)
    assert all(pad not in ids for ids in beams.generate_ids(sample_sentences("hi", 3)))


def test_marian_limits_and_token_counts(marian: HFTranslator) -> None:
    assert marian.max_input_tokens == 512
    assert marian.count_tokens("") == 1  # </s>
    assert marian.count_tokens("प्रांत का पार्टी") > marian.count_tokens("प्रांत")
    assert isinstance(marian, Translator)
    assert marian.model_id == MARIAN
    assert marian.revision.startswith("sha256-")


def test_segment_longer_than_the_model_accepts_is_refused(marian: HFTranslator) -> None:
    too_long = " ".join(all_sentences("hi"))
    assert marian.count_tokens(too_long) > marian.max_input_tokens

    with pytest.raises(ValueError, match="split it first"):
        marian.translate([too_long])


@pytest.mark.parametrize(("language", "code"), [("hi", "hin_Deva"), ("ur", "urd_Arab")])
def test_nllb_starts_every_translation_with_eng_latn(nllb: HFTranslator, language: str, code: str) -> None:
    sentences = sample_sentences(language, 4)
    english = nllb.runner.tokenizer.convert_tokens_to_ids("eng_Latn")

    generated = nllb.generate_ids(sentences, source_code=code)
    out = nllb.translate(sentences, source_code=code)

    assert [ids[0] for ids in generated] == [english] * len(sentences)
    assert len(out) == len(sentences) and all(out)
    assert all("eng_Latn" not in text for text in out)


def test_nllb_encodes_the_source_language_code(nllb: HFTranslator) -> None:
    sentence = sample_sentences("hi", 1)[0]
    tokenizer = nllb.runner.tokenizer

    ids = {code: nllb.generate_ids([sentence], source_code=code)[0] for code in ("hin_Deva", "urd_Arab")}

    assert ids["hin_Deva"] != ids["urd_Arab"]  # the code reaches the encoder
    tokenizer.src_lang = "hin_Deva"
    assert tokenizer(sentence)["input_ids"][0] == tokenizer.convert_tokens_to_ids("hin_Deva")


def test_nllb_needs_a_known_source_code(nllb: HFTranslator) -> None:
    with pytest.raises(ValueError, match="source_code"):
        nllb.translate(["कुछ"])
    with pytest.raises(UnsupportedLanguage, match="xxx_Latn"):
        nllb.translate(["कुछ"], source_code="xxx_Latn")


def test_nllb_options_and_limits(nllb: HFTranslator) -> None:
    options = nllb.generation_options()

    assert options.target_prefix == ("eng_Latn",)
    assert options.num_beams == 1  # NLLB's generation config decodes greedily
    assert options.limit == 1024 - 2  # positions, not the generation config's max_length of 200
    assert nllb.max_input_tokens == 1024


def test_full_vocabulary_shapes_pad_the_tokenizers(tmp_path: Path) -> None:
    # Real vocabulary sizes with tiny layers: every id the model can emit must decode.
    marian_dir = build_marian(
        tmp_path, "Helsinki-NLP/opus-mt-ur-en", shape=MarianShape(d_model=8, layers=1, heads=2, ffn_dim=16,
                                                                vocab_size=58101)
    )
    nllb_dir = build_nllb(
        tmp_path,
        shape=NllbShape(d_model=8, layers=1, heads=2, ffn_dim=16, vocab_size=256206, tokenizer_size=256204),
    )
    from transformers import AutoConfig, AutoTokenizer

    marian_tok = AutoTokenizer.from_pretrained(marian_dir)
    assert AutoConfig.from_pretrained(marian_dir).vocab_size == len(marian_tok) == 58101
    assert marian_tok.pad_token_id == 58100
    filler = marian_tok.decode([58099])
    assert isinstance(filler, str)
    assert len(filler.split()) >= 2 and "⁇" not in filler

    nllb_tok = AutoTokenizer.from_pretrained(nllb_dir)
    assert AutoConfig.from_pretrained(nllb_dir).vocab_size == 256206
    # NLLB-200's own layout: the pieces, the language codes, <mask> last, then two unused model rows.
    assert len(nllb_tok) == 256204
    assert nllb_tok.convert_tokens_to_ids(["ace_Arab", "eng_Latn", "zul_Latn", "<mask>"]) == [
        256001, 256047, 256202, 256203
    ]
    last_piece = nllb_tok.convert_ids_to_tokens(256000)
    assert isinstance(last_piece, str)
    assert last_piece.count("▁") >= 2 and nllb_tok.decode([256000]) == last_piece.replace("▁", "")
    assert nllb_tok.decode([256205]) == ""


def test_get_translator_builds_the_named_backend(tiny_model_dir: Path) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)

    translator = get_translator("hf", location, device="cpu", num_beams=1)

    assert isinstance(translator, HFTranslator)
    assert translator.generation_options().num_beams == 1


def test_unknown_or_missing_backends_say_what_to_do(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    location = locate_model(MARIAN, model_dir=tiny_model_dir)
    with pytest.raises(BackendUnavailable, match="unknown backend 'onnx'"):
        get_translator("onnx", location)

    monkeypatch.setattr(backends, "installed", lambda package: False)
    with pytest.raises(BackendUnavailable, match=r"pip install 'digest-translate\[ct2\]'"):
        get_translator("ct2", location)
