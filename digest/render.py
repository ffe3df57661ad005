"""Render a Digest as JSON (the stable contract) and Markdown; pure functions, no I/O."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date as Date
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.names import display_path
from core.records import (
    Detection,
    Digest,
    DigestEntry,
    Document,
    Failure,
    ModelRoute,
    Route,
    Skipped,
    StageTime,
    Stats,
    Translation,
)

LANGUAGE_NAMES: Mapping[str, str] = {
    "af": "Afrikaans",
    "am": "Amharic",
    "ar": "Arabic",
    "as": "Assamese",
    "az": "Azerbaijani",
    "be": "Belarusian",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "bo": "Tibetan",
    "bs": "Bosnian",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "dv": "Dhivehi",
    "el": "Greek",
    "en": "English",
    "eo": "Esperanto",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fil": "Filipino",
    "fr": "French",
    "ga": "Irish",
    "gl": "Galician",
    "gu": "Gujarati",
    "ha": "Hausa",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "hy": "Armenian",
    "id": "Indonesian",
    "ig": "Igbo",
    "is": "Icelandic",
    "it": "Italian",
    "ja": "Japanese",
    "jv": "Javanese",
    "ka": "Georgian",
    "kk": "Kazakh",
    "km": "Khmer",
    "kn": "Kannada",
    "ko": "Korean",
    "ku": "Kurdish",
    "ky": "Kyrgyz",
    "lo": "Lao",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mk": "Macedonian",
    "ml": "Malayalam",
    "mn": "Mongolian",
    "mr": "Marathi",
    "ms": "Malay",
    "mt": "Maltese",
    "my": "Burmese",
    "ne": "Nepali",
    "nl": "Dutch",
    "no": "Norwegian",
    "or": "Odia",
    "pa": "Punjabi",
    "pl": "Polish",
    "ps": "Pashto",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sd": "Sindhi",
    "si": "Sinhala",
    "sk": "Slovak",
    "sl": "Slovenian",
    "so": "Somali",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "sw": "Swahili",
    "ta": "Tamil",
    "te": "Telugu",
    "tg": "Tajik",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "uz": "Uzbek",
    "vi": "Vietnamese",
    "yi": "Yiddish",
    "yo": "Yoruba",
    "zh": "Chinese",
    "zh-cn": "Chinese (Simplified)",
    "zh-tw": "Chinese (Traditional)",
    "zu": "Zulu",
}

WEB_SCHEMES = ("http", "https")

# Languages written right to left: their text is set with dir="rtl" on the pages.
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")

# Characters removed from document text before it is rendered anywhere but digest.json:
# - C0 controls except tab and newline, DEL, lone surrogates, U+FFFE/U+FFFF: not allowed in XML 1.0
#   (the feed must always parse), parse errors in HTML, and invisible noise in Markdown.
# - Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they open a span that
#   reorders everything up to its terminator, so a title could visually reorder the page around it
#   (the "Trojan Source" trick). Pages also wrap document text in dir="auto" isolates, but Markdown
#   and the feed have no such containment, so the controls are removed everywhere.
# Kept: LRM/RLM (U+200E/U+200F) and the Arabic letter mark (U+061C). They are zero-width marks, not
# spans, so they cannot reorder text outside their own neighbourhood, and Urdu/Persian/Arabic
# text uses them legitimately around numbers and Latin words.
_UNSAFE_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)

_MD_URL_ESCAPES = (
    (" ", "%20"),
    ("\t", "%09"),
    ("\n", "%0A"),
    ("(", "%28"),
    (")", "%29"),
    ("<", "%3C"),
    (">", "%3E"),
    ("\\", "%5C"),
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Markdown punctuation that starts emphasis, code, links, raw HTML, entities, tables or strike-through.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
# At the start of a line: headings, block quotes, list items, setext underlines, ordered lists.
_MD_LINE_START = re.compile(r"^([#>+=-])")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def clean_text(text: str) -> str:
    """`text` without control characters, bidi overrides and other characters unsafe to render."""
    return _UNSAFE_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def language_name(code: str) -> str:
    """The English name of a language code ("hi" -> "Hindi"); an unknown code is returned as is."""
    return LANGUAGE_NAMES.get(code.strip().lower(), code)


def language_label(code: str) -> str:
    """A language name with its code, e.g. "Hindi (hi)"; just the code when the name is unknown."""
    name = language_name(code)
    return code if name == code else f"{name} ({code})"


def lang_tag(code: str) -> str | None:
    """`code` as an HTML lang value ("ur", "zh-cn"), or None when it is not a language tag."""
    code = code.strip()
    return code if _LANG_TAG.fullmatch(code) else None


def is_rtl(code: str) -> bool:
    """True for a language written right to left (Urdu, Persian, Arabic, Hebrew, ...)."""
    return code.strip().lower().split("-")[0] in RTL_LANGUAGES


def source_domain(url: str | None) -> str | None:
    """The host of an http(s) URL without "www." ("news.example"), or None for anything else."""
    if not is_web_url(url):
        return None
    host = (urlsplit(url or "").hostname or "").lower()
    return host.removeprefix("www.") or None


def translation_page(translation: str) -> str:
    """The side-by-side HTML page beside a translation file: "translations/a.en.md" -> ".../a.en.html"."""
    return translation.removesuffix(".md") + ".html"


def is_web_url(url: str | None) -> bool:
    """True only for an http(s) URL with a host; javascript:, data:, file: and the like are False."""
    if not url or _UNSAFE_CHARS.search(url) or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced "[" in the host: not a usable link
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(host)


def is_file_url(url: str | None) -> bool:
    """True for a file: URL without whitespace or control characters."""
    if not url or _UNSAFE_CHARS.search(url) or any(c.isspace() for c in url):
        return False
    return url[:5].lower() == "file:"


def safe_link(entry: DigestEntry) -> str | None:
    """The link to an entry's original: its http(s) source URL, else its file:// link, else None."""
    if is_web_url(entry.source_url):
        return entry.source_url
    if is_web_url(entry.link) or is_file_url(entry.link):
        return entry.link
    return None


