"""A language per paragraph: English passes through, each other language goes to its own model."""

from __future__ import annotations

import pickle
from pathlib import Path

from core.records import Digest, Document, Route
from digest.engine import LocalEngine
from digest.pipeline import RunStages, process, translate_window
from digest.render import digest_from_json, digest_to_json
from digest.stages import (
    Detected,
    ModelHolder,
    ModelOptions,
    RouteOptions,
    SummarizeStage,
    detect,
    fixed_translators,
    paragraphs_of,
    record,
)
from tests.digest.fakes import Bracketing
from translate.detect import ScriptLangDetector, letter_scripts
from translate.paragraphs import paragraph_languages

HI = "Helsinki-NLP/opus-mt-hi-en"
UR = "Helsinki-NLP/opus-mt-ur-en"
URDU_1 = "لاہور میں نیا کتب خانہ آج سے سب کے لیے کھول دیا گیا ہے اور داخلہ مفت ہے۔"
URDU_2 = "شہر کے میئر نے کہا کہ یہ منصوبہ دو سال میں مکمل ہوا۔"
ENGLISH_QUOTE = "The mayor told reporters that the library would stay open late on weekdays."
HINDI_LINE = "भारत में नई लाइब्रेरी खुली है और सभी के लिए मुफ्त प्रवेश है।"
NAMED = "[{model}: {segment}]"
MENU = "Home | World | Sports | Business | Login"
FOOTER = "Share on Facebook, Twitter, WhatsApp. Related articles. Copyright 2024 All rights reserved."


def _doc(name: str, body: str) -> Document:
    return Document(Path(name), body, body, name, None, "")


def _detect_one(body: str) -> Detected:
    [item] = detect([_doc("doc.txt", body)], options=RouteOptions()).detected
    return item


def _translate(body: str) -> tuple[str, dict[str, Bracketing]]:
    item = _detect_one(body)
    fakes = {m: Bracketing(m, NAMED) for m in (HI, UR)}
    result, revision = translate_window(
        [item.document], route=item.route, stage=fixed_translators(fakes), engine=LocalEngine(), memory=None,
        paragraph_routes=[item.paragraph_routes],
    )
    assert revision == ("r1" if item.route.model_id else None)
    return result.translations[0].text, fakes


def test_english_paragraphs_of_an_urdu_document_stay_as_they_are() -> None:
    body = f"{URDU_1}\n{ENGLISH_QUOTE}\n{URDU_2}"
    item = _detect_one(body)
    assert (item.detection.language, item.route.model_id) == ("ur", UR)
    assert [r.route for r in item.paragraph_routes] == [Route.MARIAN, Route.IDENTITY, Route.MARIAN]

    text, fakes = _translate(body)

    assert text.split("\n\n") == [f"[{UR}: {URDU_1}]", ENGLISH_QUOTE, f"[{UR}: {URDU_2}]"]
    assert fakes[UR].calls == [[URDU_1, URDU_2]]  # the English never reaches the Urdu model


def test_a_hindi_line_inside_english_chrome_is_translated_and_is_the_main_language() -> None:
    body = f"{MENU}\n{HINDI_LINE}\n{FOOTER}"
    item = _detect_one(body)
    assert (item.detection.language, item.route.route) == ("hi", Route.MARIAN)

    text, _fakes = _translate(body)

    assert text.split("\n\n") == [MENU, f"[{HI}: {HINDI_LINE}]", FOOTER]


def test_a_paragraph_in_a_third_language_goes_to_its_own_route() -> None:
    body = f"{URDU_1}\n{HINDI_LINE}\n{URDU_2}\n{ENGLISH_QUOTE}"
    item = _detect_one(body)
    assert item.detection.language == "ur"
    assert [r.model_id for r in item.paragraph_routes] == [UR, HI, UR, None]

    text, fakes = _translate(body)

    assert text.split("\n\n") == [f"[{UR}: {URDU_1}]", f"[{HI}: {HINDI_LINE}]", f"[{UR}: {URDU_2}]", ENGLISH_QUOTE]
    assert (fakes[UR].calls, fakes[HI].calls) == ([[URDU_1, URDU_2]], [[HINDI_LINE]])


