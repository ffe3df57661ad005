"""Routing: English needs no model, opus-mt where one exists, NLLB-200 for the rest, overrides."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import UnsupportedLanguage
from core.records import ModelRoute, Route
from translate.detect import languages
from translate.routing import (
    DEFAULT_NLLB_MODEL,
    NLLB_TARGET,
    nllb_codes,
    normalize_language,
    opus_mt_languages,
    route_for,
    routing_table,
)

REPO = Path(__file__).resolve().parents[2]


def test_english_needs_no_model() -> None:
    assert route_for("en") == ModelRoute(Route.IDENTITY, None)


@pytest.mark.parametrize("language", ["hi", "ur", "ar", "mr", "bn", "zh"])
def test_languages_with_an_opus_mt_model_go_to_marian(language: str) -> None:
    assert route_for(language) == ModelRoute(Route.MARIAN, f"Helsinki-NLP/opus-mt-{language}-en")


@pytest.mark.parametrize(
    ("language", "code"), [("fa", "pes_Arab"), ("ne", "npi_Deva"), ("ta", "tam_Taml"), ("pt", "por_Latn")]
)
def test_other_languages_go_to_nllb(language: str, code: str) -> None:
    assert route_for(language) == ModelRoute(Route.NLLB, DEFAULT_NLLB_MODEL, code)
    assert route_for(language, nllb_model="facebook/nllb-200-1.3B").model_id == "facebook/nllb-200-1.3B"


def test_nllb_translates_into_english() -> None:
    assert NLLB_TARGET == "eng_Latn" == nllb_codes()["en"]


@pytest.mark.parametrize(
    ("written", "code"), [("HI", "hi"), (" ur ", "ur"), ("zh-CN", "zh"), ("zh_tw", "zh")]
)
def test_codes_are_normalised(written: str, code: str) -> None:
    assert normalize_language(written) == code
    assert route_for(written) == route_for(code)


def test_unknown_language_names_the_fix() -> None:
    with pytest.raises(
        UnsupportedLanguage, match=r"no model translates 'xx' to English: .* --route xx=MODEL_ID"
    ) as error:
        route_for("xx")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("nllb", ModelRoute(Route.NLLB, DEFAULT_NLLB_MODEL, "urd_Arab")),
        ("NLLB", ModelRoute(Route.NLLB, DEFAULT_NLLB_MODEL, "urd_Arab")),
        ("marian", ModelRoute(Route.MARIAN, "Helsinki-NLP/opus-mt-ur-en")),
        ("facebook/nllb-200-3.3B", ModelRoute(Route.NLLB, "facebook/nllb-200-3.3B", "urd_Arab")),
        ("facebook/m2m100_418M", ModelRoute(Route.NLLB, "facebook/m2m100_418M", "ur")),
        ("my-org/opus-mt-ur-en-news", ModelRoute(Route.MARIAN, "my-org/opus-mt-ur-en-news")),
    ],
)
def test_overrides(override: str, expected: ModelRoute) -> None:
    assert route_for("ur", overrides={"ur": override}) == expected


def test_override_sends_a_language_without_opus_mt_to_marian() -> None:
    assert route_for("fa", overrides={"FA": "marian"}) == ModelRoute(
        Route.MARIAN, "Helsinki-NLP/opus-mt-fa-en"
    )


def test_override_only_touches_its_language() -> None:
    assert route_for("hi", overrides={"ur": "nllb"}).route is Route.MARIAN


def test_override_to_nllb_for_a_language_nllb_lacks() -> None:
    with pytest.raises(UnsupportedLanguage, match="NLLB-200 has no code for it"):
        route_for("kj", overrides={"kj": "nllb"})


def test_english_is_never_overridden() -> None:
    assert route_for("en", overrides={"en": "nllb"}).route is Route.IDENTITY


def test_every_detectable_language_has_a_route() -> None:
    for language in languages():
        route_for(language)


def test_routing_table_is_sorted_and_complete() -> None:
    table = routing_table(overrides={"qq": "some-org/qq-en"})
    codes = [language for language, _route in table]
    assert codes == sorted(codes)
    assert set(languages()) | {"en", "qq"} <= set(codes)
    routes = dict(table)
    assert routes["hi"].route is Route.MARIAN and routes["fa"].route is Route.NLLB
    assert routes["qq"] == ModelRoute(Route.MARIAN, "some-org/qq-en")


def test_routing_table_reports_an_override_it_cannot_honour() -> None:
    with pytest.raises(UnsupportedLanguage):
        routing_table(overrides={"kj": "nllb"})


def test_opus_mt_list_is_plain_codes() -> None:
    codes = opus_mt_languages()
    assert {"hi", "ur", "ar", "mr"} <= codes
    assert not {"fa", "ne", "en"} & codes  # no opus-mt-fa-en, no opus-mt-ne-en: they go to NLLB
    assert all(code.isalpha() and code.islower() and 2 <= len(code) <= 3 for code in codes)


def test_every_nllb_code_is_a_language_of_the_nllb_tokenizer() -> None:
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    assert set(nllb_codes().values()) <= set(FAIRSEQ_LANGUAGE_CODES)
    assert nllb_codes()["hi"] == "hin_Deva" and nllb_codes()["ur"] == "urd_Arab"


def test_data_is_read_on_first_use_only() -> None:
    probe = (
        "import translate.routing as r\n"
        "assert r.opus_mt_languages.cache_info().currsize == 0\n"
        "assert r.nllb_codes.cache_info().currsize == 0\n"
        "r.route_for('hi')\n"
        "assert r.opus_mt_languages.cache_info().currsize == 1\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], check=False, cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
