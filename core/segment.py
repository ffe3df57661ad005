"""Splitting a document into sentences to translate, and putting the translations back together.

Paragraphs are kept: scraped news puts one paragraph per line, so every line break ends one.
Sentences end at . ? ! and at the terminators of other scripts (the Devanagari danda, the Urdu
full stop, the Arabic question mark, the CJK full stops), each kept with its sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from core.records import Segment

# Terminators that end a sentence wherever they stand; scripts that use them write no space after
# (CJK) or always end the sentence with them (danda, Urdu full stop).
_HARD_STOPS = "।॥۔؟。！？։።။"
# Terminators that end a sentence only before whitespace: "115.95%" and "e.g.," stay whole.
_SOFT_STOPS = ".?!…"
_CLOSERS = "\"'”’»」』)]"
_BOUNDARY = re.compile(f"(?:[{re.escape(_SOFT_STOPS)}]+|[{re.escape(_HARD_STOPS)}]+)[{re.escape(_CLOSERS)}]*")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words after which a full stop is an abbreviation, not the end of a sentence ("Dr. Minh").
_ABBREVIATIONS = _words(
    "mr mrs ms dr prof st sr jr vs e.g i.e cf approx gen col capt lt sgt gov sen rep dept univ"
)
# Abbreviations that are also ordinary words ("the answer was no."): only before a number.
_ABBREVIATIONS_BEFORE_NUMBER = _words(
    "no nos nr art arts sec ch p pp vol fig figs para jan feb mar apr jun jul aug sep sept oct nov dec"
)
_WORD_BEFORE = re.compile(r"(\S+)$")
_NEXT_CHAR = re.compile(r"\s*(\S?)")
_PARAGRAPH_BREAK = re.compile(r"[ \t\f\v]*\n\s*")
# After a clause mark followed by a space ("1,000" stays whole), or after the CJK marks, which
# are never followed by one.
_CLAUSE_END = re.compile(r"(?<=[,;:،؛—–])\s+|(?<=[，、；：])")


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, each with its terminator, surrounding whitespace removed."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        if not _ends_sentence(paragraph, match):
            continue
        piece = paragraph[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    rest = paragraph[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    mark, end = match.group(), match.end()
    if any(char in _HARD_STOPS for char in mark):
        return True
    if end < len(text) and not text[end].isspace():
        return False  # "115.95%", "example.com", "?!" inside a word
    following = _NEXT_CHAR.match(text, end)
    first = following.group(1) if following else ""
    if not first:
        return True
    if mark.rstrip(_CLOSERS) == ".":
        before = _WORD_BEFORE.search(text, max(0, match.start() - 40), match.start())
        word = before.group(1).lower().lstrip("(\"'“‘") if before else ""
        if word in _ABBREVIATIONS:
            return False
        if word in _ABBREVIATIONS_BEFORE_NUMBER and first.isdigit():
            return False
        if len(word) == 1 and word.isalpha():
            return False  # an initial: "J. K. Rowling"
    # "etc. and", "approx. five": a sentence does not begin in lower case.
    return not first.islower()


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


def split_long(text: str, *, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Split a sentence too long for the model into pieces that fit, dropping nothing.

    Splits at clause punctuation first, then between words, then (a word longer than the limit)
    between characters. Joining the pieces with spaces gives back every word of `text`, a word
    split between characters coming back in pieces.
    """
    text = text.strip()
    if not text or count_tokens(text) <= max_tokens:
        return [text] if text else []
    pieces: list[str] = []
    for clause in pack_pieces(_CLAUSE_END.split(text), count_tokens, max_tokens):
        if count_tokens(clause) <= max_tokens:
            pieces.append(clause)
            continue
        for words in pack_pieces(clause.split(), count_tokens, max_tokens):
            if count_tokens(words) <= max_tokens:
                pieces.append(words)
            else:
                pieces.extend(_split_characters(words, count_tokens, max_tokens))
    # The tail of a long clause may still share a piece with the clause after it.
    return pack_pieces(pieces, count_tokens, max_tokens)


def pack_pieces(units: Sequence[str], count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Join consecutive units with spaces into the fewest chunks that fit (a unit too long alone stays alone)."""
    chunks: list[str] = []
    current = ""
    for unit in (u.strip() for u in units):
        if not unit:
            continue
        candidate = f"{current} {unit}" if current else unit
        if current and count_tokens(candidate) > max_tokens:
            chunks.append(current)
            current = unit
        else:
            current = candidate
    if current:
        chunks.append(current)
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
