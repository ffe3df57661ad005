"""Splitting a document into sentences to translate, and putting the translations back together.

Paragraphs are kept: scraped news puts one paragraph per line, so every line break ends one.
Sentences end at . ? ! and at the terminators of other scripts (the Devanagari danda, the Urdu
full stop, the Arabic question mark, the CJK full stops), each kept with its sentence. A sentence
is kept whole across abbreviations and initials (`core.abbreviations`), decimals, closing quotes
and ellipses: in a verb-final language each half of a broken sentence lacks its verb or subject.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from core import abbreviations
from core.records import Segment

# Terminators that end a sentence wherever they stand; scripts that use them write no space after
# (CJK) or always end the sentence with them (danda, Urdu full stop).
_HARD_STOPS = "।॥۔؟。！？։።။"
# Terminators that end a sentence only before whitespace: "115.95%" and "e.g.," stay whole.
_SOFT_STOPS = ".?!…"
# Quotes and brackets that close a sentence stay with it. Urdu writes its quotes in either
# direction after "۔" (‘‘…’’, “…”), so the opening forms count as closers right after a stop.
_CLOSERS = "\"'”’»›」』)]‘“"
_BOUNDARY = re.compile(f"(?:[{re.escape(_SOFT_STOPS)}]+|[{re.escape(_HARD_STOPS)}]+)[{re.escape(_CLOSERS)}]*")
# "...", "…" and Urdu's "۔۔۔" trail off inside a sentence as often as they end one.
_ELLIPSIS = re.compile(r"\.{2,}|…+\.*|۔{2,}")
_OPENERS = "\"'“‘«‹「『(["
_WORD_BEFORE = re.compile(r"(\S+)$")
_NEXT_CHAR = re.compile(r"\s*(\S?)")
_NEXT_LETTER = re.compile(rf"\s*[{re.escape(_OPENERS)}]*(\S?)")
_PARAGRAPH_BREAK = re.compile(r"[ \t\f\v]*\n\s*")
# After a clause mark followed by a space ("1,000" stays whole), or after the CJK marks, which
# are never followed by one.
_CLAUSE_END = re.compile(r"(?<=[,;:،؛—–])\s+|(?<=[，、；：])")


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, each with its terminator, surrounding whitespace removed."""
    sentences: list[str] = []
    starts: list[int] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        if not _ends_sentence(paragraph, match):
            continue
        _add(paragraph, start, end, sentences, starts)
        start = end
    _add(paragraph, start, len(paragraph), sentences, starts)
    return sentences


def _add(paragraph: str, start: int, end: int, sentences: list[str], starts: list[int]) -> None:
    piece = paragraph[start:end].strip()
    if not piece:
        return
    if sentences and not any(char.isalnum() for char in piece):
        # A closing quote or a stray stop after a space ("ہے۔ ’’") belongs to the sentence before.
        sentences[-1] = paragraph[starts[-1] : end].strip()
        return
    sentences.append(piece)
    starts.append(start)


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    mark, start, end = match.group(), match.start(), match.end()
    stop = mark.rstrip(_CLOSERS)
    if _ELLIPSIS.fullmatch(stop):
        # Only a capital after it starts a new sentence; caseless scripts read on.
        following = _NEXT_LETTER.match(text, end)
        letter = following.group(1) if following else ""
        return not letter or letter.isupper()
    if any(char in _HARD_STOPS for char in mark):
        # "۳۔۵": Urdu text sometimes writes its full stop as the decimal point.
        return not (stop == "۔" and _between_digits(text, start, end))
    if end < len(text) and not text[end].isspace():
        return False  # "115.95%", "example.com", "?!" inside a word
    following = _NEXT_CHAR.match(text, end)
    first = following.group(1) if following else ""
    if not first:
        return True
    if stop == ".":
        before = _WORD_BEFORE.search(text, max(0, start - 40), start)
        word = before.group(1).lstrip(_OPENERS) if before else ""
        if _is_abbreviation(word, first):
            return False
    # "etc. and", "approx. five": a sentence does not begin in lower case.
    return not first.islower()


def _between_digits(text: str, start: int, end: int) -> bool:
    return 0 < start and end < len(text) and text[start - 1].isdigit() and text[end].isdigit()


def _is_abbreviation(word: str, following: str) -> bool:
    """Whether a full stop after `word` marks an abbreviation or initials rather than a sentence end."""
    lower = word.lower()
    if lower in abbreviations.ALWAYS:
        return True
    if lower in abbreviations.BEFORE_NUMBER and following.isdigit():
        return True
    pieces = lower.split(".")
    if not all(_is_initial(piece) for piece in pieces):
        return False
    # "U.S.", "बी.जे.पी.", "ه.ق." never end a sentence here; "a.m." and "p.m." end one before a capital.
    return len(pieces) == 1 or not word.islower() or not following.isupper()


def _is_initial(piece: str) -> bool:
    """A single letter of any script, or a letter's name as Hindi spells initials ("एस", "बी")."""
    return (
        (len(piece) == 1 and piece.isalpha())
        or piece in abbreviations.INITIALS
        or piece in abbreviations.ALWAYS
    )


