"""The `digest` command line: parses options, builds one Settings, calls the library, maps errors."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import typer.main

from core.errors import ConfigError, DigestError
from core.names import display_path, printable
from digest import __version__
from digest.settings import CONFIG_ENV, SETTING
from digest.signals import Terminated, sigterm_interrupts

# Plain help, not rich markup: markup would eat the `[env var: ...; default: ...]` lines below.
_HELP: dict[str, Any] = {
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"], "max_content_width": 120},
}
app = typer.Typer(
    name="digest",
    help="Nightly English digests of documents in any language: detect, translate, summarize, publish.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    **_HELP,
)
models_app = typer.Typer(help="The routing table and the models it uses.", no_args_is_help=True, **_HELP)
schedule_app = typer.Typer(
    help="Install, show or remove the nightly digest job.", no_args_is_help=True, **_HELP
)
app.add_typer(models_app, name="models")
app.add_typer(schedule_app, name="schedule")


def _setting(name: str, *short: str) -> Any:
    """The option of setting `name`: its flag, help, environment variable, default and choices come from
    digest.settings.SETTINGS, the one table that also names its TOML key.

    The environment variable is shown, not read here: resolve_settings reads it, below the options and
    above the config file, with the same one-line errors as every other layer."""
    spec = SETTING[name]
    shown = f"env var: {spec.env}=1" if spec.is_flag else f"env var: {spec.env}; default: {spec.default}"
    extra: dict[str, Any] = {}
    if spec.choices:
        extra["metavar"] = "<" + "|".join(spec.choices) + ">"

        def complete(incomplete: str) -> list[str]:
            return [choice for choice in spec.choices if choice.startswith(incomplete)]

        extra["autocompletion"] = complete
    elif spec.metavar:
        extra["metavar"] = spec.metavar
    return typer.Option(spec.option, *short, help=f"{spec.help}  [{shown}]", **extra)


# Options shared by several commands, declared once.
ModelDir = Annotated[Optional[Path], _setting("model_dir")]
Lang = Annotated[Optional[str], _setting("lang")]
RouteOpt = Annotated[Optional[list[str]], _setting("route")]
NllbModel = Annotated[Optional[str], _setting("nllb_model")]
Backend = Annotated[Optional[str], _setting("backend")]
Device = Annotated[Optional[str], _setting("device")]
Beams = Annotated[Optional[int], _setting("beams")]
Fast = Annotated[
    bool, typer.Option("--fast", help="Greedy decoding (beam size 1) for translations and summaries: faster, slightly rougher.")
]
SummaryBeams = Annotated[Optional[int], _setting("summary_beams")]
SummaryBatchTokens = Annotated[Optional[int], _setting("summary_batch_tokens")]
BatchTokens = Annotated[Optional[int], _setting("max_batch_tokens")]
Offline = Annotated[bool, _setting("offline")]
Config = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        help=f"TOML settings file  [env var: {CONFIG_ENV}; "
        "default: $XDG_CONFIG_HOME/digest/config.toml, else ~/.config/digest/config.toml]",
    ),
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log details; show tracebacks on errors.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
Summarizer = Annotated[Optional[str], _setting("summarizer")]
SummaryModel = Annotated[Optional[str], _setting("summary_model")]
MaxFileBytes = Annotated[Optional[int], _setting("max_file_bytes")]
FollowLinks = Annotated[bool, _setting("follow_outside_links")]
EngineOpt = Annotated[Optional[str], _setting("engine")]
RayAddress = Annotated[Optional[str], _setting("ray_address")]
OutDir = Annotated[Optional[Path], _setting("out", "-o")]
NewOnly = Annotated[bool, _setting("new_only")]
SkipEmpty = Annotated[bool, _setting("skip_empty")]
Wait = Annotated[bool, _setting("wait")]
SiteUrl = Annotated[Optional[str], _setting("site_url")]
ShowDiagnostics = Annotated[bool, _setting("show_diagnostics")]
QUANTIZATIONS = ("int8", "int8_float16", "bfloat16", "float16", "float32")


def _complete_quantization(incomplete: str) -> list[str]:
    return [q for q in QUANTIZATIONS if q.startswith(incomplete)]


Quantization = Annotated[
    Optional[str],
    typer.Option(
        "--quantization",
        metavar="<" + "|".join(QUANTIZATIONS) + ">",
        autocompletion=_complete_quantization,
        help="Weight type of the converted model  [default: int8 on a CPU, int8_float16 on a GPU]",
    ),
]


class _State:
    verbose = False


def _settings(config: Path | None = None, **flags: Any) -> Any:
    from digest.settings import resolve_settings

    routes = flags.pop("route", None)
    if routes:
        flags["routes"] = ",".join(routes)
    if flags.pop("fast", False):
        flags["num_beams"] = 1
        if "summary_beams" in flags:
            flags["summary_beams"] = 1
    if flags.get("offline") is False:
        flags["offline"] = None  # an unset flag must not override DIGEST_OFFLINE
    for name in ("new_only", "skip_empty", "wait_for_lock", "follow_outside_links", "show_diagnostics"):
        if flags.get(name) is False:
            flags[name] = None
    return resolve_settings(flags, config_path=config)


def _setup_logging(verbose: bool, quiet: bool) -> None:
    _State.verbose = verbose
    level = logging.DEBUG if verbose else (logging.ERROR if quiet else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    if not verbose:
        # transformers, huggingface_hub and Ray are chatty at WARNING; their advice is not the user's.
        for name in ("transformers", "huggingface_hub", "urllib3", "httpx", "ray"):
            logging.getLogger(name).setLevel(logging.ERROR)
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _err(message: str) -> None:
    # A message may quote a file name or an OS error about one: never let it drive the terminal.
    typer.echo(f"error: {printable(message)}", err=True)


@contextmanager
def _guard() -> Iterator[None]:
    """Map library errors to one-line messages and exit codes; tracebacks only with --verbose."""
    try:
        with sigterm_interrupts():
            yield
    except ConfigError as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    except DigestError as exc:
        if _State.verbose:
            traceback.print_exc()
        _err(str(exc))
        raise typer.Exit(1) from None
    except Terminated:
        _err("stopped by SIGTERM: finished work is kept; run again to complete")
        raise typer.Exit(143) from None  # 128 + SIGTERM, what a killed process reports
    except KeyboardInterrupt:
        _err("interrupted: finished work is kept; run again to complete")
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        if _State.verbose:
            raise
        _err(f"unexpected {type(exc).__name__}: {exc} (run with --verbose for the traceback)")
        raise typer.Exit(1) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"digest {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Nightly English digests of documents in any language."""


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Files or folders to digest (.txt, .md, .html, .htm, .xhtml, .pdf, .docx).")],
    out: OutDir = None,
    model_dir: ModelDir = None,
    lang: Lang = None,
    route: RouteOpt = None,
    summarizer: Summarizer = None,
    summary_model: SummaryModel = None,
    nllb_model: NllbModel = None,
    backend: Backend = None,
    device: Device = None,
    beams: Beams = None,
    fast: Fast = False,
    max_batch_tokens: BatchTokens = None,
    summary_beams: SummaryBeams = None,
    summary_batch_tokens: SummaryBatchTokens = None,
    max_file_bytes: MaxFileBytes = None,
    new_only: NewOnly = False,
    skip_empty: SkipEmpty = False,
    wait: Wait = False,
    site_url: SiteUrl = None,
    follow_outside_links: FollowLinks = False,
    show_diagnostics: ShowDiagnostics = False,
    engine: EngineOpt = None,
    ray_address: RayAddress = None,
    offline: Offline = False,
    config: Config = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the digest as JSON (as in digest.json) instead of the summary line.")
    ] = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Translate and summarize every file under PATHS into today's digest."""
    from digest.pipeline import run_digest
    from digest.render import digest_to_json

    _setup_logging(verbose, quiet)
    with _guard():
        settings = _settings(
            config,
            out_dir=out,
            model_dir=model_dir,
            lang=lang,
            route=route,
            summarizer=summarizer,
            summary_model=summary_model,
            nllb_model=nllb_model,
            backend=backend,
            device=device,
            num_beams=beams,
            fast=fast,
            max_batch_tokens=max_batch_tokens,
            summary_beams=summary_beams,
            summary_batch_tokens=summary_batch_tokens,
            max_file_bytes=max_file_bytes,
            new_only=new_only,
            skip_empty=skip_empty,
            wait_for_lock=wait,
            site_url=site_url,
            follow_outside_links=follow_outside_links,
            show_diagnostics=show_diagnostics,
            engine=engine,
            ray_address=ray_address,
            offline=offline,
        )
        if str(settings.out_dir) == "-":
            raise ConfigError("--out - : `digest run` writes a folder; print the digest on stdout with --json")
        show_bar = not quiet and sys.stderr.isatty()
        with _progress(show_bar) as progress:
            result = run_digest(paths, settings=settings, progress=progress)
    if as_json:
        # Asked for by name, so printed even under --quiet; stdout holds nothing else.
        typer.echo(digest_to_json(result.digest), nl=False)
    elif not quiet:
        typer.echo(_summary_line(result))
    if result.models_missing:
        _err(result.models_missing)
    for failure in result.digest.failures:
        typer.echo(f"failed: {display_path(failure.path)}: {printable(failure.error)}", err=True)
    raise typer.Exit(result.exit_code)


