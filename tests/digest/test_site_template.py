"""Lines a site repeats on its pages are removed once three distinct documents show them, over nights."""

from __future__ import annotations

from pathlib import Path

from digest.engine import LocalEngine
from digest.pipeline import remove_site_template
from digest.stages import read
from digest.state import StateStore

SLOGAN = "दैनिक समाचार की ओर से हर सुबह आपका ताज़ा अंक"


def _page(folder: Path, name: str, headline: str, story: str) -> Path:
    path = folder / f"{name}.txt"
    path.write_text(
        f"{SLOGAN}\n{headline}\n"
        f"{story} के बारे में सरकार ने मंगलवार को नई जानकारी दी, जिससे शहर के लोगों को राहत मिलेगी और "
        f"काम अगले महीने से शुरू होगा।\n",
        encoding="utf-8",
    )
    return path


def _night(folder: Path, out: Path, paths: list[Path], date: str) -> list[str]:
    with StateStore.open(out) as state:
        loaded = read(paths, max_bytes=1 << 20)
        cleaned = remove_site_template(loaded, state=state, engine=LocalEngine(), seen_on=date)
    return [d.body for d in cleaned.documents]


def test_a_line_seen_on_earlier_nights_is_template_on_the_third_document(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    first = [_page(inbox, "a", "बसों की संख्या दोगुनी होगी", "बसों"), _page(inbox, "b", "मेट्रो की नई लाइन खुली", "मेट्रो")]
    bodies = _night(inbox, out, first, "2026-11-20")
    assert all(SLOGAN in body for body in bodies)  # two documents: not yet template

    third = _page(inbox, "c", "पानी की आपूर्ति बहाल हुई", "पानी")
    (body,) = _night(inbox, out, [third], "2026-11-21")
    assert SLOGAN not in body
    assert body.startswith("पानी की आपूर्ति बहाल हुई\n")


def test_copies_of_one_article_never_make_a_line_template(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    copies = [_page(inbox, f"copy-{n}", "बसों की संख्या दोगुनी होगी", "बसों") for n in range(4)]
    assert all(SLOGAN in body for body in _night(inbox, out, copies, "2026-11-20"))
