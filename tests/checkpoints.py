"""Random-weight checkpoints with the real architectures, tokenizers trained on the sample text.

Each builder writes a folder `ROOT/<org>/<name>/` that `seq2seq.hub.locate_model(model_id, model_dir=ROOT)`
finds and `AutoTokenizer` / `AutoModelForSeq2SeqLM` load offline: MarianMT (`Helsinki-NLP/opus-mt-*-en`),
NLLB-200 (M2M100 with an NLLB tokenizer) and distilBART. The tiny shapes build in a few seconds and
generate fast; the full shapes (`OPUS_MT`, `NLLB_600M`, `DISTILBART_CNN`) have the real layer sizes and
vocabulary sizes, for speed benchmarks. Outputs are gibberish: the weights are random.

Vocabularies: the sample text only supports a few thousand sentencepiece / BPE pieces. Where a shape asks
for a larger vocabulary, the tokenizer is padded with filler pieces built by joining two trained
word-initial pieces ("▁party▁work"). A filler holds an inner word boundary, so no input text ever
tokenizes to one (the pre-tokenizers split at spaces first), yet every id the model can emit still
decodes. Sentencepiece models are padded the same way, so their ids stay aligned with the HF vocabulary.

Run `python -m tests.checkpoints OUTDIR` to get a model dir for `digest run samples/ --model-dir OUTDIR`.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

MARIAN_MODELS = ("Helsinki-NLP/opus-mt-hi-en", "Helsinki-NLP/opus-mt-ur-en")
NLLB_MODEL = "facebook/nllb-200-distilled-600M"
BART_MODEL = "sshleifer/distilbart-cnn-12-6"

# Target-side training text (the samples are Hindi and Urdu only): news prose in the samples' register.
ENGLISH_TEXT = """\
In 2024, the provincial party building and organisation sector will focus on advising on the implementation
of 29 key tasks, ensuring quality and progress as required.
The central organising committee held an online conference on the afternoon of April 1 to review the results
of party building and organisational work in the first quarter of 2024.
Comrade Tran Duc Thang, member of the party central committee and secretary of the provincial party
committee, chaired the conference at the provincial bridge point.
Leaders and officials of the organisation boards of the district, town and city party committees also attended.
At the conference, the central organising committee disseminated the contents of regulation No. 137 of the
secretariat, dated December 1, 2023.
The regulation sets out the functions, tasks, powers and working relations of the organisation boards of
provincial and city party committees directly under the central committee.
Delegates discussed the draft projects, regulations and instructions and gave opinions on the proposals.
The sector completed the review of the staff planning for the 2025-2030 term on schedule.
Notably, after receiving the inspection conclusions of central inspection team 581, the sector advised the
standing committee on a plan to remedy the shortcomings that had been pointed out.
Officials said the work of admitting new party members had been carried out in accordance with the rules.
In the first quarter, the province admitted 512 new party members, reaching 18 percent of the annual target.
The provincial party committee directed grassroots party organisations to review and classify their members.
Training courses were organised for more than 1,200 officials at the commune and ward level.
The organising committee also proposed to streamline the apparatus and reorganise administrative units.
Plans to merge several departments and agencies were submitted to the provincial people's committee.
Speaking at the meeting, the secretary asked the sector to continue improving the quality of its advice.
He stressed that personnel work must be open, transparent and strictly follow the procedures.
The committee will prepare the documents for party congresses at all levels ahead of the 14th national congress.
Members agreed that the evaluation of officials should be based on specific products and results.
The province will also strengthen the inspection and supervision of the implementation of resolutions.
Local authorities were asked to report difficulties and obstacles so that they could be resolved in time.
The conference heard reports from the districts on the results of the first three months of the year.
Many localities have done well in building strong grassroots party organisations.
However, some units were still slow to complete the assigned tasks and the quality of meetings was uneven.
The secretary requested that the shortcomings be overcome in the second quarter.
The organising committee will coordinate closely with the inspection committee and the propaganda board.
It will also advise on policies to attract talented people and to train young officials.
The government has approved the project on the arrangement of commune-level units for the 2023-2025 period.
Officials will visit the border communes to listen to the opinions of the people.
The newspaper reported that the work plan for the second quarter had been issued on April 5.
Readers can find the full text of the regulation on the website of the central organising committee.
The meeting ended in the evening after the delegates approved the main tasks for the coming months.
"""

_SPM_OPTIONS: dict[str, Any] = {
    "model_type": "bpe",
    "character_coverage": 1.0,
    "hard_vocab_limit": False,  # take as many pieces as the text supports
    "max_sentence_length": 1 << 16,  # the samples hold whole paragraphs on one line
    "minloglevel": 2,
}


# Fields the hub configs carry that the config classes do not declare: the fairseq-era layout flags
# of opus-mt and distilbart (converters such as CTranslate2's read them) and NLLB's tokenizer class.
_MARIAN_LEGACY: dict[str, Any] = {
    "static_position_embeddings": True,
    "normalize_embedding": False,
    "normalize_before": False,
}
_NLLB_EXTRA: dict[str, Any] = {"tokenizer_class": "NllbTokenizer"}
_BART_LEGACY: dict[str, Any] = {
    "normalize_before": False,
    "normalize_embedding": True,
    "add_final_layer_norm": False,
    "static_position_embeddings": False,
    "add_bias_logits": False,
    "extra_pos_embeddings": 2,
}


@dataclass(frozen=True)
class MarianShape:
    """Layer sizes and generation defaults of a MarianMT checkpoint."""

    d_model: int
    layers: int  # encoder and decoder each
    heads: int
    ffn_dim: int
    vocab_size: int | None = None  # None: exactly the trained pieces; else padded with fillers
    max_position_embeddings: int = 512
    num_beams: int = 4
    max_length: int = 512
    init_std: float = 0.02  # transformers' default; tiny models use more so their output follows the input


@dataclass(frozen=True)
class NllbShape:
    """Layer sizes and generation defaults of an NLLB-200 (M2M100) checkpoint."""

    d_model: int
    layers: int
    heads: int
    ffn_dim: int
    vocab_size: int | None = None  # the model's rows; None: exactly the tokenizer's
    tokenizer_size: int | None = None  # None: exactly the trained pieces; else padded with fillers
    max_position_embeddings: int = 1024
    max_length: int = 200  # NLLB's generation config: greedy, max_length 200
    init_std: float = 0.02


@dataclass(frozen=True)
class BartShape:
    """Layer sizes and generation defaults of a distilBART summarization checkpoint."""

    d_model: int
    encoder_layers: int
    decoder_layers: int
    heads: int
    ffn_dim: int
    vocab_size: int | None = None
    max_position_embeddings: int = 1024
    num_beams: int = 4
    max_length: int = 142
    min_length: int = 56
    no_repeat_ngram_size: int = 3
    length_penalty: float = 2.0
    init_std: float = 0.02


# Random weights at the default scale ignore the source (every input gets the same output); at this
# scale the encoder matters, so tests can tell inputs, and their order, apart.
_TINY_STD = 0.3
TINY = MarianShape(d_model=32, layers=1, heads=2, ffn_dim=64, init_std=_TINY_STD)
# Helsinki-NLP/opus-mt-* (transformer-align): 6+6 layers of 512, 8 heads; 58101 is opus-mt-en-de's vocabulary.
OPUS_MT = MarianShape(d_model=512, layers=6, heads=8, ffn_dim=2048, vocab_size=58101)
TINY_NLLB = NllbShape(d_model=32, layers=1, heads=2, ffn_dim=64, init_std=_TINY_STD)
# NLLB-200's tokenizer holds 256204 tokens; its embedding matrix has two more, unused rows.
NLLB_600M = NllbShape(
    d_model=1024, layers=12, heads=16, ffn_dim=4096, vocab_size=256206, tokenizer_size=256204
)
TINY_BART = BartShape(
    d_model=32, encoder_layers=1, decoder_layers=1, heads=2, ffn_dim=64, max_length=40, min_length=8,
    init_std=_TINY_STD,
)
DISTILBART_CNN = BartShape(
    d_model=1024, encoder_layers=12, decoder_layers=6, heads=16, ffn_dim=4096, vocab_size=50264
)


def sample_text(language: str) -> str:
    """The sample documents in `language` ("hi", "ur"), or all samples when none is in that language."""
    files = sorted(SAMPLES.glob(f"{language}-*.txt")) or sorted(SAMPLES.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no sample texts in {SAMPLES}")
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _train_spm(text: str) -> Any:
    """A BPE sentencepiece ModelProto trained on `text`, as large as the text allows."""
    import sentencepiece as spm
    from transformers.convert_slow_tokenizer import import_protobuf

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_lines(text)), model_writer=buffer, vocab_size=64000, **_SPM_OPTIONS
    )
    proto = import_protobuf().ModelProto()  # type: ignore[no-untyped-call]
    proto.ParseFromString(buffer.getvalue())
    return proto


def _fillers(pieces: Iterable[str], count: int, *, boundary: str, taken: set[str]) -> list[str]:
    """`count` new pieces, each two or more word-initial pieces joined (so no text tokenizes to one)."""
    words = [p for p in pieces if p.startswith(boundary) and len(p) > 1]
    if count <= 0:
        return []
    if not words:
        raise ValueError("no word-initial pieces to build fillers from")
    out: list[str] = []
    for size in itertools.count(2):
        for combo in itertools.product(words, repeat=size):
            piece = "".join(combo)
            if piece not in taken:
                out.append(piece)
                taken.add(piece)
                if len(out) == count:
                    return out
    raise AssertionError("unreachable")


def _pad_spm(proto: Any, fillers: list[str]) -> None:
    """Append `fillers` to a sentencepiece model, scored below every trained piece."""
    lowest = min((p.score for p in proto.pieces), default=0.0)
    for i, piece in enumerate(fillers):
        entry = proto.pieces.add()
        entry.piece = piece
        entry.score = lowest - 1.0 - i
        entry.type = 1  # NORMAL


def _random_model(cls: Any, config: Any, seed: int) -> Any:
    """`cls(config)` with weights drawn from a fixed seed, leaving the caller's RNG untouched."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(config)


