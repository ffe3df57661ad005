"""Page chrome in scraped text: navigation, share and subscribe widgets, credits, weather, dates.

Each rule looks at one line (or a run of lines) and names itself, so what was removed can be
reported with the reason. Lines that recur across many documents (a site's template) are found by
the driver from line fingerprints (`fingerprints`) and passed in as plain data (`template`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from functools import cache
from pathlib import Path

# A line this short (in characters, after collapsing spaces) may be template; longer lines are
# article text even when a site repeats them, so they are never fingerprinted.
TEMPLATE_MAX_CHARS = 100
# A line is template when it recurs in at least this many distinct documents (this run's and
# earlier nights'): two copies of one article in the folder never make a line template.
TEMPLATE_MIN_DOCUMENTS = 3

# A word: letters with their combining vowel signs and marks (Devanagari matras, Arabic harakat),
# which Python's \w alone would split words at.
_WORD = re.compile(r"(?:\w|[\u0300-\u036F\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0900-\u0DFF\u0E00-\u0E7F])+")
_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://\S+|www\.\S+)")
_SENTENCE_END = re.compile(r"[.!?।۔؟।॥]\s*[\"'”’»)]*\s*$")
_SEPARATORS = re.compile(r"\s[|•»·›/]\s|\s*[|•»·›]\s*")

# Whole lines that are widgets, navigation or footers, compared casefolded without punctuation.
_PHRASES = frozenset(
    """
