"""The state store: processed files, runs and the translation memory survive kills and reopening."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from core.errors import DigestError
from core.records import Stats
from digest.state import FileRecord, RunStatus, StateStore


def record(path: Path | str, sha256: str = "aaa", **changes: Any) -> FileRecord:
    base = FileRecord(
        path=str(path),
        sha256=sha256,
        language="hi",
        confidence=0.99,
        route="marian",
        model="Helsinki-NLP/opus-mt-hi-en",
        model_revision="rev1",
        summarizer="extractive",
        translation_path="/out/2024-05-01/translations/a.en.md",
        title="A title",
        summary="A summary.",
        source_url="https://example.com/a",
        processed_at="2024-05-01T02:30:00+00:00",
    )
    return dataclasses.replace(base, **changes)


def test_open_creates_the_database_in_wal_mode(out_dir: Path) -> None:
    with StateStore.open(out_dir) as store:
        assert store.path == out_dir / ".digest" / "state.sqlite"
    assert store.path.is_file()
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_put_then_get_round_trips_under_any_spelling_of_the_path(
    store: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "docs" / "a.txt"
    doc.parent.mkdir()
    doc.write_text("x")
    monkeypatch.chdir(tmp_path / "docs")
    store.put_file(record("a.txt"))
    stored = store.get_file(tmp_path / "docs" / ".." / "docs" / "a.txt")
    assert stored == record(str(doc.resolve()))
    assert store.get_file(tmp_path / "other.txt") is None


def test_put_file_upserts_one_row_per_file(store: StateStore, tmp_path: Path) -> None:
    store.put_file(record(tmp_path / "a.txt", title="old"))
    store.put_file(record(tmp_path / "a.txt", title="new"))
    store.put_file(record(tmp_path / "b.txt"))
    assert [(r.path, r.title) for r in store.files()] == [
        (str(tmp_path / "a.txt"), "new"),
        (str(tmp_path / "b.txt"), "A title"),
    ]


def test_route_must_be_a_known_route(store: StateStore, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        store.put_file(record(tmp_path / "a.txt", route="carrier-pigeon"))
    assert store.files() == []


def test_is_new_or_changed_until_a_digest_includes_the_file(store: StateStore, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    assert store.is_new_or_changed(path, "aaa")  # never seen
    store.put_file(record(path, "aaa"))
    assert store.is_new_or_changed(path, "aaa")  # processed, but no digest written yet
    assert store.mark_digested([str(path)], date="2024-05-01", at="2024-05-01T02:31:00+00:00") == 1
    assert not store.is_new_or_changed(path, "aaa")
    assert store.is_new_or_changed(path, "bbb")  # content changed on disk


def test_changed_content_clears_digested_and_same_content_keeps_it(store: StateStore, tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    store.put_file(record(a, "aaa"))
    store.put_file(record(b, "bbb"))
    store.mark_digested([a, b], date="2024-05-01", at="2024-05-01T02:31:00+00:00")

    store.put_file(record(a, "aaa", title="reprocessed"))  # same bytes processed again
    store.put_file(record(b, "changed"))

    kept, reset = store.get_file(a), store.get_file(b)
    assert kept is not None and reset is not None
    assert (kept.title, kept.digested_at, kept.digest_date) == (
        "reprocessed",
        "2024-05-01T02:31:00+00:00",
        "2024-05-01",
    )
    assert (reset.digested_at, reset.digest_date) == (None, None)
    assert [r.path for r in store.undigested()] == [str(b)]


def test_mark_digested_counts_only_known_files(store: StateStore, tmp_path: Path) -> None:
    store.put_file(record(tmp_path / "a.txt"))
    marked = store.mark_digested(
        [tmp_path / "a.txt", tmp_path / "never-processed.txt"],
        date="2024-05-02",
        at="2024-05-02T02:30:00+00:00",
    )
    assert marked == 1
    assert store.get_file(tmp_path / "never-processed.txt") is None


def test_records_persist_across_reopening(out_dir: Path, tmp_path: Path) -> None:
    with StateStore.open(out_dir) as store:
        store.put_file(record(tmp_path / "a.txt"))
        store.mark_digested([tmp_path / "a.txt"], date="2024-05-01", at="2024-05-01T02:31:00+00:00")
    with StateStore.open(out_dir) as store:
        assert not store.is_new_or_changed(tmp_path / "a.txt", "aaa")


def test_runs_record_status_stats_and_last_success(store: StateStore) -> None:
    assert store.last_success() is None
    first = store.begin_run()
    store.finish_run(first, "ok", Stats(files=3, segments_translated=10))
    succeeded_at = store.last_success()
    assert succeeded_at is not None
    second = store.begin_run()
    store.finish_run(second, RunStatus.FAILED, {"error": "disk full"})
    assert store.last_success() == succeeded_at  # a failed run is not a success

    latest, earlier = store.runs(limit=2)
    assert (latest.id, latest.status, latest.stats) == (second, RunStatus.FAILED, {"error": "disk full"})
    assert earlier.status is RunStatus.OK
    assert earlier.stats is not None and earlier.stats["files"] == 3
    assert earlier.stats["segments_translated"] == 10


def test_finish_run_needs_a_final_status_and_a_known_run(store: StateStore) -> None:
    run_id = store.begin_run()
    with pytest.raises(ValueError):
        store.finish_run(run_id, RunStatus.RUNNING)
    with pytest.raises(ValueError):
        store.finish_run(run_id, "maybe")
    with pytest.raises(ValueError, match="no run"):
        store.finish_run(run_id + 100, "ok")


def test_a_run_whose_process_died_is_marked_interrupted(out_dir: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from digest.state import StateStore\n"
        "with StateStore.open(Path(sys.argv[1])) as s: print(s.begin_run())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(out_dir)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    orphan = int(done.stdout)
    with StateStore.open(out_dir) as store:
        current = store.begin_run()
        statuses = {run.id: run.status for run in store.runs()}
    assert statuses == {orphan: RunStatus.INTERRUPTED, current: RunStatus.RUNNING}


def test_a_damaged_database_is_reported_with_the_fix(out_dir: Path) -> None:
    (out_dir / ".digest").mkdir(parents=True)
    (out_dir / ".digest" / "state.sqlite").write_bytes(b"this is not a database, just text " * 100)
    with pytest.raises(DigestError, match="move it aside"):
        StateStore.open(out_dir)


# Writes records and translations as fast as it can, reporting progress, until killed.
_WRITER = """
import sys
from pathlib import Path
from digest.state import FileRecord, StateStore
with StateStore.open(Path(sys.argv[1])) as store:
    i = 0
    while True:
        store.put_file(FileRecord(
            path=f"/docs/{i:06d}.txt", sha256=f"sha{i}", language="ur", confidence=0.5, route="nllb",
            model="facebook/nllb-200-distilled-600M", model_revision="r", summarizer="extractive",
            translation_path=None, title=f"title {i}", summary="s" * 2000, source_url=None,
            processed_at="2024-05-01T00:00:00+00:00",
        ))
        store.memory.store("facebook/nllb-200-distilled-600M", "r", "urd_Arab",
                           [(f"source {i} {j}", f"english {i} {j}") for j in range(20)])
        i += 1
        print(i, flush=True)
