"""Abstractive summarizer throughput and memory by batch-token budget (random-weight distilBART shape, ct2).

    python benchmarks/summarize_batching.py --model-dir DIR --cache-root DIR [--budgets 4096 8192 16384]
    python benchmarks/summarize_batching.py ... --mode chunks   # one generate call over chunk-sized inputs
    python benchmarks/summarize_batching.py ... --with-translator Helsinki-NLP/opus-mt-hi-en  # a run's memory

Build the models once: `python -m tests.checkpoints DIR --full`, or `build_bart(DIR, shape=DISTILBART_CNN)`.
Each budget runs in a fresh process: `--mode summarize` calls `CT2Summarizer.summarize` on --texts texts of
about --tokens tokens each (chunk rounds, then the final pass), `--mode chunks` one `runner.generate` over
--texts inputs of --tokens tokens capped as chunk summaries are. "in tok/s" counts source tokens of every
generate call, "out tok/s" generated ones; "peak MB" is the process's ru_maxrss, "loaded MB" its RSS with the
model loaded, before any generation; "cpu_seconds" and "in_tok_cpu_s" count CPU time, which other
processes on a shared machine disturb less than wall time. Timings on a shared CPU are noisy: use --repeat.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the repo's packages and tests/
    sys.path.insert(0, str(REPO))

SEED = 2024


def rss_mb() -> float:
    """The current resident set size of this process in MB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def cpu_seconds() -> float:
    """User and system CPU time of this process so far: less disturbed than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def texts_of(count_tokens: Any, *, texts: int, tokens: int) -> list[str]:
    """`texts` English texts of about `tokens` tokens, sentences dealt in shuffled order."""
    from summarize.extractive import sentences_of
    from tests.checkpoints import ENGLISH_TEXT

    sentences = sentences_of(ENGLISH_TEXT.replace("\n", " "))
    rng = random.Random(SEED)
    out: list[str] = []
    for _ in range(texts):
        words: list[str] = []
        while count_tokens(" ".join(words)) < tokens:
            words.extend(rng.sample(sentences, min(len(sentences), 8)))
        out.append(" ".join(words))
    return out


def one(args: argparse.Namespace) -> dict[str, Any]:
    """Run one budget in this process."""
    from seq2seq.hub import locate_model
    from summarize.ct2 import CT2Summarizer
    from tests.checkpoints import BART_MODEL

    location = locate_model(BART_MODEL, model_dir=args.model_dir)
    summarizer = CT2Summarizer(
        location,
        device="cpu",
        num_beams=args.beams,
        max_batch_tokens=args.one,
        quantization="int8",
        cache_root=args.cache_root,
    )
    summarizer.prepare()
    if args.with_translator:
        # A run holds a translator too: load it and translate a few sentences, so its memory counts.
        from seq2seq.ct2 import CT2Runner

        translator = locate_model(args.with_translator, model_dir=args.model_dir)
        other = CT2Runner(
            translator, device="cpu", num_beams=args.beams, quantization="int8", cache_root=args.cache_root
        )
        ids = [other.encode(line) for line in ("नमस्ते दुनिया।", "यह एक वाक्य है।")]
        other.generate(ids, maximum=[20, 20])
    runner = summarizer.runner
    loaded = rss_mb()
    seen = {"calls": 0, "rows": 0, "in": 0, "out": 0}
    generate = runner.generate

    def counting(inputs: Any, **kwargs: Any) -> list[list[int]]:
        rows = generate(inputs, **kwargs)
        seen["calls"] += 1
        seen["rows"] += len(inputs)
        seen["in"] += sum(len(ids) for ids in inputs)
        seen["out"] += sum(len(ids) for ids in rows)
        return rows

    runner.generate = counting  # type: ignore[method-assign]
    limit = summarizer.max_input_tokens
    if args.mode == "chunks":
        ids = [
            runner.encode(text)[: min(args.tokens, limit)]
            for text in texts_of(runner.count_tokens, texts=args.texts, tokens=args.tokens)
        ]
        caps = [max(1, min(runner.options.limit, len(row) // 2)) for row in ids]
        start, cpu = time.perf_counter(), cpu_seconds()
        runner.generate(ids, maximum=caps, minimum=[min(runner.options.min_new_tokens, c) for c in caps])
    else:
        texts = texts_of(runner.count_tokens, texts=args.texts, tokens=args.tokens)
        start, cpu = time.perf_counter(), cpu_seconds()
        summarizer.summarize(texts)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    return {
        "budget": args.one,
        "seconds": round(seconds, 2),
        **seen,
        "cpu_seconds": round(cpu, 2),
        "in_tok_s": round(seen["in"] / seconds, 1),
        "in_tok_cpu_s": round(seen["in"] / cpu, 1),
        "out_tok_s": round(seen["out"] / seconds, 2),
        "loaded_mb": round(loaded),
        "peak_mb": round(peak),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: one fresh process per budget and repeat, one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--cache-root", type=Path, required=True)
    parser.add_argument("--budgets", type=int, nargs="+", default=[4096, 8192, 12288, 16384])
    parser.add_argument("--mode", choices=("summarize", "chunks"), default="summarize")
    parser.add_argument("--texts", type=int, default=6)
    parser.add_argument("--tokens", type=int, default=1500)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--with-translator", metavar="MODEL_ID", help="also load this translation model (ct2 int8)"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one(args)), flush=True)
        return 0
    base = [
        sys.executable,
        __file__,
        "--model-dir",
        str(args.model_dir),
        "--cache-root",
        str(args.cache_root),
    ]
    base += ["--with-translator", args.with_translator] if args.with_translator else []
    base += [
        "--mode",
        args.mode,
        "--texts",
        str(args.texts),
        "--tokens",
        str(args.tokens),
        "--beams",
        str(args.beams),
    ]
    for _ in range(args.repeat):
        for budget in args.budgets:
            subprocess.run([*base, "--one", str(budget)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
