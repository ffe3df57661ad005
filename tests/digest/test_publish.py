"""HTML pages, the Atom feed and publish(): structure, escaping of hostile documents, the day index."""

from __future__ import annotations

import logging
import re
import uuid
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from core.errors import StateCorrupt
from core.records import Digest, DigestEntry, Failure, Route, Skipped, Stats
from digest.publish import (
    atom_feed,
    day_html,
    entry_title,
    feed_content_html,
    feed_days,
    index_html,
    load_digests,
    publish,
    write_day,
)
from digest.render import clean_text, digest_from_json
from digest.state import FeedEntryIdentity, FeedIdentity

A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

# Every tag and attribute the page template itself writes; anything else came from a document.
TEMPLATE_ATTRS: dict[str, set[str]] = {
    "html": {"lang"},
    "head": set(),
    "meta": {"charset", "name", "content"},
    "title": set(),
    "link": {"rel", "type", "title", "href"},
    "style": set(),
    "body": {"class"},
    "nav": {"class"},
    "main": set(),
    "h1": {"lang", "dir"},
    "h2": {"lang", "dir"},
    "p": {"class", "lang", "dir"},
    "div": {"class"},
    "article": set(),
    "section": set(),
    "ul": set(),
    "li": {"dir"},
    "span": {"class", "lang", "dir"},
    "a": {"href", "rel"},
    "footer": set(),
    "time": {"datetime"},
    "strong": set(),
    "br": set(),
}

SCRIPT = "<script>alert(1)</script>"
ATTR_BREAK = '"><img src=x onerror=alert(1)>'
BROKEN = "<b><i>unclosed"
CDATA_END = "]]>"
RLO = "\u202e"


