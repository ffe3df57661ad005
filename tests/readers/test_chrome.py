"""Page chrome in text scrapes: each rule by name, source-line variants, titles, site template."""

from __future__ import annotations

from pathlib import Path

import pytest

from readers.chrome import document_key, fingerprints, line_rule, stopwords, template_lines
from readers.documents import clean, make_title, read_document, remove_template, title_first

ARTICLE = (
    "नई दिल्ली में मंगलवार को हुई बैठक में सरकार ने नई परिवहन नीति को मंज़ूरी दी, जिससे शहर की बसों की संख्या "
    "अगले साल तक दोगुनी हो जाएगी और किराए में कोई बदलाव नहीं होगा।\n"
    "परिवहन मंत्री ने कहा कि पहले चरण में पाँच सौ नई बसें खरीदी जाएँगी और उनके लिए नए डिपो बनाए जाएँगे, "
    "जिनका काम इसी महीने शुरू होगा।"
)
HINDI = stopwords("devanagari")


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Advertisement", "advertisement"),
        ("विज्ञापन", "advertisement"),
        ("اشتہار", "advertisement"),
        ("Advertisement - Continue Reading Below", "advertisement"),
        ("0 टिप्पणियां", "comment counter"),
        ("3 Comments", "comment counter"),
        ("Comments: 12", "comment counter"),
        ("Subscribe", "widget"),
        ("QR Code", "widget"),
        ("Leave a reply", "widget"),
        ("(جاری ہے)", "widget"),
        ("top of page", "widget"),
        ("Premium Content", "widget"),
        ("Live Updates", "widget"),
        ("छवि स्रोत: एएनआई", "credit or related link"),
        ("ये भी पढ़ें: दिल्ली में बारिश से जाम", "credit or related link"),
        ("• प्रकाशित: सितम्बर 13, 2016", "credit or related link"),
        ("14.1 C", "weather"),
        ("Delhi 28°", "weather"),
        ("कاشان قم سے ڈیڑھ گھنٹے کی ڈرائیو پر واقع ہے‘…", "teaser"),
        ("Share: https://facebook.com/x https://twitter.com/y", "link density"),
        ("होम | देश | विदेश | खेल", "separators"),
        ("मनोरंजन लाइफस्टाइल", "no stop words"),
    ],
)
def test_each_rule_names_the_lines_it_removes(line: str, rule: str) -> None:
    assert line_rule(line, stop=HINDI) == rule


@pytest.mark.parametrize(
    "line",
    [
        "सरकार ने नई नीति को मंज़ूरी दी।",
        "दिल्ली में बारिश",  # a short headline with a function word
        "https://example.org/cited-in-the-article",  # a lone link may be what the article cites
        "नई दिल्ली, 12 नवंबर (भाषा)",
    ],
)
def test_article_lines_match_no_rule(line: str) -> None:
    assert line_rule(line, stop=HINDI) is None


def test_a_scraped_page_keeps_its_article_and_headline_and_loses_its_chrome() -> None:
    page = (
        "top of page\nहोम\nदेश\nविदेश\nमनोरंजन\nSubscribe\n14.1 C\nLive Updates\n"
        "बसों की संख्या दोगुनी करेगी सरकार\n12 नवंबर 2026\n"
        f"{ARTICLE}\n"
        "ये भी पढ़ें\nमेट्रो का किराया बढ़ा, यात्री परेशान\nबारिश से कई इलाकों में जाम\n"
        "0 टिप्पणियां\nLeave a reply\nQR Code\n© 2026 समाचार नेटवर्क\n"
    )
    cleaned = clean(page)
    assert cleaned.body.split("\n")[0] == "बसों की संख्या दोगुनी करेगी सरकार"
    assert ARTICLE in cleaned.body
    for chrome in ("top of page", "होम", "14.1 C", "Live Updates", "मेट्रो का किराया", "टिप्पणियां", "QR Code", "©"):
        assert chrome not in cleaned.body
    rules = {line: rule for rule, line in cleaned.removed}
    assert rules["14.1 C"] == "weather"
    assert rules["मेट्रो का किराया बढ़ा, यात्री परेशान"] == "after the article"
    assert make_title(title_first(cleaned.body)) == "बसों की संख्या दोगुनी करेगी सरकार"


