"""The progress events a run reports: totals once and first, counts that add up to them, the slow phases named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest.pipeline import run_digest
from digest.progress import NoProgress, TextMeter
from digest.settings import resolve_settings
from tests.conftest import SAMPLES

MODELS = ("Helsinki-NLP/opus-mt-hi-en", "Helsinki-NLP/opus-mt-ur-en")


class Recording:
    """A Progress that keeps every event, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def files_total(self, count: int) -> None:
        self.events.append(("files_total", count))

    def file_started(self, path: str) -> None:
        self.events.append(("file_started", Path(path).name))

    def file_done(self, path: str, *, ok: bool) -> None:
        self.events.append(("file_done", Path(path).name))

    def text_total(self, chars: int) -> None:
        self.events.append(("text_total", chars))

    def text_done(self, chars: int) -> None:
        self.events.append(("text_done", chars))

    def phase(self, name: str, detail: str) -> None:
        self.events.append(("phase", (name, detail)))

    def named(self, kind: str) -> list[object]:
        return [value for event, value in self.events if event == kind]

    def first(self, kind: str) -> int:
        return next(i for i, (event, _) in enumerate(self.events) if event == kind)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    shutil.copytree(SAMPLES, folder)
    return folder


def _run(inbox: Path, models: Path, out: Path, **settings: object) -> Recording:
    progress = Recording()
    result = run_digest([inbox], settings=resolve_settings({"model_dir": models, "out_dir": out, **settings}),
                        progress=progress)
    assert not result.digest.failures
    return progress


def test_totals_come_once_before_any_count_and_the_counts_add_up_to_them(
    inbox: Path, tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small windows, so the run translates in several: each used to add its segments to the total.
    monkeypatch.setattr("digest.pipeline.WINDOW_SEGMENTS", 4)
    progress = _run(inbox, tiny_model_dir, tmp_path / "out", summarizer="extractive", backend="hf")

    [files] = progress.named("files_total")
    [chars] = progress.named("text_total")
    assert files == 4
    assert progress.first("files_total") < progress.first("file_done")
    assert progress.first("text_total") < progress.first("text_done")
    assert sorted(progress.named("file_done")) == sorted(p.name for p in SAMPLES.iterdir())
    done = progress.named("text_done")
    assert len(done) > 2 and all(isinstance(n, int) and n > 0 for n in done)
    # Three of the four samples go to a model; the English one is passed through and not counted.
    english = (SAMPLES / "en-riverside-bike-lanes-2024.txt").read_text(encoding="utf-8")
    others = sum(len(p.read_text(encoding="utf-8")) for p in SAMPLES.iterdir() if not p.name.startswith("en-"))
    assert sum(done) == chars
    assert others * 0.8 < chars <= others
    assert len(english) > 0


def test_the_slow_phases_are_named_in_order(inbox: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    # The abstractive summarizer: a model to load. transformers: no conversion (see the ct2 test below).
    progress = _run(inbox, tiny_model_dir, tmp_path / "out", backend="hf")
    phases = progress.named("phase")
    names = list(dict.fromkeys(name for name, _ in phases))
    assert names == ["reading", "detecting", "loading", "translating", "summarizing", "publishing"]
    loaded = [detail for name, detail in phases if name == "loading"]
    assert loaded[0] == "models"
    assert loaded[1] == resolve_settings({}).summary_model
    assert set(MODELS) <= set(loaded)  # translators load on first use, each announced
    # Each translator is loaded before its window's translating phase, which lasts until its summaries.
    for model in MODELS:
        assert phases.index(("loading", model)) + 1 == phases.index(("translating", f"{model} · 1 document"))
    translating = [detail for name, detail in phases if name == "translating"]
    assert all("English" not in detail for detail in translating)  # passing English through is no phase
    assert ("reading", "4 files") in phases
    # The summaries of the last window are waited for after the last text is translated.
    last_summarizing = max(i for i, (event, value) in enumerate(progress.events)
                           if event == "phase" and value[0] == "summarizing")
    assert progress.first("text_done") < last_summarizing


def test_files_left_out_by_new_only_are_not_in_the_total(inbox: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(inbox, tiny_model_dir, out, summarizer="extractive", backend="hf")
    again = _run(inbox, tiny_model_dir, out, summarizer="extractive", backend="hf", new_only=True)
    assert again.named("files_total") == [0]  # all four unchanged: nothing for the bar to wait for
    assert again.named("file_done") == []
    assert again.named("text_total") == [0]
    rerun = _run(inbox, tiny_model_dir, out, summarizer="extractive", backend="hf")  # unchanged, reused: done at once
    assert rerun.named("files_total") == [4]
    assert len(rerun.named("file_done")) == 4
    assert rerun.named("text_done") == []


def test_a_meter_reports_its_share_exactly_and_never_more() -> None:
    progress = Recording()
    meter = TextMeter(progress, 100)
    meter(60)
    meter(60)  # the model's segments came to more than the estimate: held at the share
    meter(5)
    meter.finish()
    assert progress.named("text_done") == [60, 40]

    short = TextMeter(progress, 50)
    short(20)
    short.finish()  # came to less (or the window failed): the rest is reported at the end
    assert progress.named("text_done")[2:] == [20, 30]
    TextMeter(progress, 0).finish()
    assert len(progress.named("text_done")) == 4


def test_no_progress_takes_every_event() -> None:
    quiet = NoProgress()
    quiet.files_total(1)
    quiet.file_started("a")
    quiet.file_done("a", ok=True)
    quiet.text_total(1)
    quiet.text_done(1)
    quiet.phase("loading", "m")


@pytest.mark.slow  # converts a model (a child process importing torch)
def test_converting_and_loading_are_announced_once(tiny_model_dir: Path, tmp_path: Path) -> None:
    from core.phases import listening
    from digest.stages import ModelHolder, ModelOptions

    model = "Helsinki-NLP/opus-mt-hi-en"
    models = tmp_path / "models"
    shutil.copytree(tiny_model_dir / model, models / model)  # a model dir with no conversion in it yet
    heard: list[tuple[str, str]] = []
    with listening(lambda name, detail: heard.append((name, detail))):
        holder = ModelHolder(ModelOptions(backend="ct2", model_dir=models))
        holder.convert_ahead([model])
        holder.translator(model)
        ModelHolder(ModelOptions(backend="ct2", model_dir=models)).convert_ahead([model])  # converted already
    assert heard == [("converting", model), ("loading", model)]


def test_downloading_is_announced_only_when_the_hub_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    from core.phases import listening
    from seq2seq.hub import locate_model

    fetched = tmp_path / "snapshots" / "abc123"
    fetched.mkdir(parents=True)

    def snapshot_download(model_id: str, *, local_files_only: bool = False, **_: object) -> str:
        if local_files_only:
            raise LocalEntryNotFoundError("not cached")
        return str(fetched)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    # The hub itself: what a download returns (tests/cli/test_models_e2e.py runs a real one against a local hub).
    monkeypatch.setattr("seq2seq.hub.download_model", lambda model_id, **_: (fetched, {}))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    heard: list[tuple[str, str]] = []
    with listening(lambda name, detail: heard.append((name, detail))):
        location = locate_model("Helsinki-NLP/opus-mt-hi-en")
    assert location.origin == "hub"
    assert heard == [("downloading", "Helsinki-NLP/opus-mt-hi-en")]
    heard.clear()
    with pytest.raises(Exception, match="HF_HUB_OFFLINE"):
        locate_model("Helsinki-NLP/opus-mt-hi-en", offline=True)
    assert heard == []  # offline: nothing is downloaded, nothing announced
