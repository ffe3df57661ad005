"""Translation speed: the naive transformers loop against the hf and ct2 backends, on the same input.

    python benchmarks/translate_speed.py                 # opus-mt shape, 2,000 sentences, beams 4 and 1
    python benchmarks/translate_speed.py --nllb          # also the NLLB-200-distilled-600M shape
    python benchmarks/translate_speed.py --quick --tiny --json   # smoke test: seconds, not minutes

Three ways to translate the same sentences, each measured in a fresh process so its peak memory
(ru_maxrss of that process, as the parent sees it through wait4) is its own:

  baseline  what most tools do: transformers' AutoModelForSeq2SeqLM.generate, one document at a time,
            its sentences in their original order, in fixed batches of 16.
  hf        the product's transformers backend (translate.hf.HFTranslator): token-budget batches of
            length-sorted segments, fed the way the pipeline feeds it (chunks of the translation
            memory's size).
  ct2       the product's CTranslate2 backend (translate.ct2.CT2Translator), int8 on CPU; converted
            beforehand in its own process, as `digest models --convert` does, and timed separately.

The checkpoints have the real architectures' shapes but random weights (tests/checkpoints.py), so
output lengths would be arbitrary; every output is forced to exactly as many tokens as its input has
(minimum = maximum new tokens = the source's token count), in all three:
  baseline  a per-row logits processor (translate.hf.RowLengthBounds) forbids the end token before a
            row's source length and forces it there; generate(max_new_tokens=longest + 1) bounds the batch.
  hf        the backend's own runner with minimum = maximum = source length per row (the same
            processor); the product passes maximum = 2 x source + 10 and minimum 0 instead.
  ct2       the same runner call; CTranslate2 bounds the batch (min_decoding_length =
            max_decoding_length = the batch's longest source) and each row is cut to its own length.
Output tokens are counted from what each one actually generated (end token excluded).

`--device auto` (the default) runs all three on a GPU when there is one (baseline fp32 as most tools
load it, hf in bf16/fp16, ct2 in int8_float16) and reports the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere: the repo's packages and tests/
    sys.path.insert(0, str(REPO))

SAMPLES = REPO / "samples"
MARIAN_MODEL = "Helsinki-NLP/opus-mt-hi-en"
NLLB_MODEL = "facebook/nllb-200-distilled-600M"
BACKENDS = ("baseline", "hf", "ct2")
BASELINE_BATCH = 16
NLLB_CODES = {"hi": "hin_Deva", "ur": "urd_Arab"}


@dataclass(frozen=True)
class Route:
    """One model and the sample documents it translates."""

    name: str  # "marian" or "nllb"
    model_id: str
    languages: tuple[str, ...]  # sample languages, in order
    shape: str  # human-readable shape, for the report


@dataclass(frozen=True)
class Result:
    """One measured run of one backend."""

    route: str
    backend: str
    beams: int
    sentences: int
    output_tokens: int
    seconds: float  # translating only; loading is load_seconds
    load_seconds: float
    peak_rss_mb: float  # ru_maxrss of the worker process, from the parent's wait4
    self_peak_rss_mb: float  # VmHWM the worker read itself at the end (Linux); should agree
    device: str
    detail: str  # quantization, batching
    load_average: float  # the machine's 5-minute load average after the run: other work skews timings

    @property
    def tokens_per_s(self) -> float:
        """Generated tokens per second of translating."""
        return self.output_tokens / self.seconds if self.seconds else 0.0

    @property
    def sentences_per_s(self) -> float:
        """Sentences per second of translating."""
        return self.sentences / self.seconds if self.seconds else 0.0


# --- input -----------------------------------------------------------------------------------------


def sample_documents(language: str) -> list[list[str]]:
    """The sample documents in `language`, each as its sentences (segmented as the pipeline does)."""
    from translate.segment import segment_text

    files = sorted(SAMPLES.glob(f"{language}-*.txt"))
    if not files:
        raise SystemExit(f"no {language} samples in {SAMPLES}")
    return [[s.text for s in segment_text(f.read_text(encoding="utf-8"))] for f in files]


def build_input(route: Route, sentences: int) -> list[dict[str, Any]]:
    """Documents (with their language) repeated, in turn, until they hold at least `sentences` sentences."""
    originals = [(lang, doc) for lang in route.languages for doc in sample_documents(lang) if doc]
    documents: list[dict[str, Any]] = []
    total = 0
    while total < sentences:
        for lang, doc in originals:
            documents.append({"language": lang, "sentences": doc})
            total += len(doc)
            if total >= sentences:
                break
    return documents


# --- workers (each runs in its own process) -----------------------------------------------------


def _source_code(route: str, language: str) -> str | None:
    return NLLB_CODES[language] if route == "nllb" else None


def _groups(documents: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Sentences grouped by language, documents in order: how the pipeline hands a route its segments."""
    groups: dict[str, list[str]] = {}
    for doc in documents:
        groups.setdefault(doc["language"], []).extend(doc["sentences"])
    return list(groups.items())