def _save_model(model: Any, generation: dict[str, Any], out: Path) -> None:
    from transformers import GenerationConfig

    model.generation_config = GenerationConfig(**generation)  # type: ignore[no-untyped-call]
    model.eval()
    model.save_pretrained(out)


def _marian_languages(model_id: str) -> tuple[str, str]:
    match = re.fullmatch(r".*opus-mt-([A-Za-z_]+)-([A-Za-z_]+)", model_id)
    if match is None:
        raise ValueError(f"{model_id!r} is not an opus-mt-SRC-TGT model id")
    return match.group(1), match.group(2)


def build_marian(root: Path, model_id: str, *, shape: MarianShape = TINY) -> Path:
    """Write a random MarianMT checkpoint for `model_id` (source spm trained on its samples) under `root`."""
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    source_lang, target_lang = _marian_languages(model_id)
    out = Path(root) / model_id
    out.mkdir(parents=True, exist_ok=True)
    source = _train_spm(sample_text(source_lang))
    target = _train_spm(ENGLISH_TEXT)

    # opus-mt vocab.json: "</s>" 0, "<unk>" 1, the pieces of both sides, "<pad>" last.
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for proto in (source, target):
        for entry in proto.pieces:
            if entry.type == 1:  # NORMAL pieces; <unk>, <s>, </s> are control/unknown
                vocab.setdefault(entry.piece, len(vocab))
    if shape.vocab_size is not None:
        missing = shape.vocab_size - 1 - len(vocab)
        if missing < 0:
            raise ValueError(f"vocab_size {shape.vocab_size} is smaller than the {len(vocab) + 1} trained pieces")
        fillers = _fillers((p.piece for p in target.pieces), missing, boundary="▁", taken=set(vocab))
        _pad_spm(target, fillers)
        for piece in fillers:
            vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    pad = vocab["<pad>"]

    (out / "source.spm").write_bytes(source.SerializeToString())
    (out / "target.spm").write_bytes(target.SerializeToString())
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1), encoding="utf-8")
    tokenizer = MarianTokenizer(
        source_spm=str(out / "source.spm"),
        target_spm=str(out / "target.spm"),
        vocab=str(out / "vocab.json"),
        source_lang=source_lang,
        target_lang=target_lang,
        model_max_length=shape.max_position_embeddings,
    )
    tokenizer.save_pretrained(out)

    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=shape.d_model,
        encoder_layers=shape.layers,
        decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn_dim,
        decoder_ffn_dim=shape.ffn_dim,
        max_position_embeddings=shape.max_position_embeddings,
        init_std=shape.init_std,
        activation_function="swish",
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        pad_token_id=pad,
        eos_token_id=0,
        bos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        architectures=["MarianMTModel"],
        **_MARIAN_LEGACY,
    )
    model = _random_model(MarianMTModel, config, seed=0)
    _save_model(
        model,
        {
            "bos_token_id": 0,
            "eos_token_id": 0,
            "pad_token_id": pad,
            "decoder_start_token_id": pad,
            "forced_eos_token_id": 0,
            "bad_words_ids": [[pad]],
            "num_beams": shape.num_beams,
            "max_length": shape.max_length,
        },
        out,
    )
    return out


