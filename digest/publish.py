"""Publish digests: the day's files, an HTML page per day, the index page and the Atom feed.

Documents are untrusted input. Every piece of document-derived text goes through `clean_text`
(no control characters, no bidi overrides) and then `html.escape(quote=True)`; the feed is built
with ElementTree so XML escaping is structural. Only http(s) URLs are linked as sources; other
links are local files or percent-encoded relative paths, so no document can inject a scheme.
"""

from __future__ import annotations

import html
import logging
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from core.errors import ConfigError
from core.names import display_path
from core.records import Digest
from digest.atomic import write_text_atomic
from digest.incremental import TRANSLATIONS
from digest.pages import FEED_TITLE, day_html, failure_notice, index_html
from digest.render import (
    clean_text,
    digest_from_json,
    digest_to_json,
    digest_to_markdown,
    is_date,
    is_empty,
    is_web_url,
    language_name,
    overview,
    translation_page,
)
from digest.state import FeedIdentity, feed_identity

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_AUTHOR = "digest"
MAX_FEED_ENTRIES = 30

def _h(text: str) -> str:
    """Document-derived text, cleaned and escaped for HTML text or a quoted attribute."""
    return html.escape(clean_text(text), quote=True)


# --- Atom ---------------------------------------------------------------------------------------


def rfc3339(timestamp: str, *, fallback_date: str | None = None) -> str:
    """An ISO-8601 time as RFC 3339 (seconds, "Z" for UTC; a time without offset is taken as UTC)."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        if fallback_date is None:
            raise
        moment = datetime.fromisoformat(f"{fallback_date}T00:00:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def atom_feed(
    digests: Sequence[Digest],
    *,
    identity: FeedIdentity,
    feed_url: str | None = None,
    site_url: str | None = None,
    diagnostics: bool = False,
) -> str:
    """An Atom (RFC 4287) feed, one entry per day, newest first, at most 30 entries.

    Ids come from the output folder's `identity` (see digest.state.feed_identity), which holds
    every day given here; `site_url` only makes the links absolute. Like the pages, entries say
    only how many documents failed unless `diagnostics`.
    """
    site = _with_slash(site_url) if site_url else None
    if feed_url is None and site is not None:
        feed_url = site + "feed.xml"
    ordered = _one_per_day(digests)[:MAX_FEED_ENTRIES]

    # Plain tag names plus a literal xmlns: ElementTree's default_namespace option rejects the
    # unqualified attributes (rel, href) that Atom uses, and a prefixed "ns0:feed" confuses readers.
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _text(feed, "id", identity.id)
    _text(feed, "title", FEED_TITLE)
    updated = max((_instant(d) for d in ordered), default=None)
    _text(feed, "updated", rfc3339(updated.isoformat()) if updated else "1970-01-01T00:00:00Z")
    ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=feed_url or "feed.xml")
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=site or "index.html")
    author = ET.SubElement(feed, "author")
    _text(author, "name", FEED_AUTHOR)
    _text(feed, "generator", "digest")

    for d in ordered:
        known = identity.entries[d.date]
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", known.id)
        _text(entry, "title", entry_title(d))
        _text(entry, "published", known.published)
        _text(entry, "updated", rfc3339(d.generated_at, fallback_date=d.date))
        page = f"{(site or '')}{quote(d.date)}/digest.html"
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=page)
        _text(entry, "summary", clean_text(overview(d)) if not is_empty(d) else "Nothing new today.")
        content = _text(entry, "content", feed_content_html(d, diagnostics=diagnostics))
        content.set("type", "html")

    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def entry_title(d: Digest) -> str:
    """A day's entry title, e.g. "Digest 2026-11-21: 4 documents — Hindi, Urdu, Persian"."""
    counts: dict[str, int] = {}
    for item in d.items:
        name = clean_text(language_name(item.language)).strip() or "unknown language"
        counts[name] = counts.get(name, 0) + 1
    # Most documents first; ties in alphabetical order, so the title is the same on every run.
    languages = ", ".join(sorted(counts, key=lambda name: (-counts[name], name)))
    parts = []
    if d.items:
        parts.append(f"{_count(len(d.items), 'document')} — {languages}")
    if d.failures:
        parts.append(f"{_count(len(d.failures), 'file')} failed")
    return f"Digest {d.date}: {'; '.join(parts) or 'nothing new'}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def feed_days(digests: Sequence[Digest]) -> dict[str, str]:
    """The days the feed shows, each with the RFC 3339 time its digest was generated."""
    return {
        d.date: rfc3339(d.generated_at, fallback_date=d.date)
        for d in _one_per_day(digests)[:MAX_FEED_ENTRIES]
    }


