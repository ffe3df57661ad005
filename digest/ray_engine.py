"""Stage calls on a Ray cluster: `digest run --engine ray [--ray-address ADDR]`.

The driver (digest.pipeline) is the same under both engines: it walks and reads the inputs, plans
what is unchanged, looks segments up in the translation memory, and records each window into the
store as its results come back, so a driver killed mid-run loses at most the calls in flight and a
rerun resumes. Only where the stage calls run differs:

  - models: the translators get a pool of actors, one per node, each holding every translation
    model in use, and the summarizer one more pool; an actor builds its stage (digest.stages) once
    and loads its models as the run starts, so a model loads once per node, not once per call, and
    a node starts two worker processes however many languages the run has. A CTranslate2 conversion
    is cached in the model's folder and guarded by a file lock (seq2seq.convert), so it happens once
    per node.
  - plain stage functions (detection) run as Ray tasks.
  - the driver keeps two windows a node in flight (`depth`): their chunks go out in order, each
    model call to a node not yet running one of its kind (CALLS_PER_NODE: one translation beside one
    summary call, as the local engine runs them), so every node has work while one window's results
    are recorded and the next is segmented; `submit` lets a window's summaries run while later
    windows translate. Segmenting and other light calls run on an actor's second thread, beside the
    call decoding, so sending a window never waits for another's translation.

A worker process that dies mid-call is restarted by Ray and the call retried (every stage call is a
pure function of its frozen record), so the digest is complete and identical. A stage error comes
back as the stage raised it (a model missing on a node fails that route's documents with the same
one-line reason as the local engine).

Every node needs the same Python environment (digest installed with the [ray] extra) and the models:
a shared --model-dir, or the same Hugging Face cache on each node. The inputs and the output folder
stay on the driver.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from core.errors import BackendUnavailable, DigestError
from core.records import StageTime
from digest.stages import (
    ModelHolder,
    ModelOptions,
    RunStages,
    Segmented,
    SegmentRequest,
    SummarizeRequest,
    SummarizeStage,
    TranslateRequest,
    TranslateStage,
    summarizer_name,
)

log = logging.getLogger("digest")

In = TypeVar("In")
Out = TypeVar("Out")

# Calls a `map` keeps in flight per actor of the pool: one decoding, one queued behind it, so an
# actor never waits for the driver between two calls.
IN_FLIGHT_PER_ACTOR = 2
# Model calls a node runs at once, per role: one translation decoding beside one summary call, as
# the local engine runs them. More would share the node's cores for no gain and finish every window
# later (its summaries wait for its translation); the rest wait on the driver, so each goes to the
# first node with room.
CALLS_PER_NODE = 1
# Stage methods that run no model (or only a tokenizer): an actor runs them on its own thread, in
# this concurrency group, beside the call it is decoding.
LIGHT = frozenset({"segment", "revision", "usage"})
# Stage methods that need their translation model loaded (a tokenizer at least).
MODEL_CALLS = frozenset({"segment", "revision", "translate"})

# The folder holding `digest/`, `translate/` and the rest: the source tree, or `digest_translate/` installed.
_PACKAGES_ROOT = Path(__file__).resolve().parent.parent


def import_ray() -> Any:
    """The `ray` module, or BackendUnavailable naming the pip command that installs it."""
    try:
        import ray
    except ImportError:
        raise BackendUnavailable(
            "--engine ray needs Ray: pip install 'digest-translate[ray]', or use --engine local"
        ) from None
    return ray


def _worker_env() -> dict[str, Any]:
    """The job's runtime environment: digest's packages first on every worker's path.

    Installed, the packages sit inside `digest_translate`, not at the top of site-packages, and only
    the `digest` process puts their folder on its path; a worker, on this node or another (the same
    environment at the same path), unpickles `digest.*` classes and needs it too. Ray expands
    `${PYTHONPATH}` to the node's own.
    """
    return {"env_vars": {"PYTHONPATH": os.pathsep.join([str(_PACKAGES_ROOT), "${PYTHONPATH}"])}}


class StageActor:
    """One worker's copy of a stage: built once, its model loaded on the first call that needs it."""

    def __init__(self, options: ModelOptions, role: str, kind: str = "", model_id: str = "") -> None:
        self.options = options
        self.role = role  # "translate" or "summarize"
        self.kind = kind
        self.model_id = model_id
        self._stage: TranslateStage | SummarizeStage | None = None
        self._ready: set[str] = set()  # translation models loaded whole
        self._lock = threading.RLock()  # light calls run on a second thread

    def _built(self) -> TranslateStage | SummarizeStage:
        with self._lock:
            if self._stage is None:
                models = ModelHolder(self.options)
                if self.role == "translate":
                    self._stage = TranslateStage(models)
                else:
                    if self.kind == "abstractive":
                        models.convert_ahead([self.model_id])
                    self._stage = SummarizeStage.load(models, kind=self.kind, model_id=self.model_id)
            return self._stage

    def call(self, method: str, request: Any) -> Any:
        """`stage.method(request)` on this worker's stage, its model loaded first if the call needs it."""
        stage = self._built()
        model_id = request if isinstance(request, str) else getattr(request, "model_id", None)
        if method in MODEL_CALLS and isinstance(model_id, str) and model_id not in self._ready:
            self._prepare(stage, model_id)
        return getattr(stage, method)(request)

    def load(self, model_ids: Sequence[str]) -> str:
        """Convert and load the models now; this actor's node id.

        A summarizer that is missing or broken raises. A translation model that is skips here and
        fails where it is used, its documents only.
        """
        stage = self._built()
        if isinstance(stage, TranslateStage) and isinstance(stage.models, ModelHolder):
            stage.models.convert_ahead(list(model_ids))
            for model_id in model_ids:
                self._prepare(stage, model_id)
        return self.node()

    def _prepare(self, stage: TranslateStage | SummarizeStage, model_id: str) -> None:
        """Load a translation model whole, once, whichever thread asks first.

        A restarted worker gets its calls again without `load`: a segment call and a translate call
        may then both be first, and two threads importing the model libraries at once can fail.
        """
        with self._lock:
            if model_id in self._ready:
                return
            if isinstance(stage, TranslateStage) and isinstance(stage.models, ModelHolder):
                try:
                    runner = getattr(stage.models.translator(model_id), "runner", None)
                    prepare = getattr(runner, "prepare", None)
                    if prepare is not None:
                        prepare()  # the weights and the tokenizer now, not on the first window's call
                except DigestError:
                    log.debug("%s did not load ahead; it fails where it is used", model_id, exc_info=True)
            self._ready.add(model_id)

    def node(self) -> str:
        """The id of the Ray node this actor runs on."""
        import ray

        return str(ray.get_runtime_context().get_node_id())


