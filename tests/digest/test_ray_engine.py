"""The Ray engine's settings and its engine calls; the CLI end to end is in tests/cli/test_ray_e2e.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import (
    BackendFailed,
    BackendUnavailable,
    ConfigError,
    DigestError,
    MissingExtra,
    ModelBroken,
    ModelUnavailable,
)
from digest.settings import resolve_settings

MISSING_RAY = "--engine ray needs Ray: pip install 'digest-translate[ray]', or use --engine local"


def test_engine_and_ray_address_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[digest]\nengine = "ray"\nray-address = "10.0.0.5:6379"\n')
    settings = resolve_settings({}, env={"HOME": "/x"}, config_path=config)
    assert (settings.engine, settings.ray_address) == ("ray", "10.0.0.5:6379")


def test_engine_and_ray_address_from_the_environment() -> None:
    settings = resolve_settings({}, env={"HOME": "/x", "DIGEST_ENGINE": "ray", "DIGEST_RAY_ADDRESS": "auto"})
    assert (settings.engine, settings.ray_address) == ("ray", "auto")


def test_flags_beat_the_environment_for_the_engine() -> None:
    settings = resolve_settings({"engine": "local"}, env={"HOME": "/x", "DIGEST_ENGINE": "ray"})
    assert (settings.engine, settings.ray_address) == ("local", None)


def test_local_is_the_default_engine() -> None:
    settings = resolve_settings({}, env={"HOME": "/x"})
    assert (settings.engine, settings.ray_address) == ("local", None)


def test_an_unknown_engine_names_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"invalid engine 'spark': choose one of local, ray"):
        resolve_settings({"engine": "spark"}, env={"HOME": "/x"})


@pytest.mark.parametrize(
    "flags, env",
    [({"ray_address": "auto"}, {}), ({}, {"DIGEST_RAY_ADDRESS": "auto"}), ({"ray_address": "auto", "engine": "local"}, {})],
)
def test_a_ray_address_needs_the_ray_engine(flags: dict[str, str], env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"add --engine ray, or drop the address"):
        resolve_settings(flags, env={"HOME": "/x", **env})


def test_a_missing_ray_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from digest.ray_engine import RayEngine, import_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` sees when the extra is not installed
    with pytest.raises(BackendUnavailable) as raised:
        import_ray()
    assert str(raised.value) == MISSING_RAY
    with pytest.raises(BackendUnavailable):
        RayEngine()


def test_a_missing_ray_fails_the_run_before_the_output_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from digest.pipeline import run_digest
    from digest.settings import replace

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Hello there.\n", encoding="utf-8")
    out = tmp_path / "out"
    settings = replace(resolve_settings({"engine": "ray"}, env={"HOME": str(tmp_path)}), out_dir=out)
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(BackendUnavailable, match="needs Ray"):
        run_digest([inbox], settings=settings)
    assert not out.exists()


@pytest.mark.parametrize(
    "error",
    [
        ModelUnavailable("Some/model", "not in the model dir"),
        ModelUnavailable("Some/model"),
        ModelBroken("Some/model", "config.json is missing", folder="/models/Some/model"),
        BackendFailed("Some/model", "the converter failed"),
        MissingExtra("docx", "Word files", "docx"),
        BackendUnavailable("plain message"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_stage_error_says_the_same_after_pickling(error: DigestError) -> None:
    """A stage's error crosses from a Ray worker to the driver pickled: its message must survive."""
    import pickle

    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.__dict__ == error.__dict__


# --- the engine's calls on a real (local, one-CPU) Ray instance ------------------------------------


def _double(n: int) -> int:
    return 2 * n


def _refuse(n: int) -> int:
    raise BackendUnavailable(f"no model for {n}")


def _missing(model_id: str) -> str:
    raise ModelUnavailable(model_id, "not in the model dir")


@pytest.fixture(scope="module")
def engine() -> Iterator[object]:
    pytest.importorskip("ray")
    import ray

    from digest.ray_engine import RayEngine

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    engine = RayEngine()
    try:
        yield engine
    finally:
        engine.close()
        ray.shutdown()