class Collector(HTMLParser):
    """Records every start tag with its attributes, and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(page: str) -> Collector:
    parser = Collector()
    parser.feed(page)
    parser.close()
    return parser


def entry(name: str, **changes: object) -> DigestEntry:
    fields: dict[str, object] = dict(
        path=f"in/{name}.txt",
        title=f"Title of {name}",
        language="hi",
        confidence=0.95,
        route=Route.MARIAN,
        model="Helsinki-NLP/opus-mt-hi-en",
        summary=f"Summary of {name}.",
        source_url=f"https://news.example/{name}",
        link=f"https://news.example/{name}",
        translation=f"translations/{name}.en.md",
    )
    fields.update(changes)
    return DigestEntry(**fields)  # type: ignore[arg-type]


def digest(day: str, *items: DigestEntry, failures: tuple[Failure, ...] = ()) -> Digest:
    return Digest(
        generated_at=f"{day}T03:00:00+05:30",
        date=day,
        inputs=("in",),
        items=items,
        failures=failures,
        stats=Stats(files=len(items) + len(failures)),
    )


HOSTILE_TITLE = f"{SCRIPT} {ATTR_BREAK} {BROKEN} {CDATA_END} {RLO}evil\x00\x1b"
HOSTILE_SUMMARY = f"Summary {SCRIPT}\x07 with {ATTR_BREAK} and {BROKEN} {CDATA_END}{RLO}"


def hostile_digest() -> Digest:
    return digest(
        "2024-04-02",
        entry(
            "a",
            title=HOSTILE_TITLE,
            summary=HOSTILE_SUMMARY,
            source_url="javascript:alert(1)",
            link="javascript:alert(1)",
            translation="javascript:alert(1)",
        ),
        entry(
            "b",
            title=f"{RLO}txt.exe",
            source_url="data:text/html,<script>alert(1)</script>",
            link="file:///in/b.txt",
            language=f"{ATTR_BREAK}",
            model=SCRIPT,
        ),
        entry("c", path=f"in/{ATTR_BREAK}.txt", source_url='https://ok.example/"onmouseover=alert(1)'),
        failures=(Failure(f"in/{SCRIPT}.txt", f"error {ATTR_BREAK} {RLO}"),),
    )


def assert_only_template_markup(page: str) -> Collector:
    parsed = parse_html(page)
    for tag, attrs in parsed.tags:
        assert tag in TEMPLATE_ATTRS, f"unexpected tag <{tag}>"
        assert set(attrs) <= TEMPLATE_ATTRS[tag], f"unexpected attributes on <{tag}>: {attrs}"
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:")), href
    return parsed


# --- HTML ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", ["day", "index"])
@pytest.mark.parametrize("diagnostics", [False, True], ids=["readers", "diagnostics"])
def test_hostile_documents_cannot_inject_markup(render: str, diagnostics: bool) -> None:
    d = hostile_digest()
    page = (
        day_html(d, previous="2024-04-01", diagnostics=diagnostics)
        if render == "day"
        else index_html(d, days=[d.date, "2024-04-01"], diagnostics=diagnostics)
    )
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "<b>" not in page and "<i>" not in page
    assert RLO not in page and "\x00" not in page and "\x1b" not in page and "\x07" not in page
    parsed = assert_only_template_markup(page)
    text = "".join(parsed.text)
    # The hostile text is shown literally, as text.
    assert clean_text(HOSTILE_TITLE) in text
    assert f"{SCRIPT} with {ATTR_BREAK}" in text
    hrefs = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert 'https://ok.example/"onmouseover=alert(1)' in hrefs  # quote stays inside the attribute
    assert ("file:///in/b.txt" in hrefs) is diagnostics  # a local file is linked only for the operator
    assert (f"error {ATTR_BREAK}" in text) is diagnostics
    translation = [h for h in hrefs if h and "alert" in h and h.endswith(("%29", "%29.html"))]
    assert len(translation) == 2 and all(h.split("/")[-1].startswith("javascript%3A") for h in translation)
    # A language "code" that is not a language tag is never written into lang=.
    assert all(ATTR_BREAK not in (attrs.get("lang") or "") for _tag, attrs in parsed.tags)


def test_document_text_is_isolated_for_right_to_left() -> None:
    d = digest(
        "2024-04-02",
        entry(
            "ur",
            title="Central organising committee",
            original_title="مرکزی تنظیمی کمیٹی",
            summary="The party is built.",
            language="ur",
        ),
    )
    parsed = parse_html(day_html(d))
    h2 = [attrs for tag, attrs in parsed.tags if tag == "h2"]
    assert h2 == [{"lang": "en", "dir": "auto"}]
    # The Urdu headline is under the English title, set right to left in its own language.
    assert ("p", {"class": "original", "lang": "ur", "dir": "rtl"}) in parsed.tags
    assert "مرکزی تنظیمی کمیٹی" in "".join(parsed.text)
    assert "[dir=auto],[dir=rtl],[dir=ltr]{unicode-bidi:isolate}" in day_html(d)


def test_page_is_self_contained_and_phone_friendly() -> None:
    page = index_html(digest("2024-04-02", entry("a")), days=["2024-04-02"])
    parsed = assert_only_template_markup(page)
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in parsed.tags
    assert "max-width:44rem" in page and "font-size:1.0625rem" in page
    assert not any(tag == "script" for tag, _ in parsed.tags)
    assert not any(tag == "link" and attrs.get("rel") == "stylesheet" for tag, attrs in parsed.tags)


def _day_with_everything() -> Digest:
    return digest(
        "2024-04-02",
        entry("hi", original_title="क्वांग नाम पार्टी", source_url="https://www.news.example/hi"),
        entry(
            "ur",
            language="ur",
            route=Route.NLLB,
            model="facebook/nllb-200-distilled-600M",
            source_url=None,
            link="file:///in/ur.txt",
            published="2024-03-31",
        ),
        entry("en", language="en", route=Route.IDENTITY, model=None),
        failures=(Failure("/home/op/in/bad.txt", "model missing: set DIGEST_MODEL_DIR or pass --model-dir"),),
    )


def test_day_page_shows_readers_what_they_need() -> None:
    page = day_html(_day_with_everything(), previous="2024-03-30", following="2024-04-05")
    parsed = assert_only_template_markup(page)
    text = "".join(parsed.text)
    assert "Digest — 2024-04-02" in text
    assert "3 documents in Hindi, Urdu and English." in text
    # Language names, a machine-translated label, the source's domain and the date.
    assert "Machine-translatedfrom Hindi · news.example · 2024-04-02" in text
    assert "Machine-translatedfrom Urdu · 2024-03-31" in text  # the document's own date when known
    assert "Written in English · news.example · 2024-04-02" in text
    assert ("span", {"class": "label"}) in parsed.tags
    assert ("p", {"class": "original", "lang": "hi", "dir": "ltr"}) in parsed.tags
    # Model ids and confidence are small print.
    assert "Translated by Helsinki-NLP/opus-mt-hi-en · Hindi (hi) detected with 95% confidence" in text
    assert "English (en) detected with 95% confidence" in text
    hrefs = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert "https://www.news.example/hi" in hrefs
    assert "translations/ur.en.html" in hrefs and "translations/ur.en.md" in hrefs
    nav = [(attrs["rel"], attrs["href"]) for tag, attrs in parsed.tags if tag == "a" and attrs.get("rel") in ("prev", "next")]
    assert nav == [("prev", "../2024-03-30/digest.html"), ("next", "../2024-04-05/digest.html")]


def test_day_page_keeps_operator_diagnostics_off_unless_asked() -> None:
    d = _day_with_everything()
    page = day_html(d)
    text = "".join(parse_html(page).text)
    assert "1 document could not be processed." in text
    for secret in ("DIGEST_MODEL_DIR", "--model-dir", "/home/op", "bad.txt", "file://", "/in/"):
        assert secret not in page, secret
    shown = day_html(d, diagnostics=True)
    assert "DIGEST_MODEL_DIR or pass --model-dir" in shown and "/home/op/in/bad.txt" in shown
    assert 'href="file:///in/ur.txt"' in shown


def test_feed_keeps_operator_diagnostics_off_unless_asked() -> None:
    d = _day_with_everything()
    content = check_feed(atom_feed([d], identity=identity_for([d]))).findtext(f"{A}entry/{A}content") or ""
    assert "1 document could not be processed." in content
    for secret in ("DIGEST_MODEL_DIR", "--model-dir", "/home/op", "bad.txt", "file://"):
        assert secret not in content, secret
    shown = check_feed(atom_feed([d], identity=identity_for([d]), diagnostics=True))
    assert "/home/op/in/bad.txt" in (shown.findtext(f"{A}entry/{A}content") or "")


def test_day_page_links_the_markdown_where_no_page_was_written() -> None:
    page = day_html(_day_with_everything(), pages={"translations/hi.en.html"})
    hrefs = [attrs["href"] for tag, attrs in parse_html(page).tags if tag == "a"]
    assert "translations/hi.en.html" in hrefs
    assert "translations/ur.en.html" not in hrefs and "translations/ur.en.md" in hrefs


def test_nothing_new_page() -> None:
    page = day_html(digest("2024-04-03"))
    assert "Nothing new today." in page
    assert "<article>" not in page
    assert_only_template_markup(page)


def test_index_without_digests() -> None:
    page = index_html(None, days=[])
    assert "No digests yet." in page
    assert_only_template_markup(page)


def test_index_links_translations_into_the_day_folder() -> None:
    page = index_html(digest("2024-04-02", entry("a")), days=["2024-04-02"])
    hrefs = [attrs["href"] for tag, attrs in parse_html(page).tags if tag == "a"]
    assert "2024-04-02/translations/a.en.html" in hrefs and "2024-04-02/translations/a.en.md" in hrefs


# --- Atom ---------------------------------------------------------------------------------------


def check_feed(xml: str) -> ET.Element:
    """Assert the RFC 4287 elements this product relies on; returns the parsed root."""
    root = ET.fromstring(xml)
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{A}{name}") or "").strip(), name
    assert RFC3339.fullmatch(root.findtext(f"{A}updated") or "")
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert rels.get("self") and rels.get("alternate")
    assert (root.findtext(f"{A}author/{A}name") or "").strip()
    ids = []
    for item in root.findall(f"{A}entry"):
        for name in ("id", "title", "updated"):
            assert (item.findtext(f"{A}{name}") or "").strip(), name
        assert RFC3339.fullmatch(item.findtext(f"{A}updated") or "")
        assert RFC3339.fullmatch(item.findtext(f"{A}published") or "")
        assert item.find(f"{A}link") is not None and item.find(f"{A}link").get("href")  # type: ignore[union-attr]
        content = item.find(f"{A}content")
        assert content is not None and content.get("type") == "html"
        ids.append(item.findtext(f"{A}id"))
    assert len(ids) == len(set(ids))
    return root


FEED_ID = "urn:uuid:00000000-0000-4000-8000-000000000001"


def identity_for(digests: list[Digest], feed: str = FEED_ID) -> FeedIdentity:
    """A folder identity that knows every day of `digests`, first published at 01:00 UTC that day."""
    return FeedIdentity(
        feed,
        {d.date: FeedEntryIdentity(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, feed + d.date)}",
                                   f"{d.date}T01:00:00Z") for d in digests},
    )


def test_feed_is_valid_atom() -> None:
    days = [digest("2024-04-01", entry("a")), digest("2024-04-03", entry("c")), digest("2024-04-02")]
    identity = identity_for(days)
    root = check_feed(atom_feed(days, identity=identity))
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == [
        "Digest 2024-04-03: 1 document — Hindi",
        "Digest 2024-04-02: nothing new",
        "Digest 2024-04-01: 1 document — Hindi",
    ]
    assert [e.find(f"{A}link").get("href") for e in entries] == [  # type: ignore[union-attr]
        "2024-04-03/digest.html",
        "2024-04-02/digest.html",
        "2024-04-01/digest.html",
    ]
    assert root.findtext(f"{A}id") == identity.id
    expected = [identity.entries[day].id for day in ("2024-04-03", "2024-04-02", "2024-04-01")]
    assert [e.findtext(f"{A}id") for e in entries] == expected
    assert entries[0].findtext(f"{A}published") == "2024-04-03T01:00:00Z"
    assert entries[0].findtext(f"{A}updated") == "2024-04-03T03:00:00+05:30"
    assert root.findtext(f"{A}updated") == "2024-04-03T03:00:00+05:30"


def test_entry_titles_count_documents_and_name_languages() -> None:
    d = digest(
        "2026-11-21",
        entry("a", language="ur"), entry("b", language="hi"),
        entry("c", language="fa"), entry("d", language="ur"),
    )
    assert entry_title(d) == "Digest 2026-11-21: 4 documents — Urdu, Hindi, Persian"
    two = (Failure("in/x.txt", "boom"), Failure("in/y.txt", "boom"))
    failed = digest("2026-11-22", entry("a"), failures=two)
    assert entry_title(failed) == "Digest 2026-11-22: 1 document — Hindi; 2 files failed"
    only_failed = digest("2026-11-23", failures=(Failure("in/x.txt", "boom"),))
    assert entry_title(only_failed) == "Digest 2026-11-23: 1 file failed"
    assert entry_title(digest("2026-11-24")) == "Digest 2026-11-24: nothing new"
    hostile = digest("2026-11-25", entry("a", language=f"{RLO}x\x00"))
    assert RLO not in entry_title(hostile) and "\x00" not in entry_title(hostile)


def test_feed_with_site_url_uses_absolute_links_but_keeps_its_ids() -> None:
    days = [digest("2024-04-02", entry("a"))]
    identity = identity_for(days)
    plain = check_feed(atom_feed(days, identity=identity))
    root = check_feed(atom_feed(days, identity=identity, site_url="https://digest.example/news"))
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert rels == {
        "self": "https://digest.example/news/feed.xml",
        "alternate": "https://digest.example/news/",
    }
    link = root.find(f"{A}entry/{A}link")
    assert link is not None and link.get("href") == "https://digest.example/news/2024-04-02/digest.html"
    # Feed readers tell feeds and entries apart by id: a site URL set later must not make them new.
    assert root.findtext(f"{A}id") == plain.findtext(f"{A}id") == identity.id
    assert root.findtext(f"{A}entry/{A}id") == plain.findtext(f"{A}entry/{A}id")


def test_feed_keeps_at_most_30_days_newest_first() -> None:
    days = [digest(f"2024-01-{n:02d}", entry(str(n))) for n in range(1, 32)]
    entries = check_feed(atom_feed(days, identity=identity_for(days))).findall(f"{A}entry")
    assert len(entries) == 30
    assert entries[0].find(f"{A}link").get("href") == "2024-01-31/digest.html"  # type: ignore[union-attr]
    assert entries[-1].find(f"{A}link").get("href") == "2024-01-02/digest.html"  # type: ignore[union-attr]
    assert sorted(feed_days(days)) == [f"2024-01-{n:02d}" for n in range(2, 32)]


def test_empty_feed_still_validates() -> None:
    root = check_feed(atom_feed([], identity=identity_for([])))
    assert root.findall(f"{A}entry") == []


@pytest.mark.parametrize("diagnostics", [False, True])
def test_feed_survives_hostile_documents(diagnostics: bool) -> None:
    d = hostile_digest()
    xml = atom_feed([d], identity=identity_for([d]), diagnostics=diagnostics)
    assert "\x00" not in xml and RLO not in xml
    root = check_feed(xml)
    content = root.findtext(f"{A}entry/{A}content") or ""
    parsed = parse_html(content)
    for tag, attrs in parsed.tags:
        assert tag in {"p", "a", "strong", "br", "ul", "li"}, tag
        assert set(attrs) <= {"href", "dir"}
        assert not (attrs.get("href") or "").lower().startswith(("javascript:", "data:"))
    text = "".join(parsed.text)
    # The entry's text is the documents' plain text: titles and summaries exactly, no markup.
    assert clean_text(HOSTILE_TITLE) in text
    assert " ".join(clean_text(HOSTILE_SUMMARY).split()) in text
    assert ("error " + ATTR_BREAK in text) is diagnostics


def test_feed_entry_summarises_items() -> None:
    d = digest("2024-04-02", entry("a", title="First"), entry("b", title="Second", source_url=None))
    text = "".join(parse_html(feed_content_html(d)).text)
    assert "2 documents in Hindi; 0 failures." in text
    assert "First (Hindi)Summary of a." in text and "Second (Hindi)Summary of b." in text
    assert "Nothing new today." in feed_content_html(digest("2024-04-03"))


# --- Files --------------------------------------------------------------------------------------


def test_publish_three_days(tmp_path: Path) -> None:
    out = tmp_path / "digests"
    days = [
        digest("2024-04-01", entry("one", title="First day story")),
        digest("2024-04-02", entry("two", title="Second day story")),
        digest("2024-04-03", entry("three", title="Third day story")),
    ]
    for n, d in enumerate(days):
        written = write_day(out, d) + publish(out, d)
        # The day before gets its page again: it now links forward to tonight.
        before = [out / days[n - 1].date / "digest.html"] if n else []
        assert written == [
            out / d.date / "digest.json",
            out / d.date / "digest.md",
            out / d.date / "digest.html",
            *before,
            out / "index.html",
            out / "feed.xml",
        ]
        assert all(p.is_file() for p in written)
    middle = parse_html((out / "2024-04-02" / "digest.html").read_text(encoding="utf-8"))
    assert [(a["rel"], a["href"]) for tag, a in middle.tags if tag == "a" and "rel" in a and a["rel"] in ("prev", "next")] == [
        ("prev", "../2024-04-01/digest.html"),
        ("next", "../2024-04-03/digest.html"),
    ]

    index = (out / "index.html").read_text(encoding="utf-8")
    parsed = assert_only_template_markup(index)
    text = "".join(parsed.text)
    assert "Third day story" in text and "First day story" not in text
    hrefs = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert [h for h in hrefs if h and h.endswith("/digest.html")] == [
        "2024-04-02/digest.html",
        "2024-04-01/digest.html",
    ]
    for h in hrefs:
        assert h is not None
        if not h.startswith(("http", "file:", "#")):
            assert (out / h).exists() or h.endswith(".en.md"), h

    feed = check_feed((out / "feed.xml").read_text(encoding="utf-8"))
    assert [e.findtext(f"{A}title") for e in feed.findall(f"{A}entry")] == [
        "Digest 2024-04-03: 1 document — Hindi",
        "Digest 2024-04-02: 1 document — Hindi",
        "Digest 2024-04-01: 1 document — Hindi",
    ]
    assert digest_from_json((out / "2024-04-02" / "digest.json").read_text(encoding="utf-8")) == days[1]
    assert not list(out.rglob("*.tmp"))


def test_backfilling_an_older_day_keeps_the_latest_on_the_index(tmp_path: Path) -> None:
    newest = digest("2024-04-03", entry("new", title="Newest story"))
    older = digest("2024-04-01", entry("old", title="Older story"))
    for d in (newest, older):
        write_day(tmp_path, d)
        publish(tmp_path, d)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Newest story" in index and "Older story" not in index
    assert 'href="2024-04-01/digest.html"' in index


def test_publish_without_digest_json_still_includes_tonight(tmp_path: Path) -> None:
    d = digest("2024-04-02", entry("a", title="Tonight"))
    publish(tmp_path, d)
    assert "Tonight" in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert len(check_feed((tmp_path / "feed.xml").read_text(encoding="utf-8")).findall(f"{A}entry")) == 1


def test_publish_restores_a_missing_earlier_page(tmp_path: Path) -> None:
    write_day(tmp_path, digest("2024-04-01", entry("a", title="Unpublished day")))  # publish never ran
    written = publish(tmp_path, digest("2024-04-02", entry("b")))
    assert tmp_path / "2024-04-01" / "digest.html" in written
    assert "Unpublished day" in (tmp_path / "2024-04-01" / "digest.html").read_text(encoding="utf-8")
    before = (tmp_path / "2024-04-01" / "digest.html").stat().st_mtime_ns
    assert tmp_path / "2024-04-01" / "digest.html" not in publish(tmp_path, digest("2024-04-03"))
    assert (tmp_path / "2024-04-01" / "digest.html").stat().st_mtime_ns == before


def test_nothing_new_digest_publishes(tmp_path: Path) -> None:
    d = Digest(
        "2024-04-04T03:00:00+00:00", "2024-04-04", ("in",), (), skipped=(Skipped("in/x.jpg", "not text"),)
    )
    write_day(tmp_path, d)
    publish(tmp_path, d)
    assert "Nothing new today." in (tmp_path / "2024-04-04" / "digest.md").read_text(encoding="utf-8")
    assert "Nothing new today." in (tmp_path / "2024-04-04" / "digest.html").read_text(encoding="utf-8")
    assert "No digests yet." in (tmp_path / "index.html").read_text(encoding="utf-8")  # nothing to read
    entries = check_feed((tmp_path / "feed.xml").read_text(encoding="utf-8")).findall(f"{A}entry")
    assert [e.findtext(f"{A}summary") for e in entries] == ["Nothing new today."]


def test_empty_days_are_left_out_of_the_index_and_the_day_links(tmp_path: Path) -> None:
    days = [
        digest("2024-04-01", entry("one", title="First story")),
        digest("2024-04-02"),  # a quiet night
        digest("2024-04-03", entry("three", title="Third story")),
        digest("2024-04-04"),  # tonight, quiet too
    ]
    for d in days:
        write_day(tmp_path, d)
        publish(tmp_path, d)
    index = parse_html((tmp_path / "index.html").read_text(encoding="utf-8"))
    text = "".join(index.text)
    assert "Third story" in text and "Nothing new today." not in text  # the latest day with something to read
    day_links = [a["href"] for tag, a in index.tags if tag == "a" and (a["href"] or "").endswith("/digest.html")]
    assert day_links == ["2024-04-01/digest.html"]
    third = parse_html((tmp_path / "2024-04-03" / "digest.html").read_text(encoding="utf-8"))
    assert [(a["rel"], a["href"]) for tag, a in third.tags if tag == "a" and a.get("rel") in ("prev", "next")] == [
        ("prev", "../2024-04-01/digest.html")
    ]
    assert "Nothing new today." in (tmp_path / "2024-04-04" / "digest.html").read_text(encoding="utf-8")


def test_damaged_and_foreign_folders_are_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_day(tmp_path, digest("2024-04-01", entry("a")))
    (tmp_path / "2024-04-02").mkdir()
    (tmp_path / "2024-04-02" / "digest.json").write_text("{ not json", encoding="utf-8")
    (tmp_path / "2024-04-05").mkdir()
    (tmp_path / "2024-04-05" / "digest.json").write_bytes(b"\xff\xfe\x00broken")
    (tmp_path / "2024-04-06").mkdir()  # a day folder whose digest.json names another date
    (tmp_path / "2024-04-06" / "digest.json").write_text(
        (tmp_path / "2024-04-01" / "digest.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "2024-13-01").mkdir()
    (tmp_path / "2024-13-01" / "digest.json").write_text("{}", encoding="utf-8")
    (tmp_path / "state").mkdir()
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="digest.publish"):
        assert [d.date for d in load_digests(tmp_path)] == ["2024-04-01"]
        publish(tmp_path, digest("2024-04-03", entry("c")))
    warned = caplog.text
    assert "2024-04-02" in warned and "2024-04-05" in warned and "2024-04-06" in warned
    feed = check_feed((tmp_path / "feed.xml").read_text(encoding="utf-8"))
    assert [e.findtext(f"{A}title") for e in feed.findall(f"{A}entry")] == [
        "Digest 2024-04-03: 1 document — Hindi",
        "Digest 2024-04-01: 1 document — Hindi",
    ]


def test_a_digest_date_that_is_not_a_date_is_refused(tmp_path: Path) -> None:
    bad = digest("2024-04-02", entry("a"))
    bad = Digest(bad.generated_at, "../escape", bad.inputs, bad.items)
    out = tmp_path / "digests"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        write_day(out, bad)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        publish(out, bad)
    assert not out.exists() and not (tmp_path / "escape").exists()


def test_load_digests_of_missing_folder(tmp_path: Path) -> None:
    assert load_digests(tmp_path / "nowhere") == []


# --- The folder's feed identity -----------------------------------------------------------------


def feed_ids(out: Path) -> tuple[str, dict[str, str]]:
    """The feed id and each day's entry id, as a feed reader sees them in DIR/feed.xml."""
    root = check_feed((out / "feed.xml").read_text(encoding="utf-8"))
    days = {}
    for e in root.findall(f"{A}entry"):
        link = e.find(f"{A}link")
        assert link is not None
        days[(link.get("href") or "").split("/")[-2]] = e.findtext(f"{A}id") or ""
    return root.findtext(f"{A}id") or "", days