def build_nllb(root: Path, model_id: str = NLLB_MODEL, *, shape: NllbShape = TINY_NLLB) -> Path:
    """Write a random M2M100 checkpoint with an NLLB tokenizer (all FLORES-200 codes) under `root`."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES
    from transformers.tokenization_utils_base import generate_merges

    out = Path(root) / model_id
    out.mkdir(parents=True, exist_ok=True)
    proto = _train_spm(sample_text("hi") + "\n" + sample_text("ur") + "\n" + ENGLISH_TEXT)

    # NLLB's ids: <s> <pad> </s> <unk>, the sentencepiece pieces (fairseq offset 1), the language codes, <mask>.
    vocab: dict[str, int] = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for entry in proto.pieces[3:]:
        vocab[entry.piece] = len(vocab)
    merges = generate_merges(vocab)
    if shape.tokenizer_size is not None:
        missing = shape.tokenizer_size - len(vocab) - len(FAIRSEQ_LANGUAGE_CODES) - 1
        if missing < 0:
            raise ValueError(f"tokenizer_size {shape.tokenizer_size} is smaller than the trained vocabulary")
        fillers = _fillers((p.piece for p in proto.pieces), missing, boundary="▁", taken=set(vocab))
        _pad_spm(proto, fillers)
        for piece in fillers:
            vocab[piece] = len(vocab)
    for code in FAIRSEQ_LANGUAGE_CODES:
        vocab[code] = len(vocab)
    vocab["<mask>"] = len(vocab)

    (out / "sentencepiece.bpe.model").write_bytes(proto.SerializeToString())
    tokenizer = NllbTokenizer(
        vocab=vocab,
        merges=merges,
        _spm_precompiled_charsmap=proto.normalizer_spec.precompiled_charsmap or None,
        model_max_length=shape.max_position_embeddings,
        src_lang="eng_Latn",
    )
    tokenizer.save_pretrained(out)

    if shape.vocab_size is not None and shape.vocab_size < len(vocab):
        raise ValueError(f"vocab_size {shape.vocab_size} is smaller than the tokenizer's {len(vocab)} tokens")
    config = M2M100Config(
        vocab_size=shape.vocab_size or len(vocab),
        d_model=shape.d_model,
        encoder_layers=shape.layers,
        decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn_dim,
        decoder_ffn_dim=shape.ffn_dim,
        max_position_embeddings=shape.max_position_embeddings,
        init_std=shape.init_std,
        activation_function="relu",
        scale_embedding=True,
        encoder_layerdrop=0.0,
        decoder_layerdrop=0.0,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        architectures=["M2M100ForConditionalGeneration"],
        **_NLLB_EXTRA,
    )
    model = _random_model(M2M100ForConditionalGeneration, config, seed=1)
    _save_model(
        model,
        {
            "bos_token_id": 0,
            "eos_token_id": 2,
            "pad_token_id": 1,
            "decoder_start_token_id": 2,
            "max_length": shape.max_length,
        },
        out,
    )
    return out


def _train_bpe(text: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE vocabulary and merges trained on `text`, as large as the text allows."""
    from tokenizers import ByteLevelBPETokenizer

    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(
        _lines(text), vocab_size=64000, min_frequency=1, special_tokens=["<s>", "<pad>", "</s>", "<unk>"]
    )
    model = json.loads(trainer._tokenizer.to_str())["model"]
    pairs = (m.split(" ") if isinstance(m, str) else m for m in model["merges"])
    return dict(model["vocab"]), [(left, right) for left, right in pairs]


