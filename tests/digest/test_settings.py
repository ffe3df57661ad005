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


def test_the_summarizer_has_its_own_beams_and_batch_budget() -> None:
    settings = resolve_settings(
        {"num_beams": 1}, env={"DIGEST_SUMMARY_BEAMS": "2", "DIGEST_SUMMARY_BATCH_TOKENS": "8192"}
    )
    assert (settings.num_beams, settings.summary_beams, settings.summary_batch_tokens) == (1, 2, 8192)
    defaults = resolve_settings({}, env={})
    assert defaults.summary_beams is None and defaults.summary_batch_tokens is None


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"summary_beams": 0}, "summary_beams must be at least 1, got 0: pass --summary-beams 1 or more"),
        ({"summary_batch_tokens": 8}, "summary_batch_tokens must be at least 16, got 8: pass --summary-batch-tokens"),
    ],
)
def test_bad_summarizer_settings_are_usage_errors(flags: dict[str, int], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_settings(flags, env={})


def test_the_summarizer_is_built_with_its_own_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import summarize.registry
    from digest.stages import ModelHolder, ModelOptions

    seen: dict[str, object] = {}

    def fake_get_summarizer(kind: str, **options: object) -> object:
        seen.update(options)
        return summarize.registry.ExtractiveSummarizer()

    monkeypatch.setattr(summarize.registry, "get_summarizer", fake_get_summarizer)
    options = ModelOptions(num_beams=1, max_batch_tokens=1000, summary_beams=3, summary_batch_tokens=9000)
    ModelHolder(options).summarizer("extractive", "unused")
    assert seen["num_beams"] == 3 and seen["max_batch_tokens"] == 9000
