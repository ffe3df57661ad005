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
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Container, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from core.errors import ConfigError
from core.names import display_path
from core.records import Digest, DigestEntry, Route
from digest.atomic import write_text_atomic
from digest.incremental import TRANSLATIONS
from digest.render import (
    clean_text,
    digest_from_json,
    digest_to_json,
    digest_to_markdown,
    is_date,
    is_empty,
    is_rtl,
    is_web_url,
    lang_tag,
    language_label,
    language_name,
    overview,
    percent,
    relative_path,
    safe_link,
    source_domain,
    translation_page,
)

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_TITLE = "Document digest"
FEED_AUTHOR = "digest"
MAX_FEED_ENTRIES = 30
# Namespace for the feed's urn:uuid ids: fixed, so the same date always gets the same id.
_ID_NAMESPACE = uuid.UUID("8f0b2f44-52a4-5b1e-9a0c-2f1d6c1e4a77")

_CSS = """\
:root{color-scheme:light dark}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:44rem;padding:1rem 1.25rem 3rem;font-family:system-ui,-apple-system,"Segoe UI",\
Roboto,"Noto Sans","Noto Sans Devanagari","Noto Naskh Arabic",sans-serif;font-size:1.0625rem;line-height:1.6;\
overflow-wrap:anywhere;color:#1b1b1b;background:#fff}
body.wide{max-width:80rem}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 .75rem}
h2{font-size:1.25rem;line-height:1.35;margin:2rem 0 .25rem}
article{border-top:1px solid #8885;margin-top:1.5rem}
[dir=auto],[dir=rtl],[dir=ltr]{unicode-bidi:isolate}
[lang=ur]{font-family:"Noto Nastaliq Urdu","Noto Naskh Arabic",system-ui,sans-serif;line-height:2}
.original{margin:0 0 .25rem;font-size:1.05rem;color:#333}
.meta,.overview,.details,.notice,footer{color:#555;font-size:.95rem}
.details{font-size:.85rem}
.label{display:inline-block;padding:0 .45rem;margin-inline-end:.4rem;border-radius:.3rem;font-size:.8rem;\
font-weight:600;letter-spacing:.02em;color:#7a3e00;background:#fff1de;border:1px solid #e8b878}
.links a,nav a{margin-inline-end:1rem}
.pager{display:flex;justify-content:space-between;gap:1rem;margin-top:2.5rem}
a{color:#0645ad}
ul{padding-inline-start:1.25rem}
.pairs{margin-top:1.5rem}
.pair,.pair-head{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 2rem}
.pair{border-top:1px solid #8883}
.pair>p{margin:.6rem 0}
.pair-head{font-weight:600;font-size:.9rem;color:#555}
.pair-head>p{margin:.25rem 0}
.side{display:none;font-size:.75rem;font-weight:600;color:#777;text-transform:uppercase;letter-spacing:.04em}
@media (max-width:700px){.pair,.pair-head{grid-template-columns:minmax(0,1fr)}.pair-head{display:none}\
.side{display:block;margin-bottom:.1rem}.pair>p+p{margin-top:0}}
@media (prefers-color-scheme:dark){body{background:#121212;color:#e6e6e6}\
.meta,.overview,.details,.notice,footer,.pair-head{color:#aaa}.original{color:#ccc}\
.label{color:#ffd8a8;background:#3a2a12;border-color:#8a6430}a{color:#8ab4f8}}
"""


def _h(text: str) -> str:
    """Document-derived text, cleaned and escaped for HTML text or a quoted attribute."""
    return html.escape(clean_text(text), quote=True)


def _lang(code: str) -> str:
    """lang= and dir= attributes for text in language `code` (dir=auto when the code says nothing)."""
    tag = lang_tag(code)
    if tag is None:
        return ' dir="auto"'
    return f' lang="{_h(tag)}" dir="{"rtl" if is_rtl(tag) else "ltr"}"'


# --- HTML ---------------------------------------------------------------------------------------


def day_html(
    d: Digest,
    *,
    previous: str | None = None,
    following: str | None = None,
    pages: Container[str] | None = None,
    diagnostics: bool = False,
) -> str:
    """The page DIR/<date>/digest.html, with links to the `previous` and `following` days (YYYY-MM-DD).

    `pages` holds the translations that have a side-by-side page (None: all of them); operator
    diagnostics (why files failed, local paths) are shown only with `diagnostics`.
    """
    body = _digest_body(d, base="", pages=pages, diagnostics=diagnostics)
    body += _pager(previous, following, prefix="../")
    return _page(f"Digest — {d.date}", body, root="../", generated_at=d.generated_at)