def test_each_output_folder_has_feed_ids_of_its_own(tmp_path: Path) -> None:
    # Two installations publishing the same days must not hide each other's entries in a reader.
    d = digest("2024-04-02", entry("a"))
    for out in (tmp_path / "one", tmp_path / "two"):
        write_day(out, d)
        publish(out, d)
    one, two = feed_ids(tmp_path / "one"), feed_ids(tmp_path / "two")
    assert one[0].startswith("urn:uuid:") and two[0].startswith("urn:uuid:")
    assert one[0] != two[0]
    assert one[1]["2024-04-02"] != two[1]["2024-04-02"]
    assert (tmp_path / "one" / ".digest" / "feed.json").is_file()


def test_feed_ids_and_published_times_are_kept_across_runs_and_a_new_site_url(tmp_path: Path) -> None:
    first = digest("2024-04-01", entry("a"))
    write_day(tmp_path, first)
    publish(tmp_path, first)
    feed_id, ids = feed_ids(tmp_path)

    rerun = Digest("2024-04-01T23:00:00+00:00", "2024-04-01", ("in",), (entry("a"), entry("b")))
    write_day(tmp_path, rerun)
    publish(tmp_path, rerun, site_url="https://digest.example/")
    second = digest("2024-04-02", entry("c"))
    write_day(tmp_path, second)
    publish(tmp_path, second, site_url="https://elsewhere.example/news")

    new_feed_id, new_ids = feed_ids(tmp_path)
    assert new_feed_id == feed_id
    assert new_ids["2024-04-01"] == ids["2024-04-01"]
    assert new_ids["2024-04-02"] not in (ids["2024-04-01"], feed_id)
    root = ET.parse(tmp_path / "feed.xml").getroot()
    old = next(e for e in root.findall(f"{A}entry") if "2024-04-01" in (e.findtext(f"{A}title") or ""))
    # First published when the day was first published; updated by the later run of that day.
    assert old.findtext(f"{A}published") == "2024-04-01T03:00:00+05:30"
    assert old.findtext(f"{A}updated") == "2024-04-01T23:00:00Z"
    assert old.findtext(f"{A}title") == "Digest 2024-04-01: 2 documents — Hindi"
    link = old.find(f"{A}link")
    assert link is not None and link.get("href") == "https://elsewhere.example/news/2024-04-01/digest.html"