subscribe|subscribe now|subscribed|sign in|sign up|log in|login|logout|register|menu|home|search|share
|share this|share this article|share on|follow us|follow us on|qr code|scan qr code|scan the qr code
|top of page|back to top|go to top|premium|premium content|premium story|exclusive|live|live updates
|live tv|live blog|trending|trending now|trending news|related|related news|related articles|related stories
|read more|read also|also read|more news|more stories|tags|advertisement|sponsored|sponsored content
|leave a reply|leave a comment|post a comment|add a comment|write a comment|comments|no comments|cancel reply
|newsletter|privacy policy|terms of use|terms and conditions|cookie policy|cookies|all rights reserved
|contact us|about us|skip to content|skip to main content|facebook|twitter|whatsapp|telegram|instagram
|youtube|linkedin|pinterest|reddit|email|e mail|mail|print|copy link|next|previous|next article
|previous article|next story|previous story|loading|download app|download the app|get the app|watch live
|latest news|breaking news|top news|top stories|e paper|epaper|photos|videos|video|photo gallery|web stories
|listen|listen to this article|edited by|follow|you may also like|recommended|most read|most popular
|advertise with us|careers|sitemap|rss|close|open|x
|सब्सक्राइब|सब्सक्राइब करें|ये भी पढ़ें|यह भी पढ़ें|और पढ़ें|शेयर करें|शेयर|फॉलो करें|हमें फॉलो करें|होम
|टॉप न्यूज़|टॉप न्यूज|ताज़ा खबरें|ताजा खबरें|ताज़ा ख़बरें|लाइव अपडेट|लाइव अपडेट्स|लाइव टीवी|लाइव|विज्ञापन
|ई पेपर|ईपेपर|टिप्पणी करें|कमेंट करें|संबंधित खबरें|संबंधित ख़बरें|ट्रेंडिंग|वीडियो|फोटो|फ़ोटो|फोटो गैलरी
|डाउनलोड करें|ऐप डाउनलोड करें|लॉग इन|लॉगिन|साइन इन|खोजें|मेन्यू|मेनू|देश|विदेश|मनोरंजन|खेल|बिज़नेस
|बिजनेस|राज्य|शहर|धर्म|लाइफस्टाइल|टेक्नोलॉजी|ऑटो|करियर|राशिफल|ज्योतिष|प्रीमियम|एक्सक्लूसिव|बड़ी खबर
|जारी है|جاری ہے|مزید پڑھیں|یہ بھی پڑھیں|شیئر کریں|شیئر|سبسکرائب کریں|سبسکرائب|ہوم|تازہ ترین|اشتہار
|تبصرہ کریں|ہمیں فالو کریں|متعلقہ خبریں|مقبول ترین|ویڈیو|ویڈیوز|تصاویر|پاکستان|انٹرنیشنل|کھیل|شوبز
|کاروبار|صحت|ٹیکنالوجی|کالمز|بلاگ|لائیو|اشتراک گذاری|اشتراک‌گذاری|بیشتر بخوانید|خانه|صفحه اصلی
|آخرین اخبار|پربازدیدترین|پربحث‌ترین|برچسب‌ها|برچسب ها|ارسال نظر|نظرات|عضویت|ورود|جستجو|چاپ|لینک کوتاه
|کپی شد|تبلیغات|اقرأ أيضا|اقرأ أيضاً|اقرأ المزيد|شارك|مشاركة|الرئيسية|اشترك|اشترك الآن|تابعونا|الأكثر قراءة
|أخبار ذات صلة|مواضيع ذات صلة|الوسوم|تسجيل الدخول|بحث|طباعة|إعلان|أضف تعليق|التعليقات|مباشر|بث مباشر
|فيديو|صور|اخبار|أخبار|رياضة|اقتصاد|سياسة|عاجل|tweet|fotos|blogs|comentar|ver más|etiquetas|click|click here
|to read full article|read full article|فیلم بیشتر|موارد بیشتر برای شما|مطالب مرتبط|مزید ویڈیوز|موضوعات
|آج کی سب سے زیادہ پڑھی جانے والی خبریں|ای پیپر|संबंधित वीडियो|ध्यान दें|الأكثر تصفحاً|الأكثر تصفحا
""".replace("\n", "").split("|")
)
# Lines opening with these are credits, related links, tags or footers, when short.
_PREFIXES = (
    "छवि स्रोत", "इमेज स्रोत", "इमेज कैप्शन", "तस्वीर का कैप्शन", "तस्वीर का स्रोत", "फोटो:", "फ़ोटो:", "फोटो -",
    "फोटो क्रेडिट", "image source", "image caption", "photo:", "photo credit", "photo -", "picture:", "getty images",
    "file photo", "representational image", "تصویر کا ذریعہ", "تصویر کا کیپشن", "فائل فوٹو", "منبع تصویر", "منبع عکس",
    "عکس:", "صورة:", "مصدر الصورة", "also read", "read also", "ये भी पढ़ें", "यह भी पढ़ें", "इसे भी पढ़ें", "पढ़ें:",
    "یہ بھی پڑھیں", "اقرأ أيضا", "اقرأ أيضاً", "بیشتر بخوانید", "بخوانید:", "tags:", "टैग्स:", "टैग:", "برچسب‌ها:",
    "برچسب ها:", "الوسوم:", "copyright", "©", "कॉपीराइट", "جملہ حقوق", "کلیه حقوق", "جميع الحقوق", "all rights reserved",
    "follow us", "हमें फॉलो करें", "first published", "updated:", "published:", "last updated", "अपडेटेड:",
    "अपडेट:", "प्रकाशित:", "पब्लिश्ड", "کد خبر", "کد مطلب", "زمان مطالعه", "تاریخ انتشار", "آخر تحديث", "تاريخ النشر",
    "reading time", "min read", "written by", "edited by", "रिपोर्ट:", "लेखक:", "reporter:", "به روز شده در",
    "انتشار:", "تخمین زمان مطالعه", "شناسه خبر", "datetime", "submitted on", "प्रकाशित:", "अपडेटेड", "آخر تحديث",
)
# Leading bullets and dashes of list items: "• प्रकाशित: …" is read as "प्रकाशित: …".
_BULLETS = "•·‣◦▪●-–—*» "
# A teaser of another story: a short paragraph cut off with an ellipsis.
_TEASER = re.compile(r"(?:…|\.\.\.|\[…\]|\[\.\.\.\])\s*$")
_TEASER_MAX_CHARS = 220
# Prose: a line this long with sentence punctuation or function words is article text; the article is
# the largest cluster of such lines, with at most _ARTICLE_GAP other lines between two of them.
_PROSE_CHARS = 100
_ARTICLE_GAP = 6
_SENTENCE_MARK = re.compile(r"[.!?।۔؟。！？]")
_PREFIX_MAX_CHARS = 120
# Unbracketed advertisement lines: "Advertisement", "विज्ञापन", "Advertisement - Continue reading below".
_AD_LINE = re.compile(
    r"^\s*(?:advertisement|advertising|sponsored|विज्ञापन|اشتہار|اشتهار|إعلان|تبلیغات|آگهی)"
    r"(?:\s*[-–—:]?\s*(?:continue reading below|scroll to continue(?: with content)?|story continues below))?\s*$",
    re.IGNORECASE,
)
# Comment counters in their common forms: "0 टिप्पणियां", "3 Comments", "Comments: 4", "۵ نظر".
_COMMENT_WORDS = (
    r"comments?|replies|reply|responses?|टिप्पणी|टिप्पणियां|टिप्पणियाँ|कमेंट्स?|प्रतिक्रियाएं|प्रतिक्रियाएँ"
    r"|تبصرے|تبصرہ|نظرات?|دیدگاه|تعليقات?|تعليق"
)
_COMMENT_LINE = re.compile(
    rf"^\s*(?:\d+\s*(?:{_COMMENT_WORDS})|(?:{_COMMENT_WORDS})\s*[:：]?\s*\d+)\s*$", re.IGNORECASE
)
# Weather widgets: "14.1 C", "32°C", "Delhi 28°", "नई दिल्ली 31° C".
_WEATHER = re.compile(r"^\s*(?:[^\d\n]{0,30}?\s)?[-−]?\d{1,2}(?:[.,]\d)?\s*(?:°\s*[CF]?|[CF]|℃|℉)\s*$", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    "|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun"
    "|updated|published|posted|last|on|at|ist|gmt|utc|pkt|am|pm|hrs|mins?|ago|hours?|minutes?|datetime"
    "|जनवरी|फरवरी|फ़रवरी|मार्च|अप्रैल|मई|जून|जुलाई|अगस्त|सितंबर|सितम्बर|अक्टूबर|अक्तूबर|नवंबर|नवम्बर|दिसंबर|दिसम्बर"
    "|सोमवार|मंगलवार|बुधवार|गुरुवार|शुक्रवार|शनिवार|रविवार|अपडेटेड|अपडेट|प्रकाशित|पब्लिश्ड|बजे|सुबह|शाम|दोपहर|रात|को|पर"
    "|जनوری|جنوری|فروری|مارچ|اپریل|مئی|جون|جولائی|اگست|ستمبر|اکتوبر|نومبر|دسمبر"
    "|پیر|منگل|بدھ|جمعرات|جمعہ|ہفتہ|اتوار|شائع|اپ ڈیٹ|اپڈیٹ|بجے"
    "|ژانویه|فوریه|مارس|آوریل|مه|ژوئن|ژوئیه|اوت|سپتامبر|اکتبر|نوامبر|دسامبر"
    "|فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند"
    "|شنبه|یکشنبه|دوشنبه|سه‌شنبه|چهارشنبه|پنجشنبه|جمعه|ساعت|انتشار|بروزرسانی|به‌روزرسانی"
    "|يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر"
    "|كانون|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين|الأول|الثاني"
    "|السبت|الأحد|الاثنين|الإثنين|الثلاثاء|الأربعاء|الخميس|الجمعة|نشر|في|تحديث|آخر|ص|م"
)
_DATE_WORDS = re.compile(rf"(?<!\w)(?:{_MONTHS})(?!\w)", re.IGNORECASE)
_DIGITS = re.compile(r"\d")
# "नई दिल्ली, 12 नवंबर (भाषा)", "Lahore (AP) -": a place and agency heading the story.
_DATELINE = re.compile(
    r"^\s*[^\d\n]{2,30}(?:,\s*[^\n]{0,25}\d[^\n]{0,15})?\s*[(\[](?:भाषा|एजेंसी|वार्ता|आईएएनएस|पीटीआई|ians|pti|ap|afp"
    r"|reuters|ani|ایجنسیاں|ویب ڈیسک|اے پی|ایرنا|ایسنا|فارس|مهر|واس|أ ف ب|رويترز)[)\]]\s*[-–—:]?\s*$",
    re.IGNORECASE,
)
# Rules that judge a line by its look alone, which a headline may share.
_SOFT_RULES = frozenset({"no stop words", "menu"})
# Menu runs: this many consecutive short lines are a list of links, not prose.
_MENU_RUN = 3
_MENU_ITEM_CHARS = 25
_MENU_ITEM_WORDS = 3
# Stop-word rule: a short line without a single function word is a label, not a sentence.
_LABEL_MAX_CHARS = 40
_LABEL_MAX_WORDS = 4
# Languages whose jusText stop-lists are used, by script.
_STOPLISTS = {
    # Latin-script text may be any of many languages, and a short English-only list would take a
    # German or French heading for a label: the rule is for the scripts of the routed languages.
    "devanagari": ("Hindi", "Marathi", "Nepali"),
    "arabic": ("Urdu", "Persian", "Arabic"),
    "bengali": ("Bengali",),
}


def normalize(line: str) -> str:
    """A line compared as chrome: casefolded, NFC, punctuation and extra spaces dropped."""
    text = unicodedata.normalize("NFC", line).casefold().replace("\u200c", " ").replace("\u200f", "")
    # Every ASCII character but letters and digits is punctuation, a symbol, a space or a control:
    # replaced in C, they leave only the other characters to look up one by one.
    text = _ASCII_NOT_ALNUM.sub(" ", text)
    if not text.isascii():
        text = _NON_ASCII.sub(_blank_punctuation, text)
    return " ".join(text.split())


_ASCII_NOT_ALNUM = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")


def _blank_punctuation(match: re.Match[str]) -> str:
    char = match.group()
    return " " if unicodedata.category(char)[0] in "PSZC" else char


def fingerprint(line: str) -> str | None:
    """The fingerprint of a short line for template detection, None for a line too long or empty."""
    text = " ".join(line.split())
    if not text or len(text) > TEMPLATE_MAX_CHARS:
        return None
    key = _DIGITS.sub("0", normalize(text)) or text
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def fingerprints(text: str) -> frozenset[str]:
    """Fingerprints of the short lines of a document's text."""
    return frozenset(fp for fp in (fingerprint(line) for line in text.split("\n")) if fp)