def _one_per_day(digests: Sequence[Digest]) -> list[Digest]:
    """One digest per date, the latest generated, newest date first."""
    latest_per_day: dict[str, Digest] = {}
    for d in digests:
        # Two digests for one date would share an id; the later run is the one on disk.
        kept = latest_per_day.get(d.date)
        if kept is None or _instant(d) >= _instant(kept):
            latest_per_day[d.date] = d
    return sorted(latest_per_day.values(), key=lambda d: d.date, reverse=True)


def feed_content_html(d: Digest, *, diagnostics: bool = False) -> str:
    """The HTML summarising a day's items in its feed entry (escaped once more by the XML writer).

    Readers get no operator diagnostics (local paths, why a file failed) unless `diagnostics`.
    """
    if is_empty(d):
        return "<p>Nothing new today.</p>"
    out = [f"<p>{_h(overview(d))}</p>"]
    for entry in d.items:
        fallback = display_path(entry.path) if diagnostics else display_path(Path(entry.path).name)
        title = clean_text(entry.title).strip() or fallback.strip() or "(untitled)"
        heading = f"<strong>{_h(title)}</strong>"
        if is_web_url(entry.source_url):
            heading = f'<a href="{_h(entry.source_url or "")}">{heading}</a>'
        language = _h(language_name(entry.language))
        out.append(
            f'<p dir="auto">{heading} ({language})<br>{_h(" ".join(clean_text(entry.summary).split()))}</p>'
        )
    if d.failures and not diagnostics:
        out.append(f"<p>{_h(failure_notice(d))}</p>")
    elif d.failures:
        out.append("<p>Failures:</p><ul>")
        out += [f'<li dir="auto">{_h(display_path(f.path))} — {_h(f.error)}</li>' for f in d.failures]
        out.append("</ul>")
    return "".join(out)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = clean_text(text)
    return element


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _instant(d: Digest) -> datetime:
    return datetime.fromisoformat(rfc3339(d.generated_at, fallback_date=d.date).replace("Z", "+00:00"))


# --- Files --------------------------------------------------------------------------------------


def day_dir(out_dir: Path, day: str) -> Path:
    """The folder DIR/<YYYY-MM-DD> of one day; ValueError for anything that is not a date."""
    if not is_date(day):
        raise ValueError(f"not a YYYY-MM-DD date: {day!r}")
    return Path(out_dir) / day


def write_day(out_dir: Path, d: Digest) -> list[Path]:
    """Write the day's digest.json and digest.md atomically; returns the paths written."""
    folder = day_dir(out_dir, d.date)
    json_path = folder / "digest.json"
    md_path = folder / "digest.md"
    write_text_atomic(json_path, digest_to_json(d))
    write_text_atomic(md_path, digest_to_markdown(d))
    return [json_path, md_path]


