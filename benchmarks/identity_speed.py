"""Whole-run speed on the identity route: `digest run` over many small English files, now and at a baseline commit.

    python benchmarks/identity_speed.py                      # 5,000 files, this tree and 00b678e
    python benchmarks/identity_speed.py --files 200 --json    # smoke test
    python benchmarks/identity_speed.py --repeat 3           # the best of three runs each, interleaved

Each run is `python -m cli run DIR --out OUT --summarizer extractive` in a subprocess, on a fresh output
folder, with PYTHONPATH set to the tree under test (this worktree, or the baseline commit checked out with
`git worktree add --detach` under --base-dir; created if missing). files/s is the file count divided by the
subprocess's wall seconds (interpreter start, reading, detection, summaries, state store and publishing
included). Runs alternate (baseline, current, baseline, ...) so that load from others on the machine falls on
both alike; the best run of each is reported, and every run is listed.

Input: real English sentences from the repository, those with a closing mark: the English sample
(samples/en-*.txt), the English Universal Declaration of Human Rights (tests/data/heldout/en.txt) and the
English news text the test tokenizers are trained on (tests/checkpoints.ENGLISH_TEXT). Each file is a title
(one sentence) and 2-4 paragraphs of 1-3 sentences, one paragraph per line, dealt in shuffled rounds with
random.Random(SEED): about 0.5-1.5 KB, the size of a short news item. A unique line number in each title keeps
every file distinct to the store and to the template-line remover.
"""

from __future__ import annotations

import argparse
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
FILES = 5_000
BASE_COMMIT = "00b678e"
BASE_DIR = Path(tempfile.gettempdir()) / "identity-base"
TARGET_RATIO = 3.0


def english_sentences() -> list[str]:
    """The repository's real English sentences that end with a closing mark, each once."""
    # The summarizer benchmark's own list; this folder is on sys.path when a benchmark runs as a script.
    from summarize_speed import english_sentences as sentences

    return sentences()


def build_inputs(folder: Path, *, files: int, sentences: list[str]) -> int:
    """Write `files` small English documents into `folder`; returns their total bytes."""
    rng = random.Random(SEED)
    deck: list[str] = []

    def deal() -> str:
        nonlocal deck
        if not deck:
            deck = rng.sample(sentences, len(sentences))
        return deck.pop()

    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for n in range(files):
        title = f"Item {n + 1}: {deal().rstrip('.!?')}"
        paragraphs = [" ".join(deal() for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(2, 4))]
        text = title + "\n\n" + "\n".join(paragraphs) + "\n"
        path = folder / f"en-{n + 1:05d}.txt"
        path.write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
    return total


def ensure_base(base_dir: Path, commit: str) -> Path:
    """The baseline commit checked out in its own worktree at `base_dir` (added if missing)."""
    if not (base_dir / "cli.py").is_file():
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_dir), commit],
            check=True, capture_output=True,
        )
    return base_dir


def run_once(tree: Path, inputs: Path, out: Path) -> dict[str, Any]:
    """One `digest run` of `tree` over `inputs` into a fresh `out`: wall seconds and exit code."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("DIGEST_")}
    command = [sys.executable, "-m", "cli", "run", str(inputs), "--out", str(out), "--summarizer", "extractive"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-3000:])
    return {"seconds": round(seconds, 3), "exit_code": done.returncode}


def digest_items(out: Path) -> int:
    """How many entries the run's digest.json lists."""
    found = sorted(out.glob("*/digest.json"))
    return len(json.loads(found[-1].read_text(encoding="utf-8"))["items"]) if found else 0


def main(argv: list[str] | None = None) -> int:
    """Build the input, time both trees, print files/s for each and the ratio."""
    from benchmarks.machine import describe

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=FILES)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tree; the best is reported")
    parser.add_argument("--base-commit", default=BASE_COMMIT)
    parser.add_argument("--base-dir", type=Path, default=BASE_DIR)
    parser.add_argument("--work-dir", type=Path, default=None, help="where inputs and outputs go (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="identity-speed-", dir=args.work_dir))
    try:
        inputs = work / "in"
        total_bytes = build_inputs(inputs, files=args.files, sentences=english_sentences())
        trees = {"baseline": ensure_base(args.base_dir, args.base_commit), "current": REPO}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        items: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, tree in trees.items():
                out = work / f"out-{name}"
                runs[name].append(run_once(tree, inputs, out))
                items[name] = digest_items(out)
        rows = []
        for name in trees:
            best = min(r["seconds"] for r in runs[name])
            rows.append({
                "tree": name,
                "commit": args.base_commit if name == "baseline" else "worktree",
                "files": args.files,
                "digest_items": items[name],
                "exit_codes": sorted({r["exit_code"] for r in runs[name]}),
                "seconds": best,
                "files_per_s": round(args.files / best, 1),
                "all_seconds": [r["seconds"] for r in runs[name]],
            })
        ratio = round(rows[1]["files_per_s"] / rows[0]["files_per_s"], 2)
        report = {
            "machine": describe("langdetect"),
            "input": {"files": args.files, "bytes": total_bytes, "seed": SEED},
            "results": rows,
            "ratio": ratio,
            "target_ratio": TARGET_RATIO,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.files} files, {total_bytes / 1e6:.1f} MB, {report['machine']['cores']} cores")
        for row in rows:
            print(f"{row['tree']:>8} ({row['commit']}): {row['seconds']:7.2f} s  {row['files_per_s']:7.1f} files/s"
                  f"  items={row['digest_items']}  exit={row['exit_codes']}  runs={row['all_seconds']}")
        print(f"ratio {ratio:.2f}x (target {TARGET_RATIO:.1f}x)")
    return 0 if all(row["exit_codes"] == [0] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
