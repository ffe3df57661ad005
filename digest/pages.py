"""The HTML pages readers see: the day's digest, the index and each translation side by side.

Pure functions, no I/O. Documents are untrusted input: every piece of document-derived text goes
through `clean_text` (no control characters, no bidi overrides) and then `html.escape(quote=True)`;
only http(s) URLs are linked as sources. Operator diagnostics (why a file failed, local paths,
file:// links) appear only when asked for: the reasons name flags, environment variables and paths.
"""

from __future__ import annotations

import html
from collections.abc import Container, Sequence
from urllib.parse import quote

from core.names import display_path
from core.records import Digest, DigestEntry, Route
from digest.render import (
    clean_text,
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

FEED_TITLE = "Document digest"

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
        # readers.documents knows digest's own pages by this line, so a copy of the output is never read as input.
        '<meta name="generator" content="digest">\n'
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
            out.append(_path_list("Failures", [(f.path, f.error) for f in d.failures]))
        elif d.failures:
            # Why a file failed is for the operator (digest.md, digest.json, the terminal): the
            # reasons name flags, environment variables and local paths.
            out.append(f'<p class="notice">{failure_notice(d)}</p>\n')
    if d.skipped and diagnostics:
        out.append(_path_list("Skipped", [(s.path, s.reason) for s in d.skipped]))
    return "".join(out)


def _path_list(heading: str, rows: Sequence[tuple[str, str]]) -> str:
    """An operator's section: each file's path and why."""
    items = "".join(
        f'<li><span dir="auto">{_h(display_path(path))}</span> — <span dir="auto">{_h(why)}</span></li>\n'
        for path, why in rows
    )
    return f"<section>\n<h2>{heading}</h2>\n<ul>\n{items}</ul>\n</section>\n"


def failure_notice(d: Digest) -> str:
    """What readers are told of a day's failures: how many, never why (that names paths and options)."""
    count = len(d.failures)
    return f"{count} {'document' if count == 1 else 'documents'} could not be processed."


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