def _summary_line(result: Any) -> str:
    digest = result.digest
    stats = digest.stats
    languages = ", ".join(f"{lang} {n}" for lang, n in sorted(result.languages.items())) or "none"
    where = (
        f" → {display_path(result.day_dir / 'digest.md')}"
        if result.day_dir
        else " (nothing new: no digest written)"
    )
    return (
        f"digest: {len(digest.items)} of {stats.files} files ({languages}); "
        f"{stats.files_unchanged} unchanged, {len(digest.skipped)} skipped, {len(digest.failures)} failed; "
        f"{stats.segments_translated} segments translated, {stats.segments_from_cache} from cache; "
        f"{stats.seconds:.1f}s{where}"
    )


@contextmanager
def _progress(enabled: bool, console: Any = None) -> Iterator[Any]:
    from digest.progress import NoProgress

    if not enabled:
        yield NoProgress()
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        TextColumn("{task.fields[count]:>9}"),
        TimeElapsedColumn(),
        # Speed is taken over the last minute: loading a model before the first chunk, or a window
        # of short documents, does not skew the estimate for long.
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}"),
        console=console,
        transient=True,
        speed_estimate_period=60,
    )
    with bar, _logging_to(sys.stderr):  # rich's stand-in while the bar is live: log lines print above it
        yield _RichProgress(bar)


