"""`digest models`: the routing table with each model's availability, and ahead-of-time conversion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelUnavailable
from digest.settings import Settings
from seq2seq.hub import locate_model


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