class RayEngine:
    """Runs stage calls on a Ray cluster: model stages on actor pools, plain functions as tasks."""

    def __init__(self, address: str | None = None) -> None:
        self._ray = ray = import_ray()
        self._started = False
        if not ray.is_initialized():
            try:
                ray.init(
                    address=address,
                    runtime_env=_worker_env(),
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                    configure_logging=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = f"the Ray cluster at {address}" if address else "a local Ray instance"
                raise BackendUnavailable(
                    f"cannot start or join {where} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}): "
                    "check --ray-address, or start the cluster with `ray start --head`"
                ) from None
            self._started = True
        self._actor_class = ray.remote(
            max_restarts=-1, max_task_retries=-1, concurrency_groups={"light": 1}
        )(StageActor)
        self._task = ray.remote(_run_task).options(max_retries=3)
        self._pools: dict[tuple[str, str], _Pool] = {}
        self._nodes_busy = _NodeGate(CALLS_PER_NODE)  # per node and role
        self._lock = threading.Lock()
        self.nodes_used: set[str] = set()

    # --- the Engine protocol ------------------------------------------------------------------

    @property
    def width(self) -> int:
        """The nodes a model's pool spans: calls of one stage that run at once."""
        return max(1, len(self._nodes()))

    @property
    def depth(self) -> int:
        """Windows in flight: two per node, and one more being sent or recorded by the driver.

        The driver plans that far ahead (segments, memory lookups); the node gate (CALLS_PER_NODE)
        still lets each node run one translation and one summary call at once, the rest waiting their turn.
        """
        return 2 * self.width + 1

    def call(self, stage: Callable[[In], Out], request: In) -> Out:
        """Run one stage call on the cluster and wait for its output."""
        owner = getattr(stage, "__self__", None)
        if isinstance(owner, _Remote) and stage.__name__ in owner.gathered:
            return stage(request)  # the proxy asks every actor of its pools and adds up
        return self._get(self._send(stage, request))

    def map(self, stage: Callable[[In], Out], requests: Iterable[In]) -> Iterator[Out]:
        """Send the requests out (a few per actor at a time) and yield each output in order."""
        pending: list[Any] = []
        limit = max(1, IN_FLIGHT_PER_ACTOR * self._width(stage))
        for request in requests:
            pending.append(self._send(stage, request))
            if len(pending) >= limit:
                yield self._get(pending.pop(0))
        while pending:
            yield self._get(pending.pop(0))

    def submit(self, stage: Callable[[In], Out], request: In) -> Future[Out]:
        """Start one stage call on the cluster; the future holds its output or its stage's error."""
        ref = self._send(stage, request)
        future: Future[Out] = Future()

        def wait() -> None:
            try:
                future.set_result(self._get(ref))
            except BaseException as exc:  # handed to the driver, which decides what it means
                future.set_exception(exc)

        threading.Thread(target=wait, name="digest-ray-result", daemon=True).start()
        return future

    def close(self, *, wait: bool = True) -> None:
        """Release the actors; shut Ray down if this engine started it."""
        ray = self._ray
        for pool in self._pools.values():
            for actor in pool.actors:
                ray.kill(actor, no_restart=True)
        self._pools.clear()
        if self.nodes_used:
            log.info("ray: stage calls ran on %d node(s): %s", len(self.nodes_used), ", ".join(sorted(self.nodes_used)))
            self.nodes_used.clear()  # a run that fails closes twice (at once, then finally): said once
        if self._started and ray.is_initialized():
            ray.shutdown()

    def translate_stage(self, options: ModelOptions) -> TranslateStage:
        """A proxy whose calls go to the translation model's actor pool."""
        return _RemoteTranslate(self, options)  # type: ignore[return-value]

    def load_stages(
        self, translate: TranslateStage, *, kind: str, model_id: str, needed: Sequence[str]
    ) -> RunStages:
        """Start every pool the run needs, each actor loading its model now; a broken summarizer raises here."""
        remote = translate if isinstance(translate, _RemoteTranslate) else None
        if remote is None:
            raise TypeError("RayEngine.load_stages needs the stage from RayEngine.translate_stage")
        summarize = _RemoteSummarize(self, remote.options, kind=kind, model_id=model_id)
        summarizer_loads = []
        if kind == "abstractive":
            pool = self._pool(("summarize", ""), remote.options, **summarize.extra())
            summarizer_loads = [actor.load.remote([]) for actor in pool.actors]
        translator_loads = [
            actor.load.remote(list(needed)) for actor in self._pool(("translate", ""), remote.options).actors
        ] if needed else []
        # The summarizer is every document's: its error stops the run, as under the local engine.
        for ref in summarizer_loads:
            self.nodes_used.add(self._get(ref))
        for ref in translator_loads:
            self.nodes_used.add(self._get(ref))
        return RunStages(translate, summarize)  # type: ignore[arg-type]

    # --- pools and calls ----------------------------------------------------------------------

    def _pool(self, key: tuple[str, str], options: ModelOptions | None = None, **extra: str) -> _Pool:
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                if options is None:
                    raise KeyError(key)
                nodes = self._nodes()
                pool = self._pools[key] = _Pool(
                    self._start_actors(options, key[0], nodes, **extra), [str(node["NodeID"]) for node in nodes],
                    self._nodes_busy, role=key[0],
                )
            return pool

    def _start_actors(
        self, options: ModelOptions, role: str, nodes: Sequence[dict[str, Any]], **extra: str
    ) -> list[Any]:
        """One actor per alive node, pinned there, asking for a share of the node's GPU if it has one.

        Pinned hard: with soft affinity Ray placed a pool's actors on a node still starting its workers'
        neighbour, two translators then sharing one node's core while the other's idled.
        """
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        actors = []
        for node in nodes:
            gpu = float(node.get("Resources", {}).get("GPU", 0)) > 0 and options.device != "cpu"
            actors.append(
                self._actor_class.options(
                    num_cpus=0,  # long-lived: its threads follow the node's cores, beside the other stages'
                    num_gpus=0.25 if gpu else 0,  # a run's translator and summarizer, and another run's
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False),
                ).remote(options, role, **extra)
            )
        return actors

    def _nodes(self) -> list[dict[str, Any]]:
        nodes = [n for n in self._ray.nodes() if n.get("Alive") and float(n.get("Resources", {}).get("CPU", 0)) > 0]
        return sorted(nodes, key=lambda n: str(n["NodeID"])) or [n for n in self._ray.nodes() if n.get("Alive")]

    def _width(self, stage: Callable[..., Any]) -> int:
        owner = getattr(stage, "__self__", None)
        if isinstance(owner, _Remote):
            return self.width
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def _send(self, stage: Callable[[Any], Any], request: Any) -> Any:
        owner = getattr(stage, "__self__", None)
        if isinstance(owner, _Remote):
            return owner.send(stage.__name__, request)
        return self._task.remote(stage, request)

    def _get(self, ref: Any) -> Any:
        """The call's output; a stage's own error re-raised as the stage raised it."""
        from ray.exceptions import RayTaskError

        try:
            return self._ray.get(ref)
        except RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, BaseException) else None
            if cause is not None:
                raise cause from None
            raise


