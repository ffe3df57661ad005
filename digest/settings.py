"""One settings object, resolved once at the edge: flags, then DIGEST_* env, then TOML, then defaults.

Every setting has one public name, used everywhere a user meets it: the TOML key (`beams`), the
environment variable (`DIGEST_BEAMS`), the option (`--beams`), error messages and `digest config`.
The `Settings` fields keep their own names (`num_beams` is also the transformers name the stages use);
`SETTINGS` maps one to the other.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError, UnsupportedLanguage
from translate.routing import DEFAULT_NLLB_MODEL, route_for

DEFAULT_SUMMARY_MODEL = "sshleifer/distilbart-cnn-12-6"

SUMMARIZERS = ("abstractive", "extractive")
BACKENDS = ("auto", "hf", "ct2")
DEVICES = ("auto", "cpu", "cuda")
ENGINES = ("local", "ray")
# An ISO 639-1 or 639-3 code, perhaps with a region or script: "hi", "ckb", "zh-CN", "sr_Latn".
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")

ENV_PREFIX = "DIGEST_"
CONFIG_ENV = "DIGEST_CONFIG"
# DIGEST_* variables that are not settings: never "did you mean"-ed.
OTHER_ENV = frozenset({CONFIG_ENV, "DIGEST_CRONTAB"})


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know; built by `resolve_settings`, passed down explicitly."""

    out_dir: Path = Path("digests")
    model_dir: Path | None = None
    lang: str | None = None  # override detection for every input
    routes: Mapping[str, str] = field(default_factory=dict)  # lang -> "nllb" | "marian" | model id
    nllb_model: str = DEFAULT_NLLB_MODEL
    summarizer: str = "abstractive"
    summary_model: str = DEFAULT_SUMMARY_MODEL
    backend: str = "auto"
    device: str = "auto"
    num_beams: int | None = None  # None: the model's generation config
    max_batch_tokens: int = 4096
    summary_beams: int | None = None  # the summarizer's own; None: its model's generation config
    summary_batch_tokens: int | None = None  # None: the summarizer's default budget
    max_file_bytes: int = 20 * 1024 * 1024
    offline: bool = False  # also honoured through HF_HUB_OFFLINE=1
    new_only: bool = False
    skip_empty: bool = False
    wait_for_lock: bool = False
    site_url: str | None = None  # where DIR is served; makes the feed's links absolute
    follow_outside_links: bool = False  # follow links that lead out of the input folders
    show_diagnostics: bool = False  # why files failed or were skipped, on the published pages too
    engine: str = "local"  # where stage calls run: this process, or a Ray cluster
    ray_address: str | None = None  # None: start Ray here; "auto" or HOST:PORT: join a running cluster
    config_path: Path | None = None


# Converters from a string (environment) or a TOML value.
def _path(value: Any) -> Path:
    return Path(os.path.expanduser(str(value)))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _int(value: Any) -> int:
    if isinstance(value, bool):  # TOML `true` is not a number
        raise ValueError(f"not a whole number: {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a whole number: {value!r}") from None


def _optional_int(value: Any) -> int | None:
    if value is None or str(value).strip().lower() in ("", "none", "auto"):
        return None
    return _int(value)


def _str(value: Any) -> str:
    if isinstance(value, Mapping | list | bool):
        raise ValueError(f"not a text value: {value!r}")
    return str(value)