def index_html(
    latest: Digest | None,
    *,
    days: Sequence[str],
    pages: Container[str] | None = None,
    diagnostics: bool = False,
) -> str:
    """DIR/index.html: the latest digest in full, then links to the other `days`, newest first.

    The caller leaves days with nothing to read out of `days` and `latest`.
    """
    if latest is None:
        body = "<h1>Digest</h1>\n<p>No digests yet.</p>\n"
        return _page("Digest", body, root="", generated_at=None)
    body = _digest_body(latest, base=f"{quote(latest.date)}/", pages=pages, diagnostics=diagnostics)
    body += _days_list(days, exclude=latest.date)
    return _page(f"Digest — {latest.date}", body, root="", generated_at=latest.generated_at)


def translation_html(
    entry: DigestEntry,
    *,
    date: str,
    paragraphs: Sequence[tuple[str, str]],
    paragraph_languages: Sequence[str] = (),
) -> str:
    """A translation's page DIR/<date>/translations/<name>.en.html: each original paragraph beside its English.

    `paragraph_languages` gives each paragraph's own language (a quote in English inside an Urdu
    article); without it every paragraph is in the entry's language. An English document is shown
    as it is, in one column. The page shows no local path.
    """
    title = _title(entry)
    out = [f'<h1 lang="en" dir="auto">{_h(title)}</h1>\n']
    out += _original_title(entry)
    out.append(_meta(entry, date=date))
    out.append(_details(entry, translation_link=None))
    # The page is copied unchanged into later days that reuse the translation: no link names a day.
    digest_link = '<a href="../digest.html">Back to the digest</a>'
    out.append(f'<p class="links">{digest_link}{_source_link(entry, diagnostics=False)}</p>\n')
    translated = entry.route is not Route.IDENTITY
    if translated and paragraphs:
        language = language_name(entry.language)
        out.append('<div class="pairs">\n')
        out.append(
            f'<div class="pair-head"><p>Original ({_h(language)})</p><p>English (machine translation)</p></div>\n'
        )
        for i, (original, english) in enumerate(paragraphs):
            code = paragraph_languages[i] if len(paragraph_languages) == len(paragraphs) else entry.language
            out.append(
                '<div class="pair">'
                f'<p class="source"{_lang(code)}><span class="side" lang="en" dir="ltr">Original</span>'
                f'{_h(original)}</p>'
                f'<p class="english" lang="en" dir="ltr"><span class="side">English</span>{_h(english)}</p>'
                "</div>\n"
            )
        out.append("</div>\n")
    else:
        out += [f'<p lang="en" dir="auto">{_h(english)}</p>\n' for _original, english in paragraphs if english]
    out.append(_pager(None, None, prefix="", up=("../digest.html", "Back to the digest")))
    return _page(f"{title} — translation", "".join(out), root="../../", generated_at=None, wide=translated)


def _page(title: str, body: str, *, root: str, generated_at: str | None, wide: bool = False) -> str:
    footer = ""
    body_tag = '<body class="wide">' if wide else "<body>"
    if generated_at is not None:
        stamp = _h(generated_at)
        footer = f'<footer><p>Generated <time datetime="{stamp}">{stamp}</time></p></footer>\n'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n"
        f'<link rel="alternate" type="application/atom+xml" title="{FEED_TITLE}" href="{root}feed.xml">\n'
        f"<style>\n{_CSS}</style>\n"
        "</head>\n"
        f"{body_tag}\n"
        f'<nav><a href="{root}index.html">Latest digest</a><a href="{root}feed.xml">Atom feed</a></nav>\n'
        "<main>\n"
        f"{body}"
        "</main>\n"
        f"{footer}"
        "</body>\n"
        "</html>\n"
    )


def _digest_body(d: Digest, *, base: str, pages: Container[str] | None, diagnostics: bool) -> str:
    """The digest itself; `base` is the day folder relative to the page (translations live there)."""
    out = [f"<h1>Digest — {_h(d.date)}</h1>\n"]
    if is_empty(d):
        out.append("<p>Nothing new today.</p>\n")
    else:
        out.append(f'<p class="overview">{_h(overview(d) if diagnostics else reader_overview(d))}</p>\n')
        out += [
            _entry_html(entry, base=base, date=d.date, pages=pages, diagnostics=diagnostics) for entry in d.items
        ]
        if d.failures and diagnostics:
            out.append("<section>\n<h2>Failures</h2>\n<ul>\n")
            out += [
                f'<li><span dir="auto">{_h(display_path(f.path))}</span> — <span dir="auto">{_h(f.error)}</span></li>\n'
                for f in d.failures
            ]
            out.append("</ul>\n</section>\n")
        elif d.failures:
            # Why a file failed is for the operator (digest.md, digest.json, the terminal): the
            # reasons name flags, environment variables and local paths.
            count = len(d.failures)
            noun = "document" if count == 1 else "documents"
            out.append(f'<p class="notice">{count} {noun} could not be processed.</p>\n')
    if d.skipped and diagnostics:
        out.append("<section>\n<h2>Skipped</h2>\n<ul>\n")
        out += [
            f'<li><span dir="auto">{_h(display_path(s.path))}</span> — <span dir="auto">{_h(s.reason)}</span></li>\n'
            for s in d.skipped
        ]
        out.append("</ul>\n</section>\n")
    return "".join(out)