@pytest.mark.parametrize(
    ("line", "url"),
    [
        ("स्रोत- https://example.in/a/1.html", "https://example.in/a/1.html"),
        ("स्रोत – https://example.in/a/2.html", "https://example.in/a/2.html"),
        ("(स्रोत: https://example.in/a/3.html)", "https://example.in/a/3.html"),
        ("Read more: https://example.com/story", "https://example.com/story"),
        ("पूरी खबर यहां पढ़ें: https://example.in/full", "https://example.in/full"),
        ("مزید پڑھیں: https://example.pk/ur/9", "https://example.pk/ur/9"),
        ("स्रोत: https://example.in/a/4.html।", "https://example.in/a/4.html"),
        ("ماخذ: https://example.pk/ur/5۔", "https://example.pk/ur/5"),
        ("Source: https://example.com/x.", "https://example.com/x"),
    ],
)
def test_source_line_variants(line: str, url: str) -> None:
    cleaned = clean(f"{ARTICLE}\n{line}\n")
    assert cleaned.source_url == url
    assert cleaned.body == ARTICLE
    assert ("source line", line) in cleaned.removed


def test_a_source_line_followed_by_several_footer_lines_is_found() -> None:
    text = f"{ARTICLE}\nस्रोत: https://example.in/a/5.html\nविज्ञापन\nQR Code\nSubscribe\nLeave a reply\n0 टिप्पणियां\n"
    cleaned = clean(text)
    assert cleaned.source_url == "https://example.in/a/5.html"
    assert cleaned.body == ARTICLE


def test_a_bare_url_is_the_source_only_alone_at_the_end() -> None:
    inside = f"पहला पैराग्राफ।\nhttps://example.org/cited\n{ARTICLE}\n"
    assert clean(inside).source_url is None
    assert "https://example.org/cited" in clean(inside).body
    at_end = f"{ARTICLE}\nhttps://example.org/the-story\nQR Code\n"
    assert clean(at_end).source_url == "https://example.org/the-story"


def test_the_title_skips_dates_datelines_and_weather() -> None:
    body = "12 नवंबर 2026\nनई दिल्ली, 12 नवंबर (भाषा)\nबसों की संख्या दोगुनी करेगी सरकार\n\n" + ARTICLE
    assert make_title(body) == "बसों की संख्या दोगुनी करेगी सरकार"
    assert title_first(body).startswith("बसों की संख्या दोगुनी करेगी सरकार\n")


def test_a_text_file_title_is_the_headline_not_chrome(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(f"top of page\nPremium Content\n14.1 C\nबसों की संख्या दोगुनी करेगी सरकार\n{ARTICLE}\n", encoding="utf-8")
    document = read_document(page)
    assert document.title == "बसों की संख्या दोगुनी करेगी सरकार"
    assert document.body.startswith("बसों की संख्या दोगुनी करेगी सरकार\n")
    assert {rule for rule, _ in document.removed} >= {"widget", "weather"}


def test_lines_in_three_distinct_documents_are_site_template() -> None:
    footer = "दैनिक समाचार की ओर से हर सुबह आपका ताज़ा अंक"
    docs = [f"{footer}\nशीर्षक {n} की खबर है यह\n{ARTICLE} {n}\n" for n in range(3)]
    template = template_lines([(document_key(d), fingerprints(d)) for d in docs])
    assert template
    for text in docs:
        assert footer not in clean(text, template=template).body
        assert ("site template", footer) in clean(text, template=template).removed


def test_copies_of_one_article_do_not_make_template() -> None:
    footer = "दैनिक समाचार की ओर से हर सुबह आपका ताज़ा अंक"
    copy = f"{footer}\nशीर्षक की खबर है यह\n{ARTICLE}\n"
    other = f"{footer}\nदूसरी खबर का शीर्षक है यह\n{ARTICLE} दूसरी।\n"
    assert not template_lines([(document_key(d), fingerprints(d)) for d in (copy, copy, copy, other)])


def test_remove_template_keeps_the_title(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(f"दैनिक समाचार की ओर से हर सुबह आपका ताज़ा अंक\nबसें दोगुनी होंगी\n{ARTICLE}\n", encoding="utf-8")
    document = read_document(page)
    template = fingerprints("दैनिक समाचार की ओर से हर सुबह आपका ताज़ा अंक")
    stripped = remove_template(document, template)
    assert stripped.title == "बसें दोगुनी होंगी" and stripped.body.startswith("बसें दोगुनी होंगी\n")
    assert "दैनिक समाचार" not in stripped.body
    assert stripped.removed[-1] == ("site template", "दैनिक समाचार की ओर से हर सुबह आपका ताज़ा अंक")


def test_a_hard_wrapped_last_paragraph_is_kept_to_its_end() -> None:
    text = (
        "The council approved the plan on Tuesday evening, and the first of the new electric buses will run on the\n"
        "northern routes from the spring, officials said after a long meeting that went on until\n"
        "late\n"
        "evening.\n"
        "Subscribe\nQR Code\n"
    )
    assert clean(text).body == text.split("\nSubscribe")[0]
