"""Extractive summarizer speed and memory: long English texts, up to the 20 MiB input limit.

    python benchmarks/summarize_speed.py                # 100 KiB .. 20 MiB; the dense matrix at 100 and 300 KiB
    python benchmarks/summarize_speed.py --quick --json # smoke test: two small texts, a few seconds

Each row summarizes one text in a fresh process with `ExtractiveSummarizer().summarize([text])`, the call
the pipeline makes, reading the text from a file first as the pipeline does. "seconds" is that call alone
(sentence splitting, TF-IDF, ranking); the peak RSS is the whole process's (interpreter, numpy, the text
itself and the summarizer), taken as ru_maxrss of that process from the parent's wait4; "RSS before" is
the process's RSS just before the call, so the summarizer's own share is the difference.

Two summarizers:
  textrank  the product's (summarize.extractive.textrank): PageRank products through the sentence-term
            entries, never an n x n matrix.
  dense     the previous implementation, kept below verbatim: the full n x n cosine matrix in Python
            lists, then PageRank over it. Run only up to --dense-max (default 300 KiB): its time and
            memory grow with the square of the sentence count. Its row says whether its summary is the
            textrank row's at the same size.

Input: real English sentences from the repository, those with a closing mark (what the summarizer
ranks): the English sample (samples/en-*.txt), the English Universal Declaration of Human Rights
(tests/data/heldout/en.txt) and the English news text the test tokenizers are trained on
(tests/checkpoints.ENGLISH_TEXT). They are dealt out in shuffled rounds (every sentence once per round,
random.Random(SEED)) into paragraphs of 3-8 sentences, one paragraph per line as scraped news comes,
until the next paragraph would pass the size. A text of n sentences is thus about n / 100 copies of each
sentence: a worst case for any pairwise method (every sentence has many exact neighbours), and no help
to this one, whose work is set by the count of (sentence, term) entries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the repo's packages and tests/
    sys.path.insert(0, str(REPO))

SEED = 2024
KIB = 1024
MIB = 1024 * KIB
SIZES = (100 * KIB, 300 * KIB, 1 * MIB, 5 * MIB, 20 * MIB)
QUICK_SIZES = (10 * KIB, 30 * KIB)
DENSE_MAX = 300 * KIB
TARGET_SECONDS = 60.0  # for 20 MiB on 2 cores
TARGET_MB = 500.0


# --- input -----------------------------------------------------------------------------------------


def english_sentences() -> list[str]:
    """The repository's real English sentences that end with a closing mark, in file order, each once."""
    from summarize.extractive import complete_sentences, sentences_of
    from tests.checkpoints import ENGLISH_TEXT

    texts = [path.read_text(encoding="utf-8") for path in sorted((REPO / "samples").glob("en-*.txt"))]
    texts.append((REPO / "tests" / "data" / "heldout" / "en.txt").read_text(encoding="utf-8"))
    texts.append(ENGLISH_TEXT.replace("\n", " "))  # wrapped at 110 columns: one paragraph
    sentences: list[str] = []
    for text in texts:
        sentences.extend(s for s in complete_sentences(sentences_of(text)) if s not in sentences)
    return sentences


def build_text(sentences: list[str], size: int) -> str:
    """Paragraphs of 3-8 of `sentences`, dealt in shuffled rounds, up to `size` bytes of UTF-8."""
    rng = random.Random(SEED)
    deck: list[str] = []
    paragraphs: list[str] = []
    total = 0
    while True:
        paragraph = []
        for _ in range(rng.randint(3, 8)):
            if not deck:
                deck = rng.sample(sentences, len(sentences))
            paragraph.append(deck.pop())
        line = " ".join(paragraph) + "\n"
        length = len(line.encode("utf-8"))
        if total + length > size:
            return "".join(paragraphs)
        paragraphs.append(line)
        total += length


# --- workers (each runs in its own process) -----------------------------------------------------


