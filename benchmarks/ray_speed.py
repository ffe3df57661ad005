"""Ray engine: its overhead on one machine, and its throughput on two nodes against one.

    python benchmarks/ray_speed.py --converted DIR      # real shapes, 40 documents, conversions from DIR
    python benchmarks/ray_speed.py --docs 12             # fewer documents (the first 12 of the 40)
    python benchmarks/ray_speed.py --tiny --quick --json # smoke test: tiny models, 4 short documents

Every measured run is this working tree's CLI as a subprocess (`python cli.py run ...`, PYTHONPATH=the
repository), with the same flags (default `--backend ct2 --fast --summarizer extractive`, see --flags),
each on a fresh --out folder (an empty translation memory) and with the CTranslate2 conversions already
in the model dir, so no run converts. Wall time is measured from start to exit of the CLI process.

  overhead   on this machine, no pinning: `--engine local` beside `--engine ray` (no --ray-address: the
             CLI starts a local Ray instance and shuts it down, all inside the measured time).
             Ratio: ray wall / local wall (target <= 1.2).
  scaling    a cluster started as a user would, each node pinned to one core and given one CPU:
               one node    taskset -c 0 ray start --head --num-cpus 1 --port P --node-ip-address 127.0.0.1
                           --temp-dir T --include-dashboard false --disable-usage-stats
               two nodes   the same head, then
                           taskset -c 1 ray start --address 127.0.0.1:P --num-cpus 1 --node-ip-address
                           127.0.0.1 --dashboard-agent-listen-port Q --disable-usage-stats
             (two nodes on one machine need their own dashboard agent port; the other ports Ray picks
             free ones for). The driver runs pinned to core 0, beside the head, as on a head node:
             `taskset -c 0 python cli.py run ... --engine ray --ray-address 127.0.0.1:P`. Each Ray node's
             actors inherit its one core, so CTranslate2 uses one thread per node (seq2seq/ct2.py
             cpu_cores). The script waits until every node is alive before the run, and reads the
             number of nodes the stage calls ran on from the CLI's log (`ray: stage calls ran on N
             node(s)`). Between configurations the cluster is stopped by ending its processes by id
             (those whose command line names its temp dir T): what `ray stop --force` does, limited to
             this cluster, so another Ray instance on the machine is left alone.
             Throughput: documents / wall seconds; ratio two nodes / one node (target >= 1.7).
             The cluster's start is not in the measured time (a cluster is started once, not per run).
             The cluster and the driver run with RAY_AUTH_MODE=disabled: Ray 2.60's `ray start` turns token
             authentication on when ~/.ray/auth_token exists, and a driver must then say RAY_AUTH_MODE=token.

Models: random weights in the real shapes, built by benchmarks/run_speed.py's helpers (tests/checkpoints.py:
opus-mt-hi-en and opus-mt-ur-en as OPUS_MT, distilbart-cnn-12-6 as DISTILBART_CNN; --tiny the tiny
shapes) into --models (default ~/.cache/digest-bench/models) and reused. The runs share one copy of that
model dir, hard-linked into the work dir: from --converted (a model dir whose ct2/ folder already holds
the conversions, copied whole), or else converted once by an unmeasured `--engine local` run on the first
document. Random weights make the translations run to the product's 2 x source + 10 cap: only the amount
of work is real.

Input: 40 documents (--docs N takes the first N) written into the work dir at run time, cut from the same
real Hindi and Urdu text benchmarks/run_speed.py uses, every line in one document only (a repeated line
would come from the translation memory and not be translated again):
  Hindi   samples/hi-quang-nam-party-members-2024.txt (paragraphs), the article lines (label A) of the four
          tests/data/chrome/hi-*.txt news pages, tests/data/heldout/hi.txt (UDHR, one sentence a line)
  Urdu    samples/ur-hai-duong-organising-committee-q1-2024.txt, the article lines of the five
          tests/data/chrome/ur-*.txt pages, tests/data/heldout/ur.txt
Each language's lines, in that order, are cut into consecutive windows of about equal size in characters
(a language gets documents in proportion to its text), one document a window, Hindi and Urdu
alternating: about 1,000 characters (a short news item) each. --quick keeps 4 documents of 4 lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the repo's packages and tests/
    sys.path.insert(0, str(REPO))

from benchmarks.run_speed import (  # after the path set-up above
    DEFAULT_MODELS,
    Document,
    Side,
    _article_lines,
    _distinct,
    build_models,
    measure,
    models_folder,
    run_worker,
    side_models,
    write_corpus,
)

DOCS = 40
DEFAULT_FLAGS = ("--backend", "ct2", "--fast", "--summarizer", "extractive")
TARGET_OVERHEAD = 1.2
TARGET_SCALING = 1.7
NODES_LINE = re.compile(r"stage calls ran on (\d+) node")


# --- input -----------------------------------------------------------------------------------------


def lines_by_language() -> dict[str, list[tuple[str, str]]]:
    """Each language's lines of real text, with where each comes from, in the order the docstring gives."""
    samples, data = REPO / "samples", REPO / "tests" / "data"
    found: dict[str, list[tuple[str, str]]] = {}
    for lang in ("hi", "ur"):
        sample = next(iter(sorted(samples.glob(f"{lang}-*.txt"))))
        rows = [(p.strip(), f"samples/{sample.name}") for p in sample.read_text(encoding="utf-8").split("\n")
                if p.strip()]
        for page in sorted((data / "chrome").glob(f"{lang}-*.txt")):
            rows += [(line, f"tests/data/chrome/{page.name}") for line in _article_lines(page)]
        heldout = data / "heldout" / f"{lang}.txt"
        rows += [(line.strip(), f"tests/data/heldout/{lang}.txt") for line in
                 heldout.read_text(encoding="utf-8").split("\n") if line.strip()]
        found[lang] = rows
    return found