@pytest.mark.ray
def test_map_keeps_the_order_and_call_returns_the_output(engine: object) -> None:
    assert list(engine.map(_double, range(7))) == [0, 2, 4, 6, 8, 10, 12]  # type: ignore[attr-defined]
    assert engine.call(_double, 21) == 42  # type: ignore[attr-defined]


@pytest.mark.ray
def test_a_stage_error_comes_back_as_the_stage_raised_it(engine: object) -> None:
    with pytest.raises(BackendUnavailable, match="no model for 3"):
        engine.call(_refuse, 3)  # type: ignore[attr-defined]
    future = engine.submit(_refuse, 4)  # type: ignore[attr-defined]
    with pytest.raises(BackendUnavailable, match="no model for 4"):
        future.result(timeout=120)
    assert engine.submit(_double, 5).result(timeout=120) == 10  # type: ignore[attr-defined]


@pytest.mark.ray
def test_a_missing_model_reads_the_same_on_the_driver(engine: object) -> None:
    with pytest.raises(ModelUnavailable) as raised:
        engine.call(_missing, "Some/model")  # type: ignore[attr-defined]
    assert str(raised.value) == str(ModelUnavailable("Some/model", "not in the model dir"))
    assert raised.value.model_id == "Some/model"


# --- where model calls go ------------------------------------------------------------------------


def test_model_calls_go_to_the_least_busy_node_and_wait_when_every_node_is_full() -> None:
    import threading

    from digest.ray_engine import _NodeGate

    gate = _NodeGate(1)  # one call of each kind a node
    nodes = ["node-a", "node-b"]
    assert [gate.take(nodes, "translate") for _ in range(2)] == [0, 1]
    assert gate.take(nodes, "summarize") == 0  # a summary runs beside a translation
    taken: list[int] = []
    waiting = threading.Thread(target=lambda: taken.append(gate.take(nodes, "translate")))
    waiting.start()
    waiting.join(timeout=0.5)
    assert waiting.is_alive() and taken == []  # both nodes translate: the third translation waits on the driver
    gate.give_back("node-b", "translate")
    waiting.join(timeout=10)
    assert taken == [1]  # the node with room
    gate.give_back("node-a", "translate")
    assert gate.take(nodes, "translate") == 0
    assert gate.take(nodes, "summarize") == 1  # the least busy node for this kind


class _SlowRunner:
    """A model runner whose load takes a while and notices two loads at once."""

    def __init__(self) -> None:
        self.loads = 0
        self.loading = 0
        self.overlapped = False

    def prepare(self) -> None:
        import time

        self.loading += 1
        self.overlapped |= self.loading > 1
        time.sleep(0.2)
        self.loads += 1
        self.loading -= 1


def test_a_restarted_worker_loads_its_model_once_when_two_calls_come_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from digest.ray_engine import StageActor
    from digest.stages import ModelHolder, ModelOptions, SegmentRequest, TranslateRequest
    from tests.digest.fakes import Bracketing

    model = "Helsinki-NLP/opus-mt-hi-en"
    translator = Bracketing(model)
    translator.runner = _SlowRunner()  # type: ignore[attr-defined]
    monkeypatch.setattr(ModelHolder, "_load_translator", lambda self, model_id: translator)
    # A worker Ray restarted gets its calls again without `load`: here a translation and, on the
    # actor's second thread, a segment call, both first for the model.
    actor = StageActor(ModelOptions(), "translate")
    calls = [
        threading.Thread(target=actor.call, args=("translate", TranslateRequest(model, None, ("एक",)))),
        threading.Thread(target=actor.call, args=("segment", SegmentRequest(model, ("एक दो।",)))),
    ]
    for call in calls:
        call.start()
    for call in calls:
        call.join(timeout=10)
    assert translator.runner.loads == 1  # type: ignore[attr-defined]
    assert not translator.runner.overlapped  # type: ignore[attr-defined]
    assert translator.calls == [["एक"]]
