"""What earlier runs did, kept in SQLite beside the digests: processed files, runs, translation memory."""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import logging
import os
import re
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from core.errors import DigestError, StateBusy, StateCorrupt, StateDiskFull, StateError
from core.names import path_key
from core.records import Route, Stats
from digest.atomic import write_text_atomic
from digest.processes import pid_alive

log = logging.getLogger("digest")

STATE_DIRNAME = ".digest"
STATE_FILENAME = "state.sqlite"
SCHEMA_VERSION = 1
# How long a write waits for another process's write lock (SQLite's busy handler retries with
# backoff meanwhile). Read when a store opens, so tests can lower it.
BUSY_TIMEOUT_MS = 30_000
# Once a write has given up on a lock, later writes wait only this long: a lock held all night
# costs one full wait, not one per write.
BUSY_RETRY_MS = 1_000
# Stay well under SQLite's limit on bound parameters in one statement.
_MAX_PARAMS = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    language TEXT NOT NULL,
    confidence REAL NOT NULL,
    route TEXT NOT NULL,
    model TEXT,
    model_revision TEXT,
    summarizer TEXT NOT NULL,
    translation_path TEXT,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    source_url TEXT,
    processed_at TEXT NOT NULL,
    digested_at TEXT,
    digest_date TEXT
);
CREATE INDEX IF NOT EXISTS files_undigested ON files (digested_at) WHERE digested_at IS NULL;
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    stats_json TEXT
);
CREATE TABLE IF NOT EXISTS translation_memory (
    model_id TEXT NOT NULL,
    revision TEXT NOT NULL,
    source_code TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    translation TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (model_id, revision, source_code, source_sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS template_lines (
    fingerprint TEXT NOT NULL,
    document TEXT NOT NULL,
    seen_on TEXT NOT NULL,
    PRIMARY KEY (fingerprint, document)
) WITHOUT ROWID;
"""
# Short lines' fingerprints are remembered this many days: long enough for a site's template to
# be known from earlier nights, short enough that a redesigned site's old template is forgotten.
TEMPLATE_MEMORY_DAYS = 60


def state_dir(out_dir: Path) -> Path:
    """The folder inside an output folder that holds the state database and the run lock."""
    return Path(out_dir) / STATE_DIRNAME


def now_iso() -> str:
    """The current time as ISO-8601 in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def segment_hash(text: str) -> str:
    """The translation memory's key for a source segment: sha256 of its exact UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _key(path: str | Path) -> str:
    # One spelling per file, whichever way it was named on the command line; a name that is not
    # UTF-8 is kept as its file:// URI, since a TEXT column holds only valid UTF-8.
    return path_key(path)


class RunStatus(str, enum.Enum):
    """Where a run stands, or how it ended."""

    RUNNING = "running"
    OK = "ok"  # digest written, every file processed
    FAILURES = "failures"  # digest written, some files failed (listed in it)
    FAILED = "failed"  # stopped by an error before its digest was written
    INTERRUPTED = "interrupted"  # stopped by Ctrl-C or SIGTERM, or its process vanished (killed, crashed)


# Runs that got as far as writing their digest.
_COMPLETED = (RunStatus.OK.value, RunStatus.FAILURES.value)


@dataclass(frozen=True)
class FileRecord:
    """What the last run that processed a file learned about it."""

    path: str  # absolute and resolved once stored
    sha256: str  # of the raw bytes
    language: str
    confidence: float
    route: str  # a Route value: "marian", "nllb", "identity"
    model: str | None  # model id; None for identity
    model_revision: str | None
    summarizer: str  # what made `summary`, so a changed summarizer is noticed
    translation_path: str | None
    title: str
    summary: str
    source_url: str | None
    processed_at: str  # ISO-8601
    digested_at: str | None = None  # set once a digest including this content was written
    digest_date: str | None = None  # YYYY-MM-DD of that digest


@dataclass(frozen=True)
class RunRecord:
    """One run of the pipeline over an output folder."""

    id: int
    pid: int
    started_at: str
    finished_at: str | None
    status: RunStatus
    stats: Mapping[str, Any] | None


_FILE_COLUMNS = tuple(f.name for f in dataclasses.fields(FileRecord))


def _file_record(row: sqlite3.Row) -> FileRecord:
    return FileRecord(**{name: row[name] for name in _FILE_COLUMNS})


def _run_record(row: sqlite3.Row) -> RunRecord:
    stats = json.loads(row["stats_json"]) if row["stats_json"] else None
    return RunRecord(
        row["id"], row["pid"], row["started_at"], row["finished_at"], RunStatus(row["status"]), stats
    )


_SQLITE_PRIMARY = {
    sqlite3.SQLITE_BUSY: "busy",
    sqlite3.SQLITE_LOCKED: "busy",
    sqlite3.SQLITE_FULL: "full",
    sqlite3.SQLITE_CORRUPT: "corrupt",
    sqlite3.SQLITE_NOTADB: "corrupt",
}


def _kind(exc: sqlite3.Error) -> str | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _SQLITE_PRIMARY:
        return _SQLITE_PRIMARY[code & 0xFF]
    # Errors raised without a code (older Pythons, some paths) carry SQLite's standard text.
    text = str(exc).lower()
    if "database is locked" in text or "database table is locked" in text:
        return "busy"
    if "disk is full" in text:
        return "full"
    if "malformed" in text or "not a database" in text:
        return "corrupt"
    return None


def state_error(path: Path, exc: sqlite3.Error) -> StateError:
    """The one-line error for a failure of the state database `path`, with the fix that fits it.

    Only real corruption gets the advice to move the file aside: doing that throws away the
    translation memory, so a busy database or a full disk must never be reported that way.
    """
    kind = _kind(exc)
    if kind == "busy":
        return StateBusy(
            f"state database {path} is locked by {lock_holders(path)}: "
            f"wait for it to finish, or stop it, then run again"
        )
    if kind == "full":
        return StateDiskFull(
            f"disk full: the state database {path} cannot grow ({exc}): "
            f"free space on that disk and run again (everything stored so far is kept)"
        )
    if kind == "corrupt":
        return StateCorrupt(corrupt_message(path, str(exc)))
    return StateError(f"state database {path} failed ({exc}); it was left untouched")


def corrupt_message(path: Path, detail: str) -> str:
    """What to tell the user about a damaged state database."""
    return (
        f"state database {path} is corrupt ({detail}): move it aside with its -wal and -shm files "
        f"and run again (every file is then translated afresh)"
    )


def lock_holders(path: Path) -> str:
    """Names the other processes that have `path` open, as well as Linux's /proc can tell."""
    target = str(Path(path).resolve())
    found: list[str] = []
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    except OSError:
        pids = []
    for pid in sorted(pids):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == target for fd in fds):
                name = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace").strip()
                found.append(f"{pid} {name}".strip())
        except OSError:
            continue  # gone meanwhile, or someone else's process
    if not found:
        return "another process"
    label = "pid" if len(found) == 1 else "pids"
    return f"another process ({label} {', '.join(found)})"


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _converting(
    method: Callable[Concatenate[Any, _P], _T],
) -> Callable[Concatenate[Any, _P], _T]:
    # Every store method reports SQLite failures as a StateError naming the file and the fix.
    @functools.wraps(method)
    def wrapper(self: Any, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise state_error(self._db.path, exc) from exc

    return wrapper


class _Database:
    """A connection in autocommit mode whose writes each run in one short transaction."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.gave_up = False  # a write gave up waiting for another process's lock
        self._warned = False

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout), and the
        # commit at the end of every write means a kill loses at most the write in progress.
        self._begin()
        try:
            yield self.connection
            self.connection.execute("COMMIT")
        except BaseException:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise

    def _begin(self) -> None:
        if self.gave_up:
            self.connection.execute(f"PRAGMA busy_timeout = {BUSY_RETRY_MS}")
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _kind(exc) == "busy":
                raise state_error(self.path, exc) from exc
            raise
        if self.gave_up:
            self.gave_up = False
            self.connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def deferrable(self, what: str, work: Callable[[sqlite3.Connection], _T]) -> _T | None:
        """Run `work` in a write; while another process holds the lock, skip it with a warning.

        A nightly run must not end without its digest because some other process kept the
        database locked: what is skipped (`what`) is only bookkeeping the next run redoes.
        """
        try:
            with self.write() as conn:
                return work(conn)
        except StateBusy as exc:
            self.gave_up = True
            if not self._warned:
                self._warned = True
                log.warning(
                    "state database %s is locked by %s: this run goes on and still writes its digest, "
                    "but saves no progress (%s first) while it stays locked; the next run redoes that work",
                    self.path, lock_holders(self.path), what,
                )
            else:
                log.debug("skipped saving %s: %s", what, exc)
            return None


class TranslationMemory:
    """Translations already made, keyed by (model id, revision, source code, sha256 of the segment)."""

    def __init__(self, db: _Database) -> None:
        self._db = db

    @_converting
    def lookup(
        self, model_id: str, revision: str, source_code: str | None, segments: Sequence[str]
    ) -> dict[int, str]:
        """Cached translations of `segments`, as index into `segments` -> translation."""
        by_hash: dict[str, list[int]] = {}
        for index, segment in enumerate(segments):
            by_hash.setdefault(segment_hash(segment), []).append(index)
        hashes = list(by_hash)
        found: dict[int, str] = {}
        for start in range(0, len(hashes), _MAX_PARAMS):
            chunk = hashes[start : start + _MAX_PARAMS]
            rows = self._db.connection.execute(
                "SELECT source_sha256, translation FROM translation_memory"
                " WHERE model_id = ? AND revision = ? AND source_code = ?"
                f" AND source_sha256 IN ({', '.join('?' * len(chunk))})",
                (model_id, revision, source_code or "", *chunk),
            )
            for sha, translation in rows:
                for index in by_hash[sha]:
                    found[index] = translation
        return found

    @_converting
    def store(
        self, model_id: str, revision: str, source_code: str | None, pairs: Sequence[tuple[str, str]]
    ) -> None:
        """Remember (source segment, translation) pairs, committed at once (skipped while locked)."""
        if not pairs:
            return
        created = now_iso()
        rows = [
            (model_id, revision, source_code or "", segment_hash(source), translation, created)
            for source, translation in pairs
        ]
        self._db.deferrable(
            "translations",
            lambda conn: conn.executemany(
                "INSERT OR REPLACE INTO translation_memory"
                " (model_id, revision, source_code, source_sha256, translation, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            ),
        )

    @_converting
    def prune(self, model_id: str, keep_revision: str) -> int:
        """Delete `model_id`'s entries made by any other revision; returns how many went."""
        with self._db.write() as conn:
            cursor = conn.execute(
                "DELETE FROM translation_memory WHERE model_id = ? AND revision != ?",
                (model_id, keep_revision),
            )
        return cursor.rowcount

    @_converting
    def count(self, model_id: str | None = None) -> int:
        """How many translations are remembered, for one model or for all."""
        if model_id is None:
            row = self._db.connection.execute("SELECT COUNT(*) FROM translation_memory").fetchone()
        else:
            row = self._db.connection.execute(
                "SELECT COUNT(*) FROM translation_memory WHERE model_id = ?", (model_id,)
            ).fetchone()
        return int(row[0])


class StateStore:
    """The state database `DIR/.digest/state.sqlite` of one output folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise DigestError(
                f"state database {self.path} cannot be opened ({exc}): check the output folder's permissions"
            ) from None
        connection.row_factory = sqlite3.Row
        self._db = _Database(connection, self.path)
        try:
            self._prepare(connection)
        except sqlite3.Error as exc:
            connection.close()
            raise state_error(self.path, exc) from exc
        except BaseException:
            connection.close()
            raise
        self.memory = TranslationMemory(self._db)

    @classmethod
    def open(cls, out_dir: Path) -> StateStore:
        """Open (creating if needed) the state database of output folder `out_dir`."""
        folder = state_dir(out_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DigestError(
                f"cannot create {folder} ({exc.strerror}): choose a writable output folder with --out"
            ) from None
        return cls(folder / STATE_FILENAME)

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # WAL is what lets readers and the writer coexist; some network filesystems refuse it.
            raise StateError(
                f"state database {self.path} cannot use WAL journaling (got {mode}): "
                f"put the output folder on a local disk"
            )
        # Damage found now stops the run before it does anything; found mid-run, it would turn
        # into per-file failures and a digest worse than the one already published.
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            first = " ".join(" ".join(problems).split())  # one line, however SQLite wraps it
            raise StateCorrupt(corrupt_message(self.path, f"quick_check: {first[:160]}"))
        # FULL: every commit is on disk before it returns, so finished work survives even a power cut.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateError(
                f"state database {self.path} was written by a newer digest (schema {version} > "
                f"{SCHEMA_VERSION}): upgrade digest to use this output folder"
            )
        with self._db.write() as tx:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    tx.execute(statement)
            tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the connection; the database stays consistent whether or not this runs."""
        self._db.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # Files

    @_converting
    def get_file(self, path: str | Path) -> FileRecord | None:
        """The record of `path` from the last run that processed it, if any."""
        row = self._db.connection.execute("SELECT * FROM files WHERE path = ?", (_key(path),)).fetchone()
        return _file_record(row) if row is not None else None

    @_converting
    def put_file(self, record: FileRecord) -> None:
        """Insert or replace the record of a processed file.

        When the content (sha256) changed, the stored digested_at and digest_date are cleared so
        the file counts as new; unchanged content keeps them. Values set on `record` always win.
        """
        self.put_files([record])

    @_converting
    def put_files(self, records: Sequence[FileRecord]) -> None:
        """Insert or replace the records of processed files in one transaction, as put_file does each."""
        if not records:
            return
        rows = []
        for record in records:
            values = {name: getattr(record, name) for name in _FILE_COLUMNS}
            values["path"] = _key(record.path)
            values["route"] = Route(record.route).value
            values["confidence"] = float(record.confidence)
            rows.append(values)
        columns = ", ".join(_FILE_COLUMNS)
        updates = ", ".join(
            f"{name} = excluded.{name}"
            for name in _FILE_COLUMNS
            if name not in ("path", "digested_at", "digest_date")
        )
        # One commit (one WAL fsync under synchronous=FULL) for all of them: a commit per file was a
        # fifth of a run over many small files.
        self._db.deferrable(
            "file records",
            lambda conn: conn.executemany(
                f"INSERT INTO files ({columns}) VALUES ({', '.join(':' + n for n in _FILE_COLUMNS)})"
                f" ON CONFLICT (path) DO UPDATE SET {updates},"
                " digested_at = COALESCE(excluded.digested_at,"
                "   CASE WHEN files.sha256 = excluded.sha256 THEN files.digested_at END),"
                " digest_date = COALESCE(excluded.digest_date,"
                "   CASE WHEN files.sha256 = excluded.sha256 THEN files.digest_date END)",
                rows,
            ),
        )

    @_converting
    def mark_digested(self, paths: Sequence[str | Path], *, date: str, at: str) -> int:
        """Record that a digest dated `date`, written at `at`, includes `paths`; returns rows marked."""
        keys = [_key(p) for p in paths]

        def mark(conn: sqlite3.Connection) -> int:
            marked = 0
            for start in range(0, len(keys), _MAX_PARAMS):
                chunk = keys[start : start + _MAX_PARAMS]
                cursor = conn.execute(
                    "UPDATE files SET digested_at = ?, digest_date = ?"
                    f" WHERE path IN ({', '.join('?' * len(chunk))})",
                    (at, date, *chunk),
                )
                marked += cursor.rowcount
            return marked

        return self._db.deferrable("which files the digest includes", mark) or 0

    @_converting
    def is_new_or_changed(self, path: str | Path, sha256: str) -> bool:
        """True when `path` was never processed, its content changed, or no digest has included it yet."""
        row = self._db.connection.execute(
            "SELECT sha256, digested_at FROM files WHERE path = ?", (_key(path),)
        ).fetchone()
        return row is None or row["sha256"] != sha256 or row["digested_at"] is None

    @_converting
    def undigested(self) -> list[FileRecord]:
        """Files processed but not yet in any written digest (e.g. the run was killed before writing it)."""
        rows = self._db.connection.execute("SELECT * FROM files WHERE digested_at IS NULL ORDER BY path")
        return [_file_record(row) for row in rows]

    @_converting
    def files(self) -> list[FileRecord]:
        """Every file record, ordered by path."""
        rows = self._db.connection.execute("SELECT * FROM files ORDER BY path")
        return [_file_record(row) for row in rows]

    # Template lines: fingerprints of short lines (readers.chrome), by the documents they were seen in

    @_converting
    def line_documents(self, fingerprints: Collection[str]) -> dict[str, set[str]]:
        """The documents each of `fingerprints` was seen in on earlier runs."""
        prints = sorted(fingerprints)
        found: dict[str, set[str]] = {}
        for start in range(0, len(prints), _MAX_PARAMS):
            chunk = prints[start : start + _MAX_PARAMS]
            rows = self._db.connection.execute(
                "SELECT fingerprint, document FROM template_lines"
                f" WHERE fingerprint IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            for fp, document in rows:
                found.setdefault(fp, set()).add(document)
        return found

    @_converting
    def remember_lines(self, seen: Sequence[tuple[str, Collection[str]]], *, seen_on: str) -> None:
        """Remember (document, fingerprints) pairs as seen on `seen_on`; forget those not seen for long."""
        rows = [(fp, document, seen_on) for document, prints in seen for fp in prints]
        cutoff = (datetime.fromisoformat(seen_on) - timedelta(days=TEMPLATE_MEMORY_DAYS)).date().isoformat()

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM template_lines WHERE seen_on < ?", (cutoff,))
            conn.executemany(
                "INSERT OR REPLACE INTO template_lines (fingerprint, document, seen_on) VALUES (?, ?, ?)", rows
            )

        self._db.deferrable("template lines", work)

    # Runs

    @_converting
    def begin_run(self) -> int:
        """Record a run's start and return its id; earlier runs whose process is gone become interrupted."""
        with self._db.write() as conn:
            running = conn.execute("SELECT id, pid FROM runs WHERE status = ?", (RunStatus.RUNNING.value,))
            for run_id, pid in running.fetchall():
                if pid != os.getpid() and not pid_alive(pid):
                    conn.execute(
                        "UPDATE runs SET status = ? WHERE id = ?", (RunStatus.INTERRUPTED.value, run_id)
                    )
            cursor = conn.execute(
                "INSERT INTO runs (pid, started_at, status) VALUES (?, ?, ?)",
                (os.getpid(), now_iso(), RunStatus.RUNNING.value),
            )
        run_id = cursor.lastrowid
        assert run_id is not None  # an INSERT into a rowid table always sets it
        return run_id

    @_converting
    def finish_run(
        self, run_id: int, status: RunStatus | str, stats: Stats | Mapping[str, Any] | None = None
    ) -> None:
        """Record how run `run_id` ended, with its stats (kept as JSON)."""
        final = RunStatus(status)
        if final is RunStatus.RUNNING:
            raise ValueError("a finished run needs a final status, not 'running'")
        if stats is None:
            stats_json = None
        elif isinstance(stats, Stats):
            stats_json = json.dumps(dataclasses.asdict(stats), sort_keys=True)
        else:
            stats_json = json.dumps(dict(stats), sort_keys=True)
        cursor = self._db.deferrable(
            "the run's outcome",
            lambda conn: conn.execute(
                "UPDATE runs SET finished_at = ?, status = ?, stats_json = ? WHERE id = ?",
                (now_iso(), final.value, stats_json, run_id),
            ),
        )
        if cursor is not None and cursor.rowcount != 1:
            raise ValueError(f"no run with id {run_id}")

    @_converting
    def last_success(self) -> str | None:
        """When the last run that wrote its digest finished (ISO-8601), or None if none has."""
        row = self._db.connection.execute(
            "SELECT finished_at FROM runs WHERE status IN (?, ?) ORDER BY id DESC LIMIT 1", _COMPLETED
        ).fetchone()
        return row[0] if row is not None else None

    @_converting
    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The latest runs, newest first."""
        rows = self._db.connection.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [_run_record(row) for row in rows]


# --- Feed identity ------------------------------------------------------------------------------
# Kept in a small JSON file beside the database rather than in it: a corrupt database is moved aside
# and rebuilt (see corrupt_message), and that must not give the feed a new id, since feed readers
# tell feeds and entries apart by id alone.

FEED_FILENAME = "feed.json"
# The id that every installation's feed had when published without a site URL by earlier versions.
_SHARED_FEED_ID = "urn:uuid:cb0947b9-322a-5830-8bb8-02317e33d71d"
_DAY_PAGE = re.compile(r"(?:^|/)(\d{4}-\d{2}-\d{2})/digest\.html$")


@dataclass(frozen=True)
class FeedEntryIdentity:
    """A day's feed entry: its id and when it was first published, both fixed at first publication."""

    id: str
    published: str  # RFC 3339


@dataclass(frozen=True)
class FeedIdentity:
    """An output folder's own feed id and its entries' ids, created once and kept in its state."""

    id: str
    entries: Mapping[str, FeedEntryIdentity]  # YYYY-MM-DD -> its entry


def feed_identity_path(out_dir: Path) -> Path:
    """DIR/.digest/feed.json."""
    return state_dir(out_dir) / FEED_FILENAME


def feed_identity(out_dir: Path, *, days: Mapping[str, str]) -> FeedIdentity:
    """The folder's feed identity, giving each day of `days` not seen before a new entry id.

    `days` maps each date to publish to the RFC 3339 time its digest was generated, which becomes
    the entry's `published` time on first sight. The first call creates DIR/.digest/feed.json with
    a random feed id, or with the ids of the feed.xml already published there (see
    _adopt_published_feed); later calls only add days. Ids never depend on the site URL, so setting one later
    turns no old entry into a new one. Callers hold the run lock, so one process writes at a time.
    """
    path = feed_identity_path(out_dir)
    if path.exists():
        identity = _load_feed_identity(path)
        changed = False
    else:
        identity = _adopt_published_feed(Path(out_dir) / "feed.xml") or FeedIdentity(
            f"urn:uuid:{uuid.uuid4()}", {}
        )
        changed = True
    entries = dict(identity.entries)
    for day, generated in days.items():
        if day not in entries:
            entries[day] = FeedEntryIdentity(f"urn:uuid:{uuid.uuid4()}", generated)
            changed = True
    identity = FeedIdentity(identity.id, entries)
    if changed:
        data = {
            "id": identity.id,
            "entries": {day: dataclasses.asdict(entries[day]) for day in sorted(entries)},
        }
        write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return identity


def _load_feed_identity(path: Path) -> FeedIdentity:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = {
            str(day): FeedEntryIdentity(str(entry["id"]), str(entry["published"]))
            for day, entry in data["entries"].items()
        }
        feed_id = data["id"]
        if not isinstance(feed_id, str) or not feed_id:
            raise ValueError("no feed id")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateCorrupt(
            f"feed identity {path} cannot be read ({exc}): restore it from a backup, or move it "
            f"aside to start a new feed (subscribers then see every entry again as new)"
        ) from None
    return FeedIdentity(feed_id, entries)


def _adopt_published_feed(feed_xml: Path) -> FeedIdentity | None:
    """The ids of the folder's published feed.xml, when its state lost them or never held them.

    Versions before the folder had an id of its own used the site URL as the feed id, or, without
    one, an id shared by every installation; a feed with that shared id is not adopted, since its
    entries' ids collide with every other installation's.
    """
    atom = "{http://www.w3.org/2005/Atom}"
    try:
        root = ET.parse(feed_xml).getroot()
    except FileNotFoundError:
        return None
    except (OSError, ET.ParseError) as exc:
        log.warning("%s cannot be read (%s): the feed gets new ids", feed_xml, exc)
        return None
    feed_id = (root.findtext(f"{atom}id") or "").strip()
    if not feed_id or feed_id == _SHARED_FEED_ID:
        return None
    entries: dict[str, FeedEntryIdentity] = {}
    for entry in root.findall(f"{atom}entry"):
        link = entry.find(f"{atom}link")
        match = _DAY_PAGE.search(link.get("href", "") if link is not None else "")
        entry_id = (entry.findtext(f"{atom}id") or "").strip()
        # Earlier versions wrote no <published>: the entry's last update is the best they tell.
        published = (entry.findtext(f"{atom}published") or entry.findtext(f"{atom}updated") or "").strip()
        if match and entry_id and published:
            entries[match.group(1)] = FeedEntryIdentity(entry_id, published)
    return FeedIdentity(feed_id, entries)
