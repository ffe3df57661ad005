"""Settings precedence: flags, then DIGEST_* environment, then the TOML file, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from digest.settings import SETTING, SETTINGS, Origin, Settings, resolve, resolve_settings


def test_defaults_with_nothing_set() -> None:
    settings = resolve_settings({}, env={"HOME": "/nonexistent"})
    assert settings == Settings()


def test_flags_beat_env_beat_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('backend = "hf"\nsummarizer = "extractive"\nmax_batch_tokens = 100\n[route]\nur = "nllb"\n')
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
    settings = resolve_settings({}, env={"HOME": "/x", "DIGEST_ROUTE": "ur=nllb, fa=Helsinki-NLP/opus-mt-fa-en"})
    assert dict(settings.routes) == {"ur": "nllb", "fa": "Helsinki-NLP/opus-mt-fa-en"}


def test_hf_hub_offline_is_honoured() -> None:
    assert resolve_settings({}, env={"HOME": "/x", "HF_HUB_OFFLINE": "1"}).offline


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        ({"backend": "fast"}, {}, "invalid backend 'fast'"),
        ({}, {"DIGEST_MAX_BATCH_TOKENS": "lots"}, "invalid max_batch_tokens from environment"),
        ({"num_beams": 0}, {}, "beams must be at least 1, got 0: pass --beams 1 or more"),
        ({}, {"DIGEST_ROUTE": "ur"}, "LANG=nllb"),
        ({}, {"DIGEST_BACKEND": "fast"}, r"invalid backend 'fast' \(from environment DIGEST_BACKEND\): choose one"),
        ({}, {"DIGEST_BEAMS": "0"}, r"beams must be at least 1, got 0 \(from environment DIGEST_BEAMS\)"),
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


# One name per setting: the TOML key, DIGEST_<NAME> and --<name> all set the same thing.
# (TOML value, environment value, the resolved field value); every setting needs a row here.
SAMPLES: dict[str, tuple[object, str, object]] = {
    "out": ("o", "o", Path("o")),
    "model_dir": ("m", "m", Path("m")),
    "lang": ("hi", "hi", "hi"),
    "route": ({"ur": "nllb"}, "ur=nllb", {"ur": "nllb"}),
    "nllb_model": ("org/nllb", "org/nllb", "org/nllb"),
    "summarizer": ("extractive", "extractive", "extractive"),
    "summary_model": ("org/bart", "org/bart", "org/bart"),
    "backend": ("ct2", "ct2", "ct2"),
    "device": ("cpu", "cpu", "cpu"),
    "beams": (2, "2", 2),
    "max_batch_tokens": (100, "100", 100),
    "summary_beams": (3, "3", 3),
    "summary_batch_tokens": (200, "200", 200),
    "max_file_bytes": (1000, "1000", 1000),
    "offline": (True, "1", True),
    "new_only": (True, "yes", True),
    "skip_empty": (True, "true", True),
    "wait": (True, "on", True),
    "site_url": ("https://example.org/d/", "https://example.org/d/", "https://example.org/d/"),
    "follow_outside_links": (True, "1", True),
    "show_diagnostics": (True, "1", True),
    "engine": ("ray", "ray", "ray"),
    "ray_address": ("auto", "auto", "auto"),
}


def _toml(name: str, value: object) -> str:
    if isinstance(value, dict):
        return f"[{name}]\n" + "".join(f'{k} = "{v}"\n' for k, v in value.items())
    if isinstance(value, bool):
        return f"{name} = {str(value).lower()}\n"
    return f"{name} = {value!r}\n".replace("'", '"')


def test_every_setting_has_a_sample() -> None:
    assert set(SAMPLES) == set(SETTING)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_one_name_in_the_file_the_environment_and_the_options(name: str, tmp_path: Path) -> None:
    spec = SETTING[name]
    in_file, in_env, expected = SAMPLES[name]
    # ray_address needs the ray engine, whichever layer sets it.
    needs = {"engine": "ray"} if name == "ray_address" else {}
    config = tmp_path / "config.toml"
    config.write_text(_toml(name, in_file) + "".join(f'{k} = "{v}"\n' for k, v in needs.items()))
    assert spec.env == f"DIGEST_{name.upper()}" and spec.option == "--" + name.replace("_", "-")

    from_file = resolve({}, env={"HOME": "/x"}, config_path=config)
    from_env = resolve({}, env={"HOME": "/x", spec.env: in_env, **{SETTING[k].env: v for k, v in needs.items()}})
    from_option = resolve({name: expected, **needs}, env={"HOME": "/x"})
    for resolution in (from_file, from_env, from_option):
        assert getattr(resolution.settings, spec.field) == expected
    assert from_file.origins[name] == Origin("config", str(config))
    assert from_env.origins[name] == Origin("environment", spec.env)
    assert from_option.origins[name] == Origin("option", spec.option)


@pytest.mark.parametrize(
    ("old", "new"), [("num_beams", "beams"), ("out_dir", "out"), ("wait_for_lock", "wait"), ("routes", "route")]
)
def test_the_old_names_are_refused_naming_the_new_one(old: str, new: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"{old} = 2\n")
    with pytest.raises(ConfigError, match=f"setting '{old}' in config file .* was renamed: use '{new}'$"):
        resolve_settings({}, env={"HOME": "/x"}, config_path=config)
    with pytest.raises(
        ConfigError, match=f"environment variable DIGEST_{old.upper()} was renamed: use DIGEST_{new.upper()}$"
    ):
        resolve_settings({}, env={"HOME": "/x", f"DIGEST_{old.upper()}": "2"})


def test_a_misspelt_setting_gets_a_did_you_mean(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[digest]\nbeam = 2\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'beam' in config file .*: did you mean 'beams'\?$"):
        resolve_settings({}, env={"HOME": "/x"}, config_path=config)
    config.write_text("summariser = 'extractive'\n")
    with pytest.raises(ConfigError, match=r"did you mean 'summarizer'\?$"):
        resolve_settings({}, env={"HOME": "/x"}, config_path=config)
    with pytest.raises(
        ConfigError, match=r"^unknown environment variable DIGEST_MODELDIR: did you mean 'DIGEST_MODEL_DIR'\?$"
    ):
        resolve_settings({}, env={"HOME": "/x", "DIGEST_MODELDIR": "/m"})
    with pytest.raises(ConfigError, match=r"^unknown environment variable DIGEST_BEAM: did you mean 'DIGEST_BEAMS'\?$"):
        resolve_settings({}, env={"HOME": "/x", "DIGEST_BEAM": "2"})


def test_other_digest_variables_are_left_alone() -> None:
    # Not settings, and not near one: DIGEST_CRONTAB belongs to `schedule`, the others to someone else.
    # DIGEST_LOG is as near DIGEST_LANG as DIGEST_BEAM is to DIGEST_BEAMS, but LOG is not near LANG.
    env = {"HOME": "/x", "DIGEST_CRONTAB": "/c", "DIGEST_CONFIG": "", "DIGEST_HOSTNAME_FOR_BACKUPS": "h",
           "DIGEST_LOG": "/l"}
    assert resolve_settings({}, env=env) == Settings()


def test_options_may_use_the_public_name_or_the_field_but_nothing_else() -> None:
    assert resolve_settings({"beams": 2}, env={}).num_beams == 2
    assert resolve_settings({"num_beams": 2}, env={}).num_beams == 2
    with pytest.raises(TypeError, match="unknown setting 'colour'"):
        resolve_settings({"colour": "blue"}, env={})


def test_the_resolution_says_where_each_value_came_from(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('summarizer = "extractive"\nbackend = "hf"\n')
    resolution = resolve(
        {"beams": 3}, env={"HOME": "/x", "DIGEST_BACKEND": "ct2", "HF_HUB_OFFLINE": "1"}, config_path=config
    )
    origins = {row.spec.name: str(row.origin) for row in resolution.rows()}
    assert origins["summarizer"] == f"config file {config}"
    assert origins["backend"] == "environment DIGEST_BACKEND"
    assert origins["beams"] == "option --beams"
    assert origins["offline"] == "environment HF_HUB_OFFLINE"
    assert origins["engine"] == "default"
    assert [row.spec.name for row in resolution.rows()] == [spec.name for spec in SETTINGS]
    data = resolution.as_json()
    assert data["config_file"] == {"path": str(config), "found": True}
    assert data["settings"]["beams"] == {
        "value": 3, "origin": "option", "from": "--beams", "env": "DIGEST_BEAMS", "option": "--beams"
    }
    assert data["settings"]["model_dir"]["value"] is None
    assert data["settings"]["out"]["value"] == "digests"


def test_the_readme_lists_every_setting_as_it_is() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {line.split(" | ")[0].strip("| `"): line for line in readme.splitlines() if line.startswith("| `")}
    for spec in SETTINGS:
        option = f"`{spec.option}`" + (" / `-o`" if spec.name == "out" else "")
        env = f"`{spec.env}=1`" if spec.is_flag else f"`{spec.env}`"
        assert rows[spec.name].startswith(f"| `{spec.name}` | {option} | {env} | {spec.default} | "), spec.name
