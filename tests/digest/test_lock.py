"""The run lock: a second run on the same output folder is refused or waits; a dead holder frees it."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import RunLocked
from digest.lock import lock_path, run_lock

# Takes the lock (waiting if argv[2] is "wait"), says so, and holds it until a line arrives on stdin.
_HOLD = """
import sys
from pathlib import Path
from digest.lock import run_lock
print("trying", flush=True)
with run_lock(Path(sys.argv[1]), wait=sys.argv[2] == "wait"):
    print("held", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""

# Tries the lock once without waiting: exit 0 when it got it, 3 with the message when refused.
_TRY = """
import sys
from pathlib import Path
from core.errors import RunLocked
from digest.lock import run_lock
try:
    with run_lock(Path(sys.argv[1])):
        print("acquired", flush=True)
except RunLocked as exc:
    print(exc, flush=True)
    sys.exit(3)
"""


@pytest.fixture
def spawn() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def hold(
    spawned: list[subprocess.Popen[bytes]], out_dir: Path, *, wait: bool = False
) -> subprocess.Popen[bytes]:
    # Unbuffered, so select() on the pipe sees exactly what the child has printed.
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out_dir), "wait" if wait else "now"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,
    )
    spawned.append(proc)
    assert read_line(proc, timeout=60) == "trying"
    return proc


def read_line(proc: subprocess.Popen[bytes], *, timeout: float) -> str | None:
    """The child's next line, or None if it prints nothing within `timeout` seconds."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        return None
    return proc.stdout.readline().decode().strip()


def try_lock(out_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _TRY, str(out_dir)], check=False, capture_output=True, text=True, timeout=60
    )


def test_a_second_run_in_another_process_is_refused_at_once(out_dir: Path) -> None:
    with run_lock(out_dir):
        refused = try_lock(out_dir)
        assert refused.returncode == 3, refused.stderr
        assert refused.stdout.strip() == (
            f"another digest run is using {out_dir} (pid {os.getpid()}): "
            "wait for it to finish, or pass --wait"
        )
    acquired = try_lock(out_dir)
    assert (acquired.returncode, acquired.stdout.strip()) == (0, "acquired")


def test_a_lock_held_by_another_process_refuses_this_one_until_released(
    out_dir: Path, spawn: list[subprocess.Popen[bytes]]
) -> None:
    holder = hold(spawn, out_dir)
    assert read_line(holder, timeout=60) == "held"
    refusal = rf"\(pid {holder.pid}\): wait for it to finish, or pass --wait"
    with pytest.raises(RunLocked, match=refusal), run_lock(out_dir):
        pytest.fail("the lock was taken twice")
    assert holder.stdin is not None
    holder.stdin.write(b"\n")
    holder.stdin.flush()
    assert read_line(holder, timeout=60) == "released"
    with run_lock(out_dir):
        assert lock_path(out_dir).read_text().strip() == str(os.getpid())


def test_waiting_blocks_until_the_holder_releases(
    out_dir: Path, spawn: list[subprocess.Popen[bytes]]
) -> None:
    with run_lock(out_dir):
        waiter = hold(spawn, out_dir, wait=True)
        assert read_line(waiter, timeout=0.5) is None  # blocked, not refused
        assert waiter.poll() is None
    assert read_line(waiter, timeout=60) == "held"
    assert waiter.stdin is not None
    waiter.stdin.write(b"\n")
    waiter.stdin.flush()
    assert read_line(waiter, timeout=60) == "released"


def test_a_sigkilled_holder_leaves_no_stale_lock(out_dir: Path, spawn: list[subprocess.Popen[bytes]]) -> None:
    holder = hold(spawn, out_dir)
    assert read_line(holder, timeout=60) == "held"
    with pytest.raises(RunLocked), run_lock(out_dir):
        pytest.fail("the lock was taken twice")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    with run_lock(out_dir):
        pass


def test_the_lock_is_exclusive_within_one_process_too(out_dir: Path) -> None:
    with run_lock(out_dir), pytest.raises(RunLocked), run_lock(out_dir):
        pytest.fail("the lock was taken twice")
    assert lock_path(out_dir).read_text() == ""  # the pid is cleared on release


def test_the_message_leaves_out_an_unknown_pid(out_dir: Path) -> None:
    lock_path(out_dir).parent.mkdir(parents=True)
    with open(lock_path(out_dir), "w") as f:
        # A holder that has not written its pid yet.
        fcntl.flock(f, fcntl.LOCK_EX)
        with pytest.raises(RunLocked) as refused, run_lock(out_dir):
            pytest.fail("the lock was taken twice")
    assert str(refused.value) == (
        f"another digest run is using {out_dir}: wait for it to finish, or pass --wait"
    )