def run_baseline(plan: dict[str, Any], beams: int) -> tuple[int, int, float, float, str, str]:
    """The naive loop: per document, sentences in order, fixed batches of 16, model.generate."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, LogitsProcessorList

    from translate.hf import RowLengthBounds

    device = "cuda" if plan["device"] in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(plan["model_path"])
    model = AutoModelForSeq2SeqLM.from_pretrained(plan["model_path"]).to(device).eval()
    load = time.perf_counter() - started
    eos = model.generation_config.eos_token_id
    pad = model.generation_config.pad_token_id
    forced = {}
    if plan["route"] == "nllb":
        forced["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids("eng_Latn")

    sentences = tokens = 0
    started = time.perf_counter()
    for doc in plan["documents"]:
        code = _source_code(plan["route"], doc["language"])
        if code:
            tokenizer.src_lang = code
        for start in range(0, len(doc["sentences"]), BASELINE_BATCH):
            batch = doc["sentences"][start : start + BASELINE_BATCH]
            encoded = tokenizer(batch, return_tensors="pt", padding=True).to(device)
            lengths = encoded["attention_mask"].sum(dim=1).tolist()
            bounds = RowLengthBounds(lengths, lengths, eos_token_id=eos)
            out = model.generate(
                **encoded,
                num_beams=beams,
                do_sample=False,
                max_new_tokens=max(lengths) + 1,
                logits_processor=LogitsProcessorList([bounds]),
                **forced,
            )
            _ = tokenizer.batch_decode(out, skip_special_tokens=True)
            for row in out.tolist():
                generated = row[1:]
                generated = generated[: generated.index(eos)] if eos in generated else generated
                tokens += sum(1 for t in generated if t != pad)
            sentences += len(batch)
    return sentences, tokens, time.perf_counter() - started, load, device, f"batch {BASELINE_BATCH}, fp32"


def run_backend(plan: dict[str, Any], beams: int, backend: str) -> tuple[int, int, float, float, str, str]:
    """A product backend, through its runner, with every output's length fixed to its input's."""
    from digest.hub import locate_model

    location = locate_model(plan["model_id"], model_dir=Path(plan["model_dir"]), offline=True)
    options = {"device": plan["device"], "num_beams": beams, "max_batch_tokens": plan["max_batch_tokens"]}
    started = time.perf_counter()
    translator: Any
    if backend == "hf":
        from translate.hf import HFTranslator

        translator = HFTranslator(location, **options)
        detail = "fp32" if not str(plan["device"]).startswith("cuda") else "bf16/fp16"
    else:
        from translate.ct2 import CT2Translator

        translator = CT2Translator(location, **options, cache_root=Path(plan["cache_root"]))
        detail = translator.quantization
    runner = translator.runner
    _ = runner.model, runner.tokenizer  # load now, so the timing below is translation only
    load = time.perf_counter() - started
    if backend == "hf":
        from translate.hf import resolve_device

        device = resolve_device(plan["device"])
    else:
        device = translator.runner.ct2_device

    chunk = plan["chunk_size"] or None
    sentences = tokens = 0
    started = time.perf_counter()
    for language, segments in _groups(plan["documents"]):
        code = _source_code(plan["route"], language)
        if code:
            runner.tokenizer.src_lang = code
        step = chunk or len(segments)
        for start in range(0, len(segments), step):
            part = segments[start : start + step]
            inputs = [runner.encode(s) for s in part]
            lengths = [len(ids) for ids in inputs]
            generated = runner.generate(inputs, maximum=lengths, minimum=lengths)
            _ = [runner.decode(ids) for ids in generated]
            tokens += sum(len(ids) for ids in generated)
            sentences += len(part)
    detail += f", {plan['max_batch_tokens']}-token budget / {beams} beam{'s' if beams > 1 else ''}"
    detail += f", chunks of {chunk}" if chunk else ", one call"
    return sentences, tokens, time.perf_counter() - started, load, device, detail


def run_convert(plan: dict[str, Any]) -> dict[str, Any]:
    """Convert the route's model for the ct2 backend (what `digest models --convert` does)."""
    from digest.hub import locate_model
    from translate.convert import conversion_dir, convert_model, default_quantization, is_complete

    location = locate_model(plan["model_id"], model_dir=Path(plan["model_dir"]), offline=True)
    quantization = default_quantization(plan["device"])
    cache_root = Path(plan["cache_root"])
    cached = is_complete(conversion_dir(location, quantization=quantization, cache_root=cache_root))
    started = time.perf_counter()
    path = convert_model(location, quantization=quantization, cache_root=cache_root)
    return {"seconds": time.perf_counter() - started, "quantization": quantization, "path": str(path),
            "cached": cached}