def _windows(rows: list[tuple[str, str]], count: int) -> list[list[tuple[str, str]]]:
    """`rows` cut into `count` consecutive windows of about equal size in characters."""
    total = sum(len(text) for text, _ in rows)
    windows: list[list[tuple[str, str]]] = [[] for _ in range(count)]
    done = 0
    for row in rows:
        index = min(count - 1, done * count // total)
        windows[index].append(row)
        done += len(row[0])
    return [w for w in windows if w]


def corpus(count: int = DOCS) -> list[Document]:
    """`count` documents, Hindi and Urdu alternating, each a window of one language's lines."""
    by_language = lines_by_language()
    sizes = {lang: sum(len(t) for t, _ in rows) for lang, rows in by_language.items()}
    hi = max(1, round(count * sizes["hi"] / sum(sizes.values())))
    shares = {"hi": hi, "ur": max(1, count - hi)}
    documents: dict[str, list[Document]] = {}
    for lang, rows in by_language.items():
        for number, window in enumerate(_windows(rows, shares[lang]), start=1):
            sources = ", ".join(dict.fromkeys(source for _, source in window))
            documents.setdefault(lang, []).append(
                Document(f"{lang}-{number:02d}", sources, tuple(text for text, _ in window)))
    ordered: list[Document] = []
    for index in range(max(len(d) for d in documents.values())):
        ordered.extend(docs[index] for docs in documents.values() if index < len(docs))
    return _distinct(ordered)


# --- a Ray cluster on this machine ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ray_binary() -> str:
    beside = Path(sys.executable).with_name("ray")
    return str(beside) if beside.exists() else "ray"


class Cluster:
    """Ray nodes on this machine, each pinned to one core with `taskset`; stopped by process id."""

    def __init__(self, env: dict[str, str], temp_dir: Path) -> None:
        self.env = env
        self.temp_dir = temp_dir
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.nodes = 0

    def _start(self, core: int, *arguments: str) -> None:
        command = ["taskset", "-c", str(core), ray_binary(), "start", "--num-cpus", "1",
                   "--node-ip-address", "127.0.0.1", "--disable-usage-stats", *arguments]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, check=False, timeout=180)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}")

    def start(self, cores: list[int]) -> list[str]:
        """A head on cores[0], one more node on each further core; the commands, for the report."""
        head = ["--head", "--port", str(self.port), "--temp-dir", str(self.temp_dir), "--include-dashboard", "false"]
        self._start(cores[0], *head)
        commands = [" ".join(["taskset", "-c", str(cores[0]), "ray", "start", "--head", "--num-cpus", "1",
                              "--port", "P", "--node-ip-address", "127.0.0.1", "--temp-dir", "T",
                              "--include-dashboard", "false", "--disable-usage-stats"])]
        for core in cores[1:]:
            join = ["--address", self.address, "--dashboard-agent-listen-port", str(free_port())]
            self._start(core, *join)
            commands.append(" ".join(["taskset", "-c", str(core), "ray", "start", "--address", "127.0.0.1:P",
                                      "--num-cpus", "1", "--node-ip-address", "127.0.0.1",
                                      "--dashboard-agent-listen-port", "Q", "--disable-usage-stats"]))
        self.nodes = len(cores)
        self.wait_alive()
        return commands

    def wait_alive(self, timeout: float = 120.0) -> None:
        probe = ("import ray,sys; ray.init(address=sys.argv[1], log_to_driver=False, logging_level='ERROR');"
                 "print(sum(1 for n in ray.nodes() if n['Alive']))")
        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run([sys.executable, "-c", probe, self.address], env=self.env, capture_output=True,
                                  text=True, check=False, timeout=120)
            alive = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
            if alive.isdigit() and int(alive) >= self.nodes:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"the cluster at {self.address} has {alive or 'no'} alive node(s) of {self.nodes}:"
                                 f"\n{done.stderr[-2000:]}")
            time.sleep(1.0)

    def pids(self) -> list[int]:
        """This cluster's processes: those whose command line names its temp dir (or its GCS port)."""
        marks = (str(self.temp_dir).encode(), f"127.0.0.1:{self.port}".encode(), f"--gcs-address={self.address}".encode())
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    cmdline = handle.read()
            except OSError:
                continue
            if any(mark in cmdline for mark in marks):
                found.append(int(entry))
        return found

    def stop(self) -> None:
        """End this cluster's processes by id: SIGTERM, then SIGKILL what is left after a few seconds."""
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
            pids = self.pids()
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while pids and time.monotonic() < deadline:
                pids = self.pids()
                time.sleep(0.2)
        self.nodes = 0