def test_lost_feed_identity_is_taken_back_from_the_published_feed(tmp_path: Path) -> None:
    d = digest("2024-04-01", entry("a"))
    write_day(tmp_path, d)
    publish(tmp_path, d)
    rerun = Digest("2024-04-01T23:00:00+00:00", "2024-04-01", ("in",), (entry("a"),))
    write_day(tmp_path, rerun)
    publish(tmp_path, rerun)
    before = feed_ids(tmp_path)
    (tmp_path / ".digest" / "feed.json").unlink()  # e.g. the state folder was moved aside
    later = digest("2024-04-02", entry("b"))
    publish(tmp_path, later)
    feed_id, ids = feed_ids(tmp_path)
    assert feed_id == before[0] and ids["2024-04-01"] == before[1]["2024-04-01"]
    assert ids["2024-04-02"] != ids["2024-04-01"]
    root = ET.parse(tmp_path / "feed.xml").getroot()
    published = [e.findtext(f"{A}published") for e in root.findall(f"{A}entry")]
    assert published == ["2024-04-02T03:00:00+05:30", "2024-04-01T03:00:00+05:30"]


def legacy_feed(feed_id: str, site: str) -> str:
    """A feed.xml as earlier versions wrote it, with ids derived from the date and the site URL."""
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom"><id>{feed_id}</id><title>Document digest</title>'
        f"<updated>2024-04-01T03:00:00Z</updated>"
        f'<entry><id>urn:uuid:6a1d5f0e-2bd5-5bb1-9a35-8f5f3d8f3c11</id><title>Digest for 2024-04-01</title>'
        f"<updated>2024-04-01T03:00:00Z</updated>"
        f'<link rel="alternate" type="text/html" href="{site}2024-04-01/digest.html"/></entry></feed>'
    )