def reader_overview(d: Digest) -> str:
    """One line for readers: how many documents, in which languages."""
    count = len(d.items)
    languages = list(dict.fromkeys(language_name(entry.language) for entry in d.items))
    text = f"{count} document{'s' if count != 1 else ''}"
    if languages:
        text += " in " + (
            " and ".join(languages) if len(languages) <= 2 else ", ".join(languages[:-1]) + " and " + languages[-1]
        )
    return text + "."


def _title(entry: DigestEntry) -> str:
    # The file's name, never its folder: a local path is no reader's business.
    name = display_path(entry.path).replace("\\", "/").rsplit("/", 1)[-1]
    return clean_text(entry.title).strip() or clean_text(name).strip() or "(untitled)"


def _original_title(entry: DigestEntry) -> list[str]:
    original = " ".join(clean_text(entry.original_title).split())
    if entry.route is Route.IDENTITY or not original or original == " ".join(_title(entry).split()):
        return []
    return [f'<p class="original"{_lang(entry.language)}>{_h(original)}</p>\n']


def _meta(entry: DigestEntry, *, date: str) -> str:
    """What a reader needs at a glance: machine-translated from which language, the source's site, the date."""
    if entry.route is Route.IDENTITY:
        parts = [f"Written in {_h(language_name(entry.language))}"]
    else:
        parts = [f'<span class="label">Machine-translated</span>from {_h(language_name(entry.language))}']
    domain = source_domain(entry.source_url)
    if domain:
        parts.append(_h(domain))
    day = entry.published if entry.published and is_date(entry.published[:10]) else date
    parts.append(f'<time datetime="{_h(day[:10])}">{_h(day[:10])}</time>')
    return f'<p class="meta">{" · ".join(parts)}</p>\n'


def _details(entry: DigestEntry, *, translation_link: str | None) -> str:
    """The small print: which model translated, how sure the language detection was."""
    parts = []
    if entry.route is not Route.IDENTITY and entry.model:
        parts.append(f"Translated by {_h(entry.model)}")
    parts.append(f"{_h(language_label(entry.language))} detected with {percent(entry.confidence)} confidence")
    if translation_link is not None:
        parts.append(f'<a href="{_h(translation_link)}">Markdown</a>')
    return f'<p class="details">{" · ".join(parts)}</p>\n'


def _source_link(entry: DigestEntry, *, diagnostics: bool) -> str:
    original = safe_link(entry)
    if original is None or not (is_web_url(original) or diagnostics):
        return ""  # a file:// link names a path on the machine that made the digest
    domain = source_domain(original)
    label = f"Original at {_h(domain)}" if domain else "Original file"
    return f'<a href="{_h(original)}" rel="noopener noreferrer nofollow">{label}</a>'


def _entry_html(
    entry: DigestEntry, *, base: str, date: str, pages: Container[str] | None, diagnostics: bool
) -> str:
    out = ["<article>\n", f'<h2 lang="en" dir="auto">{_h(_title(entry))}</h2>\n']
    out += _original_title(entry)
    out.append(_meta(entry, date=date))
    for paragraph in clean_text(entry.summary).split("\n\n"):
        if paragraph.strip():
            out.append(f'<p lang="en" dir="auto">{_h(" ".join(paragraph.split()))}</p>\n')
    markdown = base + quote(relative_path(entry.translation))
    page = translation_page(entry.translation)
    if pages is None or page in pages:
        label = "Side-by-side translation" if entry.route is not Route.IDENTITY else "Full text"
        full = f'<a href="{_h(base + quote(relative_path(page)))}">{label}</a>'
    else:  # translated by a version that wrote no page
        full = f'<a href="{_h(markdown)}">Full English translation</a>'
    out.append(f'<p class="links">{full}{_source_link(entry, diagnostics=diagnostics)}</p>\n')
    out.append(_details(entry, translation_link=markdown))
    out.append("</article>\n")
    return "".join(out)


