"""The published pages laid out by headless Chromium at desktop and phone widths, light and dark."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.records import Digest, DigestEntry, Route, Stats
from digest.pages import translation_html
from digest.publish import publish, write_day

pytestmark = [pytest.mark.browser, pytest.mark.slow]

URDU = [
    "لاہور میں نیا کتب خانہ آج سے سب کے لیے کھول دیا گیا ہے اور داخلہ مفت ہے۔ شہر کے میئر نے کہا کہ یہ منصوبہ دو سال میں مکمل ہوا۔",
    "The mayor told reporters that the library would stay open late on weekdays.",
    "کتب خانے میں ایک لاکھ سے زیادہ کتابیں ہیں اور بچوں کے لیے ایک الگ حصہ بھی بنایا گیا ہے۔",
]
ENGLISH = [
    "A new library in Lahore has been opened to everyone from today and admission is free. The city's mayor "
    "said the project was completed in two years.",
    URDU[1],
    "The library has more than one hundred thousand books and a separate section has been built for children.",
]
# Written into a copy of each page: where the first original paragraph sits against its English,
# and whether anything is wider than the viewport. The harness page around it records the answer.
PROBE = """<script>addEventListener('load', () => {
  const pair = document.querySelector('.pair');
  let layout = 'none';
  if (pair) {
    const a = pair.children[0].getBoundingClientRect(), b = pair.children[1].getBoundingClientRect();
    if (Math.abs(a.top - b.top) < 1 && (b.left >= a.right || a.left >= b.right)) layout = 'beside';
    else if (b.top >= a.bottom) layout = 'stacked';
    else layout = 'overlapping';
  }
  parent.postMessage(JSON.stringify({width: innerWidth, scroll: document.documentElement.scrollWidth,
    layout, background: getComputedStyle(document.body).backgroundColor}), '*');
});</script>"""
HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{src}" style="border:0;width:{width}px;height:900px"></iframe>
<script>addEventListener('message', e => document.body.setAttribute('data-probe', e.data));</script>
</body></html>"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs it from the system packages")
        pytest.skip("chromium is not installed")
    return found


def _browse(chromium: str, *args: str) -> str:
    # Headless windows are at least 500 px wide, so narrower viewports are iframes in a harness page.
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--virtual-time-budget=5000", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _measure(chromium: str, page: Path, width: int, *, dark: bool) -> dict[str, Any]:
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    harness = page.with_name(f".harness-{width}-{page.name}")
    harness.write_text(HARNESS.format(src=probe.name, width=width), encoding="utf-8")
    scheme = ["--blink-settings=preferredColorScheme=0"] if dark else []
    dom = _browse(chromium, f"--window-size={max(width, 500) + 20},900", *scheme, "--dump-dom", harness.as_uri())
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    ur = DigestEntry(
        path="/srv/in/lahore-library.txt", title="A new library opens in Lahore", language="ur", confidence=0.99,
        route=Route.NLLB, model="facebook/nllb-200-distilled-600M", summary=ENGLISH[0] + "\n\n" + ENGLISH[2],
        source_url="https://www.dawn.example/news/lahore-library-opens-to-all-with-free-admission",
        link="https://www.dawn.example/news/lahore-library-opens-to-all-with-free-admission",
        translation="translations/lahore-library.en.md", original_title="لاہور میں نیا کتب خانہ کھل گیا",
        published="2024-04-01",
    )
    en = DigestEntry(
        path="/srv/in/harbour.txt", title="Harbour traffic weekly report", language="en", confidence=0.97,
        route=Route.IDENTITY, model=None, summary="Traffic rose by 4% again this week.", source_url=None,
        link="file:///srv/in/harbour.txt", translation="translations/harbour.en.md",
    )
    day = Digest("2024-04-02T03:00:00+00:00", "2024-04-02", ("/srv/in",), (ur, en), stats=Stats(files=2))
    folder = out / day.date / "translations"
    folder.mkdir(parents=True)
    (folder / "lahore-library.en.html").write_text(
        translation_html(ur, date=day.date, paragraphs=list(zip(URDU, ENGLISH)), paragraph_languages=["ur", "en", "ur"]),
        encoding="utf-8",
    )
    write_day(out, day)
    publish(out, day)
    return out


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_translation_page_is_side_by_side_on_a_desktop_and_stacked_on_a_phone(site: Path, dark: bool) -> None:
    chromium = _chromium()
    page = site / "2024-04-02" / "translations" / "lahore-library.en.html"
    desktop = _measure(chromium, page, 1280, dark=dark)
    assert desktop["width"] == 1280 and desktop["layout"] == "beside"
    phone = _measure(chromium, page, 400, dark=dark)
    assert phone["width"] == 400 and phone["layout"] == "stacked"
    assert phone["scroll"] <= 400  # nothing wider than the phone: no sideways scrolling
    assert (phone["background"] == "rgb(18, 18, 18)") is dark


@pytest.mark.parametrize("name", ["2024-04-02/digest.html", "index.html"])
def test_digest_pages_fit_a_phone(site: Path, name: str) -> None:
    chromium = _chromium()
    for width in (1280, 400):
        measured = _measure(chromium, site / name, width, dark=False)
        assert measured["width"] == width and measured["scroll"] <= width


def test_screenshots_are_rendered(site: Path, tmp_path: Path) -> None:
    chromium = _chromium()
    for name in ("2024-04-02/digest.html", "2024-04-02/translations/lahore-library.en.html"):
        for width in (1280, 500):
            shot = tmp_path / f"{name.replace('/', '_')}-{width}.png"
            _browse(chromium, f"--window-size={width},900", f"--screenshot={shot}", (site / name).as_uri())
            data = shot.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
            assert int.from_bytes(data[16:20], "big") == width  # the PNG's width