def document_key(text: str) -> str:
    """Identifies an article for counting recurrences: copies of one article share it."""
    long = [normalize(line) for line in text.split("\n") if len(" ".join(line.split())) > TEMPLATE_MAX_CHARS]
    basis = "\n".join(long) if long else normalize(text)
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def template_lines(documents: Iterable[tuple[str, Collection[str]]], *, minimum: int = TEMPLATE_MIN_DOCUMENTS) -> frozenset[str]:
    """Fingerprints found in at least `minimum` distinct documents, given (document key, fingerprints) pairs."""
    seen: dict[str, set[str]] = {}
    for key, prints in documents:
        for fp in prints:
            seen.setdefault(fp, set()).add(key)
    return frozenset(fp for fp, keys in seen.items() if len(keys) >= minimum)


@cache
def stopwords(script: str) -> frozenset[str]:
    """jusText's stop-lists for a script's languages (empty when jusText is not installed)."""
    spec = importlib.util.find_spec("justext")  # finds the files without importing lxml
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    folder = Path(next(iter(spec.submodule_search_locations))) / "stoplists"
    words: set[str] = set()
    for name in _STOPLISTS.get(script, ()):
        path = folder / f"{name}.txt"
        if path.is_file():
            words.update(normalize(w) for w in path.read_text(encoding="utf-8").split("\n") if w.strip())
    return frozenset(words)