def _routes(value: Any) -> dict[str, str]:
    # TOML gives a table; the environment and the options give "ur=nllb,fa=Helsinki-NLP/opus-mt-fa-en".
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    routes: dict[str, str] = {}
    for item in str(value).split(","):
        if not item.strip():
            continue
        lang, sep, target = item.partition("=")
        if not sep or not lang.strip() or not target.strip():
            raise ValueError(f"expected LANG=nllb|marian|MODEL_ID, got {item!r}")
        routes[lang.strip()] = target.strip()
    return routes


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its public name, the `Settings` field it fills, and how to read and show it."""

    name: str
    field: str
    convert: Callable[[Any], Any]
    help: str
    default: str  # the default as a user reads it
    choices: tuple[str, ...] = ()
    is_flag: bool = False  # an on/off option: `--offline`, DIGEST_OFFLINE=1, `offline = true`
    metavar: str | None = None

    @property
    def env(self) -> str:
        """The environment variable, DIGEST_<NAME>."""
        return ENV_PREFIX + self.name.upper()

    @property
    def option(self) -> str:
        """The command-line option, --<name-with-dashes>."""
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("out", "out_dir", _path, "Output folder: one folder a day, the index and the feed.", "digests"),
    SettingSpec("model_dir", "model_dir", _path, "Folder of models laid out as DIR/<org>/<name>, looked in "
                "before the Hugging Face cache.", "none (the Hugging Face cache, then the hub)"),
    SettingSpec("lang", "lang", _str, "Skip detection: every document is in this language (a code such as hi, "
                "ur, fa).", "none (detect each document's language)"),
    SettingSpec("route", "routes", _routes, "Send a language elsewhere: LANG=nllb, LANG=marian or LANG=MODEL_ID "
                "(repeatable; comma-separated in DIGEST_ROUTE, a table in the config file).",
                "none (the route table)", metavar="LANG=MODEL"),
    SettingSpec("nllb_model", "nllb_model", _str, "Model id of NLLB-200, for languages without an opus-mt model.",
                DEFAULT_NLLB_MODEL),
    SettingSpec("summarizer", "summarizer", _str, "abstractive (a BART model) or extractive (needs no weights).",
                "abstractive", choices=SUMMARIZERS),
    SettingSpec("summary_model", "summary_model", _str, "Model id of the abstractive summarizer.",
                DEFAULT_SUMMARY_MODEL),
    SettingSpec("backend", "backend", _str, "How models run: hf (transformers), ct2 (CTranslate2) or auto "
                "(ct2 when installed).", "auto", choices=BACKENDS),
    SettingSpec("device", "device", _str, "Where models run: auto (a GPU when there is one), cpu or cuda.",
                "auto", choices=DEVICES),
    SettingSpec("beams", "num_beams", _optional_int, "Beam size of the translations.", "the model's own"),
    SettingSpec("max_batch_tokens", "max_batch_tokens", _int, "Tokens in one translation batch, counting every "
                "beam.", "4096"),
    SettingSpec("summary_beams", "summary_beams", _optional_int, "Beam size of the summarizer.",
                "its model's own"),
    SettingSpec("summary_batch_tokens", "summary_batch_tokens", _optional_int, "Tokens in one summarizer batch, "
                "counting every beam.", "8192"),
    SettingSpec("max_file_bytes", "max_file_bytes", _int, "Largest file read, in bytes; larger files fail.",
                f"{20 * 1024 * 1024} (20 MiB)"),
    SettingSpec("offline", "offline", _bool, "Never contact the Hugging Face hub (as HF_HUB_OFFLINE=1).", "off",
                is_flag=True),
    SettingSpec("new_only", "new_only", _bool, "Only files new or changed since the last digest.", "off",
                is_flag=True),
    SettingSpec("skip_empty", "skip_empty", _bool, "Write no digest on a night with nothing new.", "off",
                is_flag=True),
    SettingSpec("wait", "wait_for_lock", _bool, "Wait for a running digest of the same folder instead of exiting.",
                "off", is_flag=True),
    SettingSpec("site_url", "site_url", _str, "URL where the output folder is served (absolute links in the feed).",
                "none (relative links)"),
    SettingSpec("follow_outside_links", "follow_outside_links", _bool, "Follow symbolic links that lead out of "
                "the input paths (never into /dev, /proc or /sys).", "off", is_flag=True),
    SettingSpec("show_diagnostics", "show_diagnostics", _bool, "Put why files failed or were skipped (paths, "
                "options, file:// links) on the published pages too, not only in digest.md, digest.json and "
                "the terminal.", "off", is_flag=True),
    SettingSpec("engine", "engine", _str, "Where the stages run: local (this process) or ray (a Ray cluster).",
                "local", choices=ENGINES),
    SettingSpec("ray_address", "ray_address", _str, "With engine ray: auto or HOST:PORT joins a running cluster.",
                "none (start Ray here)"),
)
SETTING: Mapping[str, SettingSpec] = {spec.name: spec for spec in SETTINGS}
_BY_FIELD: Mapping[str, SettingSpec] = {spec.field: spec for spec in SETTINGS}
# Names these settings had before each got one name everywhere; refused, naming the new one.
RENAMED: Mapping[str, str] = {"out_dir": "out", "num_beams": "beams", "wait_for_lock": "wait", "routes": "route"}


@dataclass(frozen=True)
class Origin:
    """Where a setting's value came from: kind is default, config, environment or option."""

    kind: str
    where: str | None = None  # the config file, the variable or the option

    def __str__(self) -> str:
        labels = {"config": "config file", "environment": "environment", "option": "option"}
        return self.kind if self.where is None else f"{labels[self.kind]} {self.where}"