def segment_text(body: str) -> list[Segment]:
    """Split `body` into sentences, recording the paragraph of each and the break that followed it."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    segments: list[Segment] = []
    paragraph = 0
    position = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        sentences = split_sentences(text[position:end])
        if sentences:
            separator = "\n\n" if match and match.group().count("\n") > 1 else "\n"
            for sentence in sentences[:-1]:
                segments.append(Segment(sentence, paragraph, " "))
            segments.append(Segment(sentences[-1], paragraph, separator if match else ""))
            paragraph += 1
        if match:
            position = match.end()
    return segments


def split_long(
    text: str,
    *,
    count_tokens: Callable[[str], int],
    max_tokens: int,
    target_tokens: int | None = None,
) -> list[str]:
    """Split a sentence too long for the model into pieces that fit, dropping nothing.

    A sentence over `target_tokens` (default `max_tokens`) is split at clause punctuation into
    pieces of at most `target_tokens` where it has any: sentence-level models skip clauses of
    inputs far longer than the sentences they were trained on. A clause over the target but within
    `max_tokens` stays whole; a longer one is split between words, then (a word longer than the
    limit) between characters, at `max_tokens`. Joining the pieces with spaces gives back every
    word of `text`, a word split between characters coming back in pieces.
    """
    text = text.strip()
    target = min(target_tokens or max_tokens, max_tokens)
    if not text or count_tokens(text) <= target:
        return [text] if text else []
    pieces: list[str] = []
    for clause in pack_pieces(_CLAUSE_END.split(text), count_tokens, target):
        if count_tokens(clause) <= max_tokens:
            pieces.append(clause)
            continue
        for words in pack_pieces(clause.split(), count_tokens, max_tokens):
            if count_tokens(words) <= max_tokens:
                pieces.append(words)
            else:
                pieces.extend(_split_characters(words, count_tokens, max_tokens))
    # The tail of a long clause may still share a piece with the clause after it.
    return pack_pieces(pieces, count_tokens, target)


def pack_pieces(units: Sequence[str], count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Join consecutive units with spaces into the fewest chunks that fit (a unit too long alone stays alone)."""
    units = [u for u in (u.strip() for u in units) if u]
    if not units:
        return []
    # Counting each unit once keeps this linear; re-encoding the growing chunk was quadratic. A sum is
    # only an estimate (special tokens are counted once, and a tokenizer may merge across the joining
    # space), so each chunk is then checked with real counts and moved to where the exact greedy
    # packing puts its end: the first unit whose addition no longer fits.
    overhead = count_tokens("")
    costs = [max(0, count_tokens(unit) - overhead) for unit in units]
    chunks: list[str] = []
    start = 0

    def fits(stop: int) -> bool:
        return count_tokens(" ".join(units[start:stop])) <= max_tokens

    while start < len(units):
        end, estimate = start + 1, overhead + costs[start]
        while end < len(units) and estimate + costs[end] <= max_tokens:
            estimate += costs[end]
            end += 1
        shrunk = False
        while end - start > 1 and not fits(end):
            end, shrunk = end - 1, True
        # After shrinking, the unit at `end` is already known not to fit.
        while not shrunk and end < len(units) and fits(end + 1):
            end += 1
        chunks.append(" ".join(units[start:end]))
        start = end
    return chunks


def _split_characters(word: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    pieces: list[str] = []
    rest = word
    while rest:
        # The longest prefix that fits, found by bisection: token counts grow with length.
        low, high = 1, len(rest)
        while low < high:
            middle = (low + high + 1) // 2
            if count_tokens(rest[:middle]) <= max_tokens:
                low = middle
            else:
                high = middle - 1
        if count_tokens(rest[:low]) > max_tokens:
            raise ValueError(
                f"max_tokens={max_tokens} is too small: a single character takes "
                f"{count_tokens(rest[:1])} tokens"
            )
        pieces.append(rest[:low])
        rest = rest[low:]
    return pieces


def paragraph_pairs(segments: Sequence[Segment], translations: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(original, translation) for each paragraph, in the segments' order, each side's sentences joined by spaces.

    Every paragraph that has a segment gets a pair, even one whose translation came out blank, so
    the two sides stay aligned paragraph by paragraph.
    """
    if len(segments) != len(translations):
        raise ValueError(f"{len(translations)} translations for {len(segments)} segments")
    pairs: list[tuple[list[str], list[str]]] = []
    last: int | None = None
    for segment, translation in zip(segments, translations):
        if segment.paragraph != last:
            pairs.append(([], []))
            last = segment.paragraph
        if segment.text.strip():
            pairs[-1][0].append(segment.text.strip())
        if translation.strip():
            pairs[-1][1].append(translation.strip())
    return tuple((" ".join(source), " ".join(english)) for source, english in pairs)


def rebuild(segments: Sequence[Segment], translations: Sequence[str]) -> str:
    """The translated text with the source's paragraphs: sentences joined by spaces, paragraphs by a blank line.

    A blank line even where the source broke paragraphs with a single newline (one per line, as
    scraped news does): the translation is Markdown, where a single newline joins paragraphs.
    """
    if len(segments) != len(translations):
        raise ValueError(f"{len(translations)} translations for {len(segments)} segments")
    paragraphs: list[list[str]] = []
    last: int | None = None
    for segment, translation in zip(segments, translations):
        if segment.paragraph != last:
            paragraphs.append([])
            last = segment.paragraph
        if translation.strip():
            paragraphs[-1].append(translation.strip())
    return "\n\n".join(" ".join(sentences) for sentences in paragraphs if sentences)
