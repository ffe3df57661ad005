"""`digest run --engine ray` end to end: a local Ray instance, a two-node cluster, a worker killed mid-run.

Each Ray run is compared with `--engine local` on the same inputs: the engine decides where the
stage calls run, never what the digest says.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import REPO, SAMPLES, committed_rows, digest_command, load_digest, run_cli

pytestmark = pytest.mark.e2e

MISSING_RAY = "error: --engine ray needs Ray: pip install 'digest-translate[ray]', or use --engine local"
HINDI = "hi-quang-nam-party-members-2024.txt"
# Ray turns token authentication on for `ray start --head` clusters, and a node or driver that does
# not bring the token is refused; these throwaway clusters listen on 127.0.0.1 only.
CLUSTER_ENV = {"RAY_AUTH_MODE": "disabled"}


# --- what the tests compare ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One finished `digest run`: its process result, its digest.json and its translation files."""

    result: subprocess.CompletedProcess[str]
    digest: dict[str, Any]
    translations: dict[str, str]


def outcome(result: subprocess.CompletedProcess[str], out: Path) -> Outcome:
    day, digest = load_digest(out)
    translations = {p.name: p.read_text(encoding="utf-8") for p in sorted((day / "translations").glob("*.en.md"))}
    return Outcome(result, digest, translations)


def digest_run(out: Path, *args: str | Path, inputs: Path = SAMPLES, env: dict[str, str] | None = None) -> Outcome:
    result = run_cli("run", inputs, "--out", out, "--backend", "ct2", *args, env=env)
    return outcome(result, out)


def failed_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("failed: ")]


def assert_same_digest(ray: Outcome, local: Outcome) -> None:
    assert ray.digest["items"] == local.digest["items"]
    assert ray.digest["failures"] == local.digest["failures"]
    assert ray.translations == local.translations


@pytest.fixture(scope="module")
def local(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """`digest run samples/ --engine local` on the tiny checkpoints (it also converts them for CTranslate2)."""
    done = digest_run(tmp_path_factory.mktemp("local"), "--model-dir", tiny_model_dir)
    assert done.result.returncode == 0, done.result.stderr
    assert len(done.digest["items"]) == 4 and done.translations
    return done


# --- a two-node cluster, started as a user starts one -------------------------------------------


def with_repo_path() -> str:
    """PYTHONPATH with this checkout first, so that every process imports this `digest`."""
    return os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)


def ray_command() -> str:
    """The `ray` script beside this interpreter."""
    found = shutil.which("ray", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the `ray` command is not installed beside this Python")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _parents() -> dict[int, int]:
    """Every process's parent id, read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass(frozen=True)
class Cluster:
    """A Ray cluster of this machine's processes, told apart from any other Ray by its temp dir."""

    address: str
    temp_dir: Path
    env: dict[str, str]

    def processes(self) -> list[int]:
        """The cluster's daemons (their command lines name the temp dir) and everything they started."""
        parents = _parents()
        found = {pid for pid in parents if str(self.temp_dir) in _cmdline(pid) and pid != os.getpid()}
        grown = True
        while grown:
            children = {pid for pid, parent in parents.items() if parent in found} - found
            found |= children
            grown = bool(children)
        return sorted(found)

    def workers(self, title: str) -> list[int]:
        """The cluster's worker processes whose title (Ray sets it to `ray::Class.method`) starts with `title`."""
        return [pid for pid in self.processes() if _cmdline(pid).startswith(title) and _alive(pid)]

    def stop(self) -> None:
        """Kill this cluster's processes only (`ray stop` would take every Ray on the machine with it)."""
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start_cluster(temp_dir: Path, env: dict[str, str]) -> Cluster:
    """`ray start --head`, then a second node joining it: two nodes of one CPU each."""
    ray = ray_command()
    port = free_port()
    address = f"127.0.0.1:{port}"
    cluster = Cluster(address, temp_dir, env)
    common = ["--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats"]
    starts = [
        [ray, "start", "--head", f"--port={port}", f"--temp-dir={temp_dir}", "--include-dashboard=false", *common],
        [ray, "start", f"--address={address}", *common],
    ]
    for argv in starts:
        started = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=180, stdin=subprocess.DEVNULL, check=False
        )
        if started.returncode != 0:
            cluster.stop()
            raise AssertionError(f"{' '.join(argv)} failed:\n{started.stdout}\n{started.stderr}")
    return cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A two-node Ray cluster on this machine, its workers importing this checkout, stopped at the end."""
    # Short: Ray's socket paths live under it and a Unix socket path has at most 107 bytes.
    temp_dir = Path(tempfile.mkdtemp(prefix="dr-"))
    env = {**os.environ, **CLUSTER_ENV, "PYTHONPATH": with_repo_path()}
    started = start_cluster(temp_dir, env)
    try:
        yield started
    finally:
        started.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)


def run_on(cluster: Cluster, out: Path, *args: str | Path) -> Outcome:
    return digest_run(out, "--engine", "ray", "--ray-address", cluster.address, *args, env=CLUSTER_ENV)


# --- usage errors: no Ray started ---------------------------------------------------------------


def run_without_ray(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`digest ARGS...` in a Python where `import ray` fails, as without the [ray] extra."""
    code = (
        "import sys; sys.modules['ray'] = None; sys.argv = ['digest', *sys.argv[1:]]; "
        "from cli import main; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": with_repo_path(), **(env or {})},
        timeout=120,
        stdin=subprocess.DEVNULL,
    )