# --- one measured run -------------------------------------------------------------------------------


def digest_run(side: Side, corpus_dir: Path, out: Path, models: Path, flags: tuple[str, ...], work: Path, *,
               engine: str, address: str | None = None, core: int | None = None, env: dict[str, str] | None = None,
               docs: int) -> dict[str, Any]:
    """One `digest run` on a fresh OUT: its wall time, memory, stage times and the nodes it used."""
    shutil.rmtree(out, ignore_errors=True)
    command = side.command("run", str(corpus_dir), "--out", str(out), "--model-dir", str(models), *flags,
                           "--engine", engine, "--verbose")
    if address:
        command += ["--ray-address", address]
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    load_before = os.getloadavg()
    measured = measure(command, env=env or side.env(), cwd=work)
    load_after = os.getloadavg()
    if measured.exit_code != 0:
        raise SystemExit(f"{' '.join(command)} exited {measured.exit_code}:\n{measured.stderr[-4000:]}\n"
                         f"{measured.stdout[-2000:]}")
    digests = sorted(out.glob("*/digest.json"), key=lambda p: p.stat().st_mtime)
    stats = json.loads(digests[-1].read_text(encoding="utf-8")).get("stats", {}) if digests else {}
    nodes = NODES_LINE.findall(measured.stderr + measured.stdout)
    return {"engine": engine, "address": "127.0.0.1:P" if address else None, "driver_core": core,
            "wall_s": round(measured.wall_s, 2), "docs_per_s": round(docs / measured.wall_s, 4),
            "peak_rss_mb": round(measured.peak_rss_mb, 1), "tree_rss_mb": round(measured.tree_rss_mb, 1),
            "files": stats.get("files"), "segments_translated": stats.get("segments_translated"),
            "stages": stats.get("stages") or None, "nodes_used": int(nodes[-1]) if nodes else None,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after]}


def _log_run(name: str, run: dict[str, Any]) -> None:
    print(f"    {name}: {run['wall_s']:.1f}s ({run['docs_per_s']:.3f} docs/s), nodes {run['nodes_used']}, "
          f"load {run['load_average_before'][0]} -> {run['load_average_after'][0]}", file=sys.stderr, flush=True)


# --- report ----------------------------------------------------------------------------------------


