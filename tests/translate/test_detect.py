"""Language detection: scripts, the rules for languages sharing a script, and accuracy on real text."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import UnsupportedLanguage
from core.records import Detection
from translate.base import Detector
from translate.detect import ScriptLangDetector, detect_language, languages, letter_scripts

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
HELDOUT = REPO / "tests" / "data" / "heldout"


@pytest.fixture(scope="module")
def detector() -> ScriptLangDetector:
    return ScriptLangDetector()


def test_satisfies_the_detector_protocol(detector: ScriptLangDetector) -> None:
    assert isinstance(detector, Detector)


@pytest.mark.parametrize(
    ("sample", "language"),
    [
        ("hi-quang-nam-party-members-2024.txt", "hi"),
        ("ur-hai-duong-organising-committee-q1-2024.txt", "ur"),
        ("fa-isfahan-central-library-2024.txt", "fa"),
        ("en-riverside-bike-lanes-2024.txt", "en"),
    ],
)
def test_samples(detector: ScriptLangDetector, sample: str, language: str) -> None:
    found = detector.detect((SAMPLES / sample).read_text(encoding="utf-8"))
    assert found.language == language
    assert 0.9 <= found.confidence <= 1.0


# Short news sentences written for these tests: langdetect confuses neighbours on a few words.
SHORT = {
    "hi": [
        "पुणे में नया पुस्तकालय आज से सभी के लिए खोल दिया गया है।",
        "बैठक कल सुबह दस बजे होगी।",
        "जुलाई में परीक्षा आयोजित की जाएगी।",
        "स्वच्छ भारत अभियान जारी रहेगा।",
    ],
    "mr": [
        "सरकारने नवीन योजना जाहीर केली.",
        "शाळेच्या मुलांना मोफत प्रवेश मिळेल.",
        "पावसामुळे रस्ते बंद होते.",
        "शेतकऱ्यांना वेळेवर बियाणे मिळाले पाहिजे.",
    ],
    "ne": [
        "काठमाडौंमा नयाँ पुस्तकालय आजदेखि सबैका लागि खुला गरिएको छ।",
        "बैठक भोलि बिहान दस बजे हुनेछ।",
        "वर्षाका कारण सडकहरू बन्द भए।",
    ],
    "ur": ["طلبہ کو مفت داخلہ ملے گا۔", "اجلاس کل صبح دس بجے ہوگا۔", "بارش کی وجہ سے سڑکیں بند رہیں۔"],
    "fa": [
        "این طرح با همکاری شهرداری اجرا شد.",
        "به دلیل باران جاده‌ها بسته شد.",
        "دولت طرح تازه‌ای را اعلام کرد.",
    ],
    "ar": ["أعلنت الحكومة خطة جديدة.", "المدرسة الجديدة تستقبل الطلاب.", "أغلقت الطرق بسبب الأمطار."],
}


@pytest.mark.parametrize(
    ("language", "sentence"), [(language, s) for language, sentences in SHORT.items() for s in sentences]
)
def test_short_sentences_in_shared_scripts(
    detector: ScriptLangDetector, language: str, sentence: str
) -> None:
    assert detector.detect(sentence).language == language


def test_marker_words_overrule_langdetect_on_a_few_words(detector: ScriptLangDetector) -> None:
    import langdetect
    from langdetect.detector_factory import DetectorFactory

    sentence = "सरकारने नवीन योजना जाहीर केली."  # Marathi: "the government announced a new scheme"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DetectorFactory, "seed", 0)
        assert langdetect.detect(sentence) == "hi"  # why the rules exist
    assert detector.detect(sentence) == Detection("mr", 0.6, "script")


def test_english_boilerplate_around_urdu_and_hindi(detector: ScriptLangDetector) -> None:
    urdu = (
        "Home | World | Sports | Business | Login\n"
        "لاہور میں نیا کتب خانہ آج سے سب کے لیے کھول دیا گیا ہے۔\n"
        "Share on Facebook, Twitter, WhatsApp. Related articles. Copyright 2024 All rights reserved."
    )
    assert letter_scripts(urdu)["Latin"] > letter_scripts(urdu)["Arabic"]
    found = detector.detect(urdu)
    assert (found.language, found.method) == ("ur", "script")
    hindi = "Advertisement\nभारत में नई लाइब्रेरी खुली है और सभी के लिए मुफ्त प्रवेश है। Share this article on Facebook"
    assert detector.detect(hindi).language == "hi"


def test_a_short_quote_does_not_make_english_foreign(detector: ScriptLangDetector) -> None:
    text = (
        'The minister said "सबका साथ" and left the room after a long meeting with reporters '
        "in Delhi on Monday, promising a decision on the budget by the end of the month."
    )
    assert detector.detect(text).language == "en"


def test_links_do_not_count_as_english(detector: ScriptLangDetector) -> None:
    line = "स्रोत: https://baoquangnam.vn/nam-2024-dang-bo-tinh-quang-nam-ket-nap-2-203-dang-vien-moi.html"
    assert detector.detect(line).language == "hi"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("東京で新しい図書館が開館しました。", "ja"),
        ("北京的新图书馆今天正式开放。", "zh"),
        ("서울에 새 도서관이 문을 열었습니다.", "ko"),
        ("চট্টগ্রামে নতুন গ্রন্থাগার খুলেছে।", "bn"),
        ("Στην Αθήνα άνοιξε νέα βιβλιοθήκη.", "el"),
        ("У Києві відкрилася нова бібліотека для всіх охочих.", "uk"),
        ("В Москве открылась новая библиотека для всех желающих.", "ru"),
        ("У Београду је отворена нова библиотека за све грађане и ђаке.", "sr"),
        ("د کابل په ښار کې نوی کتابتون پرانیستل شو او ټولو خلکو ته ورکړل شو", "ps"),
        ("La nueva biblioteca abrió sus puertas el lunes por la mañana.", "es"),
    ],
)
def test_other_scripts_and_languages(detector: ScriptLangDetector, text: str, language: str) -> None:
    assert detector.detect(text).language == language


@pytest.mark.parametrize("text", ["", "   \n ", "2024 — 115.95% (0) ... 12:30", "🙂🙂🙂"])
def test_no_letters_is_unsupported(detector: ScriptLangDetector, text: str) -> None:
    with pytest.raises(UnsupportedLanguage, match="no letters; pass --lang XX"):
        detector.detect(text)


def test_too_few_letters_is_unsupported(detector: ScriptLangDetector) -> None:
    with pytest.raises(UnsupportedLanguage, match="only 2 letters") as error:
        detector.detect("OK 2024")
    assert "\n" not in str(error.value)


def test_same_text_same_answer() -> None:
    text = "یہ ایک مختصر جملہ ہے جس میں کچھ الفاظ ہیں"
    first = [ScriptLangDetector().detect(text) for _ in range(3)]
    assert first == [detect_language(text)] * 3


def test_every_language_it_returns_is_a_plain_code() -> None:
    codes = list(languages())
    assert {"hi", "ur", "fa", "ar", "mr", "ne", "en", "zh", "ja", "ps"} <= set(codes)
    assert all(code.isalpha() and code.islower() for code in codes)


def test_nothing_is_loaded_or_seeded_at_import() -> None:
    probe = (
        "import sys, translate.detect\n"
        "from langdetect.detector_factory import DetectorFactory\n"
        "assert DetectorFactory.seed is None, DetectorFactory.seed\n"
        "assert translate.detect._factory.cache_info().currsize == 0\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], check=False, cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


# --- accuracy on held-out real text (tests/data/heldout/README.md) ---------------------------


def _heldout(language: str) -> list[str]:
    lines = (HELDOUT / f"{language}.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


@pytest.fixture(scope="module")
def plain_langdetect() -> Iterator[object]:
    """langdetect alone, seeded, as the baseline."""
    import langdetect
    from langdetect.detector_factory import DetectorFactory

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DetectorFactory, "seed", 0)
        yield langdetect.detect


def _accuracy(guesses: list[str], language: str) -> float:
    return sum(guess == language for guess in guesses) / len(guesses)


@pytest.mark.parametrize("language", ["hi", "ur"])
def test_heldout_hindi_and_urdu_at_least_99_percent(detector: ScriptLangDetector, language: str) -> None:
    sentences = _heldout(language)
    assert len(sentences) >= 50
    accuracy = _accuracy([detector.detect(s).language for s in sentences], language)
    assert accuracy >= 0.99, f"{language}: {accuracy:.3f}"


@pytest.mark.parametrize("language", ["hi", "ur", "fa", "ar", "mr", "ne", "en"])
def test_heldout_no_worse_than_langdetect_alone(
    detector: ScriptLangDetector, plain_langdetect: object, language: str
) -> None:
    sentences = _heldout(language)
    assert len(sentences) >= 50
    baseline = _accuracy([plain_langdetect(s) for s in sentences], language)  # type: ignore[operator]
    ours = _accuracy([detector.detect(s).language for s in sentences], language)
    assert ours >= baseline, f"{language}: {ours:.3f} < langdetect's {baseline:.3f}"


# --- the English-word rule and the faster langdetect ------------------------------------------


def _no_langdetect(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every text that reaches langdetect."""
    import translate.detect as module

    reached: list[str] = []
    real = module.langdetect_probabilities

    def spy(text: str, **kwargs: object) -> dict[str, float]:
        reached.append(text)
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "langdetect_probabilities", spy)
    return reached


