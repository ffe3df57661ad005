"""Before a run loads anything: every model it will need, where each is, and one message for all the missing."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from core.errors import ModelsMissing, ModelUnavailable
from core.records import Failure, Route
from digest.stages import Detected, Detections
from seq2seq.hub import download_model, find_local, hub_offline

SUMMARIZER_USE = "summarizer"


@dataclass(frozen=True)
class ModelNeed:
    """A model the documents need: what for (languages, or the summarizer) and where it is, if here."""

    model_id: str
    uses: tuple[str, ...]
    location: Path | None
    problem: str | None = None  # why it could not be fetched, when that was tried

    @property
    def missing(self) -> bool:
        """Not on this machine: neither in the model dir, nor a folder, nor in the Hugging Face cache."""
        return self.location is None


def translation_needs(detected: Sequence[Detected]) -> dict[str, set[str]]:
    """Each translation model the documents use (main language and every paragraph), with its languages."""
    needs: dict[str, set[str]] = {}
    for item in detected:
        routes = [(item.detection.language, item.route)]
        languages = item.paragraph_languages or (item.detection.language,) * len(item.paragraph_routes)
        routes += list(zip(languages, item.paragraph_routes))
        for language, route in routes:
            if route.model_id is not None and route.route is not Route.IDENTITY:
                needs.setdefault(route.model_id, set()).add(language)
    return needs


def models_needed(
    detected: Sequence[Detected], *, summarizer: str, summary_model: str, model_dir: Path | None
) -> list[ModelNeed]:
    """Every model a run over `detected` loads, the summarizer first, each located without loading it."""
    needs: dict[str, set[str]] = {}
    if summarizer == "abstractive":
        needs[summary_model] = {SUMMARIZER_USE}
    for model_id, languages in sorted(translation_needs(detected).items()):
        needs.setdefault(model_id, set()).update(languages)
    return [
        ModelNeed(model_id, tuple(sorted(uses, key=lambda u: (u != SUMMARIZER_USE, u))),
                  find_local(model_id, model_dir=model_dir))
        for model_id, uses in needs.items()
    ]


def download_command(model_ids: Sequence[str], *, model_dir: Path | None) -> str:
    """The `digest models download` command line that fetches `model_ids` where a run will look for them."""
    words = ["digest", "models", "download", *model_ids]
    if model_dir is not None:
        words += ["--model-dir", str(model_dir)]
    return shlex.join(words)


def missing_models_error(missing: Sequence[ModelNeed], *, model_dir: Path | None, offline: bool) -> ModelsMissing:
    """One error naming every missing model, the command that fetches them, and the way round for a summarizer."""
    where = f"not in {model_dir}" if model_dir is not None else "no --model-dir given"
    where += ", not in the Hugging Face cache"
    problems = {need.problem for need in missing if need.problem}
    if offline:
        where += ", and HF_HUB_OFFLINE is set"
    elif len(problems) == 1:
        where += f", and {problems.pop()}"
    names = ", ".join(
        f"{need.model_id} ({', '.join(need.uses)}"
        + (f": {need.problem}" if need.problem and not offline and len(problems) > 1 else "") + ")"
        for need in missing
    )
    fix = f"fetch them where the hub is reachable with `{download_command([n.model_id for n in missing], model_dir=model_dir)}`"
    if any(SUMMARIZER_USE in need.uses for need in missing):
        fix += ", or summarize with no model: --summarizer extractive"
    return ModelsMissing(tuple(need.model_id for need in missing), f"{len(missing)} model{'s' if len(missing) > 1 else ''} "
                         f"not available ({where}): {names}: {fix}")


def ensure_models(
    detections: Detections, *, summarizer: str, summary_model: str, model_dir: Path | None, offline: bool,
    progress: bool = False,
) -> tuple[Detections, ModelsMissing | None]:
    """Make sure every model a run needs is here before it starts; what cannot be had, reported at once.

    Models not on this machine are fetched from the hub (into the Hugging Face cache) unless offline.
    A missing summarizer fails the whole run up front: every document needs it. A missing translation
    model fails the documents that need it, and the run goes on. Either way the error names every
    missing model, with the command that fetches them all.
    """
    offline = hub_offline(offline)
    missing: list[ModelNeed] = []
    for need in models_needed(
        detections.detected, summarizer=summarizer, summary_model=summary_model, model_dir=model_dir
    ):
        if need.missing and not offline:
            try:
                download_model(need.model_id, progress=progress)
                continue
            except ModelUnavailable as exc:
                need = replace(need, problem=exc.reason)
        if need.missing:
            missing.append(need)
    if not missing:
        return detections, None
    error = missing_models_error(missing, model_dir=model_dir, offline=offline)
    if any(SUMMARIZER_USE in need.uses for need in missing):
        raise error
    gone = {need.model_id for need in missing}
    kept: list[Detected] = []
    failures: list[Failure] = list(detections.failures)
    for item in detections.detected:
        lacking = sorted(translation_needs([item]).keys() & gone)
        if not lacking:
            kept.append(item)
            continue
        failures.append(Failure(str(item.document.path), (
            f"model {', '.join(lacking)} {'is' if len(lacking) == 1 else 'are'} not available: fetch "
            f"{'it' if len(lacking) == 1 else 'them'} with `{download_command(lacking, model_dir=model_dir)}`"
        )))
    return Detections(tuple(kept), tuple(failures)), error