def script_of(text: str) -> str:
    """The script most letters of `text` are in: "latin", "devanagari", "arabic", "bengali" or "other"."""
    counts = {"latin": 0, "devanagari": 0, "arabic": 0, "bengali": 0, "other": 0}
    # ASCII letters are Latin, counted in C; only the rest is looked at one by one.
    counts["latin"] = sum(map(len, _ASCII_LETTERS.findall(text)))
    for char in _NON_ASCII.findall(text):
        if not char.isalpha():
            continue
        code = ord(char)
        if code < 0x250:
            counts["latin"] += 1
        elif 0x900 <= code < 0x980:
            counts["devanagari"] += 1
        elif 0x980 <= code < 0xA00:
            counts["bengali"] += 1
        elif 0x600 <= code < 0x700 or 0x750 <= code < 0x780 or 0xFB50 <= code < 0xFE00 or 0xFE70 <= code < 0xFF00:
            counts["arabic"] += 1
        else:
            counts["other"] += 1
    return max(counts, key=lambda k: counts[k])


def is_date_line(line: str) -> bool:
    """A line that only gives a date or time ("Updated: Nov 12, 2026 10:30 IST", "12 नवंबर 2026")."""
    text = " ".join(line.split())
    if not text or len(text) > 70 or not _DIGITS.search(text):
        return False
    rest = _DATE_WORDS.sub(" ", normalize(text))
    rest = re.sub(r"[\d۰-۹٠-٩०-९]+", " ", rest)
    return len(rest.split()) <= 1 and len(rest.replace(" ", "")) <= 12