DEFAULT = Origin("default")


@dataclass(frozen=True)
class ResolvedSetting:
    """One setting as `digest config` shows it."""

    spec: SettingSpec
    value: Any
    origin: Origin

    @property
    def text(self) -> str:
        """The value as the options and DIGEST_* variables spell it; unset values say what happens instead."""
        if self.value is None:
            return self.spec.default
        if isinstance(self.value, bool):
            return "on" if self.value else "off"
        if isinstance(self.value, Mapping):
            return ",".join(f"{lang}={target}" for lang, target in self.value.items()) or self.spec.default
        return str(self.value)

    def as_json(self) -> dict[str, Any]:
        """The value (null when unset) and its origin, for `digest config --json`."""
        value = self.value
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        return {"value": value, "origin": self.origin.kind, "from": self.origin.where,
                "env": self.spec.env, "option": self.spec.option}


@dataclass(frozen=True)
class Resolution:
    """The resolved settings with each one's origin, and the config file that was read (or looked for)."""

    settings: Settings
    origins: Mapping[str, Origin]
    config_file: Path
    config_found: bool

    def rows(self) -> list[ResolvedSetting]:
        """Every setting in the documented order."""
        return [
            ResolvedSetting(spec, getattr(self.settings, spec.field), self.origins.get(spec.name, DEFAULT))
            for spec in SETTINGS
        ]

    def as_json(self) -> dict[str, Any]:
        """The config file and every setting by name, for `digest config --json`."""
        return {
            "config_file": {"path": str(self.config_file), "found": self.config_found},
            "settings": {row.spec.name: row.as_json() for row in self.rows()},
        }


def default_config_path(env: Mapping[str, str]) -> Path:
    """Where the TOML config lives unless --config or DIGEST_CONFIG says otherwise."""
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    return Path(os.path.expanduser(base)) / "digest" / "config.toml"


def _did_you_mean(name: str, *, env: bool = False) -> str:
    # Variables are compared without their DIGEST_ prefix, which would make any two look alike.
    close = difflib.get_close_matches(name, list(SETTING), n=1, cutoff=0.75)
    if not close:
        return ""
    return f"did you mean {SETTING[close[0]].env if env else close[0]!r}?"


