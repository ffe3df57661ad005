"""Whole-run speed: `digest run` end to end, the current code beside an older commit, on the same input.

    python benchmarks/run_speed.py                          # real shapes, 11 documents, baseline 00b678e
    python benchmarks/run_speed.py --configs                # also first runs of --backend hf,
                                                            # --summarizer extractive and --beams 1
    python benchmarks/run_speed.py --tiny --quick --baseline HEAD --json   # smoke test: about a minute

Both sides are real code: the baseline is checked out with `git worktree add --detach` from the
repository this script lives in (removed again at the end), the current side is this working tree.
Each runs its own CLI (`python SIDE/cli.py run ...`, PYTHONPATH=SIDE) as a subprocess, with the same
flags, ones the baseline also has:

    run CORPUS --out OUT --model-dir MODELS --backend ct2 --summarizer abstractive --beams 4

Models: random weights in the real shapes (tests/checkpoints.py: opus-mt-hi-en and opus-mt-ur-en as
OPUS_MT, distilbart-cnn-12-6 as DISTILBART_CNN; `--tiny` uses the tiny shapes), built once into
`--models` (default ~/.cache/digest-bench/models) and reused. Each side gets its own copy of that model
dir (hard links where the file system allows), so the CTranslate2 conversions, which both sides store
beside the models (MODELS/ct2/...), are its own. Random weights make the output gibberish and long
(the models rarely choose the end token, so translations run to the product's 2 x source + 10 cap and
summaries to the generation config's max_length); only the amount of work is real, and it is the same
on both sides.

Per side, in this order, the two sides alternating at each step:
  first run   empty model-dir conversions and empty OUT: loads, converts every model, translates,
              summarizes, publishes ("first run (incl. conversion)").
  run         conversions cached, a fresh OUT (so an empty translation memory): the main timing.
  rerun       the same command again on that OUT, nothing changed.
Then the raw engine: the translation segments of the corpus (the sentences `digest inspect --json`
sends to each opus-mt model, each distinct one once) translated by CTranslate2 directly, on the
current side's converted models (int8, beam 4), length-sorted into groups of about --max-batch-tokens / 4
source tokens, each group one `translate_batch` call bounded as the product bounds a batch
(max_decoding_length = the group's largest 2 x source + 10, each row then cut to its own cap), with two
thread settings, CTranslate2's usual one (one batch at a time, a thread per core) and the product's
(a batch per core, one thread each, the group split between them); the faster is the engine's speed.
Its tokens/s is compared with the digest's translation stage on its own: the current side run once
more with `--summarizer extractive` (conversions cached), whose summaries take no core from the
translation (stats.stages.translate tokens / seconds in OUT/<date>/digest.json; the baseline writes no
stage times: "-"). In the default run the summaries of one window share the cores with the next
window's translation on purpose, so its translation tokens/s is lower and is shown for information.

Peak memory, two figures per run: "peak RSS" is ru_maxrss from wait4, which on Linux is the largest
peak of any single process in the run (the CLI or a child it waited for, such as a conversion
process), not their sum; "tree RSS" is the sum of VmRSS over the CLI and all its descendants, sampled
every 50 ms (it can miss a spike shorter than that, and counts pages a parent shares with a forked
child twice). The 1.5 GB target is checked against the larger.
The parent never imports torch: Linux starts a child's peak at its parent's size.

Input (written into the work dir at run time; every line is real Hindi or Urdu text from the repository):
  hi-quang-nam            samples/hi-quang-nam-party-members-2024.txt (news, as scraped)
  ur-hai-duong            samples/ur-hai-duong-organising-committee-q1-2024.txt (news, as scraped)
  hi-news-briefs          the article lines (label A) of the four tests/data/chrome/hi-*.txt news pages
  ur-news-briefs          the article lines (label A) of the five tests/data/chrome/ur-*.txt news pages
  hi-udhr-1..3            tests/data/heldout/hi.txt (Universal Declaration of Human Rights, Hindi), 25 lines each
  ur-udhr-1..4            tests/data/heldout/ur.txt (the same in Urdu, two translations), 35 lines each
About 300 sentences in 11 documents, no line twice (the translation memory would translate it once).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the repo's packages and tests/
    sys.path.insert(0, str(REPO))

DEFAULT_BASELINE = "00b678e"
DEFAULT_MODELS = Path("~/.cache/digest-bench/models").expanduser()
MARIAN_MODELS = ("Helsinki-NLP/opus-mt-hi-en", "Helsinki-NLP/opus-mt-ur-en")
BART_MODEL = "sshleifer/distilbart-cnn-12-6"
BEAMS = 4
MAX_BATCH_TOKENS = 4096  # the product's default token budget, counting every beam
STAGES = ("read", "detect", "translate", "summarize", "publish")
DEFAULT_FLAGS = ("--backend", "ct2", "--summarizer", "abstractive", "--beams", str(BEAMS))
TRANSLATION_ALONE_FLAGS = ("--backend", "ct2", "--summarizer", "extractive", "--beams", str(BEAMS))
# Other routes of the Marian pipeline the README documents, measured for their first run's memory.
CONFIGS = {
    "hf": ("--backend", "hf", "--summarizer", "abstractive", "--beams", str(BEAMS)),
    "extractive": ("--backend", "ct2", "--summarizer", "extractive", "--beams", str(BEAMS)),
    "greedy": ("--backend", "ct2", "--summarizer", "abstractive", "--beams", "1"),
}
TARGET_SPEEDUP = 2.0
TARGET_RAW_RATIO = 0.90
TARGET_RSS_MB = 1536.0
TARGET_RERUN = 0.01
SIDES = ("baseline", "current")


# --- input -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """One corpus document: its file name, where its text comes from, and its paragraphs."""

    name: str
    source: str
    paragraphs: tuple[str, ...]


def _article_lines(page: Path) -> list[str]:
    """The lines of a labelled chrome-corpus page marked A (article text)."""
    labels = page.with_suffix(".labels").read_text(encoding="utf-8").split("\n")
    lines = page.read_text(encoding="utf-8").split("\n")
    return [line.strip() for line, mark in zip(lines, labels) if mark.strip() == "A" and line.strip()]


def _chunks(lines: list[str], size: int) -> list[list[str]]:
    return [lines[start : start + size] for start in range(0, len(lines), size)]


def corpus() -> list[Document]:
    """The benchmark's documents, Hindi and Urdu alternating, each line of text in one place only."""
    samples, data = REPO / "samples", REPO / "tests" / "data"
    chrome, heldout = data / "chrome", data / "heldout"
    sample = {lang: next(iter(sorted(samples.glob(f"{lang}-*.txt")))) for lang in ("hi", "ur")}
    by_language: dict[str, list[Document]] = {}
    for lang, short in (("hi", "hi-quang-nam"), ("ur", "ur-hai-duong")):
        text = sample[lang].read_text(encoding="utf-8")
        by_language.setdefault(lang, []).append(
            Document(short, f"samples/{sample[lang].name}", tuple(p for p in text.split("\n") if p.strip())))
    for lang in ("hi", "ur"):
        pages = sorted(chrome.glob(f"{lang}-*.txt"))
        paragraphs = tuple(line for page in pages for line in _article_lines(page))
        names = ", ".join(p.stem for p in pages)
        source = f"tests/data/chrome ({names}), article lines"
        by_language[lang].append(Document(f"{lang}-news-briefs", source, paragraphs))
    for lang, size in (("hi", 25), ("ur", 35)):
        lines = [line.strip() for line in (heldout / f"{lang}.txt").read_text(encoding="utf-8").split("\n")]
        lines = [line for line in lines if line]
        for number, part in enumerate(_chunks(lines, size), start=1):
            # Five sentences to a paragraph, as news is written (the file has one sentence a line).
            paragraphs = tuple(" ".join(group) for group in _chunks(part, 5))
            first = lines.index(part[0]) + 1
            source = f"tests/data/heldout/{lang}.txt lines {first}-{first + len(part) - 1}"
            by_language[lang].append(Document(f"{lang}-udhr-{number}", source, paragraphs))
    documents: list[Document] = []
    for index in range(max(len(d) for d in by_language.values())):
        documents.extend(docs[index] for docs in by_language.values() if index < len(docs))
    return _distinct(documents)