def test_ray_address_without_the_ray_engine_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("run", SAMPLES, "--out", out, "--ray-address", "auto")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: ray_address 'auto' is set but the engine is 'local': add --engine ray, or drop the address"
    ]
    assert not out.exists()


def test_an_unknown_engine_is_a_usage_error_naming_the_choices(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("run", SAMPLES, "--out", out, "--engine", "spark")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: invalid engine 'spark': choose one of local, ray"]
    assert not out.exists()


def test_the_engine_from_the_environment_and_the_config_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = tmp_path / "config.toml"
    config.write_text('[digest]\nray-address = "auto"\n', encoding="utf-8")
    # The address from the file needs the engine: the environment's DIGEST_ENGINE=local is refused...
    refused = run_cli("run", SAMPLES, "--out", out, "--config", config, env={"DIGEST_ENGINE": "local"})
    assert refused.returncode == 2
    assert "ray_address 'auto' is set but the engine is 'local'" in refused.stderr
    # ... and DIGEST_ENGINE=ray is taken (with Ray unimportable, the run stops on the missing extra).
    taken = run_without_ray("run", SAMPLES, "--out", out, "--config", config, env={"DIGEST_ENGINE": "ray"})
    assert (taken.returncode, taken.stderr.strip().splitlines()) == (1, [MISSING_RAY])
    assert not out.exists()


def test_without_ray_the_ray_engine_is_one_line_and_no_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_without_ray("run", SAMPLES, "--out", out, "--engine", "ray")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [MISSING_RAY]
    assert not out.exists()
    # The wrapper itself is sound: the same Python runs the local engine.
    assert run_without_ray("run", "--help").returncode == 0


# --- real Ray runs ------------------------------------------------------------------------------


@pytest.mark.ray
def test_a_local_ray_instance_gives_the_local_digest(tiny_model_dir: Path, tmp_path: Path, local: Outcome) -> None:
    ray = digest_run(tmp_path / "out", "--model-dir", tiny_model_dir, "--engine", "ray", "-v")
    assert ray.result.returncode == 0, ray.result.stderr
    assert_same_digest(ray, local)
    assert "ray: stage calls ran on 1 node(s): " in ray.result.stderr


@pytest.mark.ray
def test_a_two_node_cluster_gives_the_local_digest(
    tiny_model_dir: Path, tmp_path: Path, local: Outcome, cluster: Cluster
) -> None:
    ray = run_on(cluster, tmp_path / "out", "--model-dir", tiny_model_dir, "-v")
    assert ray.result.returncode == 0, ray.result.stderr
    assert_same_digest(ray, local)
    assert "INFO digest: ray: stage calls ran on 2 node(s): " in ray.result.stderr


@pytest.mark.ray
def test_a_worker_killed_mid_run_still_gives_the_whole_digest(
    tiny_model_dir: Path, tmp_path: Path, local: Outcome, cluster: Cluster
) -> None:
    out = tmp_path / "out"
    argv = [*digest_command(), "run", SAMPLES, "--out", out, "--backend", "ct2", "--model-dir", tiny_model_dir,
            "--engine", "ray", "--ray-address", cluster.address]
    with subprocess.Popen(
        list(map(str, argv)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **CLUSTER_ENV}, stdin=subprocess.DEVNULL,
    ) as running:
        killed = None
        deadline = time.monotonic() + 300
        # A StageActor's title is `ray::StageActor.call` while it runs a stage call: kill the first
        # one caught translating (or summarizing), so the kill lands in a call, not between two.
        while killed is None and running.poll() is None and time.monotonic() < deadline:
            busy = cluster.workers("ray::StageActor.call")
            if busy:
                killed = busy[0]
                os.kill(killed, signal.SIGKILL)
            else:
                time.sleep(0.02)
        stdout, stderr = running.communicate(timeout=600)
    assert killed is not None, f"no StageActor was caught in a call before the run ended:\n{stderr}"
    assert not _alive(killed)
    ray = outcome(subprocess.CompletedProcess(argv, running.returncode, stdout, stderr), out)
    assert ray.result.returncode == 0, stderr
    assert len(ray.digest["items"]) == 4
    assert_same_digest(ray, local)


@pytest.mark.ray
def test_a_missing_model_fails_its_document_as_under_the_local_engine(
    tiny_model_dir: Path, tmp_path: Path, cluster: Cluster
) -> None:
    missing = ("--model-dir", tiny_model_dir, "--route", "hi=Some/missing-model")
    here = digest_run(tmp_path / "local", *missing)
    ray = run_on(cluster, tmp_path / "ray", *missing)
    assert here.result.returncode == 1, here.result.stderr
    assert ray.result.returncode == 1, ray.result.stderr
    [failure] = ray.digest["failures"]
    assert Path(failure["path"]).name == HINDI and "Some/missing-model" in failure["error"]
    assert ray.digest["failures"] == here.digest["failures"]
    assert failed_lines(ray.result.stderr) == failed_lines(here.result.stderr) != []
    assert "Traceback" not in ray.result.stderr
    # The rest of the run goes on: the other three samples, as the local engine writes them.
    assert len(ray.digest["items"]) == 3
    assert ray.digest["items"] == here.digest["items"]
    assert ray.translations == here.translations


def _hindi_windows(folder: Path, count: int) -> Path:
    """`count` Hindi files, each long enough (by the driver's estimate) to fill a window of its own."""
    folder.mkdir()
    for n in range(count):
        body = "\n".join(f"यह दस्तावेज़ {n} का अनुच्छेद {p} है।" for p in range(100))
        (folder / f"hi-{n}.txt").write_text(body + "\n", encoding="utf-8")
    return folder


def _recorded(out: Path) -> int:
    """Documents the run at `out` has recorded (committed) in its state store so far."""
    return committed_rows(out, "files")


@pytest.mark.ray
def test_a_driver_killed_with_windows_in_flight_resumes_to_the_same_digest(
    tiny_model_dir: Path, tmp_path: Path, cluster: Cluster
) -> None:
    inputs = _hindi_windows(tmp_path / "inbox", 8)
    clean = digest_run(tmp_path / "clean", "--model-dir", tiny_model_dir, inputs=inputs)
    assert clean.result.returncode == 0, clean.result.stderr

    out = tmp_path / "out"
    argv = [*digest_command(), "run", inputs, "--out", out, "--backend", "ct2", "--model-dir", tiny_model_dir,
            "--engine", "ray", "--ray-address", cluster.address]
    with (tmp_path / "killed.log").open("w") as log, subprocess.Popen(
        list(map(str, argv)), stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **CLUSTER_ENV},
        stdin=subprocess.DEVNULL,
    ) as running:
        deadline = time.monotonic() + 300
        # Killed once its first window is recorded, while the next windows are in flight.
        while running.poll() is None and not _recorded(out) and time.monotonic() < deadline:
            time.sleep(0.05)
        running.kill()
        running.wait(timeout=120)
    killed_log = (tmp_path / "killed.log").read_text(encoding="utf-8")
    assert running.returncode == -signal.SIGKILL, killed_log
    recorded = _recorded(out)
    assert 1 <= recorded < 8, killed_log
    assert not list(out.glob("*/digest.json"))  # killed before publishing

    resumed = digest_run(out, "--engine", "ray", "--ray-address", cluster.address, "--model-dir", tiny_model_dir,
                         inputs=inputs, env=CLUSTER_ENV)
    assert resumed.result.returncode == 0, resumed.result.stderr
    # The recorded documents are not done again; the windows that were in flight are.
    assert resumed.digest["stats"]["files_unchanged"] == recorded
    assert_same_digest(resumed, clean)