"""


def test_sigkill_in_the_middle_of_writes_leaves_an_intact_database(out_dir: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(out_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert writer.stdout is not None
        deadline = time.monotonic() + 60
        committed = 0
        while committed < 40 and time.monotonic() < deadline:
            line = writer.stdout.readline()
            assert line, writer.stderr.read() if writer.stderr else "writer exited"
            committed = int(line)
        # Let it get well into further writes, then kill it without warning.
        time.sleep(0.05)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    with sqlite3.connect(out_dir / ".digest" / "state.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with StateStore.open(out_dir) as store:
        files = store.files()
        # Every write reported before the kill is there, and no record is half-written.
        assert len(files) >= committed
        assert [f.path for f in files] == [f"/docs/{i:06d}.txt" for i in range(len(files))]
        assert all(f.summary == "s" * 2000 and f.title.startswith("title ") for f in files)
        for i in range(len(files)):
            hits = store.memory.lookup(
                "facebook/nllb-200-distilled-600M", "r", "urd_Arab", [f"source {i} {j}" for j in range(20)]
            )
            # A record and its translations are separate transactions: the last record may lack them.
            assert len(hits) == 20 or (i == len(files) - 1 and not hits)
        store.put_file(record("/docs/after.txt"))
        assert store.get_file("/docs/after.txt") is not None


# The translation memory itself (the driver's lookups are tested in tests/digest/test_cached.py).


def test_memory_lookup_finds_stored_pairs_by_index(store: StateStore) -> None:
    memory = store.memory
    memory.store("m", "r1", None, [("नमस्ते", "Hello"), ("दुनिया", "world")])
    assert memory.lookup("m", "r1", None, ["दुनिया", "new", "नमस्ते", "दुनिया"]) == {
        0: "world",
        2: "Hello",
        3: "world",
    }


def test_memory_is_keyed_by_model_revision_and_source_code(store: StateStore) -> None:
    memory = store.memory
    memory.store("nllb", "r1", "hin_Deva", [("x", "from hindi")])
    memory.store("nllb", "r1", "urd_Arab", [("x", "from urdu")])
    memory.store("marian", "r1", None, [("x", "marian")])
    assert memory.lookup("nllb", "r1", "hin_Deva", ["x"]) == {0: "from hindi"}
    assert memory.lookup("nllb", "r1", "urd_Arab", ["x"]) == {0: "from urdu"}
    assert memory.lookup("marian", "r1", None, ["x"]) == {0: "marian"}
    assert memory.lookup("marian", "r1", "", ["x"]) == {0: "marian"}  # None and "" are the same key
    assert memory.lookup("nllb", "r2", "hin_Deva", ["x"]) == {}
    assert memory.lookup("other", "r1", None, ["x"]) == {}


def test_prune_drops_only_that_models_other_revisions(store: StateStore) -> None:
    memory = store.memory
    memory.store("a", "old", None, [("x", "a-old"), ("y", "a-old")])
    memory.store("a", "new", None, [("x", "a-new")])
    memory.store("b", "old", None, [("x", "b-old")])
    assert memory.prune("a", "new") == 2
    assert memory.lookup("a", "old", None, ["x", "y"]) == {}
    assert memory.lookup("a", "new", None, ["x"]) == {0: "a-new"}
    assert memory.lookup("b", "old", None, ["x"]) == {0: "b-old"}
    assert (memory.count("a"), memory.count("b"), memory.count()) == (1, 1, 2)


def test_memory_handles_more_segments_than_one_query_can_bind(store: StateStore) -> None:
    pairs = [(f"s{i}", f"e{i}") for i in range(1200)]
    store.memory.store("m", "r", None, pairs)
    found = store.memory.lookup("m", "r", None, [s for s, _ in pairs])
    assert found == {i: f"e{i}" for i in range(1200)}


# Busy, full and corrupt databases: each named for what it is, and only corruption is met with
# the advice to move the file aside (which throws the translation memory away).

# Holds the write lock of the database at argv[1] until its stdin closes.
_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def hold_write_lock(database: Path) -> subprocess.Popen[str]:
    """Another process holding `database`'s write lock, as `sqlite3` with an open transaction would."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=30)