@contextmanager
def _logging_to(stream: Any) -> Iterator[None]:
    """Point the root logger's stream handlers at `stream` for the block, then back."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    before = [h.stream for h in handlers]
    for handler in handlers:
        handler.setStream(stream)
    try:
        yield
    finally:
        for handler, old in zip(handlers, before):
            handler.setStream(old)


class _RichProgress:
    """The Progress protocol drawn as rich bars: files, text translated (with its ETA), and the phase now running."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.files = bar.add_task("files", total=None, count="", current="")
        self.text = bar.add_task("translate", total=None, count="", current="")
        # No total: a pulsing bar, its clock restarted at each phase, so a long load shows it is alive.
        self.step = bar.add_task("starting", total=None, count="", current="")

    def files_total(self, count: int) -> None:
        self.bar.update(self.files, total=count, count=f"0/{count}")

    def file_started(self, path: str) -> None:
        self.bar.update(self.files, current=display_path(Path(path).name))

    def file_done(self, path: str, *, ok: bool) -> None:
        self.bar.advance(self.files)
        task = self.bar.tasks[self.files]
        self.bar.update(self.files, count=f"{task.completed:.0f}/{task.total:.0f}")

    def text_total(self, chars: int) -> None:
        # Nothing to translate (all English, or all unchanged): no bar that would never move.
        self.bar.update(self.text, total=chars, count="0%", visible=chars > 0)

    def text_done(self, chars: int) -> None:
        self.bar.advance(self.text, chars)
        task = self.bar.tasks[self.text]
        self.bar.update(self.text, count=f"{task.percentage:.0f}%")

    def phase(self, name: str, detail: str) -> None:
        self.bar.reset(self.step, total=None, description=name, count="", current=printable(detail))


