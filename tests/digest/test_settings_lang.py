"""--lang (DIGEST_LANG, `lang` in the config file) is checked when the settings are resolved."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from digest.settings import resolve_settings


@pytest.mark.parametrize("lang", ["hi", "UR", "zh-CN", "en", "ckb"])
def test_a_language_the_tables_know_is_accepted(lang: str) -> None:
    assert resolve_settings({"lang": lang}, env={}).lang == lang


def test_a_language_with_a_route_of_its_own_is_accepted() -> None:
    settings = resolve_settings({"lang": "xx", "routes": "xx=example/opus-mt-xx-en"}, env={})
    assert settings.lang == "xx"


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("xx", ("lang 'xx' is not a language digest can translate: give an ISO 639 code such as hi, ur or fa "
                "(`digest models list` lists them all), or name a model for it with --route xx=MODEL_ID")),
        ("hindi", ("lang 'hindi' is not a language code: give an ISO 639 code such as hi, ur or fa "
                   "(`digest models list` lists them all)")),
        ("hi en", "lang 'hi en' is not a language code"),
    ],
)
def test_an_unknown_language_is_a_config_error(lang: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_settings({"lang": lang}, env={})
    assert str(caught.value).startswith(message)
    assert "--lang" not in str(caught.value)


def test_the_environment_is_checked_too() -> None:
    with pytest.raises(ConfigError, match="lang 'qq'"):
        resolve_settings({}, env={"DIGEST_LANG": "qq", "HOME": "/nonexistent"})
    # Empty is unset: detection decides.
    assert not resolve_settings({}, env={"DIGEST_LANG": "", "HOME": "/nonexistent"}).lang