def test_english_prose_is_settled_by_its_words_without_langdetect(
    detector: ScriptLangDetector, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached = _no_langdetect(monkeypatch)
    found = detector.detect((SAMPLES / "en-riverside-bike-lanes-2024.txt").read_text(encoding="utf-8"))
    assert (found.language, found.method) == ("en", "script")
    assert found.confidence >= 0.999
    assert reached == []


def test_only_paragraphs_too_short_for_the_rule_reach_langdetect(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.records import Document
    from digest.stages import RouteOptions, detect, paragraphs_of
    from translate.detect import _english_confidence

    reached = _no_langdetect(monkeypatch)
    body = (SAMPLES / "en-riverside-bike-lanes-2024.txt").read_text(encoding="utf-8")
    [item] = detect([Document(Path("en.txt"), body, body, "en", None, "")], options=RouteOptions()).detected
    assert item.detection.language == "en"
    assert set(item.paragraph_languages) == {"en"}
    # The headline, two short sentences and the source line (a link, which is no evidence); the
    # document and its four longer paragraphs never.
    assert len(reached) == 4 < len(paragraphs_of(body))
    assert all(_english_confidence(text) is None for text in reached)


@pytest.mark.parametrize("language", ["en", "hi", "ur", "fa", "ar", "mr", "ne", "bn"])
def test_the_english_rule_changes_no_answer_on_held_out_text(
    detector: ScriptLangDetector, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    sentences = _heldout(language)
    fast = [detector.detect(s).language for s in sentences]
    monkeypatch.setattr("translate.detect.ENGLISH_MIN_WORDS", 10**9)  # the rule never fires: langdetect decides
    slow = [detector.detect(s).language for s in sentences]
    assert fast == slow


# Latin-script sentences in other languages, full of the short words English shares with them
# ("of", "is", "was", "we", "over", "for", "under", "be", "to", "also"), and of English names.
NOT_ENGLISH = [
    "Het is of was de bedoeling dat we in de stad over de brug gaan, zei de burgemeester.",
    "Was will er also in der Stadt? Er ist über die Brücke gegangen, um The Times zu kaufen.",
    "Vi har en have, og for os er det godt at være her under solen hele sommeren.",
    "A ház be van zárva, és az ajtó is, mert a család elment a tengerhez nyaralni.",
    "To jest dla nas to samo, co za tym idzie, nie ma sensu o tym mówić dalej.",
    "El grupo The Who tocó anoche en el estadio ante miles de personas que cantaron con ellos.",
    "La banda The Rolling Stones anunció una gira por América Latina para el próximo año.",
]


@pytest.mark.parametrize("sentence", NOT_ENGLISH)
def test_other_latin_languages_never_meet_the_english_rule(detector: ScriptLangDetector, sentence: str) -> None:
    from translate.detect import _english_confidence

    assert _english_confidence(sentence) is None
    assert detector.detect(sentence).method == "langdetect"


def test_the_spanish_page_never_meets_the_english_rule() -> None:
    from translate.detect import _english_confidence

    page = (REPO / "tests" / "data" / "chrome" / "es-newspaper-spanish.txt").read_text(encoding="utf-8")
    assert [line for line in page.splitlines() if _english_confidence(line) is not None] == []


@pytest.mark.parametrize(("language", "script"), [("en", "Latin"), ("ur", "Arabic"), ("hi", "Devanagari")])
def test_langdetect_limited_to_the_prior_gives_langdetects_own_numbers(language: str, script: str) -> None:
    from langdetect.lang_detect_exception import LangDetectException

    from translate.detect import _CANDIDATES, _factory, langdetect_probabilities

    prior = {lang: 1.0 + i for i, lang in enumerate(_CANDIDATES[script])}
    for sentence in _heldout(language)[:15]:
        full = _factory().create()  # every profile, the prior as a map over all of them
        full.set_prior_map(prior)
        full.append(sentence)
        try:
            expected = {item.lang: item.prob for item in full.get_probabilities()}
        except LangDetectException:
            expected = {}
        assert langdetect_probabilities(sentence, prior=prior) == expected


def test_letter_counts_match_a_character_by_character_count() -> None:
    import unicodedata
    from collections import Counter

    from translate.detect import script_of

    text = "Ünïcode ﬁne: Hello, दुनिया! مرحبا ۔ 你好 カタカナ Ελλάδα Ꭰ 123 _ ё ћ \u0301 \u093e"
    expected: Counter[str] = Counter()
    for char in text:
        if unicodedata.category(char)[0] in "LM" and script_of(char) is not None:
            expected[script_of(char)] += 1  # type: ignore[index]
    assert letter_scripts(text) == expected