@app.command()
def translate(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The file to translate; - reads plain text from stdin.")],
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write here instead of stdout (- is stdout).")
    ] = None,
    model_dir: ModelDir = None,
    lang: Lang = None,
    route: RouteOpt = None,
    nllb_model: NllbModel = None,
    backend: Backend = None,
    device: Device = None,
    beams: Beams = None,
    fast: Fast = False,
    offline: Offline = False,
    config: Config = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the translation with its language and route as JSON.")
    ] = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Translate one file to English (stdout, or -o OUT); FILE - reads stdin."""
    from digest.pipeline import STDIN, translate_file, write_translation
    from digest.render import translation_to_json

    _setup_logging(verbose, quiet)
    with _guard():
        settings = _settings(
            config,
            model_dir=model_dir,
            lang=lang,
            route=route,
            nllb_model=nllb_model,
            backend=backend,
            device=device,
            num_beams=beams,
            fast=fast,
            offline=offline,
        )
        to_stdout = output is None or output == STDIN
        if as_json and output == STDIN:
            raise ConfigError("--json and -o - both print on stdout: drop -o -, or write the text to a file")
        stream = sys.stdin.buffer if file == STDIN else None
        if stream is not None and sys.stdin.isatty() and not quiet:
            typer.echo("reading the document from the terminal: end it with Ctrl-D", err=True)
        result = translate_file(file, settings=settings, stream=stream)
        if not to_stdout:
            assert output is not None
            write_translation(result, output)
        if as_json:
            typer.echo(translation_to_json(
                document=result.document, detection=result.detection, route=result.route,
                translation=result.translation, output=None if to_stdout else output,
            ), nl=False)
        elif to_stdout:
            typer.echo(result.translation.text.rstrip("\n"))
        elif not quiet:
            assert output is not None
            model = result.route.model_id or "no model (already English)"
            typer.echo(
                f"{display_path(file)} ({result.detection.language}, {model}) → {display_path(output)}", err=True
            )


@app.command()
def detect(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Files or folders.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    lang: Lang = None,
    route: RouteOpt = None,
    follow_outside_links: FollowLinks = False,
    config: Config = None,
    verbose: Verbose = False,
) -> None:
    """Show each file's language and the model it would go to."""
    from digest.pipeline import detect_paths

    _setup_logging(verbose, False)
    with _guard():
        settings = _settings(config, lang=lang, route=route, follow_outside_links=follow_outside_links)
        results = detect_paths(paths, settings=settings)
    if as_json:
        rows = [
            {"path": display_path(r.path), "language": r.language, "confidence": r.confidence, "route": r.route, "model": r.model}
            | ({"error": r.error} if r.error else {})
            for r in results
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r.error:
                typer.echo(f"{display_path(r.path)}\terror: {printable(r.error)}")
            else:
                typer.echo(f"{display_path(r.path)}\t{r.language}\t{r.confidence:.2f}\t{r.route}\t{r.model or '-'}")
    raise typer.Exit(1 if any(r.error for r in results) else 0)


@app.command()
def inspect(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Files or folders.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    lang: Lang = None,
    route: RouteOpt = None,
    follow_outside_links: FollowLinks = False,
    max_file_bytes: MaxFileBytes = None,
    config: Config = None,
    verbose: Verbose = False,
) -> None:
    """Show each file as digest reads it: metadata, removed lines, paragraphs with language and route, sentences."""
    from digest.inspection import inspect_paths

    _setup_logging(verbose, False)
    with _guard():
        settings = _settings(
            config, lang=lang, route=route, follow_outside_links=follow_outside_links, max_file_bytes=max_file_bytes
        )
        results = inspect_paths(paths, settings=settings)
    if as_json:
        typer.echo(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            typer.echo(_inspection_text(r))
    raise typer.Exit(1 if any(r.error and not r.error.startswith("skipped: ") for r in results) else 0)


def _inspection_text(r: Any) -> str:
    if r.error:
        return f"{r.path}\n  error: {printable(r.error)}\n"
    shares = ", ".join(f"{language} {share:.0%}" for language, share in r.languages)
    lines = [
        r.path,
        f"  format    {r.format}",
        f"  title     {printable(r.title or '-')}",
        f"  source    {printable(r.source_url or '-')}",
        f"  date      {r.published or '-'}",
        f"  language  {r.language} ({r.confidence:.2f}) -> {r.route} {r.model or ''}".rstrip() + f"  [{shares}]",
    ]
    for removed in r.removed:
        lines.append(f"  removed   [{removed.rule}] {printable(removed.line)}")
    for number, paragraph in enumerate(r.paragraphs, 1):
        lines.append(f"  ¶{number} {paragraph.language} -> {paragraph.route} {paragraph.model or ''}".rstrip())
        lines += [f"      · {printable(sentence)}" for sentence in paragraph.sentences]
    return "\n".join(lines) + "\n"


@app.command("config")
def config_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    config: Config = None,
) -> None:
    """Show every setting's value and where it came from: option, environment, config file or default."""
    from digest.settings import resolve

    with _guard():
        resolution = resolve(config_path=config)
    if as_json:
        typer.echo(json.dumps(resolution.as_json(), ensure_ascii=False, indent=2))
        return
    found = "" if resolution.config_found else " (not found)"
    typer.echo(f"config file: {display_path(resolution.config_file)}{found}")
    for row in resolution.rows():
        typer.echo(printable(f"{row.spec.name:<21} {row.text:<44} {row.origin}"))


@models_app.command("list")
def models_list(
    model_dir: ModelDir = None,
    route: RouteOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    offline: Offline = False,
    config: Config = None,
    verbose: Verbose = False,
) -> None:
    """Show the routing table and which of its models are available locally."""
    from digest.models import model_table

    _setup_logging(verbose, False)
    with _guard():
        settings = _settings(config, model_dir=model_dir, route=route, offline=offline)
        rows = model_table(settings=settings)
    if as_json:
        typer.echo(json.dumps([row.__dict__ for row in rows], ensure_ascii=False, indent=2))
        return
    for row in rows:
        where = row.location or "not available locally"
        typer.echo(f"{row.language:<6} {row.route:<9} {row.model or '-':<45} {where}")


@models_app.command("convert")
def models_convert(
    model_ids: Annotated[
        Optional[list[str]], typer.Argument(metavar="MODEL", help="Model ids to convert (default: every locally available one).")
    ] = None,
    model_dir: ModelDir = None,
    quantization: Quantization = None,
    device: Device = None,
    offline: Offline = False,
    config: Config = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Convert models to CTranslate2 ahead of time (the ct2 backend otherwise converts on first use)."""
    from digest.models import convert_models

    _setup_logging(verbose, quiet)
    with _guard():
        settings = _settings(config, model_dir=model_dir, device=device, offline=offline)
        converted = convert_models(model_ids or [], settings=settings, quantization=quantization)
    if not quiet:
        for model_id, path in converted:
            typer.echo(f"{model_id} → {path}")


@models_app.command("download")
def models_download(
    names: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="LANG|MODEL",
            help="Languages (hi, ur: through the route table), model ids (ORG/NAME), or `summarizer`.",
        ),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Every model of the route table, and the summarizer.")
    ] = False,
    model_dir: ModelDir = None,
    route: RouteOpt = None,
    summary_model: SummaryModel = None,
    config: Config = None,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Fetch models from the Hugging Face hub: weights, config and tokenizer files only, with progress."""
    from digest.models import download_models, download_targets

    _setup_logging(verbose, quiet)
    failed = 0
    with _guard():
        settings = _settings(config, model_dir=model_dir, route=route, summary_model=summary_model)
        targets = download_targets(names or [], settings=settings, everything=everything)
        if everything and not quiet:
            planned = list(download_models(targets, settings=settings, plan_only=True))
            known = [p for p in planned if not p.error]
            size = f"{_size(sum(p.size for p in known))} in all"
            if len(known) < len(planned):
                size += f" for the {len(known)} the hub answered for"
            if known:  # a hub that answers for none fails each model below
                typer.echo(f"{len(targets)} models, {size}", err=True)
        where = display_path(settings.model_dir) if settings.model_dir else "the Hugging Face cache"
        for target, done in zip(targets, download_models(targets, settings=settings, progress=not quiet)):
            if done.error:
                failed += 1
                _err(done.error)
            elif not quiet:
                uses = f" ({', '.join(target.uses)})" if target.uses else ""
                typer.echo(f"{done.model_id}{uses}: {len(done.files)} files, {_size(done.size)} → "
                           f"{display_path(done.path) if done.path else where}")
    raise typer.Exit(1 if failed else 0)


def _size(count: int) -> str:
    for unit in ("B", "kB", "MB"):
        if count < 1000:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    return f"{count:.1f} GB"


@models_app.command("check")
def models_check(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Files or folders a run would digest.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    model_dir: ModelDir = None,
    lang: Lang = None,
    route: RouteOpt = None,
    summarizer: Summarizer = None,
    summary_model: SummaryModel = None,
    follow_outside_links: FollowLinks = False,
    max_file_bytes: MaxFileBytes = None,
    config: Config = None,
    verbose: Verbose = False,
) -> None:
    """Show which models the documents under PATHS need and which are missing here (loads no model)."""
    from digest.models import check_models

    _setup_logging(verbose, False)
    with _guard():
        settings = _settings(
            config, model_dir=model_dir, lang=lang, route=route, summarizer=summarizer, summary_model=summary_model,
            follow_outside_links=follow_outside_links, max_file_bytes=max_file_bytes,
        )
        result = check_models(paths, settings=settings)
    command = result.command(settings.model_dir)
    if as_json:
        typer.echo(json.dumps({
            "documents": result.documents,
            "models": [
                {"model": n.model_id, "uses": list(n.uses), "location": str(n.location) if n.location else None,
                 "missing": n.missing}
                for n in result.needs
            ],
            "missing": [n.model_id for n in result.missing],
            "command": command,
            "failures": [{"path": display_path(f.path), "error": f.error} for f in result.failures],
        }, ensure_ascii=False, indent=2))
    else:
        for need in result.needs:
            where = display_path(need.location) if need.location else "missing"
            typer.echo(f"{need.model_id:<45} {', '.join(need.uses):<20} {where}")
        for failure in result.failures:
            typer.echo(f"failed: {display_path(failure.path)}: {printable(failure.error)}", err=True)
        if command:
            count = len(result.missing)
            typer.echo(f"{count} of {len(result.needs)} models missing: fetch {'it' if count == 1 else 'them'} "
                       f"with `{command}`" + (", or use --summarizer extractive" if any(
                           "summarizer" in n.uses for n in result.missing) else ""))
        else:
            typer.echo(f"all {len(result.needs)} models are here")
    raise typer.Exit(1 if command else 0)


@schedule_app.command("install")
def schedule_install(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Files or folders the nightly run digests.")],
    at: Annotated[str, typer.Option("--at", help="Time of day, HH:MM (24-hour, local time).")],
    out: OutDir = None,
    model_dir: ModelDir = None,
    lang: Lang = None,
    route: RouteOpt = None,
    nllb_model: NllbModel = None,
    summarizer: Summarizer = None,
    summary_model: SummaryModel = None,
    backend: Backend = None,
    device: Device = None,
    beams: Beams = None,
    fast: Fast = False,
    max_batch_tokens: BatchTokens = None,
    summary_beams: SummaryBeams = None,
    summary_batch_tokens: SummaryBatchTokens = None,
    max_file_bytes: MaxFileBytes = None,
    wait: Wait = False,
    site_url: SiteUrl = None,
    show_diagnostics: ShowDiagnostics = False,
    follow_outside_links: FollowLinks = False,
    engine: EngineOpt = None,
    ray_address: RayAddress = None,
    offline: Offline = False,
    publish_empty: Annotated[
        bool,
        typer.Option("--publish-empty", help="Publish a digest and a feed entry even on nights with nothing new."),
    ] = False,
    log_file: Annotated[
        Optional[Path], typer.Option("--log", help="Log file, kept out of the published folder  [default: OUT/.digest/nightly.log]")
    ] = None,
    systemd: Annotated[bool, typer.Option("--systemd", help="A systemd user timer instead of cron.")] = False,
    crontab_file: Annotated[
        Optional[Path], typer.Option("--crontab-file", help="Edit this crontab file  [env var: DIGEST_CRONTAB; default: your crontab]")
    ] = None,
    unit_dir: Annotated[
        Optional[Path], typer.Option("--unit-dir", help="Where to write systemd units.")
    ] = None,
    config: Config = None,
    verbose: Verbose = False,
) -> None:
    """Install the nightly `digest run --new-only` job with these settings (installing again replaces it)."""
    from digest import schedule
    from digest.publish import prepare_out_dir

    _setup_logging(verbose, False)
    with _guard():
        # Resolved now, from the options, DIGEST_* variables and the config file, and written into
        # the job as flags: cron and systemd run it without this shell's environment.
        settings = _settings(
            config,
            out_dir=out,
            model_dir=model_dir,
            lang=lang,
            route=route,
            nllb_model=nllb_model,
            summarizer=summarizer,
            summary_model=summary_model,
            backend=backend,
            device=device,
            num_beams=beams,
            fast=fast,
            max_batch_tokens=max_batch_tokens,
            summary_beams=summary_beams,
            summary_batch_tokens=summary_batch_tokens,
            max_file_bytes=max_file_bytes,
            wait_for_lock=wait,
            site_url=site_url,
            show_diagnostics=show_diagnostics,
            follow_outside_links=follow_outside_links,
            engine=engine,
            ray_address=ray_address,
            offline=offline,
        )
        if settings.engine == "ray":
            from digest.ray_engine import import_ray

            import_ray()  # a missing extra is said now, not found every night
        # No --quiet: without a terminal the run prints just its summary line, which the log keeps.
        job = schedule.nightly_job(
            settings, program=_digest_executable(), paths=paths, publish_empty=publish_empty
        )
        prepare_out_dir(settings.out_dir)  # a usage error now, not a failure every night
        message = schedule.install(
            argv=job.argv,
            env=job.env,
            at=at,
            log_file=(log_file or schedule.default_log_file(settings.out_dir)).resolve(),
            crontab_file=_crontab_file(crontab_file),
            systemd=systemd,
            unit_dir=unit_dir,
        )
    typer.echo(printable(message))


@schedule_app.command("show")
def schedule_show(
    systemd: Annotated[bool, typer.Option("--systemd", help="Show the systemd user timer.")] = False,
    crontab_file: Annotated[Optional[Path], typer.Option("--crontab-file", help="Read this crontab file  [env var: DIGEST_CRONTAB]")] = None,
    unit_dir: Annotated[Optional[Path], typer.Option("--unit-dir", help="Where the units are.")] = None,
) -> None:
    """Show the installed nightly job."""
    from digest import schedule

    with _guard():
        shown = schedule.show(crontab_file=_crontab_file(crontab_file), systemd=systemd, unit_dir=unit_dir)
    if shown is None:
        typer.echo("no nightly digest is installed: add one with `digest schedule install PATH --at HH:MM`")
        raise typer.Exit(1)
    # A crontab line holds a path's raw bytes; the terminal gets it escaped.
    typer.echo("\n".join(printable(line) for line in shown.split("\n")))


@schedule_app.command("remove")
def schedule_remove(
    systemd: Annotated[bool, typer.Option("--systemd", help="Remove the systemd user timer.")] = False,
    crontab_file: Annotated[Optional[Path], typer.Option("--crontab-file", help="Edit this crontab file  [env var: DIGEST_CRONTAB]")] = None,
    unit_dir: Annotated[Optional[Path], typer.Option("--unit-dir", help="Where the units are.")] = None,
) -> None:
    """Remove the nightly job."""
    from digest import schedule

    with _guard():
        removed = schedule.remove(crontab_file=_crontab_file(crontab_file), systemd=systemd, unit_dir=unit_dir)
    typer.echo("nightly digest removed" if removed else "no nightly digest was installed")


def _crontab_file(option: Path | None) -> Path | None:
    if option is not None:
        return option.resolve()
    env = os.environ.get("DIGEST_CRONTAB")
    return Path(env).resolve() if env else None


def _digest_executable() -> str:
    # The absolute path of this very command, so cron's small PATH still finds it.
    argv0 = Path(sys.argv[0])
    if argv0.name == "digest" and argv0.exists():
        return str(argv0.resolve())
    beside = Path(sys.executable).with_name("digest")
    if beside.exists():
        return str(beside)
    raise ConfigError("cannot find the `digest` command's path: install the package so `digest` is on PATH")


def main(args: list[str] | None = None) -> None:
    """Entry point of the `digest` console script.

    click runs with standalone_mode off so that its own usage errors (a missing argument, an
    unknown option or command, a value of the wrong type) come back here and are printed as the
    rest of the tool prints errors: one `error: ...` line, exit 2, never a boxed panel.
    """
    # typer re-exports click's BadParameter: its module is click's exceptions, or those of the copy
    # of click that typer vendors (0.29 and later); the other classes are beside it.
    errors = sys.modules[typer.BadParameter.__module__]
    no_args = getattr(errors, "NoArgsIsHelpError", ())
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="digest", standalone_mode=False)
    except no_args:
        code = 2  # typer has printed the help already
    except errors.UsageError as exc:
        _err(_usage_message(exc))
        code = exc.exit_code
    except errors.ClickException as exc:
        _err(exc.format_message())
        code = exc.exit_code
    except typer.Abort:
        _err("aborted")
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


def _usage_message(exc: Any) -> str:
    """click's usage error as one line: the problem, lower-cased like ours, and where help is."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    where = exc.ctx.command_path if exc.ctx is not None else "digest"
    return f"{message}: see `{where} --help`"


if __name__ == "__main__":
    main()