def test_a_feed_published_by_an_earlier_version_keeps_its_ids_when_it_had_a_site_url(tmp_path: Path) -> None:
    site = "https://digest.example/news/"
    (tmp_path / "feed.xml").write_text(legacy_feed(site + "feed.xml", site), encoding="utf-8")
    publish(tmp_path, digest("2024-04-02", entry("b")), site_url=site)
    write_day(tmp_path, digest("2024-04-01", entry("a")))
    publish(tmp_path, digest("2024-04-03", entry("c")), site_url=site)
    feed_id, ids = feed_ids(tmp_path)
    assert feed_id == site + "feed.xml"
    assert ids["2024-04-01"] == "urn:uuid:6a1d5f0e-2bd5-5bb1-9a35-8f5f3d8f3c11"


def test_a_feed_with_the_id_every_installation_shared_gets_a_new_one(tmp_path: Path) -> None:
    shared = "urn:uuid:cb0947b9-322a-5830-8bb8-02317e33d71d"
    (tmp_path / "feed.xml").write_text(legacy_feed(shared, ""), encoding="utf-8")
    write_day(tmp_path, digest("2024-04-01", entry("a")))
    publish(tmp_path, digest("2024-04-02", entry("b")))
    feed_id, ids = feed_ids(tmp_path)
    assert feed_id.startswith("urn:uuid:") and feed_id != shared
    assert ids["2024-04-01"] != "urn:uuid:6a1d5f0e-2bd5-5bb1-9a35-8f5f3d8f3c11"


def test_a_damaged_feed_identity_stops_publishing_with_the_fix(tmp_path: Path) -> None:
    publish(tmp_path, digest("2024-04-01", entry("a")))
    feed = (tmp_path / "feed.xml").read_text(encoding="utf-8")
    (tmp_path / ".digest" / "feed.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(StateCorrupt, match=r"feed identity .*feed\.json cannot be read .*move it aside"):
        publish(tmp_path, digest("2024-04-02", entry("b")))
    assert (tmp_path / "feed.xml").read_text(encoding="utf-8") == feed  # never republished under new ids