def summarize_report(report: dict[str, Any]) -> None:
    """Add the ratios and the targets to `report`."""
    over, scale = report.get("overhead"), report.get("scaling")
    ratios: dict[str, float | None] = {"overhead": None, "scaling": None}
    if over:
        ratios["overhead"] = round(over["ray"]["wall_s"] / over["local"]["wall_s"], 3)
    if scale:
        ratios["scaling"] = round(scale["two_nodes"]["docs_per_s"] / scale["one_node"]["docs_per_s"], 3)
    if over:
        one_core = over["local"]["wall_s"] * report["machine"]["cores"] / report["documents"]
        ratios["local_core_s_per_doc"] = round(one_core, 2)
    if scale:
        ratios["one_node_core_s_per_doc"] = round(scale["one_node"]["wall_s"] / report["documents"], 2)
    report["ratios"] = ratios
    report["targets"] = [
        {"target": f"ray wall <= {TARGET_OVERHEAD:g}x local wall (one machine)", "measured": ratios["overhead"],
         "met": None if ratios["overhead"] is None else ratios["overhead"] <= TARGET_OVERHEAD},
        {"target": f"two 1-CPU nodes >= {TARGET_SCALING:g}x the throughput of one", "measured": ratios["scaling"],
         "met": None if ratios["scaling"] is None else ratios["scaling"] >= TARGET_SCALING},
    ]


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table(report: dict[str, Any]) -> str:
    """The results as Markdown."""
    info = report["machine"]
    lines = [
        (f"CPU: {info['cpu']} ({info['cores']} cores); Python {info['python']}, ray {info['ray']}, "
         f"ctranslate2 {info['ctranslate2']}; {info['date']}; load average {info['load_average']}"),
        (f"models: {report['models']}; corpus: {report['documents']} documents, "
         f"{sum(d['bytes'] for d in report['corpus'])} bytes"),
        f"flags: digest run CORPUS --out OUT --model-dir MODELS {' '.join(report['flags'])} --engine ENGINE",
        "", "| measurement | configuration | wall s | docs/s | nodes used | peak RSS MiB | load avg 1 min before -> after |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    rows = []
    if report.get("overhead"):
        rows += [("overhead", "--engine local, 2 cores", report["overhead"]["local"]),
                 ("overhead", "--engine ray (local Ray), 2 cores", report["overhead"]["ray"])]
    if report.get("scaling"):
        rows += [("scaling", "1 node x 1 CPU (core 0), driver on core 0", report["scaling"]["one_node"]),
                 ("scaling", "2 nodes x 1 CPU (cores 0, 1), driver on core 0", report["scaling"]["two_nodes"])]
    for measurement, configuration, run in rows:
        lines.append(f"| {measurement} | {configuration} | {run['wall_s']:.1f} | {run['docs_per_s']:.3f} | "
                     f"{run['nodes_used'] if run['nodes_used'] is not None else '—'} | {run['peak_rss_mb']:.0f} | "
                     f"{run['load_average_before'][0]:.2f} -> {run['load_average_after'][0]:.2f} |")
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    for target in report["targets"]:
        met = "not measured" if target["met"] is None else ("met" if target["met"] else "NOT met")
        lines.append(f"| {target['target']} | {_fmt(target['measured'])} | {met} |")
    if report.get("cluster_commands"):
        lines += ["", "cluster: " + "; ".join(report["cluster_commands"])]
    return "\n".join(lines)


# --- orchestration -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, help=f"the first N of the {DOCS} documents (default all; --quick 4)")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes instead of the real ones (smoke tests)")
    parser.add_argument("--quick", action="store_true", help="4 documents of 4 lines: a smoke test")
    parser.add_argument("--parts", nargs="+", choices=("overhead", "scaling"), default=["overhead", "scaling"],
                        help="what to measure (default both)")
    parser.add_argument("--flags", default=" ".join(DEFAULT_FLAGS),
                        help=f"digest run flags of every run (default: {' '.join(DEFAULT_FLAGS)})")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS,
                        help=f"checkpoints, built once and reused (default {DEFAULT_MODELS})")
    parser.add_argument("--converted", type=Path,
                        help="a model dir (ORG/NAME folders and ct2/) whose conversions the runs reuse")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (corpus, outputs, model copy)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args(argv)
    if args.docs is not None and not 1 <= args.docs <= DOCS:
        parser.error(f"--docs must be between 1 and {DOCS}")
    if args.docs is None:
        args.docs = 4 if args.quick else DOCS
    return args