def test_a_database_locked_past_the_wait_names_its_holder(
    out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import StateBusy

    with StateStore.open(out_dir) as store:
        database = store.path
    monkeypatch.setattr("digest.state.BUSY_TIMEOUT_MS", 300)
    holder = hold_write_lock(database)
    try:
        with pytest.raises(StateBusy) as caught:
            StateStore.open(out_dir)
    finally:
        release(holder)
    message = str(caught.value)
    assert message.startswith(f"state database {database} is locked by another process (pid {holder.pid} ")
    assert message.endswith("wait for it to finish, or stop it, then run again")
    assert "move it aside" not in message


def test_a_busy_database_is_waited_for(out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with StateStore.open(out_dir) as store:
        database = store.path
    monkeypatch.setattr("digest.state.BUSY_TIMEOUT_MS", 20_000)
    holder = hold_write_lock(database)
    timer = threading.Timer(1.0, release, args=(holder,))
    timer.start()
    try:
        started = time.monotonic()
        with StateStore.open(out_dir) as store:
            store.put_file(record("/docs/a.txt"))
            assert store.get_file("/docs/a.txt") is not None
        assert time.monotonic() - started >= 0.9
    finally:
        timer.join()


def test_writes_blocked_past_the_wait_are_skipped_with_one_warning(
    out_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("digest.state.BUSY_TIMEOUT_MS", 300)
    monkeypatch.setattr("digest.state.BUSY_RETRY_MS", 50)
    with StateStore.open(out_dir) as store:
        run_id = store.begin_run()
        holder = hold_write_lock(store.path)
        try:
            started = time.monotonic()
            for i in range(20):
                store.put_file(record(f"/docs/{i}.txt"))
                store.memory.store("m", "r", "hin_Deva", [(f"s{i}", f"e{i}")])
            # One full wait, then short ones: a lock held all night does not stall the night.
            assert time.monotonic() - started < 6
        finally:
            release(holder)
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1
        assert f"is locked by another process (pid {holder.pid} " in warnings[0]
        assert "this run goes on and still writes its digest" in warnings[0]
        # Once the lock is free, writes are saved again.
        store.put_file(record("/docs/after.txt"))
        store.finish_run(run_id, "ok")
        assert store.get_file("/docs/after.txt") is not None
        assert store.runs()[0].status is RunStatus.OK


def test_a_full_disk_is_named_as_a_full_disk(store: StateStore) -> None:
    from core.errors import DiskFull

    # SQLite reports a page limit reached exactly as it reports a full disk (SQLITE_FULL).
    pages = store._db.connection.execute("PRAGMA page_count").fetchone()[0]
    store._db.connection.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(DiskFull) as caught:
        store.memory.store("m", "r", "hin_Deva", [(f"source {i}", "x" * 500) for i in range(200)])
    message = str(caught.value)
    assert message.startswith(f"disk full: the state database {store.path} cannot grow")
    assert "move it aside" not in message


def _fill(out_dir: Path, rows: int) -> Path:
    with StateStore.open(out_dir) as store:
        store.memory.store("m", "r", "hin_Deva", [(f"source {i}", f"english {i} " * 10) for i in range(rows)])
        path = store.path
    return path


def overwrite_middle(path: Path, size: int = 200 * 1024) -> None:
    """Damage `size` bytes in the middle of a file, as a failing disk or a stray write would."""
    data = path.stat().st_size
    assert data > 2 * size, f"{path} is too small ({data} bytes) to damage its middle"
    with path.open("r+b") as f:
        f.seek(data // 2 - size // 2)
        f.write(os.urandom(size))


def test_page_corruption_is_found_when_the_store_opens(out_dir: Path) -> None:
    from core.errors import StateCorrupt

    database = _fill(out_dir, 20_000)
    assert not database.with_name(database.name + "-wal").exists()  # all in the main file
    overwrite_middle(database)
    with pytest.raises(StateCorrupt) as caught:
        StateStore.open(out_dir)
    message = str(caught.value)
    assert message.startswith(f"state database {database} is corrupt (")
    assert "move it aside with its -wal and -shm files and run again" in message
    assert "\n" not in message


def test_line_fingerprints_are_remembered_by_document_and_forgotten_after_a_while(tmp_path: Path) -> None:
    from digest.state import StateStore

    with StateStore.open(tmp_path) as state:
        state.remember_lines([("doc-a", {"fp1", "fp2"}), ("doc-b", {"fp1"})], seen_on="2026-01-01")
        assert state.line_documents({"fp1", "fp2", "fp3"}) == {"fp1": {"doc-a", "doc-b"}, "fp2": {"doc-a"}}
        state.remember_lines([("doc-c", {"fp1"})], seen_on="2026-06-01")  # months later: the old ones go
        assert state.line_documents({"fp1", "fp2"}) == {"fp1": {"doc-c"}}