def peak_rss_mb() -> float:
    """This process's own peak RSS in MB (VmHWM: the high-water mark of its memory since exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass  # not Linux: the parent's wait4 figure is the only one
    return 0.0


def worker(args: argparse.Namespace) -> int:
    """Entry point of a measuring process: prints one JSON object."""
    plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))
    if args.worker == "build":
        prepare_models(Path(plan["model_dir"]), [Route(**r) for r in plan["routes"]], tiny=plan["tiny"])
        print(json.dumps({"built": True}))
        return 0
    if args.worker == "convert":
        print(json.dumps(run_convert(plan)))
        return 0
    if args.worker == "baseline":
        measured = run_baseline(plan, args.worker_beams)
    else:
        measured = run_backend(plan, args.worker_beams, args.worker)
    sentences, tokens, seconds, load, device, detail = measured
    gpu = None
    if device.startswith("cuda"):
        import torch

        gpu = torch.cuda.get_device_name(0)
    print(json.dumps({"sentences": sentences, "output_tokens": tokens, "seconds": seconds,
                      "load_seconds": load, "device": device, "detail": detail, "gpu": gpu,
                      "self_peak_rss_mb": peak_rss_mb()}))
    return 0


def spawn(plan_path: Path, role: str, beams: int = 0) -> tuple[dict[str, Any], float]:
    """Run one worker process; its JSON answer and its peak RSS in MB (ru_maxrss, through wait4)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", role, "--plan", str(plan_path),
               "--worker-beams", str(beams)]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "TRANSFORMERS_VERBOSITY": "error",
           "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=REPO)
        # wait4 gives this child's own rusage: its peak RSS, not the maximum over all children.
        # Linux carries a process's peak over fork and exec, so the parent keeps itself small (it
        # never imports torch; checkpoints are built in a worker) to keep that floor low.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"{role} (beams {beams}) failed with exit code {process.returncode}:\n{stderr[-4000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{role} printed no result:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return json.loads(lines[-1]), usage.ru_maxrss / scale


# --- orchestration -------------------------------------------------------------------------------


def prepare_models(model_dir: Path, routes: list[Route], *, tiny: bool) -> None:
    """Build each route's random-weight checkpoint into `model_dir` unless it is already there."""
    from digest.hub import local_candidate
    from tests import checkpoints

    for route in routes:
        if local_candidate(route.model_id, model_dir) is not None:
            continue
        if route.name == "marian":
            shape = checkpoints.TINY if tiny else checkpoints.OPUS_MT
            checkpoints.build_marian(model_dir, route.model_id, shape=shape)
        else:
            shape_nllb = checkpoints.TINY_NLLB if tiny else checkpoints.NLLB_600M
            checkpoints.build_nllb(model_dir, route.model_id, shape=shape_nllb)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    from benchmarks.machine import describe

    # "gpu" is filled in from the workers when they ran on one.
    return {**describe("torch", "transformers", "ctranslate2"), "gpu": None}