def _linked_copy(source: Path, target: Path) -> Path:
    """`source` copied whole into `target`, files hard-linked where the file system allows."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)
    return target


def main(argv: list[str] | None = None) -> int:
    """Measure the overhead and the scaling parts asked for; print a table or JSON."""
    args = parse_args(argv)
    log = sys.stderr
    flags = tuple(args.flags.split())
    root = args.models.expanduser().resolve()
    folder = models_folder(root, tiny=args.tiny)
    root.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir() and args.converted is None:
        print(f"building checkpoints in {folder} (once) ...", file=log, flush=True)
        plan = root / f".build-{os.getpid()}.json"
        plan.write_text(json.dumps({"folder": str(folder), "tiny": args.tiny}), encoding="utf-8")
        try:
            run_worker("build", "--plan", str(plan))
        except SystemExit:
            build_models(folder, tiny=args.tiny)  # the worker could not run: build here
        finally:
            plan.unlink(missing_ok=True)

    work = Path(tempfile.mkdtemp(prefix="ray-speed-", dir=root))  # beside the models: hard links work
    temp_dir = Path(tempfile.mkdtemp(prefix="rs-", dir="/tmp"))  # short: Ray's socket paths have a limit
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                            text=True, check=False).stdout.strip()
    side = Side("current", REPO, commit, work / "home")
    env = {k: v for k, v in side.env().items() if k != "RAY_ADDRESS"}
    cluster: Cluster | None = None
    try:
        documents = corpus()[: args.docs]
        if args.quick:
            documents = [Document(d.name, d.source, d.paragraphs[:4]) for d in documents]
        corpus_dir = work / "corpus"
        written = write_corpus(corpus_dir, documents)
        if args.converted is not None:
            models = _linked_copy(args.converted.expanduser().resolve(), work / "models")
        else:
            models = side_models(folder, work / "models")
        if not (models / "ct2").is_dir():
            print("converting the models (unmeasured run on the first document) ...", file=log, flush=True)
            first = work / "corpus-first"
            write_corpus(first, documents[:1])
            digest_run(side, first, work / "out-convert", models, flags, work, engine="local", env=env, docs=1)
        count = len(documents)
        report: dict[str, Any] = {
            "machine": describe(),
            "models": ("tiny" if args.tiny else "real shapes (opus-mt 512x6+6, distilbart-cnn-12-6 1024x12+6), "
                       "random weights"),
            "flags": list(flags), "documents": count, "corpus": written, "commit": commit,
        }
        if "overhead" in args.parts:
            report["overhead"] = {}
            for engine in ("local", "ray"):
                print(f"overhead: --engine {engine} ...", file=log, flush=True)
                run = digest_run(side, corpus_dir, work / f"out-{engine}", models, flags, work, engine=engine,
                                 env=env, docs=count)
                report["overhead"][engine] = run
                _log_run(engine, run)
        if "scaling" in args.parts:
            if len(os.sched_getaffinity(0)) < 2:
                raise SystemExit("the scaling part needs two cores (taskset -c 0 and -c 1)")
            report["scaling"] = {}
            # `ray start` turns token authentication on when ~/.ray/auth_token exists, and a driver then
            # needs RAY_AUTH_MODE=token too: the cluster and its driver here run with it off, the same way.
            cluster_env = {**env, "RAY_AUTH_MODE": "disabled"}
            for name, cores in (("one_node", [0]), ("two_nodes", [0, 1])):
                print(f"scaling: {name} (cores {cores}) ...", file=log, flush=True)
                cluster = Cluster(cluster_env, temp_dir)
                commands = cluster.start(cores)
                if name == "two_nodes":
                    report["cluster_commands"] = commands
                try:
                    run = digest_run(side, corpus_dir, work / f"out-{name}", models, flags, work, engine="ray",
                                     address=cluster.address, core=0, env=cluster_env, docs=count)
                finally:
                    cluster.stop()
                    cluster = None
                report["scaling"][name] = run
                _log_run(name, run)
        summarize_report(report)
        print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else table(report))
        if args.keep:
            print(f"kept: {work}", file=log)
        return 0
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def describe() -> dict[str, Any]:
    """What the numbers were measured on, with the 1-minute load average when the report was made."""
    from benchmarks.machine import describe as machine

    info = machine("ray", "ctranslate2")
    info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return info


if __name__ == "__main__":
    sys.exit(main())
