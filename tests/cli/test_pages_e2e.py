"""The published pages of a real run: side-by-side translations, and what readers do not see."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli.helpers import load_digest, run_cli
from tests.cli.test_mixed_languages_e2e import ENGLISH_1, ENGLISH_2, URDU_1, URDU_2

pytestmark = pytest.mark.e2e


class Paragraphs(HTMLParser):
    """Each <p>'s attributes and text, and every link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[dict[str, str | None], str]] = []
        self.hrefs: list[str] = []
        self._open: list[tuple[dict[str, str | None], list[str]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._open.append((dict(attrs), []))
        elif tag == "span" and ("class", "side") in attrs:
            self._skip += 1
        elif tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._open:
            attrs, text = self._open.pop()
            self.paragraphs.append((attrs, "".join(text)))
        elif tag == "span" and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._open and not self._skip:
            self._open[-1][1].append(data)


def _parse(path: Path) -> Paragraphs:
    parser = Paragraphs()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def _run(inbox: Path, out: Path, model_dir: Path, *extra: str, failures: int = 0) -> None:
    result = run_cli("run", inbox, "--model-dir", model_dir, "--out", out, "--summarizer", "extractive",
                     "--backend", "hf", *extra)
    assert result.returncode == (1 if failures else 0), result.stderr


def test_each_translation_gets_a_side_by_side_page(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (inbox / "mixed.txt").write_text(f"{URDU_1}\n{ENGLISH_1}\n{URDU_2}\n{ENGLISH_2}\n", encoding="utf-8")
    _run(inbox, out, tiny_model_dir)
    day, digest = load_digest(out)
    [item] = digest["items"]
    assert item["translation"] == "translations/mixed.en.md" and (day / item["translation"]).is_file()
    page = day / "translations" / "mixed.en.html"
    parsed = _parse(page)

    sources = [(attrs.get("lang"), attrs.get("dir"), text) for attrs, text in parsed.paragraphs
               if attrs.get("class") == "source"]
    english = [text for attrs, text in parsed.paragraphs if attrs.get("class") == "english"]
    # Paragraph by paragraph, each in its own language: Urdu right to left, the English quotes left to right.
    assert sources == [("ur", "rtl", URDU_1), ("en", "ltr", ENGLISH_1), ("ur", "rtl", URDU_2), ("en", "ltr", ENGLISH_2)]
    assert len(english) == 4 and english[1] == ENGLISH_1 and english[3] == ENGLISH_2
    assert english[0] and URDU_1 not in english[0]  # the model's English, beside its original
    assert "../digest.html" in parsed.hrefs and (page.parent / "../digest.html").resolve().is_file()
    # The day's digest and the index link the page; the Markdown stays.
    assert "translations/mixed.en.html" in _parse(day / "digest.html").hrefs
    assert f"{day.name}/translations/mixed.en.html" in _parse(out / "index.html").hrefs
    assert f"{day.name}/translations/mixed.en.md" in _parse(out / "index.html").hrefs


def test_operator_diagnostics_stay_off_the_pages_unless_asked(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox, out = tmp_path / "private-inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "ur.txt").write_text(f"{URDU_1}\n{URDU_2}\n", encoding="utf-8")
    # Chinese, whose model is missing: the failure names the command that fetches it, --model-dir and local paths.
    (inbox / "broken.txt").write_text("北京今天宣布了新的城市交通计划。市民可以免费乘坐公共汽车。\n", encoding="utf-8")
    _run(inbox, out, tiny_model_dir, failures=1)
    day, digest = load_digest(out)
    assert len(digest["failures"]) == 1
    md = (day / "digest.md").read_text(encoding="utf-8")
    assert "broken.txt" in md  # the operator's copy says which file and why
    for page in [day / "digest.html", out / "index.html", *day.glob("translations/*.html")]:
        text = page.read_text(encoding="utf-8")
        for secret in ("file://", str(tmp_path), "broken.txt", "DIGEST_MODEL_DIR", "--model-dir"):
            assert secret not in text, (page, secret)
    assert "1 document could not be processed." in (day / "digest.html").read_text(encoding="utf-8")

    _run(inbox, out, tiny_model_dir, "--show-diagnostics", failures=1)
    shown = (day / "digest.html").read_text(encoding="utf-8")
    assert "broken.txt" in shown and "digest models download" in shown and "--model-dir" in shown
