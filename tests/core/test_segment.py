"""Segmentation: sentences in several scripts, paragraphs kept, long sentences split without loss."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.records import Segment
from core.segment import rebuild, segment_text, split_long, split_sentences

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def texts(segments: list[Segment]) -> list[str]:
    return [segment.text for segment in segments]


def test_devanagari_danda_and_double_danda() -> None:
    assert split_sentences("पहला वाक्य। दूसरा वाक्य॥ तीसरा") == ["पहला वाक्य।", "दूसरा वाक्य॥", "तीसरा"]


def test_danda_needs_no_space_after_it() -> None:
    assert split_sentences("पहला।दूसरा।") == ["पहला।", "दूसरा।"]


def test_urdu_full_stop_and_arabic_question_mark() -> None:
    text = "یہ پہلا جملہ ہے۔ کیا یہ دوسرا ہے؟ هل هذا ثالث؟ آخری"
    assert split_sentences(text) == ["یہ پہلا جملہ ہے۔", "کیا یہ دوسرا ہے؟", "هل هذا ثالث؟", "آخری"]


def test_latin_terminators_keep_closing_quotes() -> None:
    text = 'He asked "why?" Nobody knew. "It works!" she said. Really?! Yes.'
    assert split_sentences(text) == [
        'He asked "why?"',
        "Nobody knew.",
        '"It works!" she said.',
        "Really?!",
        "Yes.",
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "2,203 new members joined, 115.95% of the target set in the resolution.",
        "Regulation No. 137-QD/TW was issued by the Secretariat.",
        "Dr. Minh and Mr. Son met the delegation at 9.30 in the morning.",
        "Prices rose approx. three percent, e.g. in fuel and rent.",
        "Comrade J. K. Nguyen chaired the meeting.",
        "2024 में 115.95% लक्ष्य पूरा हुआ।",
        "Visit example.com/news?id=3 for more.",
    ],
)
def test_no_split_inside_numbers_abbreviations_and_initials(sentence: str) -> None:
    assert split_sentences(sentence) == [sentence]


def test_an_ordinary_word_before_a_full_stop_still_ends_the_sentence() -> None:
    assert split_sentences("The answer was no. The vote was 7-2.") == [
        "The answer was no.",
        "The vote was 7-2.",
    ]


def test_cjk_full_stops() -> None:
    assert split_sentences("新图书馆开放了。读者很多！为什么？") == [
        "新图书馆开放了。",
        "读者很多！",
        "为什么？",
    ]


def test_paragraph_per_line_and_blank_lines() -> None:
    body = "पहला। दूसरा।\nतीसरा।\n\n\nچوتھا۔ پانچواں۔"
    segments = segment_text(body)
    assert segments == [
        Segment("पहला।", 0, " "),
        Segment("दूसरा।", 0, "\n"),
        Segment("तीसरा।", 1, "\n\n"),
        Segment("چوتھا۔", 2, " "),
        Segment("پانچواں۔", 2, ""),
    ]


def test_crlf_and_whitespace_only_lines() -> None:
    segments = segment_text("One.\r\n   \r\nTwo.\r\nThree.")
    assert [(s.text, s.paragraph, s.trailer) for s in segments] == [
        ("One.", 0, "\n\n"),
        ("Two.", 1, "\n"),
        ("Three.", 2, ""),
    ]


@pytest.mark.parametrize("body", ["", "   ", "\n\n\t\n"])
def test_empty_input(body: str) -> None:
    assert segment_text(body) == []
    assert rebuild([], []) == ""


def test_rebuild_keeps_the_paragraph_structure() -> None:
    segments = segment_text("पहला। दूसरा।\nतीसरा।\n\nचौथा।")
    english = rebuild(segments, ["First.", "Second.", "Third.", "Fourth."])
    assert english == "First. Second.\n\nThird.\n\nFourth."


def test_rebuild_skips_empty_translations_and_checks_lengths() -> None:
    segments = segment_text("एक। दो।\nतीन।")
    assert rebuild(segments, ["One.", "  ", "Three."]) == "One.\n\nThree."
    with pytest.raises(ValueError, match="2 translations for 3 segments"):
        rebuild(segments, ["One.", "Two."])


def test_rebuild_of_the_sample_keeps_every_sentence_and_paragraph() -> None:
    body = (SAMPLES / "ur-hai-duong-organising-committee-q1-2024.txt").read_text(encoding="utf-8").strip()
    segments = segment_text(body)
    assert len({s.paragraph for s in segments}) == len(body.splitlines())
    assert rebuild(segments, [s.text for s in segments]) == "\n\n".join(body.splitlines())


def words_of(pieces: list[str]) -> str:
    return "".join("".join(pieces).split())


def fake_tokens(text: str) -> int:
    """Roughly a subword tokenizer: one token per 4 characters of each word, plus end-of-sentence."""
    return sum(len(word) // 4 + 1 for word in text.split()) + 1


@pytest.mark.parametrize("limit", [8, 16, 40, 512])
def test_split_long_fits_and_loses_nothing(limit: int) -> None:
    for sample in ("hi-quang-nam-party-members-2024.txt", "ur-hai-duong-organising-committee-q1-2024.txt"):
        body = (SAMPLES / sample).read_text(encoding="utf-8")
        for line in body.splitlines():
            pieces = split_long(line, count_tokens=fake_tokens, max_tokens=limit)
            assert all(fake_tokens(piece) <= limit for piece in pieces)
            assert words_of(pieces) == words_of([line])  # every character, in order
            if all(fake_tokens(word) <= limit for word in line.split()):
                assert " ".join(pieces).split() == line.split()  # and every word whole


def test_split_long_prefers_clause_punctuation() -> None:
    text = "first clause here, second clause here; third clause here: fourth clause here"
    pieces = split_long(text, count_tokens=lambda s: len(s.split()) + 1, max_tokens=5)
    assert pieces == ["first clause here,", "second clause here;", "third clause here:", "fourth clause here"]


def test_split_long_with_urdu_and_arabic_commas() -> None:
    text = "پہلا حصہ یہاں، دوسرا حصہ یہاں؛ تیسرا حصہ یہاں"
    pieces = split_long(text, count_tokens=lambda s: len(s.split()) + 1, max_tokens=4)
    assert pieces == ["پہلا حصہ یہاں،", "دوسرا حصہ یہاں؛", "تیسرا حصہ یہاں"]


def test_split_long_breaks_a_word_longer_than_the_limit_by_characters() -> None:
    word = "ministrate-2020-2020-2023" * 8
    pieces = split_long(f"before {word} after", count_tokens=lambda s: len(s) // 10 + 1, max_tokens=4)
    assert all(len(piece) // 10 + 1 <= 4 for piece in pieces)
    assert words_of(pieces) == f"before{word}after"


def test_split_long_leaves_a_fitting_sentence_alone() -> None:
    assert split_long(" short one. ", count_tokens=fake_tokens, max_tokens=10) == ["short one."]
    assert split_long("  ", count_tokens=fake_tokens, max_tokens=10) == []


def test_split_long_refuses_a_limit_no_character_fits() -> None:
    with pytest.raises(ValueError, match="too small"):
        split_long("abcdef", count_tokens=lambda s: len(s) + 2, max_tokens=2)