def test_short_paragraphs_take_their_neighbours_language() -> None:
    # "Read more" and a two-word Urdu caption are too short to tell alone.
    paragraphs = [URDU_1, "نئی عمارت", URDU_2, ENGLISH_QUOTE, "Read more", ENGLISH_QUOTE]
    whole = ScriptLangDetector().detect("\n".join(paragraphs))
    found = paragraph_languages(paragraphs, whole=whole, detector=ScriptLangDetector())
    assert found.main.language == "ur"
    assert found.paragraphs == ("ur", "ur", "ur", "en", "en", "en")


def test_a_short_english_line_between_urdu_paragraphs_is_english_not_urdu() -> None:
    # Its neighbours are Urdu, but in another script: it is the page's English, not the article.
    found = paragraph_languages(
        [URDU_1, "Read more", URDU_2], whole=ScriptLangDetector().detect(URDU_1), detector=ScriptLangDetector()
    )
    assert found.paragraphs == ("ur", "en", "ur")


def test_a_navigation_bar_is_not_read_as_another_latin_language() -> None:
    bar = "The Tribune | Weekend Pages | Weekend PDF Archive | Editorial | Insight | Letters to the Editor | Columnists"
    found = paragraph_languages(
        [bar, HINDI_LINE], whole=ScriptLangDetector().detect(f"{bar}\n{HINDI_LINE}"), detector=ScriptLangDetector()
    )
    assert found.paragraphs == ("en", "hi")


def test_an_english_document_takes_the_identity_route_as_before() -> None:
    item = _detect_one(f"{ENGLISH_QUOTE}\nRead more\n{FOOTER}")
    assert (item.detection.language, item.route.route, item.paragraph_routes) == ("en", Route.IDENTITY, ())
    assert item.languages == (("en", 1.0),)


def test_the_digest_lists_each_languages_share_of_the_letters() -> None:
    body = f"{URDU_1}\n{ENGLISH_QUOTE}\n{URDU_2}"
    item = _detect_one(body)
    letters = [sum(letter_scripts(p).values()) for p in paragraphs_of(body)]
    urdu = (letters[0] + letters[2]) / sum(letters)
    assert item.languages == (("ur", round(urdu, 2)), ("en", round(1 - urdu, 2)))  # by letters, largest first

    stages = RunStages(
        fixed_translators({m: Bracketing(m, NAMED) for m in (HI, UR)}),
        SummarizeStage.load(ModelHolder(ModelOptions()), kind="extractive", model_id="unused"),
    )
    [outcome] = list(process([item], stages=stages, engine=LocalEngine(), memory=None))
    [done] = outcome.finished
    assert pickle.loads(pickle.dumps(done)) == done
    entry = record(done, translation="translations/doc.en.md", date="2024-04-02").entry
    assert (entry.language, entry.model, entry.languages) == ("ur", UR, item.languages)

    text = digest_to_json(Digest("2024-04-02T03:00:00+00:00", "2024-04-02", (), (entry,)))
    assert '"languages": {\n        "ur": ' in text
    assert digest_from_json(text).items == (entry,)


def test_a_long_document_is_not_detected_paragraph_by_paragraph_past_the_first_pages() -> None:
    from core.records import Detection
    from translate import paragraphs as module

    class Counting(ScriptLangDetector):
        calls = 0

        def detect(self, text: str) -> Detection:
            Counting.calls += 1
            return super().detect(text)

    english = [ENGLISH_QUOTE] * 5000  # 380,000 characters
    found = paragraph_languages(
        [*english, URDU_1], whole=Detection("en", 1.0), detector=Counting()
    )
    assert found.paragraphs[-1] == "ur" and set(found.paragraphs[:-1]) == {"en"}
    assert Counting.calls <= module.DETECT_ALONE_CHARS // len(ENGLISH_QUOTE) + 2
    # An Urdu document's Arabic-script paragraphs are its language without a detector call each.
    Counting.calls = 0
    found = paragraph_languages([URDU_1] * 3000, whole=Detection("ur", 1.0), detector=Counting())
    assert Counting.calls == 0 and set(found.paragraphs) == {"ur"}
