"""`digest run` over a folder of text, Markdown, saved web pages, PDFs and Word files: one entry each."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.cli.helpers import REPO, SAMPLES, load_digest, run_cli
from tests.docx_files import heldout_lines, persian_article, write_statement

pytestmark = pytest.mark.e2e

pytest.importorskip("trafilatura")
pytest.importorskip("docx")
pytest.importorskip("pypdf")
pytest.importorskip("pypdfium2")

PAGES = REPO / "tests" / "data" / "html"
PDFS = REPO / "tests" / "data" / "pdf"
ENGLISH_PAGE = "tribune242.com-gunned.html"
GERMAN_PAGE = "bundespolizei.de-Belarus.html"
HINDI = "hi-quang-nam-party-members-2024.txt"


def _inbox(root: Path) -> Path:
    inbox = root / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / HINDI, inbox / HINDI)
    shutil.copy(SAMPLES / "en-riverside-bike-lanes-2024.txt", inbox / "riverside.md")
    shutil.copy(PAGES / ENGLISH_PAGE, inbox / ENGLISH_PAGE)
    shutil.copy(PAGES / GERMAN_PAGE, inbox / "belarus.htm")
    shutil.copy(PDFS / "ur-udhr.pdf", inbox / "ur-udhr.pdf")
    headline, paragraphs = persian_article()
    write_statement(
        inbox / "isfahan-library.docx",
        heading=headline,
        paragraphs=paragraphs,
        table=[heldout_lines("fa", 2)],
    )
    return inbox


def _run(inbox: Path, out: Path, models: Path, env: dict[str, str] | None = None) -> object:
    # German has no tiny opus-mt model in the test set: it goes to NLLB.
    return run_cli(
        "run", inbox, "--out", out, "--model-dir", models, "--summarizer", "extractive", "--fast",
        "--route", "de=nllb", env=env,
    )


def test_every_format_gives_one_entry_with_its_metadata_link(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)
    result = _run(inbox, tmp_path / "out", tiny_model_dir)
    assert result.returncode == 0, result.stderr
    day, digest = load_digest(tmp_path / "out")
    assert digest["failures"] == [] and digest["skipped"] == []
    items = {Path(item["path"]).name: item for item in digest["items"]}
    assert sorted(items) == sorted(
        [HINDI, "riverside.md", ENGLISH_PAGE, "belarus.htm", "isfahan-library.docx", "ur-udhr.pdf"]
    )
    assert items[ENGLISH_PAGE]["source_url"] == "http://www.tribune242.com/news/2022/apr/22/two-more-gunned-down/"
    assert items[ENGLISH_PAGE]["link"] == items[ENGLISH_PAGE]["source_url"]
    assert items["belarus.htm"]["source_url"] == (
        "https://www.bundespolizei.de/Web/DE/04Aktuelles/01Meldungen/2021/10/"
        "staendige_aktualisierung_migrationslage.html"
    )
    assert (items["belarus.htm"]["language"], items["belarus.htm"]["route"]) == ("de", "nllb")
    # English needs no translation: the page's headline is the entry's title, its article the text.
    assert (items[ENGLISH_PAGE]["language"], items[ENGLISH_PAGE]["route"]) == ("en", "identity")
    assert items[ENGLISH_PAGE]["title"] == "Two more gunned down"
    translation = (day / items[ENGLISH_PAGE]["translation"]).read_text(encoding="utf-8")
    assert "TWO men were killed in separate incidents just hours apart yesterday." in translation
    assert "Classifieds" not in translation
    # A Word file has no link: it links to itself, as a text file without a source line does.
    statement = items["isfahan-library.docx"]
    assert statement["source_url"] is None
    assert statement["link"] == (inbox / "isfahan-library.docx").resolve().as_uri()
    assert statement["language"] == "fa"
    assert str(items[HINDI]["source_url"]).startswith("https://baoquangnam.vn/")
    # A PDF with a text layer: read, its language found, translated by its route.
    declaration = items["ur-udhr.pdf"]
    assert (declaration["language"], declaration["route"]) == ("ur", "marian")
    assert declaration["link"] == (inbox / "ur-udhr.pdf").resolve().as_uri()
    for item in digest["items"]:
        assert item["summary"].strip()
    assert result.stdout.startswith("digest: 6 of 6 files") and " 0 failed;" in result.stdout


def test_a_missing_extra_fails_only_its_files_with_the_pip_command(tiny_model_dir: Path, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path)
    # Python imports sitecustomize at start-up: this one makes trafilatura and python-docx
    # unimportable, as on an install without the [html] and [docx] extras.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\nsys.modules['trafilatura'] = None\nsys.modules['docx'] = None\nsys.modules['pypdf'] = None\n", encoding="utf-8"
    )
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))
    result = _run(inbox, tmp_path / "out", tiny_model_dir, env={"PYTHONPATH": path})
    assert result.returncode == 1, result.stderr
    _, digest = load_digest(tmp_path / "out")
    assert sorted(Path(item["path"]).name for item in digest["items"]) == sorted([HINDI, "riverside.md"])
    html_fix = (
        "reading HTML pages needs the html extra (trafilatura is not installed or cannot be imported): "
        "pip install 'digest-translate[html]'"
    )
    pdf_fix = (
        "reading PDF files needs the pdf extra (pypdf is not installed or cannot be imported): "
        "pip install 'digest-translate[pdf]'"
    )
    docx_fix = (
        "reading Word .docx files needs the docx extra (docx is not installed or cannot be imported): "
        "pip install 'digest-translate[docx]'"
    )
    assert {Path(f["path"]).name: f["error"] for f in digest["failures"]} == {
        "belarus.htm": html_fix,
        ENGLISH_PAGE: html_fix,
        "isfahan-library.docx": docx_fix,
        "ur-udhr.pdf": pdf_fix,
    }
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert sorted(failed) == sorted([
        f"failed: {inbox / 'belarus.htm'}: {html_fix}",
        f"failed: {inbox / ENGLISH_PAGE}: {html_fix}",
        f"failed: {inbox / 'isfahan-library.docx'}: {docx_fix}",
        f"failed: {inbox / 'ur-udhr.pdf'}: {pdf_fix}",
    ])
    assert "Traceback" not in result.stderr