class _NodeGate:
    """Model calls running per node and role: a call waits for a node with room, then takes the least busy."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._busy: dict[tuple[str, str], int] = {}
        self._turn: dict[str, int] = {}
        self._changed = threading.Condition()

    def take(self, nodes: Sequence[str], role: str = "") -> int:
        """The index in `nodes` of the node this `role` call runs on, once one has room."""
        with self._changed:
            while True:
                busy = [self._busy.get((node, role), 0) for node in nodes]
                room = [i for i, count in enumerate(busy) if count < self.limit]
                if room:
                    turn = self._turn.get(role, 0)
                    index = min(room, key=lambda i: (busy[i], (i - turn) % len(nodes)))
                    self._turn[role] = index + 1
                    self._busy[(nodes[index], role)] = busy[index] + 1
                    return index
                self._changed.wait()

    def give_back(self, node: str, role: str = "") -> None:
        with self._changed:
            self._busy[(node, role)] -= 1
            self._changed.notify_all()


class _Pool:
    """A role's actors (the translators or the summarizers), one per node.

    A model call goes to the least busy node with room.
    """

    def __init__(self, actors: list[Any], nodes: list[str], gate: _NodeGate, *, role: str) -> None:
        self.actors = actors
        self.nodes = nodes
        self.gate = gate
        self.role = role
        self._next = 0
        self._lock = threading.Lock()

    def next_actor(self) -> Any:
        """The next actor in turn, for a light call (no model runs, so no room is taken)."""
        with self._lock:
            actor = self.actors[self._next % len(self.actors)]
            self._next += 1
            return actor

    def send(self, method: str, request: Any) -> Any:
        """Start `method(request)` on the actor of the least busy node with room; its object ref."""
        index = self.gate.take(self.nodes, self.role)
        try:
            ref = self.actors[index].call.remote(method, request)
        except BaseException:
            self.gate.give_back(self.nodes[index], self.role)
            raise
        ref.future().add_done_callback(lambda _done: self.gate.give_back(self.nodes[index], self.role))
        return ref


class _Remote:
    """A stage proxy: its methods run on an actor pool of `engine`."""

    gathered = frozenset({"usage"})  # methods answered by asking every actor, not one

    def __init__(self, engine: RayEngine, options: ModelOptions) -> None:
        self.engine = engine
        self.options = options

    def pool_key(self, request: Any) -> tuple[str, str]:
        raise NotImplementedError

    def extra(self) -> dict[str, str]:
        return {}

    def send(self, method: str, request: Any) -> Any:
        """Start `method(request)` on an actor of the request's pool; its object ref."""
        pool = self.engine._pool(self.pool_key(request), self.options, **self.extra())
        if method in LIGHT:
            return pool.next_actor().call.options(concurrency_group="light").remote(method, request)
        return pool.send(method, request)

    def each_actor(self, method: str, key: tuple[str, str]) -> list[Any]:
        pool = self.engine._pools.get(key)
        light = {"concurrency_group": "light"} if method in LIGHT else {}
        return [self.engine._get(actor.call.options(**light).remote(method, None))
                for actor in (pool.actors if pool else [])]

    def wait(self, method: str, request: Any) -> Any:
        return self.engine._get(self.send(method, request))


