"""Reading saved news pages: the article without the page around it, and the page's metadata."""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

import pytest

from core.errors import MissingExtra, UnreadableDocument
from readers.documents import read_document
from readers.html import parse_html

pytest.importorskip("trafilatura")

PAGES = Path(__file__).resolve().parents[1] / "data" / "html"
GERMAN = PAGES / "bundespolizei.de-Belarus.html"
JAPANESE = PAGES / "nhk.or.jp.k100.html"
CHINESE = PAGES / "xinhuanet.com.c_1125597921.html"
ENGLISH = PAGES / "tribune242.com-gunned.html"


def test_a_german_news_page_gives_its_title_canonical_link_date_and_article() -> None:
    document = read_document(GERMAN)
    assert document.format == "html"
    assert document.title == (
        "Illegale Migration aus Belarus über Polen nach Deutschland: Bereits 9.087 Feststellungen durch die…"
    )
    assert document.source_url == (
        "https://www.bundespolizei.de/Web/DE/04Aktuelles/01Meldungen/2021/10/"
        "staendige_aktualisierung_migrationslage.html"
    )
    assert document.published == "2021-11-10"
    # The page's first line is already the headline: it is not repeated.
    assert document.body.startswith(
        "Illegale Migration aus Belarus über Polen nach Deutschland: Bereits 9.087 Feststellungen "
        "durch die Bundespolizei im laufenden Jahr\n\n10.11.2021\n\nBis einschließlich 9. November 2021 "
        "registrierte die Bundespolizei im November 1.246 unerlaubte Einreisen mit einem Bezug zu Belarus."
    )
    assert document.body.count("Illegale Migration aus Belarus über Polen") == 1


def test_menus_and_footers_are_gone() -> None:
    german = read_document(GERMAN).body
    for word in ("Impressum", "Datenschutz", "Sitemap", "Kontakt"):
        assert word in GERMAN.read_text(encoding="utf-8")
        assert word not in german
    english = read_document(ENGLISH).body
    assert "Classifieds" in ENGLISH.read_text(encoding="utf-8")
    assert "Classifieds" not in english
    assert "<" not in german and "<" not in english


def test_paragraphs_are_separated_by_a_blank_line() -> None:
    paragraphs = read_document(ENGLISH).body.split("\n\n")
    assert paragraphs[:2] == ["Two more gunned down", "By EARYEL BOWLEG"]
    assert "TWO men were killed in separate incidents just hours apart yesterday." in paragraphs
    assert paragraphs[-1] == (
        "Anyone with information on these incidents is asked to call police at 502-9991 "
        "or Crime Stoppers at 328-TIPS (8477)."
    )
    assert all(p.strip() and "\n" not in p for p in paragraphs)


def test_og_url_is_the_source_link_when_there_is_no_canonical_link() -> None:
    document = read_document(ENGLISH)
    assert document.source_url == "http://www.tribune242.com/news/2022/apr/22/two-more-gunned-down/"
    assert (document.title, document.published) == ("Two more gunned down", "2022-04-22")


def test_a_title_missing_from_the_text_heads_the_body_so_it_is_translated() -> None:
    document = read_document(JAPANESE)
    assert document.title == "NEWS WEB EASY|子どもへの体罰を禁止する法律ができる"
    assert document.body.startswith(
        "NEWS WEB EASY|子どもへの体罰を禁止する法律ができる\n\n子どもへの虐待をなくすための法律ができて、"
    )
    assert document.source_url == "https://www3.nhk.or.jp/news/easy/k10011959621000/k10011959621000.html"
    assert document.published == "2019-06-19"


def test_a_page_without_canonical_or_og_url_has_no_source_link() -> None:
    document = read_document(CHINESE)
    assert document.source_url is None
    assert document.published == "2020-02-19"
    assert document.title == "武汉的声音：有英勇的你，才有英雄的城！-新华网"
    assert document.body.endswith("正是有了英勇的你们，才有这座英雄的城！（评论员 罗博 萧海川）")


def test_text_files_are_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("<p>Not a page.</p>\nSource: https://example.org/a\n", encoding="utf-8")
    document = read_document(path)
    assert (document.format, document.body, document.published) == ("text", "<p>Not a page.</p>", None)
    assert document.source_url == "https://example.org/a"


# --- charsets ---------------------------------------------------------------------------------


def _reencoded(page: Path, encoding: str, declaration: bytes) -> bytes:
    """`page` (UTF-8, <meta charset="utf-8">) saved in `encoding` with `declaration` in place."""
    text = page.read_text(encoding="utf-8-sig")  # the NHK page starts with a byte order mark
    head, marker, rest = text.partition('<meta charset="utf-8">')
    assert marker
    return head.encode(encoding) + declaration + rest.encode(encoding)


def test_a_meta_charset_is_honoured() -> None:
    raw = _reencoded(JAPANESE, "shift_jis", b'<meta charset="Shift_JIS">')
    assert parse_html(raw).text == parse_html(JAPANESE.read_bytes()).text


def test_an_http_equiv_charset_is_honoured() -> None:
    declaration = b'<meta http-equiv="Content-Type" content="text/html; charset=euc-jp">'
    raw = _reencoded(JAPANESE, "euc_jp", declaration)
    assert parse_html(raw).text == parse_html(JAPANESE.read_bytes()).text


def test_an_xhtml_xml_declaration_is_honoured(tmp_path: Path) -> None:
    raw = b'<?xml version="1.0" encoding="Shift_JIS"?>\n' + _reencoded(JAPANESE, "shift_jis", b"")
    path = tmp_path / "page.xhtml"
    path.write_bytes(raw)
    assert read_document(path).body == read_document(JAPANESE).body


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_a_byte_order_mark_wins_over_the_declared_charset(bom: bytes, codec: str) -> None:
    raw = bom + ENGLISH.read_text(encoding="utf-8").encode(codec)  # it declares utf-8 in http-equiv
    assert parse_html(raw).text == parse_html(ENGLISH.read_bytes()).text


def test_an_undeclared_page_that_is_not_utf8_fails_saying_how_to_fix_it(tmp_path: Path) -> None:
    raw = _reencoded(JAPANESE, "shift_jis", b"")
    path = tmp_path / "page.html"
    path.write_bytes(raw)
    with pytest.raises(UnreadableDocument) as caught:
        read_document(path)
    message = str(caught.value)
    assert message.startswith("not UTF-8 (byte 0x")
    assert message.endswith(
        'and the page declares no charset: add <meta charset="..."> naming its encoding, or save it as UTF-8'
    )
    assert "\n" not in message


# --- failures ---------------------------------------------------------------------------------


def test_a_page_with_no_article_text_fails_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "menu.html"
    path.write_text(
        '<html><head><title>Menu</title></head><body><nav><a href="/">Home</a></nav>'
        "<script>var x = 1;</script></body></html>",
        encoding="utf-8",
    )
    with pytest.raises(UnreadableDocument, match=r"^no article text found in the page \(only navigation, "
                       r"scripts or markup\): nothing to translate$"):
        read_document(path)


def test_without_the_html_extra_a_page_fails_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # what `import trafilatura` sees uninstalled
    with pytest.raises(MissingExtra) as caught:
        read_document(ENGLISH)
    assert str(caught.value) == (
        "reading HTML pages needs the html extra (trafilatura is not installed or cannot be imported): "
        "pip install 'digest-translate[html]'"
    )
    assert isinstance(caught.value, UnreadableDocument)  # a failure of that file, not of the run
