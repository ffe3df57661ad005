"""Language detection: the script of the letters first, then langdetect among that script's languages.

langdetect alone is weak where languages share a script (Urdu, Persian and Arabic; Hindi, Marathi
and Nepali) and is thrown off by English boilerplate around a non-Latin article. So the letters are
sorted by script first: a script used by one language decides alone; otherwise letters and words
only one language uses decide, and langdetect, restricted to that script's languages and fed only
that script's text, settles the rest.
"""

from __future__ import annotations

import bisect
import functools
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import UnsupportedLanguage
from core.records import Detection

if TYPE_CHECKING:
    from langdetect.detector import Detector
    from langdetect.detector_factory import DetectorFactory

MIN_LETTERS = 3
# The script with the most letters decides, except that Latin yields to another script holding
# this share: scraped pages wrap a non-Latin article in English menus, captions and share
# buttons, the reverse (an English article framed by another script) is rare, and taking a
# foreign article for English would publish it untranslated.
MINORITY_SHARE = 0.2
# The language shows in the first pages; reading a 20 MiB file letter by letter would take seconds.
MAX_CHARS = 50_000
_LANGDETECT_SEED = 0

# (first code point, last code point, script); sorted by first code point.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, "Latin"),
    (0x0250, 0x02AF, "Latin"),
    (0x0370, 0x03FF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"),
    (0x0530, 0x058F, "Armenian"),
    (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0750, 0x077F, "Arabic"),
    (0x0870, 0x08FF, "Arabic"),
    (0x0900, 0x097F, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"),
    (0x0A00, 0x0A7F, "Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B00, 0x0B7F, "Oriya"),
    (0x0B80, 0x0BFF, "Tamil"),
    (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"),
    (0x0D00, 0x0D7F, "Malayalam"),
    (0x0D80, 0x0DFF, "Sinhala"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Lao"),
    (0x0F00, 0x0FFF, "Tibetan"),
    (0x1000, 0x109F, "Myanmar"),
    (0x10A0, 0x10FF, "Georgian"),
    (0x1100, 0x11FF, "Hangul"),
    (0x1200, 0x139F, "Ethiopic"),
    (0x1780, 0x17FF, "Khmer"),
    (0x1C80, 0x1C8F, "Cyrillic"),
    (0x1C90, 0x1CBF, "Georgian"),
    (0x1E00, 0x1EFF, "Latin"),
    (0x1F00, 0x1FFF, "Greek"),
    (0x2C00, 0x2C5F, "Glagolitic"),
    (0x2C60, 0x2C7F, "Latin"),
    (0x2D80, 0x2DDF, "Ethiopic"),
    (0x2DE0, 0x2DFF, "Cyrillic"),
    (0x2E80, 0x2FDF, "Han"),
    (0x3005, 0x3007, "Han"),
    (0x3040, 0x30FF, "Kana"),
    (0x3130, 0x318F, "Hangul"),
    (0x31F0, 0x31FF, "Kana"),
    (0x3400, 0x4DBF, "Han"),
    (0x4E00, 0x9FFF, "Han"),
    (0xA640, 0xA69F, "Cyrillic"),
    (0xA720, 0xA7FF, "Latin"),
    (0xA8E0, 0xA8FF, "Devanagari"),
    (0xAB30, 0xAB6F, "Latin"),
    (0xAC00, 0xD7AF, "Hangul"),
    (0xF900, 0xFAFF, "Han"),
    (0xFB00, 0xFB06, "Latin"),
    (0xFB1D, 0xFB4F, "Hebrew"),
    (0xFB50, 0xFDFF, "Arabic"),
    (0xFE70, 0xFEFF, "Arabic"),
    (0xFF21, 0xFF5A, "Latin"),
    (0xFF66, 0xFF9F, "Kana"),
    (0xFFA0, 0xFFDC, "Hangul"),
    (0x20000, 0x3134F, "Han"),
)
_STARTS = [start for start, _end, _script in _RANGES]

# Scripts written by one language here (Bengali also by Assamese, Hebrew also by Yiddish: the
# larger language is taken; --lang overrides).
_SINGLE_LANGUAGE = {
    "Greek": "el",
    "Armenian": "hy",
    "Hebrew": "he",
    "Bengali": "bn",
    "Gurmukhi": "pa",
    "Gujarati": "gu",
    "Oriya": "or",
    "Tamil": "ta",
    "Telugu": "te",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Sinhala": "si",
    "Thai": "th",
    "Lao": "lo",
    "Tibetan": "bo",
    "Myanmar": "my",
    "Georgian": "ka",
    "Hangul": "ko",
    "Ethiopic": "am",
    "Khmer": "km",
}

# The langdetect languages written in each shared script.
_CANDIDATES = {
    "Latin": (
        "af",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "en",
        "es",
        "et",
        "fi",
        "fr",
        "hr",
        "hu",
        "id",
        "it",
        "lt",
        "lv",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "sk",
        "sl",
        "so",
        "sq",
        "sv",
        "sw",
        "tl",
        "tr",
        "vi",
    ),
    "Cyrillic": ("ru", "uk", "bg", "mk"),
    "Arabic": ("ar", "fa", "ur"),
    "Devanagari": ("hi", "mr", "ne"),
}
# langdetect's names that differ from the codes used everywhere else.
_LANGDETECT_NAMES = {"zh-cn": "zh", "zh-tw": "zh"}

# Letters that only one language of a shared script uses; enough of them settles the language
# before langdetect (which knows none of Pashto, Sindhi, Sorani, Uyghur, Belarusian or Serbian).
_EXCLUSIVE_LETTERS: dict[str, tuple[tuple[str, str], ...]] = {
    "Arabic": (
        ("ug", "ۇۈۋ"),
        ("ps", "ټډړښږځڅګڼۍ"),
        ("sd", "ٻڀٺٽٿڄڃڇڊڌڍڏڙڦڪڱڳ"),
        ("ckb", "ڵڕێ"),
    ),
    "Cyrillic": (
        ("be", "ў"),
        ("sr", "ђћ"),
    ),
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Urdu alone among Urdu, Persian and Arabic writes these: retroflex ٹ ڈ ڑ, noon ghunna ں, bari ye ے,
# and the Urdu full stop; gol he ہ and do-chashmi he ھ replace the Persian and Arabic ه.
_URDU_STRONG = "ٹڈڑںےۓ۔"
_URDU_WEAK = "ہھۃ"
_PERSIAN_LETTERS = "پچژگیک"  # Persian ye and kaf (U+06CC, U+06A9), which Arabic writes ي and ك
_ARABIC_LETTERS = "ةيكى"
_PERSIAN_WORDS = _words("است این را که می های برای شد شده آن بود خواهد کرد کند شود باید هر نیز یک")
_ARABIC_WORDS = _words("في على التي الذي الذين إلى أن عن هذا هذه ذلك كان مع أو وقد التى إلي لم لن")

# Words and endings that only one of Hindi, Marathi and Nepali uses. Words all three share, or
# that are rare words in another ("होता" ends Marathi and Hindi sentences alike, "जुलाई" ends like
# Nepali "-लाई"), are left out: one wrong marker would outweigh langdetect on a short sentence.
_HINDI_WORDS = _words("है हैं में और से था थे थी नहीं किया यह वह ने इस गया गई होगा होगी जाएगा करने किसी भी")
_MARATHI_WORDS = _words(
    "आहे आहेत आणि हे नाही केली करण्यात करणे त्याच्या त्यांच्या त्या मध्ये म्हणून असे असा अशी "
    "येथे तसेच झाले झाली यांच्या असलेल्या यांना त्यांना किंवा पाहिजे कोणत्याही"
)
_NEPALI_WORDS = _words(
    "छ छन् छैन होइन मा पनि र यो त्यो थियो थिए गर्न गरेको भएको हुन्छ हुने गर्ने भने गरी सक्ने "
    "पर्छ गरिएको उनले उनी हुनेछ गरेका भएका रहेको कुनै सबै"
)
# Words English writes and the other Latin-script languages here do not, or only as rare words
# (articles, pronouns, conjunctions; "of", "to", "in", "is", "was", "we", "be", "for", "will", "also",
# "over" and "under" are common words of Dutch, Polish, Hungarian, German or the Scandinavian
# languages, so they are left out). English prose is about a fifth these;
# enough of them settles English before langdetect, whose n-gram sampling is otherwise most of the
# time a run spends on an English document.
_ENGLISH_WORDS = _words(
    "the and that which with this these those from been were their they them would should could shall "
    "have there what when where whether into about who its his she him you your any such every everyone "
    "without against between through because being other than while some many"
)
ENGLISH_MIN_WORDS = 3
ENGLISH_SHARE = 0.12
_MARATHI_SUFFIXES = ("च्या", "ाचा", "ाची", "ाचे")
_NEPALI_SUFFIXES = ("हरू", "हरु", "ेको", "िएको", "्छन्")
# Links and addresses are Latin whatever the page's language; they say nothing about it.
_LINKS = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+")
_DEVANAGARI_WORD = re.compile(r"[\u0900-\u0963\u0971-\u097F\uA8E0-\uA8FF]+")
_ARABIC_WORD = re.compile(r"[\u0600-\u06FF\u0750-\u077F]+")
_LATIN_WORD = re.compile(r"[^\W\d_]+")


def script_of(char: str) -> str | None:
    """The script of one letter, or None for letters outside the known scripts."""
    code = ord(char)
    index = bisect.bisect_right(_STARTS, code) - 1
    if index >= 0:
        start, end, script = _RANGES[index]
        if start <= code <= end:
            return script
    return None


def _is_letter(char: str) -> bool:
    # Vowel signs are marks, not letters, yet they are half of a Devanagari or Bengali word:
    # counting only letters would let a line of English outweigh a paragraph of Hindi.
    return unicodedata.category(char)[0] in "LM"


@functools.lru_cache(maxsize=65_536)
def _letter_script(char: str) -> str | None:
    """The script of a letter ("" outside the known scripts), or None for a character that is no letter."""
    if not _is_letter(char):
        return None
    return script_of(char) or ""


# ASCII letters are Latin and no other ASCII character is a letter or a mark: counted in C, they
# leave only the other characters to look up one by one (most text is mostly ASCII).
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LETTER_OR_NON_ASCII = re.compile(r"[A-Za-z]|[^\x00-\x7f]")


def letter_scripts(text: str) -> Counter[str]:
    """How many letters (vowel signs included) of `text` are in each script."""
    counts: Counter[str] = Counter()
    latin = sum(map(len, _ASCII_LETTERS.findall(text)))
    if latin:
        counts["Latin"] = latin
    for char in _NON_ASCII.findall(text):
        script = _letter_script(char)
        if script:
            counts[script] += 1
    return counts


@functools.cache
def _factory() -> DetectorFactory:
    # Loaded on first use: the profiles take a noticeable fraction of a second and much memory.
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    # langdetect samples n-grams at random; a fixed seed makes the same text give the same answer.
    factory.set_seed(_LANGDETECT_SEED)
    return factory


def langdetect_probabilities(text: str, *, prior: Mapping[str, float] | None = None) -> dict[str, float]:
    """langdetect's language probabilities for `text`, limited to the languages in `prior` if given."""
    from langdetect.lang_detect_exception import LangDetectException

    factory = _factory()
    for attempt in (text, text.lower()):
        if prior:
            detector = _restricted_detector(factory, prior)
        else:
            detector = factory.create()
        detector.append(attempt)
        try:
            found = detector.get_probabilities()
        except LangDetectException:
            # Words in capitals are ignored as names; an all-capitals text has no features left.
            continue
        probabilities: dict[str, float] = {}
        for item in found:
            code = _LANGDETECT_NAMES.get(item.lang, item.lang)
            probabilities[code] = probabilities.get(code, 0.0) + item.prob
        return probabilities
    return {}


def _restricted_detector(factory: DetectorFactory, prior: Mapping[str, float]) -> Detector:
    """A langdetect Detector that tracks only the languages `prior` allows, with `prior` set.

    A language with no prior keeps probability 0 through every update, so langdetect's answer is the
    same, bit for bit, as from a Detector over all 55 profiles: the n-grams (and so the seeded
    sampling) come from every profile, only the per-language products skip the zeros. They were
    most of the time langdetect takes.
    """
    languages = tuple(lang for lang in factory.langlist if prior.get(lang, 0.0) > 0)
    detector = _restricted_class()(factory, _columns(languages))
    detector.set_prior_map(dict(prior))
    return detector


@functools.cache
def _columns(languages: tuple[str, ...]) -> _Columns:
    indices = [_factory().langlist.index(lang) for lang in languages]
    if len(indices) == 1:
        return _Columns(languages, lambda row: (row[indices[0]],))
    return _Columns(languages, operator.itemgetter(*indices))


@dataclass(frozen=True)
class _Columns:
    """Some of langdetect's languages, and how to cut a row of its n-gram table down to them."""

    languages: tuple[str, ...]
    pick: Callable[[Sequence[float]], Sequence[float]]


@functools.cache
def _restricted_class() -> type[Detector]:
    # Built on first use: langdetect is imported lazily, as in _factory.
    from langdetect.detector import Detector

    class RestrictedDetector(Detector):  # type: ignore[misc]
        def __init__(self, factory: DetectorFactory, columns: _Columns) -> None:
            super().__init__(factory)
            self.langlist = list(columns.languages)
            self._columns = columns

        def _update_lang_prob(self, prob: list[float], word: str | None, alpha: float) -> bool:
            if word is None or word not in self.word_lang_prob_map:
                return False
            row = self._columns.pick(self.word_lang_prob_map[word])
            weight = alpha / self.BASE_FREQ
            prob[:] = [p * (weight + q) for p, q in zip(prob, row)]
            return True

        def _normalize_prob(self, prob: list[float]) -> float:
            total = sum(prob)
            prob[:] = [p / total for p in prob]
            return max(prob, default=0.0)

    return RestrictedDetector


class ScriptLangDetector:
    """Detects a text's language from its script, letters and words, with langdetect as the tiebreaker."""

    def __init__(self, *, min_letters: int = MIN_LETTERS) -> None:
        self.min_letters = min_letters

    def detect(self, text: str) -> Detection:
        """Detect the language of `text`, or raise UnsupportedLanguage when it has too few letters."""
        text = _LINKS.sub(" ", text[:MAX_CHARS])
        if text.isascii():
            # All its letters are Latin (share 1.0), so the English-word rule below can be asked
            # first, skipping the letter counts: the same answer, for most English text, sooner.
            english = _english_confidence(text)
            if english is not None and sum(map(len, _ASCII_LETTERS.findall(text))) >= self.min_letters:
                return Detection("en", round(english, 4), "script")
        counts = letter_scripts(text)
        total = sum(counts.values())
        if total == 0:
            raise UnsupportedLanguage(
                "no language could be detected: the text has no letters; pass --lang XX to set it"
            )
        if total < self.min_letters:
            raise UnsupportedLanguage(
                f"no language could be detected: the text has only {total} letters; pass --lang XX to set it"
            )
        script, share = _dominant_script(counts)
        if script == "CJK":
            kana = counts.get("Kana", 0)
            # Japanese mixes kana into every sentence; Chinese writes none.
            language = "ja" if kana >= 0.05 * (kana + counts.get("Han", 0)) else "zh"
            return Detection(language, round(share, 4), "script")
        if script in _SINGLE_LANGUAGE:
            return Detection(_SINGLE_LANGUAGE[script], round(share, 4), "script")
        own = _keep_script(text, script)
        return self._shared_script(own, script, share)

    def _shared_script(self, text: str, script: str, share: float) -> Detection:
        if script == "Latin":
            english = _english_confidence(text)
            if english is not None:
                return Detection("en", round(share * english, 4), "script")
        letters = "".join(char for char in text if _letter_script(char) is not None)
        for language, exclusive in _EXCLUSIVE_LETTERS.get(script, ()):
            hits = sum(letters.count(char) for char in exclusive)
            if hits >= 2 and hits >= 0.01 * len(letters):
                return Detection(language, round(share * min(0.99, 0.5 + hits / 10), 4), "script")

        candidates = _CANDIDATES.get(script)
        if candidates is None:  # a script with no language table, such as Glagolitic
            raise UnsupportedLanguage(
                f"no language could be detected: the text is in {script} script, which no "
                "detector here covers; pass --lang XX to set it"
            )
        if script == "Arabic":
            evidence = _arabic_evidence(text, letters)
        elif script == "Devanagari":
            evidence = _devanagari_evidence(text)
        else:
            evidence = {}
        evidence = {lang: score for lang, score in evidence.items() if lang in candidates}
        decided = _decide(script, evidence, len(letters))
        if decided is not None:
            language, confidence = decided
            return Detection(language, round(share * confidence, 4), "script")

        ruled_out = _ruled_out(script, evidence, letters)
        allowed = [lang for lang in candidates if lang not in ruled_out] or list(candidates)
        # Rule evidence that fell short of deciding still tilts langdetect through its prior.
        weight = sum(evidence.get(lang, 0.0) for lang in allowed) or 1.0
        prior = {lang: 1.0 + 4.0 * evidence.get(lang, 0.0) / weight for lang in allowed}
        probabilities = langdetect_probabilities(text, prior=prior)
        if not probabilities:
            best = max(evidence.items(), key=lambda item: item[1], default=None)
            if best is not None and best[1] > 0:
                return Detection(best[0], round(share * 0.5, 4), "script")
            raise UnsupportedLanguage(
                "no language could be detected: the text has too few words to tell; pass --lang XX to set it"
            )
        language, probability = max(probabilities.items(), key=lambda item: item[1])
        supported = [lang for lang in allowed if evidence.get(lang, 0.0) > 0]
        if len(supported) == 1 and evidence.get(language, 0.0) == 0:
            # Words only one language uses outweigh langdetect's n-gram statistics, which on a
            # sentence of a few words readily pick a neighbour of the same script.
            return Detection(supported[0], round(share * 0.6, 4), "script")
        return Detection(language, round(share * probability, 4), "langdetect")


def _dominant_script(counts: Mapping[str, int]) -> tuple[str, float]:
    """The script the text is written in, and the share of the letters that supports it."""
    merged = Counter(counts)
    cjk = merged.pop("Han", 0) + merged.pop("Kana", 0)
    if cjk:
        merged["CJK"] = cjk
    total = sum(merged.values())
    ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
    top, count = ranked[0]
    if top == "Latin":
        top, count = next(
            ((script, n) for script, n in ranked[1:] if n / total >= MINORITY_SHARE), (top, count)
        )
    if top == "Latin":
        return top, count / total
    # Latin letters beside another script are names, links and boilerplate: no evidence against it.
    return top, count / (total - merged.get("Latin", 0))


def _keep_script(text: str, script: str) -> str:
    """`text` with the letters of every other script blanked out, so langdetect sees one script."""
    keep_cjk = script == "CJK"

    def blank_other(match: re.Match[str]) -> str:
        char = match.group()
        own = _letter_script(char)
        if own is None or own == script or (keep_cjk and own in ("Han", "Kana")):
            return char
        return " "

    # In Latin text every ASCII character stays (its letters are Latin): only the rest is looked at.
    pattern = _NON_ASCII if script == "Latin" else _LETTER_OR_NON_ASCII
    return re.sub(r"\s+", " ", pattern.sub(blank_other, text)).strip()


def _count(text: str, chars: str) -> int:
    return sum(text.count(char) for char in chars)


def _arabic_evidence(text: str, letters: str) -> dict[str, float]:
    urdu = 2 * _count(text, _URDU_STRONG) + _count(letters, _URDU_WEAK)
    # Words are compared with Persian ye and kaf, which Persian typed on Arabic keyboards lacks.
    words = [w.replace("ي", "ی").replace("ك", "ک") for w in _ARABIC_WORD.findall(text)]
    raw_words = _ARABIC_WORD.findall(text)
    persian = _count(letters, _PERSIAN_LETTERS) + 2 * sum(w in _PERSIAN_WORDS for w in words)
    arabic = _count(letters, _ARABIC_LETTERS) + 2 * sum(w in _ARABIC_WORDS for w in raw_words)
    return {"ur": float(urdu), "fa": float(persian), "ar": float(arabic)}


def _english_confidence(text: str) -> float | None:
    """A confidence that Latin `text` is English, when its English-only words settle it; else None."""
    words = _LATIN_WORD.findall(text.lower())
    hits = sum(word in _ENGLISH_WORDS for word in words)
    if hits < ENGLISH_MIN_WORDS or hits < ENGLISH_SHARE * len(words):
        return None
    # Each further English-only word halves the doubt; capped below 1, as no rule is certain.
    return min(0.9999, 1 - 0.5**hits)


def _devanagari_evidence(text: str) -> dict[str, float]:
    scores = {"hi": 0.0, "mr": 0.0, "ne": 0.0}
    for word in _DEVANAGARI_WORD.findall(text):
        if word in _HINDI_WORDS:
            scores["hi"] += 1
        if word in _MARATHI_WORDS:
            scores["mr"] += 1
        if word in _NEPALI_WORDS:
            scores["ne"] += 1
        if len(word) > 3 and word.endswith(_MARATHI_SUFFIXES):
            scores["mr"] += 1
        if len(word) > 3 and word.endswith(_NEPALI_SUFFIXES):
            scores["ne"] += 1
    scores["mr"] += text.count("ळ")  # Marathi's retroflex la; Hindi and Nepali do not write it
    return scores


def _decide(script: str, evidence: Mapping[str, float], letters: int) -> tuple[str, float] | None:
    """The language the rule evidence settles on its own, with a confidence; None if it does not."""
    if script == "Arabic":
        urdu = evidence.get("ur", 0.0)
        if urdu >= 3 and urdu >= 0.02 * letters:
            return "ur", min(0.99, 0.5 + 10 * urdu / letters)
        if urdu > 0:
            # Urdu writes Persian's letters too; with any sign of Urdu, letters cannot tell them apart.
            return None
        evidence = {lang: score for lang, score in evidence.items() if lang != "ur"}
    if not evidence:
        return None
    ranked = sorted(evidence.items(), key=lambda item: -item[1])
    (top, best), rest = ranked[0], ranked[1:]
    second = rest[0][1] if rest else 0.0
    if best >= 3 and best >= 3 * second:
        return top, min(0.99, best / (best + second + 1))
    return None


def _ruled_out(script: str, evidence: Mapping[str, float], letters: str) -> set[str]:
    """Languages the letters make implausible even though no language was decided."""
    if script != "Arabic":
        return set()
    out = set()
    # Over a few words, Urdu always shows ے, ں, ہ or ھ; Arabic never writes Persian پ چ ژ گ ی ک.
    if evidence.get("ur", 0) == 0 and len(letters) >= 40:
        out.add("ur")
    if evidence.get("fa", 0) >= 2 and evidence.get("ar", 0) == 0:
        out.add("ar")
    if evidence.get("ar", 0) >= 2 and evidence.get("fa", 0) == 0:
        out.add("fa")
    return out


@functools.cache
def _default_detector() -> ScriptLangDetector:
    return ScriptLangDetector()


def detect_language(text: str) -> Detection:
    """Detect the language of `text` with a shared ScriptLangDetector."""
    return _default_detector().detect(text)


def language_script(language: str) -> str | None:
    """The script the detector reads `language` in ("CJK" for ja and zh), or None if it does not know it."""
    if language in ("ja", "zh"):
        return "CJK"
    for script, codes in _CANDIDATES.items():
        if language in codes:
            return script
    for script, table in _EXCLUSIVE_LETTERS.items():
        if any(language == code for code, _letters in table):
            return script
    return next((script for script, code in _SINGLE_LANGUAGE.items() if code == language), None)


def languages() -> Iterable[str]:
    """Every language code the detector can return."""
    found = set(_SINGLE_LANGUAGE.values()) | {"ja", "zh"}
    for codes in _CANDIDATES.values():
        found.update(codes)
    for table in _EXCLUSIVE_LETTERS.values():
        found.update(language for language, _letters in table)
    return sorted(found)