# --- JSON ---------------------------------------------------------------------------------------


# digest.json's version (schemas/digest.schema.json): fields may be added within a version; one
# removed, renamed or given another meaning takes a new version. Files without one are version 1.
DIGEST_JSON_VERSION = 1
# The version of what `digest translate --json` prints (schemas/translate.schema.json).
TRANSLATE_JSON_VERSION = 1


def digest_to_json(d: Digest) -> str:
    """digest.json: the stable contract (confidence rounded to 3 places, seconds to 2).

    Paths are written as `display_path` shows them (a name that is not UTF-8 could not be written
    at all); `link` holds the exact file:// URI. `source_url` is an http(s) URL or null.
    """
    data = {
        "version": DIGEST_JSON_VERSION,
        "generated_at": d.generated_at,
        "date": d.date,
        "inputs": [display_path(i) for i in d.inputs],
        "items": [
            {
                "path": display_path(e.path),
                "title": e.title,
                "language": e.language,
                "languages": language_shares(e),
                "confidence": round(e.confidence, 3),
                "route": Route(e.route).value,
                "model": e.model,
                "summary": e.summary,
                "source_url": e.source_url if is_web_url(e.source_url) else None,
                "link": e.link,
                "translation": e.translation,
                "original_title": e.original_title,
                "published": e.published,
            }
            for e in d.items
        ],
        "failures": [{"path": display_path(f.path), "error": f.error} for f in d.failures],
        "skipped": [{"path": display_path(s.path), "reason": s.reason} for s in d.skipped],
        "stats": {
            "files": d.stats.files,
            "segments_translated": d.stats.segments_translated,
            "segments_from_cache": d.stats.segments_from_cache,
            "files_unchanged": d.stats.files_unchanged,
            "seconds": round(d.stats.seconds, 2),
            "lines_removed": d.stats.lines_removed,
            **({"stages": _stage_times(d.stats.stages)} if d.stats.stages else {}),
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def translation_to_json(
    *, document: Document, detection: Detection, route: ModelRoute, translation: Translation,
    output: Path | None = None,
) -> str:
    """What `digest translate --json` prints: the translation, its detection and its route."""
    data = {
        "version": TRANSLATE_JSON_VERSION,
        "path": display_path(document.path),
        "format": document.format,
        "title": document.title,
        "source_url": document.source_url if is_web_url(document.source_url) else None,
        "language": detection.language,
        "confidence": round(detection.confidence, 3),
        "detected_by": detection.method,
        "route": route.route.value,
        "model": route.model_id,
        "segments": translation.segments,
        "translation": translation.text.rstrip("\n"),
        "output": display_path(output) if output is not None else None,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def language_shares(entry: DigestEntry) -> dict[str, float]:
    """Each language's share of the entry's letters, largest first; all in its language when unknown."""
    # Entries reused from the store by an earlier version carry no shares: the main language has them all.
    return dict(entry.languages) if entry.languages else {entry.language: 1.0}


def digest_from_json(text: str) -> Digest:
    """Parse digest.json; older files without skipped or some stats still load; ValueError if malformed."""
    data = json.loads(text)  # JSONDecodeError is a ValueError
    obj = _mapping(data, "digest")
    version = obj.get("version", 1)  # files written before the field was added are version 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"digest: version must be a positive integer, got {version!r}")
    if version > DIGEST_JSON_VERSION:
        raise ValueError(
            f"digest: version {version} was written by a newer digest (this one reads up to "
            f"{DIGEST_JSON_VERSION}): upgrade digest"
        )
    generated_at = _str(obj, "generated_at", "digest")
    try:
        datetime.fromisoformat(generated_at)
    except ValueError:
        raise ValueError(f"digest: generated_at is not an ISO-8601 time: {generated_at!r}") from None
    day = _str(obj, "date", "digest")
    if not is_date(day):
        raise ValueError(f"digest: date is not YYYY-MM-DD: {day!r}")
    inputs = obj.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise ValueError("digest: inputs must be a list of strings")
    stats = _mapping(obj.get("stats", {}), "stats")
    return Digest(
        generated_at=generated_at,
        date=day,
        inputs=tuple(inputs),
        items=tuple(_entry(item, n) for n, item in enumerate(_list(obj, "items", required=True))),
        failures=tuple(
            Failure(_str(f, "path", "failure"), _str(f, "error", "failure"))
            for f in (_mapping(x, "failure") for x in _list(obj, "failures"))
        ),
        skipped=tuple(
            Skipped(_str(s, "path", "skipped"), _str(s, "reason", "skipped"))
            for s in (_mapping(x, "skipped") for x in _list(obj, "skipped"))
        ),
        stats=Stats(
            files=_int(stats, "files"),
            segments_translated=_int(stats, "segments_translated"),
            segments_from_cache=_int(stats, "segments_from_cache"),
            files_unchanged=_int(stats, "files_unchanged"),
            seconds=_number(stats, "seconds", "stats", default=0.0),
            lines_removed=_int(stats, "lines_removed"),
            stages=_stages(stats),
        ),
    )


def _stage_times(stages: tuple[tuple[str, StageTime], ...]) -> dict[str, dict[str, float | int]]:
    out: dict[str, dict[str, float | int]] = {}
    for name, time in stages:
        out[name] = {"seconds": round(time.seconds, 2)}
        if time.tokens is not None:
            out[name]["tokens"] = time.tokens
            if time.seconds > 0:
                out[name]["tokens_per_second"] = round(time.tokens / time.seconds, 1)
    return out


def _stages(stats: Mapping[str, Any]) -> tuple[tuple[str, StageTime], ...]:
    stages = _mapping(stats.get("stages", {}), "stats: stages")
    out: list[tuple[str, StageTime]] = []
    for name, value in stages.items():
        entry = _mapping(value, f"stats: stages: {name}")
        tokens = entry.get("tokens")
        if tokens is not None and (not isinstance(tokens, int) or isinstance(tokens, bool)):
            raise ValueError(f"stats: stages: {name}: tokens must be an integer")
        out.append((str(name), StageTime(_number(entry, "seconds", "stats", default=0.0), tokens)))
    return tuple(out)


def is_date(text: str) -> bool:
    """True for a real calendar date written YYYY-MM-DD."""
    if not _DATE.fullmatch(text):
        return False
    try:
        Date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _entry(item: Any, n: int) -> DigestEntry:
    where = f"items[{n}]"
    obj = _mapping(item, where)
    route = _str(obj, "route", where)
    try:
        route_value = Route(route)
    except ValueError:
        raise ValueError(f"{where}: unknown route {route!r}") from None
    return DigestEntry(
        path=_str(obj, "path", where),
        title=_str(obj, "title", where),
        language=_str(obj, "language", where),
        confidence=_number(obj, "confidence", where),
        route=route_value,
        model=_optional_str(obj, "model", where),
        summary=_str(obj, "summary", where),
        source_url=_optional_str(obj, "source_url", where),
        link=_str(obj, "link", where),
        translation=_str(obj, "translation", where),
        languages=_shares(obj.get("languages", {}), f"{where}.languages", main=_str(obj, "language", where)),
        # Written since pages show the original headline; older files load without them.
        original_title=_optional_str(obj, "original_title", where) or "",
        published=_optional_str(obj, "published", where),
    )


def _shares(value: Any, where: str, *, main: str) -> tuple[tuple[str, float], ...]:
    shares = _mapping(value, where)
    for language, share in shares.items():
        if isinstance(share, bool) or not isinstance(share, (int, float)):
            raise ValueError(f"{where}: the share of {language!r} must be a number")
    if shares == {main: 1.0}:
        return ()  # what language_shares writes for an entry with no shares: read back as written
    return tuple((language, float(share)) for language, share in shares.items())


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(obj: Mapping[str, Any], key: str, *, required: bool = False) -> list[Any]:
    if key not in obj and not required:
        return []
    value = obj.get(key)
    if not isinstance(value, list):
        raise ValueError(f"digest: {key} must be a list")
    return value


def _str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{where}: {key} must be a string")
    return value


def _optional_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: {key} must be a string or null")
    return value


def _number(obj: Mapping[str, Any], key: str, where: str, *, default: float | None = None) -> float:
    if key not in obj and default is not None:
        return default
    value = obj.get(key)
    # bool is an int subclass, but true/false is never a valid confidence or duration.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {key} must be a number")
    return float(value)


def _int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"stats: {key} must be an integer")
    return value


# --- Markdown -----------------------------------------------------------------------------------


def md_inline(text: str) -> str:
    """Document text as one line of Markdown that renders literally and cannot open a structure."""
    return _md_line(" ".join(clean_text(text).split()))


def md_block(text: str) -> str:
    """Document text as Markdown paragraphs that render literally (no headings, lists, code, HTML)."""
    lines = []
    for raw in clean_text(text).split("\n"):
        # Leading spaces would turn a line into a code block; inner runs are kept as written.
        line = raw.strip()
        lines.append(_md_line(line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _md_line(line: str) -> str:
    line = _MD_INLINE.sub(r"\\\1", line)
    return _MD_ORDERED.sub(r"\1\\\2", _MD_LINE_START.sub(r"\\\1", line))


def md_url(url: str) -> str:
    """A URL made safe as a Markdown link destination (no spaces, parentheses or angle brackets)."""
    # "%" is left alone: a URL arrives already percent-encoded, and re-encoding it would change it.
    for char, code in _MD_URL_ESCAPES:
        url = url.replace(char, code)
    return url


def relative_path(path: str) -> str:
    """A relative link target that no reader can take for a scheme ("javascript:") or an absolute path."""
    path = clean_text(path).replace("\\", "/")
    first = path.split("/", 1)[0]
    if path.startswith("/") or ":" in first:
        return "./" + path.lstrip("/")
    return path


def percent(confidence: float) -> str:
    """A 0..1 confidence as a whole percentage, e.g. "98%"."""
    return f"{confidence:.0%}"


def model_label(entry: DigestEntry) -> str:
    """The model that translated an entry, or "already English"."""
    if entry.route is Route.IDENTITY or not entry.model:
        return "already English"
    return entry.model


def overview(d: Digest) -> str:
    """One line: how many documents, in which languages, and how many failures."""
    count = len(d.items)
    parts = [f"{count} document{'s' if count != 1 else ''}"]
    languages = _languages(d)
    if languages:
        parts[0] += f" in {_join_words(languages)}"
    failed = len(d.failures)
    parts.append(f"{failed} failure{'s' if failed != 1 else ''}")
    if d.skipped:
        parts.append(f"{len(d.skipped)} skipped")
    return "; ".join(parts) + "."


def is_empty(d: Digest) -> bool:
    """True for a night with nothing to report: no items and no failures."""
    return not d.items and not d.failures


def digest_to_markdown(d: Digest) -> str:
    """digest.md: an overview, then per document its title, language, summary and links."""
    out = [f"# Digest — {md_inline(d.date)}", ""]
    if is_empty(d):
        out += ["Nothing new today.", ""]
    else:
        out += [md_inline(overview(d)), ""]
        for entry in d.items:
            out += _entry_markdown(entry)
        if d.failures:
            out += ["## Failures", ""]
            out += [f"- {md_inline(display_path(f.path))} — {md_inline(f.error)}" for f in d.failures]
            out.append("")
    if d.skipped:
        out += ["## Skipped", ""]
        out += [f"- {md_inline(display_path(s.path))} — {md_inline(s.reason)}" for s in d.skipped]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _entry_markdown(entry: DigestEntry) -> list[str]:
    title = md_inline(entry.title) or md_inline(display_path(entry.path)) or "(untitled)"
    meta = " · ".join(
        [
            md_inline(language_label(entry.language)),
            f"{percent(entry.confidence)} confidence",
            md_inline(model_label(entry)),
        ]
    )
    out = [f"## {title}", "", meta, ""]
    summary = md_block(entry.summary)
    if summary:
        out += [summary, ""]
    links = []
    original = safe_link(entry)
    if original is not None:
        label = "Original source" if is_web_url(original) else "Original file"
        links.append(f"[{label}]({md_url(original)})")
    links.append(f"[Full English translation]({md_url(relative_path(entry.translation))})")
    out += [" · ".join(links), ""]
    return out


def translation_to_markdown(
    *, title: str, source_path: str, source_url: str | None, language: str, model: str | None, text: str
) -> str:
    """A translation file: a header naming the source file, URL, language and model, then the full text."""
    heading = md_inline(title) or md_inline(display_path(source_path)) or "(untitled)"
    if source_url and is_web_url(source_url):
        url_line = f"[{md_inline(source_url)}]({md_url(source_url)})"
    elif source_url:
        url_line = md_inline(source_url)  # shown, but not as a link: only http(s) is linked
    else:
        url_line = "none"
    out = [
        f"# {heading}",
        "",
        f"- Source file: {md_inline(display_path(source_path))}",
        f"- Source URL: {url_line}",
        f"- Language: {md_inline(language_label(language))}",
        f"- Model: {md_inline(model) if model else 'none (already English)'}",
        "",
        "---",
        "",
        md_block(text),
    ]
    return "\n".join(out).rstrip("\n") + "\n"


def _languages(d: Digest) -> list[str]:
    seen: dict[str, None] = {}
    for entry in d.items:
        seen.setdefault(language_name(entry.language), None)
    return [clean_text(name) for name in seen]


def _join_words(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
