"""How much page chrome the text-scrape cleaner removes, and how much article text it loses.

Runs readers.documents.clean over the labelled corpus in tests/data/chrome/ (real pages, origins in
its README): each NAME.txt has a NAME.labels with one mark per line, A (article), C (chrome),
N (neither: dates, bylines, a repeated headline; not counted) or - (blank). Lines that recur in
three or more of the corpus's documents are passed as site template, as `digest run` does.

    python benchmarks/chrome_removal.py [--json] [--show] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from readers.chrome import document_key, fingerprints, template_lines
from readers.documents import clean

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "chrome"
# The targets: at least this share of chrome lines removed, at most this share of article lines lost.
CHROME_TARGET = 0.90
ARTICLE_TARGET = 0.02


def load(corpus: Path) -> list[tuple[str, list[str], list[str]]]:
    """(name, lines, labels) for every labelled page in `corpus`."""
    pages = []
    for text_path in sorted(corpus.glob("*.txt")):
        labels_path = text_path.with_suffix(".labels")
        if not labels_path.exists():
            continue
        lines = text_path.read_text(encoding="utf-8").split("\n")[:-1]
        labels = labels_path.read_text(encoding="utf-8").split("\n")[:-1]
        if len(lines) != len(labels):
            raise SystemExit(f"{labels_path}: {len(labels)} labels for {len(lines)} lines")
        pages.append((text_path.stem, lines, labels))
    return pages


def measure(corpus: Path = CORPUS, *, show: bool = False) -> dict[str, dict[str, float | int]]:
    """Per language (the file name's prefix) and overall: chrome lines, removed, article lines, lost."""
    pages = load(corpus)
    texts = {name: "\n".join(lines) for name, lines, _ in pages}
    template = template_lines([(document_key(t), fingerprints(t)) for t in texts.values()])
    counts: dict[str, Counter[str]] = {}
    for name, lines, labels in pages:
        cleaned = clean(texts[name], template=template)
        gone = set(cleaned.removed_at)
        language = name.split("-", 1)[0]
        for key in (language, "all"):
            counts.setdefault(key, Counter())
        for index, (line, label) in enumerate(zip(lines, labels)):
            removed = index in gone
            for key in (language, "all"):
                if label == "C":
                    counts[key]["chrome"] += 1
                    counts[key]["chrome_removed"] += removed
                elif label == "A":
                    counts[key]["article"] += 1
                    counts[key]["article_lost"] += removed
            if show and ((label == "C" and not removed) or (label == "A" and removed)):
                kind = "kept chrome " if label == "C" else "lost article"
                print(f"{name}: {kind}: {line.strip()[:100]}", file=sys.stderr)
    results: dict[str, dict[str, float | int]] = {}
    for key in sorted(counts, key=lambda k: (k == "all", k)):
        c = counts[key]
        results[key] = {
            "pages": sum(1 for name, _, _ in pages if key == "all" or name.split("-", 1)[0] == key),
            "chrome_lines": c["chrome"],
            "chrome_removed_pct": round(100 * c["chrome_removed"] / c["chrome"], 1) if c["chrome"] else 100.0,
            "article_lines": c["article"],
            "article_lost_pct": round(100 * c["article_lost"] / c["article"], 1) if c["article"] else 0.0,
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--show", action="store_true", help="list chrome kept and article lost, on stderr")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    results = measure(args.corpus, show=args.show)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'language':<9} {'pages':>5} {'chrome':>7} {'removed':>8} {'article':>8} {'lost':>6}")
        for key, r in results.items():
            print(
                f"{key:<9} {r['pages']:>5} {r['chrome_lines']:>7} {r['chrome_removed_pct']:>7.1f}% "
                f"{r['article_lines']:>8} {r['article_lost_pct']:>5.1f}%"
            )
    overall = results["all"]
    met = overall["chrome_removed_pct"] >= 100 * CHROME_TARGET and overall["article_lost_pct"] <= 100 * ARTICLE_TARGET
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