def _load_toml(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {path} does not exist: create it or drop --config") from None
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read ({exc}): fix or remove it") from None
    # Accept both a flat file and one with a [digest] table, and dashes for underscores.
    table = data.get("digest", data)
    values = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in SETTING:
            if name in RENAMED:
                raise ConfigError(f"setting {key!r} in config file {path} was renamed: use {RENAMED[name]!r}")
            hint = _did_you_mean(name) or "remove it (`digest config` lists the settings)"
            raise ConfigError(f"unknown setting {key!r} in config file {path}: {hint}")
        values[name] = value
    return values


def _from_env(env: Mapping[str, str]) -> dict[str, str]:
    values = {}
    for variable, value in env.items():
        if not variable.startswith(ENV_PREFIX) or variable in OTHER_ENV:
            continue
        name = variable[len(ENV_PREFIX):].lower()
        if name in SETTING and variable == SETTING[name].env:
            values[name] = value
        elif name in RENAMED:
            raise ConfigError(
                f"environment variable {variable} was renamed: use {SETTING[RENAMED[name]].env}"
            )
        elif hint := _did_you_mean(name, env=True):
            # Close to a setting: a typo that would otherwise be ignored without a word.
            raise ConfigError(f"unknown environment variable {variable}: {hint}")
    return values


def _flag_name(key: str) -> str:
    # Options reach here by field name (num_beams=...) or by public name (beams=...).
    if key in SETTING:
        return key
    if key in _BY_FIELD:
        return _BY_FIELD[key].name
    raise TypeError(f"unknown setting {key!r}")


def resolve(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Resolution:
    """Merge options (None means unset), DIGEST_* variables, the TOML file and defaults, noting origins."""
    env = os.environ if env is None else env
    options = {_flag_name(k): v for k, v in (flags or {}).items() if v is not None}
    explicit = config_path or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    path = explicit or default_config_path(env)
    layers: list[tuple[Callable[[str], Origin], Mapping[str, Any]]] = [
        (lambda name: Origin("config", str(path)), _load_toml(path, required=explicit is not None)),
        (lambda name: Origin("environment", SETTING[name].env), _from_env(env)),
        (lambda name: Origin("option", SETTING[name].option), options),
    ]
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for origin_of, layer in layers:
        for name, raw in layer.items():
            spec = SETTING[name]
            origin = origin_of(name)
            try:
                values[spec.field] = spec.convert(raw)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"invalid {name} from {origin}: {exc}") from None
            origins[name] = origin
    if _bool(env.get("HF_HUB_OFFLINE", "0") or "0") and not values.get("offline"):
        values["offline"] = True
        origins["offline"] = Origin("environment", "HF_HUB_OFFLINE")
    found = path.exists()
    settings = Settings(config_path=path if found else None, **values)
    _validate(settings, origins)
    return Resolution(settings=settings, origins=origins, config_file=path, config_found=found)


def resolve_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Merge options (None means unset), DIGEST_* variables, the TOML file and defaults."""
    return resolve(flags, env=env, config_path=config_path).settings


def _where(name: str, origins: Mapping[str, Origin]) -> str:
    # Name the place the bad value came from, so the fix is made there.
    # An option is on the command line in front of the user; the others are worth naming.
    origin = origins.get(name)
    return f" (from {origin})" if origin and origin.kind != "option" else ""


def _validate(settings: Settings, origins: Mapping[str, Origin]) -> None:
    for spec in SETTINGS:
        value = getattr(settings, spec.field)
        if spec.choices and value not in spec.choices:
            raise ConfigError(
                f"invalid {spec.name} {value!r}{_where(spec.name, origins)}: choose one of {', '.join(spec.choices)}"
            )
    for name in ("beams", "summary_beams"):
        value = getattr(settings, SETTING[name].field)
        if value is not None and value < 1:
            raise ConfigError(
                f"{name} must be at least 1, got {value}{_where(name, origins)}: "
                f"pass {SETTING[name].option} 1 or more"
            )
    for name in ("max_batch_tokens", "summary_batch_tokens"):
        value = getattr(settings, name)
        if value is not None and value < 16:
            raise ConfigError(
                f"{name} must be at least 16, got {value}{_where(name, origins)}: "
                f"pass {SETTING[name].option} 16 or more"
            )
    if settings.ray_address is not None and settings.engine != "ray":
        raise ConfigError(
            f"ray_address {settings.ray_address!r} is set but the engine is {settings.engine!r}: "
            "add --engine ray, or drop the address"
        )
    if settings.lang:  # an empty DIGEST_LANG= means unset, as it always did
        _check_lang(settings)
    if settings.max_file_bytes < 1:
        # 0 or less would refuse every file as too large: never what was meant.
        raise ConfigError(
            f"max_file_bytes must be at least 1, got {settings.max_file_bytes}{_where('max_file_bytes', origins)}: "
            "give a size in bytes to --max-file-bytes, DIGEST_MAX_FILE_BYTES or max_file_bytes in the config file"
        )


def _check_lang(settings: Settings) -> None:
    # Checked here, before any file is read: a language no route knows would fail every file the
    # same way. The setting itself is what is wrong, so the message says how to fix the setting.
    lang = settings.lang or ""
    try:
        route_for(lang, overrides=settings.routes, nllb_model=settings.nllb_model)
    except UnsupportedLanguage:
        known = "give an ISO 639 code such as hi, ur or fa (`digest models list` lists them all)"
        if not _LANGUAGE_CODE.fullmatch(lang.strip()):
            raise ConfigError(f"lang {lang!r} is not a language code: {known}") from None
        raise ConfigError(
            f"lang {lang!r} is not a language digest can translate: {known}, "
            f"or name a model for it with --route {lang.strip()}=MODEL_ID"
        ) from None


def replace(settings: Settings, **changes: Any) -> Settings:
    """A copy of `settings` with some fields changed."""
    return dataclasses.replace(settings, **changes)
