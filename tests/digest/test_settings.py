"""Settings precedence: flags, then DIGEST_* environment, then the TOML file, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from digest.settings import Settings, resolve_settings


def test_defaults_with_nothing_set() -> None:
    settings = resolve_settings({}, env={"HOME": "/nonexistent"})
    assert settings == Settings()


def test_flags_beat_env_beat_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('backend = "hf"\nsummarizer = "extractive"\nmax_batch_tokens = 100\n[routes]\nur = "nllb"\n')
    env = {"DIGEST_BACKEND": "ct2", "DIGEST_MAX_BATCH_TOKENS": "200"}
    settings = resolve_settings({"max_batch_tokens": 300, "backend": None}, env=env, config_path=config)
    assert settings.summarizer == "extractive"  # file
    assert settings.backend == "ct2"  # env over file; an unset flag (None) does not count
    assert settings.max_batch_tokens == 300  # flag over env
    assert dict(settings.routes) == {"ur": "nllb"}


def test_config_file_from_xdg(tmp_path: Path) -> None:
    folder = tmp_path / "digest"
    folder.mkdir()
    (folder / "config.toml").write_text('[digest]\nmodel-dir = "~/models"\n')
    settings = resolve_settings({}, env={"XDG_CONFIG_HOME": str(tmp_path), "HOME": "/home/u"})
    assert settings.model_dir == Path("~/models").expanduser()


def test_routes_from_env() -> None:
    settings = resolve_settings({}, env={"HOME": "/x", "DIGEST_ROUTES": "ur=nllb, fa=Helsinki-NLP/opus-mt-fa-en"})
    assert dict(settings.routes) == {"ur": "nllb", "fa": "Helsinki-NLP/opus-mt-fa-en"}


def test_hf_hub_offline_is_honoured() -> None:
    assert resolve_settings({}, env={"HOME": "/x", "HF_HUB_OFFLINE": "1"}).offline


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        ({"backend": "fast"}, {}, "invalid backend 'fast'"),
        ({}, {"DIGEST_MAX_BATCH_TOKENS": "lots"}, "invalid max_batch_tokens from environment"),
        ({"num_beams": 0}, {}, "num_beams"),
        ({}, {"DIGEST_ROUTES": "ur"}, "LANG=nllb"),
    ],
)
def test_invalid_settings_name_the_problem(flags: dict[str, object], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_settings(flags, env={"HOME": "/x", **env})


def test_unknown_key_in_file_and_missing_explicit_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        resolve_settings({}, env={"HOME": "/x"}, config_path=config)
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_settings({}, env={"HOME": "/x"}, config_path=tmp_path / "missing.toml")
    config.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="cannot be read"):
        resolve_settings({}, env={"HOME": "/x"}, config_path=config)


@pytest.mark.parametrize("value", ["-1", "0"])
def test_max_file_bytes_below_one_is_refused_from_any_layer(value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="max_file_bytes must be at least 1"):
        resolve_settings({"max_file_bytes": int(value)})
    with pytest.raises(ConfigError, match="max_file_bytes must be at least 1"):
        resolve_settings(env={"DIGEST_MAX_FILE_BYTES": value})
