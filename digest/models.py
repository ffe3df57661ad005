"""`digest models`: the routing table with each model's availability, downloads, checks, and conversion."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError, ModelUnavailable, UnsupportedLanguage
from core.records import Failure, Route
from digest.preflight import SUMMARIZER_USE, ModelNeed, download_command, models_needed
from digest.settings import Settings
from seq2seq.hub import download_model, hub_offline, locate_model


@dataclass(frozen=True)
class ModelRow:
    """One language of the routing table."""

    language: str
    route: str
    model: str | None
    source_code: str | None
    available: bool
    location: str | None  # where the model was found, if it was


def model_table(*, settings: Settings) -> list[ModelRow]:
    """Every routable language, its model, and whether that model is on this machine (no downloads)."""
    from translate.routing import routing_table

    found: dict[str, str | None] = {}
    rows: list[ModelRow] = []
    for language, route in routing_table(overrides=settings.routes, nllb_model=settings.nllb_model):
        model = route.model_id
        if model is not None and model not in found:
            try:
                found[model] = str(locate_model(model, model_dir=settings.model_dir, offline=True).path)
            except ModelUnavailable:
                found[model] = None
        location = found.get(model) if model else None
        rows.append(
            ModelRow(language, route.route.value, model, route.source_code, model is None or location is not None,
                     location)
        )
    return rows


def convert_models(
    model_ids: Sequence[str], *, settings: Settings, quantization: str | None = None
) -> list[tuple[str, Path]]:
    """Convert the given models (default: every available one on the table) to CTranslate2."""
    from seq2seq.convert import cache_root_for, convert_model, default_quantization

    if not model_ids:
        table = model_table(settings=settings)
        model_ids = sorted({r.model for r in table if r.model and r.available})
        if settings.summarizer == "abstractive":
            try:
                locate_model(settings.summary_model, model_dir=settings.model_dir, offline=True)
                model_ids = [*model_ids, settings.summary_model]
            except ModelUnavailable:
                pass  # nothing to convert for a summarizer that is not here
        if not model_ids:
            raise ModelUnavailable("(any routed model)", "none is available locally to convert")
    quant = quantization or default_quantization(settings.device)
    converted = []
    for model_id in model_ids:
        location = locate_model(model_id, model_dir=settings.model_dir, offline=settings.offline)
        # The translator's own choice of folder, so a model converted ahead of time is the one a run loads.
        folder = convert_model(location, quantization=quant, cache_root=cache_root_for(location))
        converted.append((model_id, folder))
    return converted


@dataclass(frozen=True)
class DownloadTarget:
    """A model to fetch, and what it is for (languages, or the summarizer)."""

    model_id: str
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Downloaded:
    """One model fetched (or not): where it went, its files and their total size."""

    model_id: str
    path: Path | None
    files: tuple[str, ...] = ()
    size: int = 0
    error: str | None = None


def download_targets(names: Sequence[str], *, settings: Settings, everything: bool = False) -> list[DownloadTarget]:
    """The models `names` stand for: a language (through the route table), "summarizer", or a model id."""
    from translate.routing import route_for, routing_table

    if not names and not everything:
        raise ConfigError(
            "name what to download: languages (`digest models download hi ur`), model ids, or `summarizer`; "
            "`digest models check PATH` prints the command for a folder's documents; --all fetches every "
            "model of the route table"
        )
    uses: dict[str, list[str]] = {}
    if everything:
        if settings.summarizer == "abstractive":
            uses.setdefault(settings.summary_model, []).append(SUMMARIZER_USE)
        for language, route in routing_table(overrides=settings.routes, nllb_model=settings.nllb_model):
            if route.model_id is not None and route.route is not Route.IDENTITY:
                uses.setdefault(route.model_id, []).append(language)
    for name in names:
        if name == SUMMARIZER_USE:
            uses.setdefault(settings.summary_model, []).append(SUMMARIZER_USE)
        elif "/" in name:
            uses.setdefault(name, [])
        else:
            try:
                route = route_for(name, overrides=settings.routes, nllb_model=settings.nllb_model)
            except UnsupportedLanguage as exc:
                raise ConfigError(f"{exc} (a model id has the form ORG/NAME)") from None
            if route.model_id is None or route.route is Route.IDENTITY:
                raise ConfigError(f"{name!r} is English, which needs no model: leave it out")
            uses.setdefault(route.model_id, []).append(name)
    return [DownloadTarget(model_id, tuple(dict.fromkeys(u))) for model_id, u in uses.items()]


def download_models(
    targets: Sequence[DownloadTarget], *, settings: Settings, progress: bool = True, plan_only: bool = False
) -> Iterator[Downloaded]:
    """Fetch each target's files a run reads into `settings.model_dir` (as DIR/<org>/<name>) or the HF cache.

    One model that cannot be fetched does not stop the others: its `error` says why. With
    `plan_only` nothing is fetched: each result gives the files and their size.
    """
    if hub_offline(settings.offline):
        raise ConfigError("cannot download while offline (HF_HUB_OFFLINE or the offline setting is on): unset it")
    for target in targets:
        try:
            path, files = download_model(
                target.model_id, model_dir=settings.model_dir, progress=progress, plan_only=plan_only
            )
        except ModelUnavailable as exc:
            yield Downloaded(target.model_id, None, error=str(exc))
            continue
        yield Downloaded(target.model_id, path, tuple(sorted(files)), sum(size or 0 for size in files.values()))


@dataclass(frozen=True)
class ModelCheck:
    """The models a folder's documents need, where each is, and the files that could not be routed."""

    documents: int
    needs: tuple[ModelNeed, ...]
    failures: tuple[Failure, ...] = field(default_factory=tuple)

    @property
    def missing(self) -> tuple[ModelNeed, ...]:
        """The needed models not on this machine."""
        return tuple(need for need in self.needs if need.missing)

    def command(self, model_dir: Path | None) -> str | None:
        """The command that fetches every missing model; None when none is missing."""
        missing = [need.model_id for need in self.missing]
        return download_command(missing, model_dir=model_dir) if missing else None


def check_models(paths: Sequence[Path], *, settings: Settings) -> ModelCheck:
    """Which models the documents under `paths` need (each paragraph's route, and the summarizer), and which are here.

    Documents are read and detected, as a run does; no model is loaded and the hub is not contacted.
    """
    from digest.pipeline import find_inputs, route_options
    from digest.stages import detect, read
    from readers.documents import check_inputs

    check_inputs(paths)
    found = find_inputs(paths, settings=settings)
    loaded = read(tuple(found.files), max_bytes=settings.max_file_bytes)
    detections = detect(loaded.documents, options=route_options(settings))
    needs = models_needed(
        detections.detected, summarizer=settings.summarizer, summary_model=settings.summary_model,
        model_dir=settings.model_dir,
    )
    failures = (*found.failures, *loaded.failures, *detections.failures)
    return ModelCheck(len(found.files), tuple(needs), tuple(sorted(failures, key=lambda f: f.path)))