def build_bart(root: Path, model_id: str = BART_MODEL, *, shape: BartShape = TINY_BART) -> Path:
    """Write a random BART summarization checkpoint (byte-level BPE trained on English) under `root`."""
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    out = Path(root) / model_id
    out.mkdir(parents=True, exist_ok=True)
    vocab, merges = _train_bpe(ENGLISH_TEXT)
    if shape.vocab_size is not None:
        missing = shape.vocab_size - len(vocab) - 1
        if missing < 0:
            raise ValueError(f"vocab_size {shape.vocab_size} is smaller than the trained vocabulary")
        for piece in _fillers(sorted(vocab, key=vocab.__getitem__), missing, boundary="Ġ", taken=set(vocab)):
            vocab[piece] = len(vocab)
    vocab["<mask>"] = len(vocab)  # last, as in BART's own vocabulary

    tokenizer = BartTokenizer(
        vocab=vocab,
        merges=merges,  # type: ignore[arg-type]  # pairs, as the tokenizers BPE model takes them
        model_max_length=shape.max_position_embeddings,
    )
    tokenizer.save_pretrained(out)

    config = BartConfig(
        vocab_size=len(vocab),
        d_model=shape.d_model,
        encoder_layers=shape.encoder_layers,
        decoder_layers=shape.decoder_layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn_dim,
        decoder_ffn_dim=shape.ffn_dim,
        max_position_embeddings=shape.max_position_embeddings,
        init_std=shape.init_std,
        activation_function="gelu",
        scale_embedding=False,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_eos_token_id=2,
        architectures=["BartForConditionalGeneration"],
        **_BART_LEGACY,
    )
    model = _random_model(BartForConditionalGeneration, config, seed=2)
    _save_model(
        model,
        {
            "bos_token_id": 0,
            "eos_token_id": 2,
            "pad_token_id": 1,
            "decoder_start_token_id": 2,
            "forced_eos_token_id": 2,
            "num_beams": shape.num_beams,
            "max_length": shape.max_length,
            "min_length": shape.min_length,
            "no_repeat_ngram_size": shape.no_repeat_ngram_size,
            "length_penalty": shape.length_penalty,
            "early_stopping": True,
        },
        out,
    )
    return out


def build_all(root: Path, *, full: bool = False) -> Path:
    """Build every model the samples need (both opus-mt models, NLLB, distilBART) under `root`."""
    root = Path(root)
    for model_id in MARIAN_MODELS:
        build_marian(root, model_id, shape=OPUS_MT if full else TINY)
    build_nllb(root, shape=NLLB_600M if full else TINY_NLLB)
    build_bart(root, shape=DISTILBART_CNN if full else TINY_BART)
    return root


def main(argv: list[str] | None = None) -> int:
    """Command line: build the checkpoints into OUTDIR."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.checkpoints",
        description="Build random-weight checkpoints of every model the samples need, by model id.",
    )
    parser.add_argument("outdir", type=Path, help="model dir to create (use with --model-dir)")
    parser.add_argument("--full", action="store_true", help="real layer and vocabulary sizes (GBs, slow)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    build_all(args.outdir, full=args.full)
    print(f"built {', '.join(MARIAN_MODELS + (NLLB_MODEL, BART_MODEL))} in {args.outdir} "
          f"({time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
