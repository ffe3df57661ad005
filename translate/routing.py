"""Which model takes a language to English: the route table is data in translate/data/.

English needs no model; a language with a Helsinki-NLP opus-mt model goes to it (small, fast,
one language pair each); every other language NLLB-200 knows goes to NLLB-200. `--route` sends
a language elsewhere.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Mapping
from importlib import resources

from core.errors import UnsupportedLanguage
from core.records import ModelRoute, Route

DEFAULT_NLLB_MODEL = "facebook/nllb-200-distilled-600M"
NLLB_TARGET = "eng_Latn"
OPUS_MT_MODEL = "Helsinki-NLP/opus-mt-{language}-en"
# langdetect and users write some languages with a region or script; the tables use the bare code.
_ALIASES = {
    "zh-cn": "zh",
    "zh-tw": "zh",
    "zh-hans": "zh",
    "zh-hant": "zh",
    "iw": "he",
    "in": "id",
    "jw": "jv",
}


def _data_lines(name: str) -> list[str]:
    text = resources.files("translate").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@functools.cache
def opus_mt_languages() -> frozenset[str]:
    """Languages with a published Helsinki-NLP/opus-mt-XX-en model."""
    return frozenset(_data_lines("opus_mt_to_en.txt"))


@functools.cache
def nllb_codes() -> Mapping[str, str]:
    """ISO language code -> NLLB-200 source-language code."""
    table: dict[str, str] = {}
    for line in _data_lines("nllb_codes.tsv"):
        language, _, code = line.partition("\t")
        table[language.strip()] = code.strip()
    return types.MappingProxyType(table)


def normalize_language(language: str) -> str:
    """A language code as the route table writes it: lower case, "zh-CN" -> "zh"."""
    code = language.strip().lower().replace("_", "-")
    return _ALIASES.get(code, code)


def route_for(
    language: str,
    *,
    overrides: Mapping[str, str] = types.MappingProxyType({}),
    nllb_model: str = DEFAULT_NLLB_MODEL,
) -> ModelRoute:
    """The model that translates `language` to English, or UnsupportedLanguage naming the fix."""
    lang = normalize_language(language)
    if lang == "en":
        return ModelRoute(Route.IDENTITY, None)
    chosen = {normalize_language(k): v.strip() for k, v in overrides.items()}.get(lang)
    if chosen:
        return _overridden(lang, chosen, nllb_model)
    if lang in opus_mt_languages():
        return ModelRoute(Route.MARIAN, OPUS_MT_MODEL.format(language=lang))
    code = nllb_codes().get(lang)
    if code is not None:
        return ModelRoute(Route.NLLB, nllb_model, code)
    raise UnsupportedLanguage(
        f"no model translates {lang!r} to English: there is no Helsinki-NLP/opus-mt-{lang}-en and "
        f"NLLB-200 has no code for it; pass --route {lang}=MODEL_ID to name a model, or --lang XX "
        "if the language was misdetected"
    )


def _overridden(lang: str, chosen: str, nllb_model: str) -> ModelRoute:
    kind = chosen.lower()
    if kind == "marian":
        return ModelRoute(Route.MARIAN, OPUS_MT_MODEL.format(language=lang))
    if kind == "nllb":
        return ModelRoute(Route.NLLB, nllb_model, _nllb_code(lang, nllb_model))
    if "m2m" in kind:
        # M2M-100 names its source languages by ISO code ("hi"), not by FLORES-200 code.
        return ModelRoute(Route.NLLB, chosen, lang)
    if "nllb" in kind:
        return ModelRoute(Route.NLLB, chosen, _nllb_code(lang, chosen))
    return ModelRoute(Route.MARIAN, chosen)


def _nllb_code(lang: str, model: str) -> str:
    code = nllb_codes().get(lang)
    if code is None:
        raise UnsupportedLanguage(
            f"{model} cannot translate {lang!r}: NLLB-200 has no code for it; "
            f"pass --route {lang}=MODEL_ID to name another model"
        )
    return code


def routing_table(
    *, overrides: Mapping[str, str] = types.MappingProxyType({}), nllb_model: str = DEFAULT_NLLB_MODEL
) -> list[tuple[str, ModelRoute]]:
    """Every language the tables or `overrides` know, with its route, sorted by language code.

    An override the tables cannot honour (LANG=nllb for a language NLLB-200 lacks) raises
    UnsupportedLanguage, so a bad setting shows here rather than in the middle of a run.
    """
    known = {"en"} | set(opus_mt_languages()) | set(nllb_codes())
    known |= {normalize_language(language) for language in overrides}
    return [
        (language, route_for(language, overrides=overrides, nllb_model=nllb_model))
        for language in sorted(known)
    ]