def ratios(results: list[Result]) -> list[dict[str, Any]]:
    """Each result as a dict, with tokens/s and sentences/s relative to its route's baseline at its beam."""
    base = {(r.route, r.beams): r for r in results if r.backend == "baseline"}
    rows = []
    for r in results:
        b = base.get((r.route, r.beams))
        rows.append({
            **asdict(r),
            "tokens_per_s": round(r.tokens_per_s, 2),
            "sentences_per_s": round(r.sentences_per_s, 3),
            "tokens_per_s_ratio": round(r.tokens_per_s / b.tokens_per_s, 2) if b and b.tokens_per_s else None,
            "sentences_per_s_ratio": (
                round(r.sentences_per_s / b.sentences_per_s, 2) if b and b.sentences_per_s else None
            ),
        })
    return rows


def table(rows: list[dict[str, Any]], routes: list[Route], report: dict[str, Any]) -> str:
    """The results as a Markdown table."""
    info = report["machine"]
    gpu = f", GPU: {info['gpu']}" if info["gpu"] else ""
    header = (
        f"CPU: {info['cpu']} ({info['cores']} cores){gpu}; torch {info['torch']}, "
        f"transformers {info['transformers']}, ctranslate2 {info['ctranslate2']}; {info['date']}"
    )
    lines = [header]
    for route in routes:
        conv = report["conversions"].get(route.name)
        lines.append("")
        lines.append(f"{route.name}: {route.model_id} shape ({route.shape}), samples {'+'.join(route.languages)}; "
                     f"{report['sentences'][route.name]} sentences")
        if conv and conv["cached"]:
            lines.append(f"ct2 model ({conv['quantization']}): converted by an earlier run, reused from the cache")
        elif conv:
            lines.append(f"ct2 conversion ({conv['quantization']}, once, then cached): {conv['seconds']:.1f}s, "
                         f"peak RSS {conv['peak_rss_mb']:.0f} MB")
        lines.append("")
        lines.append("| beams | backend | output tokens | seconds | tokens/s | sentences/s | peak RSS (MB) "
                     "| tokens/s vs baseline | load (s) | setup |")
        lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in rows:
            if r["route"] != route.name:
                continue
            ratio = f"{r['tokens_per_s_ratio']:.2f}x" if r["tokens_per_s_ratio"] is not None else "-"
            lines.append(
                f"| {r['beams']} | {r['backend']} | {r['output_tokens']} | {r['seconds']:.1f} | "
                f"{r['tokens_per_s']:.1f} | {r['sentences_per_s']:.2f} | {r['peak_rss_mb']:.0f} | {ratio} | "
                f"{r['load_seconds']:.1f} | {r['device']}, {r['detail']} |"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=None, help="at least this many sentences (default 2000)")
    parser.add_argument("--beams", type=int, nargs="+", default=[4, 1], help="beam sizes to measure (default 4 1)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--nllb", action="store_true", help="also measure the NLLB-200-distilled-600M shape")
    parser.add_argument("--routes", nargs="+", choices=("marian", "nllb"), default=["marian"],
                        help="routes to measure (default marian; --nllb adds nllb)")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes instead of the real ones (smoke tests)")
    parser.add_argument("--quick", action="store_true", help="a few sentences (default 12) for a smoke test")
    parser.add_argument("--model-dir", type=Path, help="keep checkpoints and conversions here (else a temp dir)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--max-batch-tokens", type=int, default=4096, help="the backends' token budget")
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="segments per backend call (default: the translation memory's chunk; 0: one call)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--worker", choices=(*BACKENDS, "convert", "build"), help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--worker-beams", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sentences is None:
        args.sentences = 12 if args.quick else 2000
    if args.sentences < 1 or any(b < 1 for b in args.beams):
        parser.error("--sentences and --beams must be positive")
    if args.nllb and "nllb" not in args.routes:
        args.routes.append("nllb")
    if args.chunk_size is None:
        from digest.cached import DEFAULT_CHUNK_SIZE

        args.chunk_size = DEFAULT_CHUNK_SIZE
    return args