def is_dateline(line: str) -> bool:
    """A place and agency line heading a story: "नई दिल्ली, 12 नवंबर (भाषा)"."""
    return bool(_DATELINE.match(line))


def is_weather(line: str) -> bool:
    """A weather widget's reading: "14.1 C", "Delhi 28°"."""
    return bool(_WEATHER.match(line))


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def line_rule(line: str, *, stop: Collection[str] = frozenset()) -> str | None:
    """The name of the rule that makes one line chrome, or None for a line that may be article text."""
    text = " ".join(line.split())
    if not text:
        return None
    plain = normalize(text)
    if _AD_LINE.match(text):
        return "advertisement"
    if _COMMENT_LINE.match(text):
        return "comment counter"
    if plain in _PHRASES or (not plain and len(text) <= 3):
        return "widget"
    lowered = text.casefold().lstrip(_BULLETS)
    if len(text) <= _PREFIX_MAX_CHARS and any(lowered.startswith(p) for p in _PREFIXES):
        return "credit or related link"
    if len(text) <= _TEASER_MAX_CHARS and _TEASER.search(text):
        return "teaser"
    if is_weather(text):
        return "weather"
    urls = sum(len(u) for u in _URL.findall(text))
    # A lone URL may be part of the article (the reader cites it); links among other words are widgets.
    if urls and urls > 0.5 * len(text) and not _URL.fullmatch(text):
        return "link density"
    parts = [p for p in re.split(r"\s*[|•»·›]\s*", text) if p.strip()]
    if len(parts) >= 3 and sum(len(_words(p)) for p in parts) <= 4 * len(parts):
        return "separators"
    words = _words(text)
    if (
        stop
        and len(text) <= _LABEL_MAX_CHARS
        and len(words) <= _LABEL_MAX_WORDS
        and not _SENTENCE_END.search(text)
        and not text.endswith((":", "：", "؛"))
        and not any(normalize(w) in stop for w in words)
        and not is_dateline(text)
    ):
        return "no stop words"
    return None


def _menu_item(text: str) -> bool:
    text = " ".join(text.split())
    return (
        0 < len(text)
        and (len(text) <= _MENU_ITEM_CHARS or len(_words(text)) <= _MENU_ITEM_WORDS)
        and len(text) <= 2 * _MENU_ITEM_CHARS
        and not _SENTENCE_END.search(text)
        and not is_dateline(text)
    )


