"""`digest run` over scraped pages full of chrome: translations and titles keep only the article."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import load_digest, run_cli

pytestmark = pytest.mark.e2e

SLOGAN = "The Riverside Courier brings you the news that matters every single morning"
CHROME = [
    "top of page", "Home", "World", "Politics", "Sports", "Subscribe", "14.1 C", "Premium Content",
    "Live Updates", "QR Code", "Leave a reply", "3 Comments", "Advertisement", SLOGAN,
    "Most read: Council votes on the budget", "Trending: Storm closes the bridge",
]


def _page(headline: str, story: str) -> str:
    return (
        f"top of page\nHome\nWorld\nPolitics\nSports\nSubscribe\n14.1 C\nPremium Content\nLive Updates\n{SLOGAN}\n"
        f"{headline}\n"
        f"{story} The council said on Tuesday that the work would begin next month and finish within the year, "
        "and residents will be able to follow its progress on the city's website.\n"
        "Advertisement\n"
        "Officials added that the cost had been agreed with the contractors and that no further delays "
        "were expected before the opening ceremony in the spring.\n"
        "Read more: https://courier.example/news/story\n"
        "3 Comments\nLeave a reply\nQR Code\n"
        "Most read: Council votes on the budget\nTrending: Storm closes the bridge\n"
    )


def test_chrome_is_gone_from_translations_titles_and_counted(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    headlines = {
        "bridge.txt": "New footbridge to link the two banks of the river",
        "library.txt": "Central library reopens after two years of repairs",
        "park.txt": "Riverside park gets a new playground and more trees",
    }
    for name, headline in headlines.items():
        (inbox / name).write_text(_page(headline, headline + "."), encoding="utf-8")

    result = run_cli("run", inbox, "--out", tmp_path / "out", "--summarizer", "extractive", "--verbose")

    assert result.returncode == 0, result.stderr
    day, digest = load_digest(tmp_path / "out")
    items = {Path(item["path"]).name: item for item in digest["items"]}
    assert {name: item["title"] for name, item in items.items()} == headlines
    for item in items.values():
        assert item["source_url"] == "https://courier.example/news/story"
        translation = (day / item["translation"]).read_text(encoding="utf-8")
        body = translation.split("---\n", 1)[1]
        for chrome in CHROME:
            assert chrome not in body, chrome
        assert "Officials added that the cost had been agreed" in body
    # Every removed line is reported with its rule under --verbose, and counted.
    assert "removed (weather): 14.1 C" in result.stderr
    assert f"removed (site template): {SLOGAN}" in result.stderr
    assert "removed (after the article): Most read: Council votes on the budget" in result.stderr
    assert digest["stats"]["lines_removed"] == 3 * 17
