"""A one-sentence article inside English menus and footers: how often is it translated?

    python benchmarks/detect_in_chrome.py           # every held-out sentence of hi ur fa ar mr bn
    python benchmarks/detect_in_chrome.py --json    # the same, as JSON
    python benchmarks/detect_in_chrome.py --quick   # the first 10 sentences of each language

Each document is one real held-out sentence (tests/data/heldout/<language>.txt: the Universal
Declaration of Human Rights, see its README) wrapped in about 300 letters of real English chrome:
the navigation, sharing and footer link texts of an English news page in the repository
(tests/data/html/tribune242.com-gunned.html, The Tribune, Nassau; the lines are in CHROME below).
Each sentence is placed in two layouts: one link per line (as a reader extracts a page's links),
and the menu on one line joined by " | " (as a text scrape keeps a navigation bar); the chrome
lines are taken from a window that moves with the sentence, so the documents differ.

"translated" counts documents whose article paragraph goes to a model (not the identity route)
after the detect stage (digest.stages.detect, the call a run makes); "main right" counts those
whose main language (the item's `language`) is the sentence's language; "chrome left as English"
those whose every chrome paragraph takes the identity route; "document-level" is what
the detector said of the whole body, which the route followed before paragraphs had their own.
Deterministic: langdetect is seeded, so every run gives the same figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core.records import Document, Route
from digest.stages import RouteOptions, detect, paragraphs_of
from translate.detect import ScriptLangDetector, letter_scripts

HELDOUT = REPO / "tests" / "data" / "heldout"
LANGUAGES = ("hi", "ur", "fa", "ar", "mr", "bn")
CHROME_LETTERS = 300
# Link texts of tests/data/html/tribune242.com-gunned.html, in page order: header, then footer.
MENU = (
    "The Tribune", "Jump to content", "Login or Sign up", "Home", "News", "Local News", "Crime & Court",
    "Politics", "Sports", "Business", "Weekend", "Weekend Pages", "Weekend PDF Archive", "Editorial",
    "Insight", "Letters to the Editor", "Columnists", "Life of Crime", "Lifestyle", "Woman", "Health",
    "Arts & Entertainment", "Religion", "Obituaries Archive", "Technology", "BSFN", "Weather",
    "Weather Forecast", "Weather News", "Archives", "Tribune PDF edition", "Tribune PDF archive",
    "Photo Galleries", "Home Buyers' Guide", "Help", "About Us", "Contact Us", "Tribune Classifieds",
    "Email Alerts", "Advertise",
)
FOOTER = (
    "Sign in to favorite this", "Discuss", "Comment", "Blog about", "Email", "Facebook", "Twitter",
    "OpenID", "Weather Forecast", "Tweets by @Tribune242", "NEW OBITUARIES NOW UNDER ARCHIVES/TRIBUNE PDF EDITION",
)


def _letters(text: str) -> int:
    return sum(letter_scripts(text).values())


def _take(lines: tuple[str, ...], start: int, letters: int) -> list[str]:
    """Consecutive lines from `start` (wrapping) until they hold `letters` letters."""
    taken: list[str] = []
    count = 0
    i = start
    while count < letters:
        line = lines[i % len(lines)]
        taken.append(line)
        count += _letters(line)
        i += 1
    return taken


def documents(language: str, sentences: list[str]) -> list[tuple[Document, str]]:
    """Each sentence in both layouts, with about CHROME_LETTERS letters of chrome: (document, sentence)."""
    out = []
    for n, sentence in enumerate(sentences):
        # About two thirds of the chrome above the article, a third below, as on the page.
        menu = _take(MENU, 3 * n, CHROME_LETTERS * 2 // 3)
        footer = _take(FOOTER, n, CHROME_LETTERS - sum(_letters(line) for line in menu))
        for layout, head in (("lines", "\n".join(menu)), ("bar", " | ".join(menu))):
            body = f"{head}\n{sentence}\n" + "\n".join(footer)
            path = Path(f"{language}-{n:03d}-{layout}.txt")
            out.append((Document(path, body, body, path.stem, None, ""), sentence))
    return out


def measure(language: str, *, limit: int | None = None) -> dict[str, object]:
    """Translated share, main-language share and the document-level detector's share for one language."""
    sentences = [s for s in (HELDOUT / f"{language}.txt").read_text(encoding="utf-8").splitlines() if s]
    pairs = documents(language, sentences[:limit])
    found = detect([d for d, _s in pairs], options=RouteOptions())
    by_path = {item.document.path: item for item in found.detected}
    detector = ScriptLangDetector()
    translated = main_right = whole_right = chrome_english = 0
    for document, sentence in pairs:
        whole_right += detector.detect(document.body).language == language
        item = by_path.get(document.path)
        if item is None:
            continue
        main_right += item.detection.language == language
        index = next(i for i, p in enumerate(paragraphs_of(document.body)) if sentence[:15] in p)
        route = item.paragraph_routes[index] if item.paragraph_routes else item.route
        translated += route.route is not Route.IDENTITY
        others = [r for i, r in enumerate(item.paragraph_routes) if i != index]
        chrome_english += all(r.route is Route.IDENTITY for r in others)
    total = len(pairs)
    return {
        "language": language,
        "documents": total,
        "translated": round(translated / total, 4),
        "main_right": round(main_right / total, 4),
        "document_level_right": round(whole_right / total, 4),
        "chrome_english": round(chrome_english / total, 4),
        "failures": len(found.failures),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the table (or JSON) for every language."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--quick", action="store_true", help="the first 10 sentences of each language")
    args = parser.parse_args(argv)
    rows = [measure(language, limit=10 if args.quick else None) for language in LANGUAGES]
    if args.json:
        print(json.dumps({"chrome_letters": CHROME_LETTERS, "results": rows}, indent=2))
        return 0
    print("| language | documents | translated | main language right | chrome left as English "
          "| document-level detector right |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['language']} | {row['documents']} | {row['translated']:.1%} | {row['main_right']:.1%} "
            f"| {row['chrome_english']:.1%} | {row['document_level_right']:.1%} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