def _pager(
    previous: str | None, following: str | None, *, prefix: str, up: tuple[str, str] | None = None
) -> str:
    links = []
    if previous is not None and is_date(previous):
        links.append(f'<a href="{prefix}{previous}/digest.html" rel="prev">← {previous}</a>')
    if up is not None:
        links.append(f'<a href="{_h(up[0])}">{_h(up[1])}</a>')
    if following is not None and is_date(following):
        links.append(f'<a href="{prefix}{following}/digest.html" rel="next">{following} →</a>')
    if not links:
        return ""
    return f'<nav class="pager">{"".join(links)}</nav>\n'


def _days_list(days: Sequence[str], *, exclude: str) -> str:
    others = sorted({day for day in days if is_date(day) and day != exclude}, reverse=True)
    if not others:
        return ""
    items = "".join(f'<li><a href="{day}/digest.html">{day}</a></li>\n' for day in others)
    return f"<section>\n<h2>Earlier digests</h2>\n<ul>\n{items}</ul>\n</section>\n"


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


def entry_id(day: str, *, site_url: str | None = None) -> str:
    """The stable id of a day's feed entry: a urn:uuid derived from the date (and the site, if known)."""
    name = f"{site_url or ''}|{day}"
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, name)}"


def atom_feed(digests: Sequence[Digest], *, feed_url: str | None = None, site_url: str | None = None) -> str:
    """An Atom (RFC 4287) feed, one entry per day, newest first, at most 30 entries."""
    site = _with_slash(site_url) if site_url else None
    if feed_url is None and site is not None:
        feed_url = site + "feed.xml"
    latest_per_day: dict[str, Digest] = {}
    for d in digests:
        # Two digests for one date would share an id; the later run is the one on disk.
        kept = latest_per_day.get(d.date)
        if kept is None or _instant(d) >= _instant(kept):
            latest_per_day[d.date] = d
    ordered = sorted(latest_per_day.values(), key=lambda d: d.date, reverse=True)[:MAX_FEED_ENTRIES]

    # Plain tag names plus a literal xmlns: ElementTree's default_namespace option rejects the
    # unqualified attributes (rel, href) that Atom uses, and a prefixed "ns0:feed" confuses readers.
    feed = ET.Element("feed", xmlns=ATOM_NS)
    # Without any URL the id is one fixed urn: readers tell feeds apart by where they fetch them,
    # so the id only has to stay the same from night to night.
    _text(feed, "id", feed_url or f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, site or 'feed')}")
    _text(feed, "title", FEED_TITLE)
    updated = max((_instant(d) for d in ordered), default=None)
    _text(feed, "updated", rfc3339(updated.isoformat()) if updated else "1970-01-01T00:00:00Z")
    ET.SubElement(feed, "link", rel="self", type="application/atom+xml", href=feed_url or "feed.xml")
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=site or "index.html")
    author = ET.SubElement(feed, "author")
    _text(author, "name", FEED_AUTHOR)
    _text(feed, "generator", "digest")

    for d in ordered:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", entry_id(d.date, site_url=site))
        _text(entry, "title", f"Digest for {d.date}")
        _text(entry, "updated", rfc3339(d.generated_at, fallback_date=d.date))
        page = f"{(site or '')}{quote(d.date)}/digest.html"
        ET.SubElement(entry, "link", rel="alternate", type="text/html", href=page)
        _text(entry, "summary", clean_text(overview(d)) if not is_empty(d) else "Nothing new today.")
        content = _text(entry, "content", feed_content_html(d))
        content.set("type", "html")

    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def feed_content_html(d: Digest) -> str:
    """The HTML summarising a day's items in its feed entry (escaped once more by the XML writer)."""
    if is_empty(d):
        return "<p>Nothing new today.</p>"
    out = [f"<p>{_h(overview(d))}</p>"]
    for entry in d.items:
        title = clean_text(entry.title).strip() or display_path(entry.path).strip() or "(untitled)"
        heading = f"<strong>{_h(title)}</strong>"
        if is_web_url(entry.source_url):
            heading = f'<a href="{_h(entry.source_url or "")}">{heading}</a>'
        language = _h(language_name(entry.language))
        out.append(
            f'<p dir="auto">{heading} ({language})<br>{_h(" ".join(clean_text(entry.summary).split()))}</p>'
        )
    if d.failures:
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

    `site_url`, where the folder is served, makes the feed's links and ids absolute; without it
    they are relative to feed.xml. Days with nothing to read stay out of the index and of the
    previous/next links. `diagnostics` puts the reasons for failures and skipped files on the pages.
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
    write_text_atomic(feed_path, atom_feed(ordered, site_url=site_url))
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