def dense_textrank(sentences: list[str]) -> list[float]:
    """The previous summarize.extractive.textrank: PageRank over the full n x n cosine matrix."""
    import math
    from collections import Counter

    from summarize.extractive import _DAMPING, _MAX_ITERATIONS, _TOLERANCE, _terms

    def tfidf(sentences: list[list[str]]) -> list[dict[str, float]]:
        documents = len(sentences)
        frequency = Counter(term for terms in sentences for term in set(terms))
        vectors = []
        for terms in sentences:
            counts = Counter(terms)
            vector = {t: c * math.log(1 + documents / frequency[t]) for t, c in counts.items()}
            norm = math.sqrt(sum(v * v for v in vector.values()))
            vectors.append({t: v / norm for t, v in vector.items()} if norm else {})
        return vectors

    def cosine(a: dict[str, float], b: dict[str, float]) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(v * b.get(t, 0.0) for t, v in a.items())

    count = len(sentences)
    if count == 0:
        return []
    vectors = tfidf([_terms(s) for s in sentences])
    weights = [[cosine(vectors[i], vectors[j]) if i != j else 0.0 for j in range(count)] for i in range(count)]
    totals = [sum(row) for row in weights]
    incoming = [
        [(j, weights[j][i] / totals[j]) for j in range(count) if weights[j][i] > 0.0] for i in range(count)
    ]
    dead_ends = [j for j in range(count) if totals[j] == 0.0]
    scores = [1.0 / count] * count
    for _ in range(_MAX_ITERATIONS):
        spread = sum(scores[j] for j in dead_ends) / count
        updated = [
            (1 - _DAMPING) / count + _DAMPING * (spread + sum(share * scores[j] for j, share in incoming[i]))
            for i in range(count)
        ]
        converged = sum(abs(u - s) for u, s in zip(updated, scores)) < _TOLERANCE
        scores = updated
        if converged:
            break
    return scores


def _rss_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB (0.0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass  # not Linux: the parent's wait4 figure is the only one
    return 0.0


def measure(path: Path, summarizer: str) -> dict[str, Any]:
    """Summarize the text in `path` once, as the pipeline does; the time of that call and the summary."""
    import summarize.extractive as extractive

    if summarizer == "dense":
        extractive.textrank = dense_textrank  # type: ignore[assignment]  # the old ranking, same selection
    text = path.read_text(encoding="utf-8")
    sentences = len(extractive.complete_sentences(extractive.sentences_of(text)))
    rss_before = _rss_mb("VmRSS")
    started = time.perf_counter()
    (summary,) = extractive.ExtractiveSummarizer().summarize([text])
    seconds = time.perf_counter() - started
    return {"sentences": sentences, "seconds": seconds, "rss_before_mb": rss_before,
            "self_peak_rss_mb": _rss_mb("VmHWM"), "summary": summary}


def worker(args: argparse.Namespace) -> int:
    """Entry point of a worker process: prints one JSON object."""
    if args.worker == "build":
        sentences = english_sentences()
        for size in args.sizes:
            text = build_text(sentences, size)
            (Path(args.dir) / f"{size}.txt").write_text(text, encoding="utf-8")
        print(json.dumps({"distinct_sentences": len(sentences)}))
        return 0
    print(json.dumps(measure(Path(args.dir) / f"{args.sizes[0]}.txt", args.worker)))
    return 0


def spawn(arguments: list[str]) -> tuple[dict[str, Any], float]:
    """Run one worker process; its JSON answer and its peak RSS in MB (ru_maxrss, through wait4)."""
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=REPO)
        # wait4 gives this child's own rusage. Linux starts a child's peak at its parent's size, so
        # the parent stays small: it never builds or reads the texts and never imports numpy.
        _, status, usage = os.wait4(process.pid, 0)
        returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if returncode != 0:
        raise SystemExit(f"worker {arguments} failed with exit code {returncode}:\n{stderr[-4000:]}")
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return json.loads(stdout.splitlines()[-1]), usage.ru_maxrss / scale


# --- orchestration -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    from benchmarks.machine import describe

    return describe("numpy")


def label(size: int) -> str:
    """A size as people write it: 300 KiB, 20 MiB."""
    return f"{size // MIB} MiB" if size % MIB == 0 else f"{size / KIB:g} KiB"