def load_digests(out_dir: Path) -> list[Digest]:
    """Every DIR/<YYYY-MM-DD>/digest.json that loads, newest first.

    A digest.json that cannot be read or parsed, or whose date disagrees with its folder, is
    left out with a logged warning: one damaged day must not stop tonight's digest from being
    published, and its own files stay on disk untouched for a person to inspect.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    found: list[Digest] = []
    for folder in sorted(out_dir.iterdir(), reverse=True):
        path = folder / "digest.json"
        if not (is_date(folder.name) and path.is_file()):
            continue
        try:
            d = digest_from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            log.warning("left out of the index and feed: %s: %s", path, exc)
            continue
        if d.date != folder.name:
            log.warning("left out of the index and feed: %s: its date is %s", path, d.date)
            continue
        found.append(d)
    return found


def publish(
    out_dir: Path, d: Digest, *, site_url: str | None = None, diagnostics: bool = False
) -> list[Path]:
    """Write the day's digest.html, then rebuild index.html and feed.xml from every day; returns the paths.

    `site_url`, where the folder is served, makes the feed's links absolute; without it they are
    relative to feed.xml. The feed's ids are the folder's own, kept in its state folder. Days with
    nothing to read stay out of the index and of the previous/next links. `diagnostics` puts the
    reasons for failures and skipped files on the pages.
    """
    out_dir = Path(out_dir)
    day_dir(out_dir, d.date)  # refuse a date that is not YYYY-MM-DD before writing anything
    by_day = {earlier.date: earlier for earlier in load_digests(out_dir)}
    by_day[d.date] = d  # tonight's digest wins even if its digest.json was not written yet
    ordered = sorted(by_day.values(), key=lambda x: x.date, reverse=True)
    readable = [x.date for x in ordered if not is_empty(x)]

    def neighbours(day: str) -> tuple[str | None, str | None]:
        earlier = [x for x in readable if x < day]
        later = [x for x in readable if x > day]
        return (earlier[0] if earlier else None, later[-1] if later else None)

    # Tonight's neighbours link to it, so their pages are written again when it has something to read.
    previous, following = neighbours(d.date)
    renew = {d.date, *((previous, following) if not is_empty(d) else ())}
    written = []
    for day in ordered:
        page = day_dir(out_dir, day.date) / "digest.html"
        # An earlier day's page is otherwise written only when it is missing (a run that stopped
        # between writing digest.json and publishing), so the index never links to nothing.
        if day.date in renew or not page.exists():
            before, after = neighbours(day.date)
            html_page = day_html(
                day, previous=before, following=after, pages=_pages(out_dir, day), diagnostics=diagnostics
            )
            write_text_atomic(page, html_page)
            written.append(page)
    latest = next((x for x in ordered if not is_empty(x)), None)
    index_path = out_dir / "index.html"
    pages = _pages(out_dir, latest) if latest is not None else None
    write_text_atomic(index_path, index_html(latest, days=readable, pages=pages, diagnostics=diagnostics))
    feed_path = out_dir / "feed.xml"
    identity = feed_identity(out_dir, days=feed_days(ordered))
    write_text_atomic(feed_path, atom_feed(ordered, identity=identity, site_url=site_url, diagnostics=diagnostics))
    return [*written, index_path, feed_path]


def _pages(out_dir: Path, d: Digest) -> set[str]:
    """The translations of `d` that have a side-by-side page on disk."""
    folder = day_dir(out_dir, d.date)
    return {
        page for page in (translation_page(entry.translation) for entry in d.items) if (folder / page).is_file()
    }


def prepare_out_dir(out_dir: Path) -> None:
    """Create the output folder; ConfigError when it names a file or cannot be created or written."""
    out_dir = Path(out_dir)
    shown = display_path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"output folder {shown} is a file: choose a folder with --out")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise ConfigError(
            f"cannot create output folder {shown} ({reason}): choose another with --out"
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise ConfigError(
            f"output folder {shown} is not writable: fix its permissions or choose another with --out"
        )


def check_day_paths(out_dir: Path, day: str) -> None:
    """ConfigError when a file stands where tonight's digest needs a folder, or the other way round.

    Checked before any document is read, so no night's work is spent on a digest that cannot be written.
    """
    folder = day_dir(out_dir, day)
    folders = (folder, folder / TRANSLATIONS)
    files = (folder / "digest.json", folder / "digest.md", folder / "digest.html",
             Path(out_dir) / "index.html", Path(out_dir) / "feed.xml")
    for path in folders:
        if path.exists() and not path.is_dir():
            raise ConfigError(
                f"{display_path(path)} is a file, but the digest needs a folder there: move it aside"
            )
    for path in files:
        if path.is_dir():
            raise ConfigError(
                f"{display_path(path)} is a folder, but the digest writes a file there: move it aside"
            )