def chrome_rules(
    lines: Sequence[str | None],
    *,
    template: Collection[str] = frozenset(),
    keep: Collection[int] = (),
    page: bool = True,
) -> dict[int, str]:
    """The chrome lines among `lines` (None: already removed), by index, each with its rule's name.

    `template` holds fingerprints of lines that recur across documents; lines in `keep` stay.
    Without `page` (text a format's reader already extracted: a web page's article, a PDF, a Word
    file), only template lines are looked for: the line rules are for whole scraped pages, and would
    take a PDF's table cells or a byline for a menu.
    """
    texts = [line or "" for line in lines]
    stop = stopwords(script_of("\n".join(texts)))
    found: dict[int, str] = {}
    for i, text in enumerate(texts):
        if i in keep or not text.strip():
            continue
        rule = line_rule(text, stop=stop) if page else None
        if rule is None and template:
            fp = fingerprint(text)
            if fp is not None and fp in template:
                rule = "site template"
        if rule:
            found[i] = rule
    # Runs of short items between blank lines or other chrome: a menu. Blank lines and lines
    # already found do not break a run.
    if not page:
        return found
    run: list[int] = []
    for i, text in enumerate([*texts, "\x00 end of text with enough words to end any run of menu items."]):
        if i < len(texts) and (not text.strip() or i in found):
            if i in found:
                run.append(i)
            continue
        if i < len(texts) and i not in keep and _menu_item(text):
            run.append(i)
            continue
        items = [j for j in run if j not in found]
        if len(run) >= _MENU_RUN and len(items) >= 2:
            for j in items:
                found[j] = "menu"
        run = []
    _outside_article(texts, found, stop=stop, keep=keep)
    return found


def _is_prose(text: str, stop: Collection[str]) -> bool:
    text = " ".join(text.split())
    if len(text) < _PROSE_CHARS:
        return False
    if _SENTENCE_MARK.search(text):
        return True
    if not stop:
        return True  # a script without a stop-list (Thai, Chinese) may write no sentence marks at all
    words = _words(text)
    return sum(normalize(w) in stop for w in words) >= 0.2 * len(words)


def _sentence(text: str, stop: Collection[str]) -> bool:
    """A short closing line of an article: a sentence, not a label."""
    words = _words(text)
    return bool(_SENTENCE_END.search(text)) and len(words) >= 3 and (
        not stop or any(normalize(w) in stop for w in words)
    )


def _outside_article(texts: Sequence[str], found: dict[int, str], *, stop: Collection[str], keep: Collection[int]) -> None:
    """Mark what lies around the article: everything after its end, and short lines before its start.

    The article is the largest cluster of prose lines. After its last one, only closing sentences
    that follow at once stay: related stories, footers and comment forms come next on a page.
    Before its first one, the headline and other lines of four words or more stay (the headline
    is never lost); menus and labels, short lines, dates and "Site | date" bylines go.
    """
    lines = [i for i, t in enumerate(texts) if t.strip() and i not in found]
    prose = [i for i in lines if _is_prose(texts[i], stop)]
    if not prose:
        return
    position = {i: n for n, i in enumerate(lines)}
    clusters: list[list[int]] = [[prose[0]]]
    for i in prose[1:]:
        if position[i] - position[clusters[-1][-1]] - 1 > _ARTICLE_GAP:
            clusters.append([])
        clusters[-1].append(i)
    article = max(clusters, key=lambda c: sum(len(texts[i]) for i in c))
    first, last = article[0], article[-1]
    ending = True
    previous = last
    for i in lines:
        if i <= last or i in keep:
            continue
        # A hard-wrapped paragraph goes on on the next line until a sentence ends.
        wrapped = previous == i - 1 and not _SENTENCE_END.search(texts[previous])
        if ending and (wrapped or _sentence(texts[i], stop)):
            previous = i
            continue
        ending = False
        found[i] = "after the article"
    # The headline is the last line before the article that is not a date, even when it looked like a
    # label (a headline may have no function word): it is never lost.
    headline = next(
        (
            i
            for i in reversed(range(first))
            if texts[i].strip()
            and (i not in found or found[i] in _SOFT_RULES)
            and not is_date_line(texts[i])
            and len(_words(texts[i])) >= 2
        ),
        None,
    )
    if headline is not None:
        found.pop(headline, None)
    before = [i for i in range(first) if texts[i].strip() and i not in found and i not in keep]
    for i in before:
        text = " ".join(texts[i].split())
        if is_date_line(text):
            found[i] = "date"
        elif i == headline:
            continue
        elif len(_words(text)) <= 3 or (" | " in text and len(_words(text)) <= 8):
            found[i] = "before the article"