def main(argv: list[str] | None = None) -> int:
    """Measure every backend on every route at every beam size, print a table or JSON."""
    args = parse_args(argv)
    if args.worker:
        return worker(args)

    from translate.convert import default_cache_root

    tiny = "tiny: d_model 32, 1+1 layers, 2 heads, FFN 64"
    routes = []
    if "marian" in args.routes:
        routes.append(Route("marian", MARIAN_MODEL, ("hi",),
                            tiny if args.tiny else "d_model 512, 6+6 layers, 8 heads, FFN 2048, vocab 58101"))
    if "nllb" in args.routes:
        routes.append(Route("nllb", NLLB_MODEL, ("hi", "ur"),
                            tiny if args.tiny else "d_model 1024, 12+12 layers, 16 heads, FFN 4096, vocab 256206"))

    scratch = None if args.model_dir else Path(tempfile.mkdtemp(prefix="digest-bench-"))
    model_dir = args.model_dir or scratch
    assert model_dir is not None
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
        log = sys.stderr
        print(f"building checkpoints in {model_dir} ...", file=log, flush=True)
        build_plan = model_dir / f".bench-build-{os.getpid()}.json"
        build_plan.write_text(json.dumps({"model_dir": str(model_dir), "tiny": args.tiny,
                                          "routes": [asdict(r) for r in routes]}), encoding="utf-8")
        try:
            spawn(build_plan, "build")
        finally:
            build_plan.unlink(missing_ok=True)
        report: dict[str, Any] = {"machine": machine(), "conversions": {}, "sentences": {},
                                  "config": {"beams": args.beams, "chunk_size": args.chunk_size,
                                             "max_batch_tokens": args.max_batch_tokens, "tiny": args.tiny,
                                             "baseline_batch": BASELINE_BATCH, "device": args.device}}
        results: list[Result] = []
        for route in routes:
            documents = build_input(route, args.sentences)
            report["sentences"][route.name] = sum(len(d["sentences"]) for d in documents)
            plan = {"route": route.name, "model_id": route.model_id, "model_dir": str(model_dir),
                    "model_path": str(model_dir / route.model_id), "device": args.device,
                    "cache_root": str(default_cache_root(model_dir)), "max_batch_tokens": args.max_batch_tokens,
                    "chunk_size": args.chunk_size, "documents": documents}
            plan_path = model_dir / f".bench-plan-{route.name}-{os.getpid()}.json"
            plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
            try:
                if "ct2" in args.backends:
                    print(f"[{route.name}] converting for ct2 ...", file=log, flush=True)
                    converted, rss = spawn(plan_path, "convert")
                    report["conversions"][route.name] = {**converted, "peak_rss_mb": round(rss, 1)}
                for beams in args.beams:
                    for backend in args.backends:
                        print(f"[{route.name}] beams {beams}: {backend} ...", file=log, flush=True)
                        answer, rss = spawn(plan_path, backend, beams)
                        results.append(Result(route=route.name, backend=backend, beams=beams,
                                              sentences=answer["sentences"], output_tokens=answer["output_tokens"],
                                              seconds=answer["seconds"], load_seconds=answer["load_seconds"],
                                              peak_rss_mb=round(rss, 1),
                                              self_peak_rss_mb=round(answer["self_peak_rss_mb"], 1),
                                              device=answer["device"], load_average=os.getloadavg()[1],
                                              detail=answer["detail"]))
                        report["machine"]["gpu"] = report["machine"]["gpu"] or answer["gpu"]
                        print(f"    {answer['output_tokens']} tokens in {answer['seconds']:.1f}s, "
                              f"peak RSS {rss:.0f} MB", file=log, flush=True)
            finally:
                plan_path.unlink(missing_ok=True)
        rows = ratios(results)
        report["results"] = rows
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print(table(rows, routes, report))
        return 0
    finally:
        if scratch is not None:
            shutil.rmtree(scratch)


if __name__ == "__main__":
    sys.exit(main())
