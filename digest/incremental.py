"""Incremental runs, on the driver's side: what the state store already has, what is new, and recording what is done."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DigestError
from core.names import display_path, key_path, path_key
from core.records import DigestEntry, Document, Route
from digest.atomic import make_durable, write_text_atomic
from digest.render import translation_page
from digest.settings import Settings
from digest.stages import entry_link, record

if TYPE_CHECKING:
    from digest.stages import Finished
    from digest.state import FileRecord, StateStore

TRANSLATIONS = "translations"
log = logging.getLogger("digest")


@dataclass(frozen=True)
class Reuse:
    """An unchanged file whose translation and summary are served from the store."""

    entry: DigestEntry
    translation_file: Path  # where the stored translation lies now


@dataclass(frozen=True)
class Plan:
    """Which documents need work, and which are served from the store."""

    todo: list[Document]
    reused: list[Reuse]
    unchanged: int  # unchanged files, reused or left out by --new-only


def plan(
    documents: Sequence[Document],
    *,
    state: StateStore,
    settings: Settings,
    summarizer: str,
    revision: Callable[[str], str],
) -> Plan:
    """Split documents into those to process and those whose stored results still hold.

    `summarizer` names today's summarizer; `revision(model_id)` is that translator's revision now.
    """
    todo: list[Document] = []
    reused: list[Reuse] = []
    unchanged = 0
    for document in documents:
        record = state.get_file(key(document.path))
        if record is None or record.sha256 != document.sha256:
            todo.append(document)
            continue
        if settings.new_only and record.digested_at:
            unchanged += 1  # already in an earlier digest: costs nothing, listed nowhere
            continue
        stored = key_path(record.translation_path) if record.translation_path else None
        if (
            stored is not None
            and stored.is_file()
            and record.summarizer == summarizer
            and _same_model(record, settings=settings, revision=revision)
        ):
            unchanged += 1
            reused.append(Reuse(_entry_from_record(record, document), stored))
        else:
            todo.append(document)
    return Plan(todo, reused, unchanged)


def _same_model(record: FileRecord, *, settings: Settings, revision: Callable[[str], str]) -> bool:
    # A route or model upgrade since the record was made means the file must be redone.
    from translate.routing import route_for

    language = settings.lang or record.language
    try:
        route = route_for(language, overrides=settings.routes, nllb_model=settings.nllb_model)
        if route.route.value != record.route or route.model_id != record.model:
            return False
        if route.model_id is None:
            return True
        # The translator's revision, not the checkpoint's: converted (ct2) weights differ.
        return revision(route.model_id) == record.model_revision
    except DigestError:
        return False  # let the normal path report why


def key(path: Path) -> str:
    """The text under which a file is known to the store: absolute, symlinks resolved, lossless."""
    return path_key(path)


def translation_name(path: Path, taken: set[str]) -> str:
    """`translations/<stem>.en.md`, made unique among `taken` with a short hash of the path."""
    stem = re.sub(r"[^\w.-]+", "-", path.stem).strip("-.") or "document"
    name = f"{TRANSLATIONS}/{stem}.en.md"
    if name in taken:
        name = f"{TRANSLATIONS}/{stem}-{hashlib.sha256(key(path).encode()).hexdigest()[:8]}.en.md"
    return name


def record_window(
    finished: Sequence[Finished], *, state: StateStore, day_dir: Path, taken: set[str]
) -> list[DigestEntry]:
    """Write a window's translations, make them durable together, then record them all in one transaction.

    A document is in the store only once its translation file is on disk: a crash before the sync
    leaves files the next run rewrites, never a record without its file. `taken` (translation
    names already used) is not changed.
    """
    from digest.state import FileRecord

    taken = set(taken)
    folder_keys: dict[Path, str] = {}
    targets: list[Path] = []
    records: list[FileRecord] = []
    entries: list[DigestEntry] = []
    for done in finished:
        document = done.detected.document
        relative = translation_name(document.path, taken)
        taken.add(relative)
        recorded = record(done, translation=relative, date=day_dir.name)
        target = day_dir / relative
        write_text_atomic(target, recorded.markdown, durable=False)
        page = day_dir / translation_page(relative)
        write_text_atomic(page, recorded.page, durable=False)
        targets += [target, page]
        entry = recorded.entry
        entries.append(entry)
        records.append(
            FileRecord(
                path=key(document.path),
                sha256=document.sha256,
                language=entry.language,
                confidence=done.detected.detection.confidence,
                route=entry.route.value,
                model=entry.model,
                model_revision=done.model_revision,
                summarizer=done.summarizer,
                translation_path=_written_key(target, folder_keys),
                title=entry.title,
                summary=entry.summary,
                source_url=entry.source_url,
                processed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                digested_at=None,
                digest_date=None,
            )
        )
    make_durable(targets)
    state.put_files(records)
    return entries


def _written_key(path: Path, folder_keys: dict[Path, str]) -> str:
    """`path_key` of a file just written by rename (so not a link), its folder's key worked out once."""
    folder = folder_keys.get(path.parent)
    if folder is None:
        folder = folder_keys[path.parent] = path_key(path.parent)
    if folder.startswith("file:"):  # a folder name that is not UTF-8: keyed as a URI, file and all
        return path_key(path)
    return f"{folder.rstrip('/')}/{path.name}"


def _entry_from_record(record: FileRecord, document: Document) -> DigestEntry:
    from digest.render import is_web_url

    # A store written by an earlier version may hold a source URL of any scheme.
    source_url = record.source_url if is_web_url(record.source_url) else None
    return DigestEntry(
        path=str(document.path),
        title=record.title,
        language=record.language,
        confidence=round(record.confidence, 3),
        route=Route(record.route),
        model=record.model,
        summary=record.summary,
        source_url=source_url,
        link=entry_link(source_url, document.path),
        # The name chosen when the file was first translated, hash suffix included.
        translation=f"{TRANSLATIONS}/{key_path(record.translation_path or '').name}",
        original_title=document.title,
        published=document.published,
    )


def copy_reused(reuse: Reuse, *, day_dir: Path) -> DigestEntry:
    """Put a stored translation into today's folder (each day's digest stands alone)."""
    target = day_dir / reuse.entry.translation
    if reuse.translation_file.resolve() != target.resolve():
        write_text_atomic(target, reuse.translation_file.read_text(encoding="utf-8"))
        # The side-by-side page lies beside the stored translation; a version that wrote none left
        # only the Markdown, which the digest then links instead.
        page = reuse.translation_file.with_name(translation_page(reuse.translation_file.name))
        if page.is_file():
            write_text_atomic(target.with_name(page.name), page.read_text(encoding="utf-8"))
    return reuse.entry


def merge_earlier_today(
    entries: dict[str, DigestEntry], *, day_dir: Path, failed: set[str]
) -> dict[str, DigestEntry]:
    """Keep the entries of an earlier run today, so a second --new-only run never drops them."""
    from digest.render import digest_from_json

    earlier_file = day_dir / "digest.json"
    if not earlier_file.is_file():
        return entries
    try:
        earlier = digest_from_json(earlier_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        # Replaced by this run's digest, as a full run would; the user is told.
        log.warning("earlier digest %s cannot be read (%s): it is replaced", earlier_file, exc)
        return entries
    merged = dict(entries)
    # digest.json holds names as shown (display_path), so compare them in that form.
    tonight = {display_path(path) for path in [*merged, *failed]}
    for entry in earlier.items:
        if display_path(entry.path) not in tonight and (day_dir / entry.translation).is_file():
            merged[entry.path] = entry
    return merged