class _RemoteTranslate(_Remote):
    """TranslateStage's calls on the translators' actor pool: one actor a node, holding every model in use."""

    def pool_key(self, request: Any) -> tuple[str, str]:
        return ("translate", "")

    def revision(self, model_id: str) -> str:
        return str(self.wait("revision", model_id))

    def segment(self, request: SegmentRequest) -> Segmented:
        return self.wait("segment", request)  # type: ignore[no-any-return]

    def translate(self, request: TranslateRequest) -> tuple[str, ...]:
        return self.wait("translate", request)  # type: ignore[no-any-return]

    def usage(self, _request: object = None) -> StageTime:
        """Busy seconds and tokens summed over every translation actor."""
        seconds, tokens = 0.0, 0
        for (role, model_id) in list(self.engine._pools):
            if role == "translate":
                for used in self.each_actor("usage", (role, model_id)):
                    seconds += used.seconds
                    tokens += used.tokens or 0
        return StageTime(seconds, tokens)


class _RemoteSummarize(_Remote):
    """SummarizeStage's calls on the summarizer's actor pool."""

    def __init__(self, engine: RayEngine, options: ModelOptions, *, kind: str, model_id: str) -> None:
        super().__init__(engine, options)
        self.kind = kind
        self.model_id = model_id

    @property
    def name(self) -> str:
        return summarizer_name(self.kind, self.model_id)

    def pool_key(self, request: Any) -> tuple[str, str]:
        return ("summarize", "")

    def extra(self) -> dict[str, str]:
        return {"kind": self.kind, "model_id": self.model_id}

    def summarize(self, request: SummarizeRequest) -> tuple[str, ...]:
        return self.wait("summarize", request)  # type: ignore[no-any-return]

    def usage(self, _request: object = None) -> StageTime:
        """Busy seconds summed over the summarizer's actors; tokens too when it is abstractive."""
        used = self.each_actor("usage", ("summarize", ""))  # none started: nothing summarized, zero
        seconds = sum(u.seconds for u in used)
        tokens = sum(u.tokens or 0 for u in used) if self.kind == "abstractive" else None
        return StageTime(seconds, tokens)


def _run_task(stage: Callable[[Any], Any], request: Any) -> Any:
    """A plain stage function, run as a Ray task."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return stage(request)