def _distinct(documents: list[Document]) -> list[Document]:
    """Each paragraph once over the whole corpus: a repeat would come from the translation memory."""
    seen: set[str] = set()
    kept = []
    for doc in documents:
        paragraphs = []
        for paragraph in doc.paragraphs:
            if paragraph not in seen:
                seen.add(paragraph)
                paragraphs.append(paragraph)
        kept.append(Document(doc.name, doc.source, tuple(paragraphs)))
    return kept


def write_corpus(folder: Path, documents: list[Document]) -> list[dict[str, Any]]:
    """Write each document as FOLDER/NAME.txt; what was written, for the report."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in documents:
        text = "\n\n".join(doc.paragraphs) + "\n"
        (folder / f"{doc.name}.txt").write_text(text, encoding="utf-8")
        written.append({"name": doc.name, "source": doc.source, "paragraphs": len(doc.paragraphs),
                        "bytes": len(text.encode("utf-8"))})
    return written


# --- models ----------------------------------------------------------------------------------------


def models_folder(root: Path, *, tiny: bool) -> Path:
    """Where the checkpoints of one shape set live under --models."""
    return root / ("tiny" if tiny else "full")


def build_models(folder: Path, *, tiny: bool) -> None:
    """Build the three checkpoints into `folder`, through a staging folder renamed when all are written."""
    from tests import checkpoints

    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)  # a build that was killed half way
    for model_id in MARIAN_MODELS:
        checkpoints.build_marian(staging, model_id, shape=checkpoints.TINY if tiny else checkpoints.OPUS_MT)
    bart = checkpoints.TINY_BART if tiny else checkpoints.DISTILBART_CNN
    checkpoints.build_bart(staging, BART_MODEL, shape=bart)
    staging.rename(folder)


def side_models(source: Path, target: Path) -> Path:
    """A private copy of the model dir (hard links when possible), with no conversions in it."""
    if target.exists():
        shutil.rmtree(target)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:  # another file system: copy
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link, ignore=shutil.ignore_patterns("ct2"))
    return target


# --- measuring a subprocess ------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One subprocess: its exit code, wall time, memory and output."""

    exit_code: int
    wall_s: float
    peak_rss_mb: float  # ru_maxrss from wait4: the largest single process (it or a waited-for child)
    tree_rss_mb: float  # the largest sum of VmRSS over it and its descendants, sampled every 50 ms
    stdout: str
    stderr: str


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(p) for p in handle.read().split())
    except OSError:
        pass  # gone, or no /proc (not Linux): wait4's figure stands alone
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kib(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _rss_kib(current)
        stack.extend(_children(current))
    return total


def measure(command: list[str], *, env: dict[str, str], cwd: Path) -> Measured:
    """Run `command` to its end; wall time, wait4's ru_maxrss and the sampled process-tree peak."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _tree_rss_kib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4's rusage covers the child and the children it waited for; ru_maxrss is the maximum
        # of their peaks, not a sum (the sampler gives the sum).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    return Measured(process.returncode, wall, usage.ru_maxrss / scale, peak[0] / 1024, stdout, stderr)


def worker_command(role: str, *arguments: str) -> list[str]:
    """This script as a worker process."""
    return [sys.executable, str(Path(__file__).resolve()), "--worker", role, *arguments]


def worker_env() -> dict[str, str]:
    return {**os.environ, "TOKENIZERS_PARALLELISM": "false", "TRANSFORMERS_VERBOSITY": "error",
            "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}


def run_worker(role: str, *arguments: str) -> tuple[dict[str, Any], Measured]:
    """Run a worker; its JSON answer (its last line) and its measurement."""
    measured = measure(worker_command(role, *arguments), env=worker_env(), cwd=REPO)
    if measured.exit_code != 0:
        raise SystemExit(f"worker {role} failed with exit code {measured.exit_code}:\n{measured.stderr[-4000:]}")
    lines = [line for line in measured.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}, measured


# --- the two sides ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One version of the code: where its tree is and the environment its runs get."""

    name: str
    tree: Path
    commit: str
    home: Path  # this side's config, cache and Hugging Face folders: nothing shared, nothing of the user's

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
        env.update({"PYTHONPATH": str(self.tree), "HF_HUB_OFFLINE": "1", "HF_HOME": str(self.home / "hf"),
                    "XDG_CACHE_HOME": str(self.home / "cache"), "XDG_CONFIG_HOME": str(self.home / "config"),
                    "TOKENIZERS_PARALLELISM": "false", "PYTHONWARNINGS": "ignore"})
        return env

    def command(self, *arguments: str) -> list[str]:
        return [sys.executable, str(self.tree / "cli.py"), *arguments]


def git(*arguments: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(arguments)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def digest_run(side: Side, corpus_dir: Path, out: Path, models: Path, flags: tuple[str, ...],
               work: Path) -> dict[str, Any]:
    """One measured `digest run` of `side`; its times, memory and stage times (None where not written)."""
    command = side.command("run", str(corpus_dir), "--out", str(out), "--model-dir", str(models), *flags)
    measured = measure(command, env=side.env(), cwd=work)
    if measured.exit_code != 0:
        raise SystemExit(f"{side.name}: {' '.join(command)} exited {measured.exit_code}:\n"
                         f"{measured.stderr[-4000:]}\n{measured.stdout[-2000:]}")
    digests = sorted(out.glob("*/digest.json"), key=lambda p: p.stat().st_mtime)
    stats = json.loads(digests[-1].read_text(encoding="utf-8")).get("stats", {}) if digests else {}
    stages = stats.get("stages") or None
    return {"wall_s": round(measured.wall_s, 2), "peak_rss_mb": round(measured.peak_rss_mb, 1),
            "tree_rss_mb": round(measured.tree_rss_mb, 1), "stages": stages,
            "segments_translated": stats.get("segments_translated"), "files": stats.get("files"),
            "summary_line": measured.stdout.strip().splitlines()[-1] if measured.stdout.strip() else "",
            "load_average": round(os.getloadavg()[0], 2)}


def tokens_per_s(stage: dict[str, Any] | None) -> float | None:
    """Generated tokens per second of busy time of a stage, where the run reported both."""
    if not stage or not stage.get("seconds") or stage.get("tokens") is None:
        return None
    return round(stage["tokens"] / stage["seconds"], 1)


# --- the raw engine (a worker process) ------------------------------------------------------------


def raw_engine(plan: dict[str, Any]) -> dict[str, Any]:
    """Translate each model's segments with CTranslate2 directly; tokens and seconds of translating."""
    import ctranslate2
    from transformers import AutoTokenizer

    from seq2seq.ct2 import cpu_cores

    cores = cpu_cores()
    budget = max(1, plan["max_batch_tokens"] // plan["beams"])
    # CTranslate2's usual CPU setting (one batch, a thread per core) and the product's (a batch per
    # core, one thread each); the faster of the two is the engine's speed.
    settings = [(1, cores)] + ([(min(2, cores), max(1, cores // 2))] if cores > 1 else [])
    rows = []
    for inter, intra in settings:
        tokens = sentences = 0
        seconds = 0.0
        for model in plan["models"]:
            tokenizer = AutoTokenizer.from_pretrained(model["path"])
            translator = ctranslate2.Translator(model["converted"], device="cpu", compute_type="default",
                                                intra_threads=intra, inter_threads=inter)
            config = json.loads((Path(model["path"]) / "config.json").read_text(encoding="utf-8"))
            # The decoder's positions bound the output (the product caps 2 x source + 10 at the model's limit).
            limit = int(config.get("max_position_embeddings", 512)) - 2
            sources = [tokenizer.convert_ids_to_tokens(tokenizer.encode(s)) for s in model["segments"]]
            order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
            groups: list[list[int]] = [[]]
            size = 0
            for i in order:
                if groups[-1] and size + len(sources[i]) > budget:
                    groups.append([])
                    size = 0
                groups[-1].append(i)
                size += len(sources[i])
            started = time.perf_counter()
            for group in groups:
                caps = [min(limit, 2 * len(sources[i]) + 10) for i in group]
                results = translator.translate_batch(
                    [sources[i] for i in group], beam_size=plan["beams"],
                    max_batch_size=max(1, -(-len(group) // inter)), max_decoding_length=max(caps),
                    min_decoding_length=0, max_input_length=0,
                )
                for result, cap in zip(results, caps):
                    output = result.hypotheses[0][:cap]
                    _ = tokenizer.convert_tokens_to_string(output)
                    tokens += len(output)
            seconds += time.perf_counter() - started
            sentences += len(sources)
            del translator
        rows.append({"inter_threads": inter, "intra_threads": intra, "sentences": sentences, "tokens": tokens,
                     "seconds": seconds, "tokens_per_s": round(tokens / seconds, 1) if seconds else None})
    best = max(rows, key=lambda r: r["tokens_per_s"] or 0.0)
    return {**best, "settings": rows, "batch_tokens": budget, "version": ctranslate2.__version__}


def segments_by_model(side: Side, corpus_dir: Path, work: Path) -> dict[str, list[str]]:
    """The distinct sentences `digest inspect --json` says go to each model, in document order."""
    done = subprocess.run(side.command("inspect", "--json", str(corpus_dir)), capture_output=True, text=True,
                          env=side.env(), cwd=work, check=False)
    if done.returncode != 0:
        raise SystemExit(f"digest inspect failed:\n{done.stderr[-3000:]}")
    segments: dict[str, dict[str, None]] = {}
    for document in json.loads(done.stdout):
        for paragraph in document.get("paragraphs", []):
            if paragraph.get("model") in MARIAN_MODELS:
                for sentence in paragraph["sentences"]:
                    segments.setdefault(paragraph["model"], {})[sentence] = None
    return {model: list(found) for model, found in segments.items()}


def converted_folder(models: Path, model_id: str) -> Path | None:
    """The CTranslate2 conversion of `model_id` a run left in `models` (MODELS/ct2/ORG/NAME/REV-QUANT)."""
    found = sorted((models / "ct2" / model_id).glob("*-int8*"))
    return next((f for f in found if (f / "model.bin").is_file()), None)


# --- orchestration -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    from benchmarks.machine import describe

    return describe("torch", "transformers", "ctranslate2")


def _fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def _stage(run: dict[str, Any], name: str) -> float | None:
    stages = run.get("stages") or {}
    return (stages.get(name) or {}).get("seconds")


def _checked_rss(run: dict[str, Any]) -> float:
    return max(run["peak_rss_mb"], run["tree_rss_mb"])


def summarize_report(report: dict[str, Any]) -> None:
    """Add the ratios and the targets to `report`."""
    sides = report["sides"]
    base, cur = sides["baseline"], sides["current"]
    raw = report["raw_engine"]
    translate_tps = tokens_per_s((report["translation_alone"].get("stages") or {}).get("translate"))
    ratios = {
        "translate_tokens_per_s_beside_summaries": tokens_per_s((cur["run"].get("stages") or {}).get("translate")),
        "summarize_tokens_per_s": tokens_per_s((cur["run"].get("stages") or {}).get("summarize")),
        "speedup": round(base["run"]["wall_s"] / cur["run"]["wall_s"], 2) if cur["run"]["wall_s"] else None,
        "first_run_speedup": (round(base["first_run"]["wall_s"] / cur["first_run"]["wall_s"], 2)
                              if cur["first_run"]["wall_s"] else None),
        "raw_tokens_per_s": raw.get("tokens_per_s"),
        "translate_tokens_per_s": translate_tps,
        "translate_vs_raw": (round(translate_tps / raw["tokens_per_s"], 2)
                             if translate_tps and raw.get("tokens_per_s") else None),
        "rerun_fraction": {
            name: round(s["rerun"]["wall_s"] / s["run"]["wall_s"], 4) if s["run"]["wall_s"] else None
            for name, s in sides.items()
        },
    }
    every_current = [cur["first_run"], cur["run"], cur["rerun"]] + [
        c["current"] for c in report["configs"]]
    peak = max(_checked_rss(r) for r in every_current)
    report["ratios"] = ratios
    rerun = ratios["rerun_fraction"]["current"]
    report["targets"] = [
        {"target": f"default route end to end >= {TARGET_SPEEDUP:g}x the baseline",
         "measured": ratios["speedup"], "met": bool(ratios["speedup"] and ratios["speedup"] >= TARGET_SPEEDUP)},
        {"target": f"translation stage >= {TARGET_RAW_RATIO:.0%} of the raw engine's tokens/s",
         "measured": ratios["translate_vs_raw"],
         "met": bool(ratios["translate_vs_raw"] and ratios["translate_vs_raw"] >= TARGET_RAW_RATIO)},
        {"target": f"peak RSS <= {TARGET_RSS_MB:.0f} MiB in every configuration (current, first runs included)",
         "measured": round(peak, 1), "met": peak <= TARGET_RSS_MB},
        {"target": f"unchanged rerun <= {TARGET_RERUN:.0%} of the run's wall time (current)",
         "measured": rerun,
         "met": rerun is not None and rerun <= TARGET_RERUN},
    ]


def table(report: dict[str, Any]) -> str:
    """The results as Markdown."""
    info, raw, ratios = report["machine"], report["raw_engine"], report["ratios"]
    header = (
        f"CPU: {info['cpu']} ({info['cores']} cores); Python {info['python']}, torch {info['torch']}, "
        f"transformers {info['transformers']}, ctranslate2 {info['ctranslate2']}; {info['date']}"
    )
    sides = (
        f"baseline {report['baseline']['commit']} ({report['baseline']['ref']}), "
        f"current {report['current']['commit']}; models: {report['models']}; corpus: {len(report['corpus'])} "
        f"documents, {raw['sentences']} distinct translation segments"
    )
    columns = (
        "| side | run | wall s | read | detect | translate | summarize | publish | translate tok/s "
        "| summarize tok/s | peak RSS MiB | tree RSS MiB | rerun s | rerun % |"
    )
    lines = [header, sides, f"flags: digest run CORPUS --out OUT --model-dir MODELS {' '.join(report['flags'])}",
             "", columns, "|---|---|" + "---:|" * 12]
    for name in SIDES:
        side = report["sides"][name]
        for label, key in (("first run (incl. conversion)", "first_run"), ("run (conversions cached)", "run")):
            run = side[key]
            stages = run.get("stages") or {}
            rerun = side["rerun"]["wall_s"] if key == "run" else None
            fraction = ratios["rerun_fraction"][name] if key == "run" else None
            cells = [name, label, f"{run['wall_s']:.1f}", *(_fmt(_stage(run, s)) for s in STAGES),
                     _fmt(tokens_per_s(stages.get("translate"))), _fmt(tokens_per_s(stages.get("summarize"))),
                     f"{run['peak_rss_mb']:.0f}", f"{run['tree_rss_mb']:.0f}", _fmt(rerun, 2),
                     _fmt(fraction * 100 if fraction is not None else None, 2, "%")]
            lines.append("| " + " | ".join(cells) + " |")
    alone = report["translation_alone"]
    lines += ["", (
        f"raw engine (CTranslate2 translate_batch, int8, beam {BEAMS}, {raw['batch_tokens']}-token batches, "
        f"best of " + ", ".join(f"{r['inter_threads']}x{r['intra_threads']} threads: {_fmt(r['tokens_per_s'])} tok/s"
                                for r in raw["settings"]) + f"): {raw['tokens']} tokens in {raw['seconds']:.1f}s = "
        f"{_fmt(raw['tokens_per_s'])} tok/s"
    ), (
        f"translation alone (current, {' '.join(TRANSLATION_ALONE_FLAGS)}): {alone['wall_s']:.1f}s, translate "
        f"stage {_fmt(tokens_per_s((alone.get('stages') or {}).get('translate')))} tok/s; beside the summaries "
        f"(the default run) {_fmt(ratios['translate_tokens_per_s_beside_summaries'])} tok/s"
    )]
    if report["configs"]:
        lines += ["", "| configuration | flags | side | first run wall s | peak RSS MiB | tree RSS MiB |",
                  "|---|---|---|---:|---:|---:|"]
        for config in report["configs"]:
            for name in SIDES:
                run = config[name]
                lines.append(f"| {config['name']} | {' '.join(config['flags'])} | {name} | {run['wall_s']:.1f} | "
                             f"{run['peak_rss_mb']:.0f} | {run['tree_rss_mb']:.0f} |")
    lines += ["", (
        f"end to end: {_fmt(ratios['speedup'], 2, 'x')} the baseline "
        f"(first runs: {_fmt(ratios['first_run_speedup'], 2, 'x')}); translation stage "
        f"{_fmt(ratios['translate_tokens_per_s'])} tok/s vs raw {_fmt(ratios['raw_tokens_per_s'])} tok/s "
        f"= {_fmt(ratios['translate_vs_raw'], 2)}"
    ), "", "| target | measured | met |", "|---|---:|---|"]
    for target in report["targets"]:
        met = "met" if target["met"] else "NOT met"
        lines.append(f"| {target['target']} | {_fmt(target['measured'], 2)} | {met} |")
    lines += ["", "identity route (English files): benchmarks/identity_speed.py"]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help=f"commit to compare with (default {DEFAULT_BASELINE})")
    parser.add_argument("--docs", type=int, help="the first N documents of the corpus (default all 11; --quick 4)")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes instead of the real ones (smoke tests)")
    parser.add_argument("--quick", action="store_true", help="4 documents of 4 paragraphs: a smoke test")
    parser.add_argument("--configs", nargs="*", choices=sorted(CONFIGS),
                        help="also the first run of these configurations (none given: all)")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS,
                        help=f"checkpoints, built once and reused (default {DEFAULT_MODELS})")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (corpus, outputs, model copies)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--worker", choices=("build", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.docs is not None and args.docs < 1:
        parser.error("--docs must be positive")
    if args.docs is None and args.quick:
        args.docs = 4
    if args.configs is not None and not args.configs:
        args.configs = sorted(CONFIGS)
    return args


def worker(args: argparse.Namespace) -> int:
    """Entry point of a worker process: prints one JSON object."""
    plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))
    if args.worker == "build":
        build_models(Path(plan["folder"]), tiny=plan["tiny"])
        print(json.dumps({"built": True}))
    else:
        print(json.dumps(raw_engine(plan)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run both sides end to end on the same corpus and models; print a table or JSON."""
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    log = sys.stderr
    root = args.models.expanduser().resolve()
    folder = models_folder(root, tiny=args.tiny)
    root.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():
        print(f"building checkpoints in {folder} (once) ...", file=log, flush=True)
        plan = root / f".build-{os.getpid()}.json"
        plan.write_text(json.dumps({"folder": str(folder), "tiny": args.tiny}), encoding="utf-8")
        try:
            run_worker("build", "--plan", str(plan))
        finally:
            plan.unlink(missing_ok=True)

    commit = git("rev-parse", "--short", f"{args.baseline}^{{commit}}")
    work = Path(tempfile.mkdtemp(prefix="run-speed-", dir=root))  # beside the models: hard links work
    tree = work / "baseline-tree"
    git("worktree", "add", "--detach", str(tree), commit)
    try:
        documents = corpus()
        if args.docs:
            documents = documents[: args.docs]
        if args.quick:
            documents = [Document(d.name, d.source, d.paragraphs[:4]) for d in documents]
        corpus_dir = work / "corpus"
        written = write_corpus(corpus_dir, documents)
        sides = {
            "baseline": Side("baseline", tree, commit, work / "baseline-home"),
            "current": Side("current", REPO, git("describe", "--always", "--dirty"), work / "current-home"),
        }
        results: dict[str, dict[str, Any]] = {name: {} for name in SIDES}
        model_dirs = {name: side_models(folder, work / f"{name}-models") for name in SIDES}
        steps = (("first_run", "out-first", False), ("run", "out", False), ("rerun", "out", True))
        for key, out_name, _rerun in steps:
            for name in SIDES:  # alternating, so a change in the machine's load falls on both
                print(f"{name}: {key} ...", file=log, flush=True)
                result = digest_run(sides[name], corpus_dir, work / f"{name}-{out_name}", model_dirs[name],
                                    DEFAULT_FLAGS, work)
                results[name][key] = result
                print(f"    {result['wall_s']:.1f}s, peak RSS {result['peak_rss_mb']:.0f} MiB "
                      f"(tree {result['tree_rss_mb']:.0f}); {result['summary_line']}", file=log, flush=True)

        print("raw engine ...", file=log, flush=True)
        segments = segments_by_model(sides["current"], corpus_dir, work)
        plan_models = []
        for model_id, found in segments.items():
            converted = converted_folder(model_dirs["current"], model_id)
            if converted is None:
                raise SystemExit(f"the current side left no CTranslate2 conversion of {model_id} "
                                 f"in {model_dirs['current'] / 'ct2'}")
            plan_models.append({"model_id": model_id, "path": str(model_dirs["current"] / model_id),
                                "converted": str(converted), "segments": found})
        plan = work / "raw-plan.json"
        plan.write_text(json.dumps({"models": plan_models, "beams": BEAMS, "max_batch_tokens": MAX_BATCH_TOKENS},
                                   ensure_ascii=False), encoding="utf-8")
        raw, raw_measured = run_worker("raw", "--plan", str(plan))
        raw["peak_rss_mb"] = round(raw_measured.peak_rss_mb, 1)

        # The translation stage on its own: the same run with extractive summaries, which take no
        # core from it (in the default run the summarizer shares the cores, by design).
        print("current: translation alone ...", file=log, flush=True)
        alone = digest_run(sides["current"], corpus_dir, work / "current-out-translation", model_dirs["current"],
                           TRANSLATION_ALONE_FLAGS, work)

        configs = []
        for config in args.configs or []:
            flags = CONFIGS[config]
            row: dict[str, Any] = {"name": config, "flags": list(flags)}
            for name in SIDES:
                print(f"{name}: {config} first run ...", file=log, flush=True)
                models = side_models(folder, work / f"{name}-models-{config}")
                row[name] = digest_run(sides[name], corpus_dir, work / f"{name}-out-{config}", models, flags, work)
                print(f"    {row[name]['wall_s']:.1f}s, peak RSS {row[name]['peak_rss_mb']:.0f} MiB "
                      f"(tree {row[name]['tree_rss_mb']:.0f})", file=log, flush=True)
                shutil.rmtree(models, ignore_errors=True)
            configs.append(row)

        report: dict[str, Any] = {
            "machine": machine(),
            "baseline": {"ref": args.baseline, "commit": commit},
            "current": {"commit": sides["current"].commit},
            "models": ("tiny" if args.tiny else "real shapes (opus-mt 512x6+6, distilbart-cnn-12-6 1024x12+6), "
                       "random weights"),
            "flags": list(DEFAULT_FLAGS),
            "corpus": written,
            "sides": results,
            "raw_engine": raw,
            "translation_alone": alone,
            "configs": configs,
        }
        summarize_report(report)
        print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else table(report))
        if args.keep:
            print(f"kept: {work}", file=log)
        return 0
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                       capture_output=True, check=False)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