def table(report: dict[str, Any]) -> str:
    """The results as a Markdown table, with the 20 MiB target where it was measured."""
    info = report["machine"]
    lines = [
        f"CPU: {info['cpu']} ({info['cores']} cores); Python {info['python']}, numpy {info['numpy']}; {info['date']}",
        f"Input: {report['input']['distinct_sentences']} distinct English sentences, dealt into paragraphs "
        f"(seed {SEED})",
        "",
        "| text | sentences | summarizer | seconds | peak RSS (MB) | RSS before (MB) | time vs textrank "
        "| same summary | load avg |",
        "|---|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in report["results"]:
        ratio = f"{r['time_vs_textrank']:.1f}x" if r["time_vs_textrank"] is not None else "-"
        same = {True: "yes", False: "no", None: "-"}[r["same_summary_as_textrank"]]
        lines.append(
            f"| {r['text']} | {r['sentences']} | {r['summarizer']} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{r['rss_before_mb']:.0f} | {ratio} | {same} | {r['load_average']:.1f} |"
        )
    target = next((r for r in report["results"] if r["size_bytes"] == 20 * MIB and r["summarizer"] == "textrank"),
                  None)
    if target:
        met = target["seconds"] < TARGET_SECONDS and target["peak_rss_mb"] < TARGET_MB
        lines += ["", f"20 MiB target (< {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB): "
                      f"{target['seconds']:.1f} s, {target['peak_rss_mb']:.0f} MB: {'met' if met else 'NOT met'}"]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="text sizes in bytes (default 100 KiB .. 20 MiB)")
    parser.add_argument("--dense-max", type=int, help="largest size the dense matrix runs at (default 300 KiB)")
    parser.add_argument("--quick", action="store_true", help="10 and 30 KiB, both summarizers: a smoke test")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--worker", choices=("build", "textrank", "dense"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = list(QUICK_SIZES if args.quick else SIZES)
    if args.dense_max is None:
        args.dense_max = max(QUICK_SIZES) if args.quick else DENSE_MAX
    if any(size < 1 for size in args.sizes):
        parser.error("--sizes must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Summarize texts of each size in fresh processes, print a table or JSON."""
    args = parse_args(argv)
    if args.worker:
        return worker(args)

    log = sys.stderr
    scratch = Path(tempfile.mkdtemp(prefix="digest-bench-summarize-"))
    try:
        built, _ = spawn(["--worker", "build", "--dir", str(scratch), "--sizes", *map(str, args.sizes)])
        report: dict[str, Any] = {"machine": machine(), "input": {**built, "seed": SEED},
                                  "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_MB},
                                  "results": []}
        for size in args.sizes:
            actual = (scratch / f"{size}.txt").stat().st_size
            summaries: dict[str, str] = {}
            seconds: dict[str, float] = {}
            for summarizer in ("textrank", "dense") if size <= args.dense_max else ("textrank",):
                print(f"{label(size)}: {summarizer} ...", file=log, flush=True)
                answer, rss = spawn(["--worker", summarizer, "--dir", str(scratch), "--sizes", str(size)])
                summaries[summarizer] = answer["summary"]
                seconds[summarizer] = answer["seconds"]
                report["results"].append({
                    "text": label(size), "size_bytes": size, "file_bytes": actual, "summarizer": summarizer,
                    "sentences": answer["sentences"], "seconds": round(answer["seconds"], 3),
                    "peak_rss_mb": round(rss, 1), "self_peak_rss_mb": round(answer["self_peak_rss_mb"], 1),
                    "rss_before_mb": round(answer["rss_before_mb"], 1),
                    "time_vs_textrank": (round(answer["seconds"] / seconds["textrank"], 2)
                                         if summarizer == "dense" and seconds["textrank"] else None),
                    "same_summary_as_textrank": (answer["summary"] == summaries["textrank"]
                                                 if summarizer == "dense" else None),
                    "summary_sha256": hashlib.sha256(answer["summary"].encode()).hexdigest()[:16],
                    "load_average": round(os.getloadavg()[0], 2),
                })
                print(f"    {answer['sentences']} sentences in {answer['seconds']:.2f}s, peak RSS {rss:.0f} MB",
                      file=log, flush=True)
        print(json.dumps(report, indent=2) if args.json else table(report))
        return 0
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    sys.exit(main())
