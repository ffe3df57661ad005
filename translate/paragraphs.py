"""A language for each paragraph of a document, and the document's main language.

Scraped pages wrap a short article in English menus and footers, and some documents mix
languages paragraph by paragraph (Urdu paragraphs between English quotes). Detecting once per
document either publishes the article untranslated or sends the English through an Urdu model;
so each paragraph gets its own language, and the document's main language is the one its
content is written in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import UnsupportedLanguage
from core.records import Detection
from translate.base import Detector
from translate.detect import language_script, letter_scripts

# A paragraph with fewer letters than this is too short to detect alone ("Home", "Share this",
# a byline): it takes the language of its nearest neighbour written in the same script.
MIN_PARAGRAPH_LETTERS = 40
# English yields the main language to a non-English one holding this share of the letters: the
# English around a short article is menus and footers, and calling the article English would
# label it so in the digest.
MAIN_SHARE = 0.1
# A Latin paragraph is English unless langdetect is this sure of another Latin language.
LATIN_CONFIDENCE = 0.9
# A Latin paragraph is detected alone only if at least this share of its words begin in lower case:
# prose does, a navigation bar ("Home | Local News | Crime & Court") does not, and langdetect reads
# such a bar as German as readily as English.
PROSE_LOWERCASE_SHARE = 0.3
ENGLISH = "en"
# Paragraphs in the whole document's script are detected alone only within this many characters
# from the start, as the detector reads only the first pages: langdetect on every paragraph of a
# 20 MiB file would take minutes. Paragraphs in another script are always detected.
DETECT_ALONE_CHARS = 50_000


@dataclass(frozen=True)
class ParagraphLanguages:
    """The main language, each paragraph's language (in order) and each language's share of the letters."""

    main: Detection
    paragraphs: tuple[str, ...]
    shares: tuple[tuple[str, float], ...]  # largest share first, rounded to 2 places


def _script(counts: Counter[str]) -> str | None:
    if not counts:
        return None
    latin = counts.get("Latin", 0)
    others = sorted(((n, s) for s, n in counts.items() if s != "Latin"), reverse=True)
    # As in the detector: Latin letters beside another script are names and links.
    if others and others[0][0] >= 0.2 * (latin + sum(n for n, _ in others)):
        script = others[0][1]
        return "CJK" if script in ("Han", "Kana") else script
    return "Latin" if latin else (others[0][1] if others else None)


def paragraph_languages(
    paragraphs: Sequence[str], *, whole: Detection, detector: Detector
) -> ParagraphLanguages:
    """Each paragraph's language and the main language, given the whole document's detection `whole`."""
    counts = [letter_scripts(p) for p in paragraphs]
    letters = [sum(c.values()) for c in counts]
    scripts = [_script(c) for c in counts]
    whole_script = language_script(whole.language)
    found: list[str | None] = [None] * len(paragraphs)
    position = 0
    for i, paragraph in enumerate(paragraphs):
        same = scripts[i] == whole_script
        if same and whole.language != ENGLISH and whole_script != "Latin":
            found[i] = whole.language  # it would fold into the main language anyway (below)
        elif letters[i] >= MIN_PARAGRAPH_LETTERS and (not same or position < DETECT_ALONE_CHARS):
            found[i] = _detect_alone(paragraph, scripts[i], detector)
        position += len(paragraph)
    # Short paragraphs: the nearest detected paragraph in the same script, before or after.
    found = _from_neighbours(found, scripts)
    for i, paragraph in enumerate(paragraphs):
        if found[i] is None and scripts[i] is not None and scripts[i] != "Latin":
            # Alone in its script: even a few words of Hindi inside English chrome are an article.
            found[i] = _detect_alone(paragraph, scripts[i], detector, fallback=None)
    main = _main(found, letters, whole)
    main_script = language_script(main.language)
    languages: list[str] = []
    for i in range(len(paragraphs)):
        language = found[i]
        if language is None:
            # No letters, or Latin with no detected neighbour: the main language if it is written
            # in Latin, else English (the menus and bylines around a non-Latin article).
            if scripts[i] == "Latin" and main_script != "Latin":
                language = ENGLISH
            else:
                language = main.language
        elif language != ENGLISH and main.language != language and language_script(language) == main_script:
            # Two languages of one script in one document are rarer than a short paragraph
            # misread as its neighbour (Urdu as Persian): the whole document's reading wins.
            language = main.language
        languages.append(language)
    return ParagraphLanguages(main, tuple(languages), _shares(languages, letters))


def _detect_alone(
    paragraph: str, script: str | None, detector: Detector, *, fallback: str | None = None
) -> str | None:
    if script == "Latin" and not _is_prose(paragraph):
        return fallback
    try:
        detection = detector.detect(paragraph)
    except UnsupportedLanguage:
        return fallback
    if script == "Latin" and detection.language != ENGLISH and detection.confidence < LATIN_CONFIDENCE:
        return ENGLISH
    return detection.language


def _is_prose(paragraph: str) -> bool:
    words = [word for word in paragraph.split() if word[:1].isalpha()]
    return bool(words) and sum(word[0].islower() for word in words) >= PROSE_LOWERCASE_SHARE * len(words)


def _from_neighbours(found: Sequence[str | None], scripts: Sequence[str | None]) -> list[str | None]:
    """`found` with each gap filled from the nearest detected paragraph of its script (the earlier on a tie)."""
    before: list[int | None] = [None] * len(found)
    after: list[int | None] = [None] * len(found)
    last: dict[str | None, int] = {}
    for i in range(len(found)):
        if found[i] is not None:
            last[scripts[i]] = i
        else:
            before[i] = last.get(scripts[i])
    last = {}
    for i in reversed(range(len(found))):
        if found[i] is not None:
            last[scripts[i]] = i
        else:
            after[i] = last.get(scripts[i])
    filled = list(found)
    for i in range(len(found)):
        if found[i] is not None or scripts[i] is None:
            continue
        b, a = before[i], after[i]
        if b is not None and (a is None or i - b <= a - i):
            filled[i] = found[b]
        elif a is not None:
            filled[i] = found[a]
    return filled


def _main(found: Sequence[str | None], letters: Sequence[int], whole: Detection) -> Detection:
    if whole.language != ENGLISH:
        return whole
    counts: Counter[str] = Counter()
    for language, n in zip(found, letters):
        if language is not None:
            counts[language] += n
    total = sum(counts.values())
    foreign = [(n, language) for language, n in counts.items() if language != ENGLISH]
    if not total or not foreign:
        return whole
    n, language = max(foreign)
    if n / total < MAIN_SHARE:
        return whole
    return Detection(language, round(n / total, 4), "paragraphs")


def _shares(languages: Sequence[str], letters: Sequence[int]) -> tuple[tuple[str, float], ...]:
    counts: Counter[str] = Counter()
    for language, n in zip(languages, letters):
        counts[language] += n
    total = sum(counts.values())
    if not total:
        return tuple((language, round(1 / len(set(languages)), 2)) for language in dict.fromkeys(languages))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple((language, round(n / total, 2)) for language, n in ranked if n)
