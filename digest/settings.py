"""One settings object, resolved once at the edge: flags, then DIGEST_* env, then TOML, then defaults."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
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
    engine: str = "local"  # where stage calls run: this process, or a Ray cluster
    ray_address: str | None = None  # None: start Ray here; "auto" or HOST:PORT: join a running cluster
    config_path: Path | None = None


# Field name -> converter from a string (env) or TOML value.
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


def _optional_int(value: Any) -> int | None:
    if value is None or str(value).strip().lower() in ("", "none", "auto"):
        return None
    return int(value)


def _routes(value: Any) -> dict[str, str]:
    # TOML gives a table; the environment gives "ur=nllb,fa=Helsinki-NLP/opus-mt-fa-en".
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


_CONVERTERS = {
    "out_dir": _path,
    "model_dir": _path,
    "lang": str,
    "routes": _routes,
    "nllb_model": str,
    "summarizer": str,
    "summary_model": str,
    "backend": str,
    "device": str,
    "num_beams": _optional_int,
    "max_batch_tokens": int,
    "summary_beams": _optional_int,
    "summary_batch_tokens": _optional_int,
    "max_file_bytes": int,
    "offline": _bool,
    "new_only": _bool,
    "skip_empty": _bool,
    "wait_for_lock": _bool,
    "site_url": str,
    "follow_outside_links": _bool,
    "engine": str,
    "ray_address": str,
}


def default_config_path(env: Mapping[str, str]) -> Path:
    """Where the TOML config lives unless --config or DIGEST_CONFIG says otherwise."""
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    return Path(os.path.expanduser(base)) / "digest" / "config.toml"


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
    # Accept both a flat file and one with a [digest] table.
    table = data.get("digest", data)
    return {k.replace("-", "_"): v for k, v in table.items()}


def resolve_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Merge flags (None means unset), DIGEST_* variables, the TOML file and defaults."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    explicit = config_path or (Path(env["DIGEST_CONFIG"]) if env.get("DIGEST_CONFIG") else None)
    path = explicit or default_config_path(env)
    layers: list[tuple[str, Mapping[str, Any]]] = [
        (f"config file {path}", _load_toml(path, required=explicit is not None)),
        ("environment", {
            name: env[f"DIGEST_{name.upper()}"]
            for name in _CONVERTERS
            if f"DIGEST_{name.upper()}" in env
        }),
        ("option", flags),
    ]
    values: dict[str, Any] = {}
    for origin, layer in layers:
        for name, raw in layer.items():
            if name not in _CONVERTERS:
                if origin.startswith("config"):
                    raise ConfigError(f"unknown setting {name!r} in {origin}: remove it")
                continue
            try:
                values[name] = _CONVERTERS[name](raw)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"invalid {name} from {origin}: {exc}") from None
    if _bool(env.get("HF_HUB_OFFLINE", "0") or "0"):
        values["offline"] = True
    settings = Settings(config_path=path if path.exists() else None, **values)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    for name, allowed in (
        ("summarizer", SUMMARIZERS), ("backend", BACKENDS), ("device", DEVICES), ("engine", ENGINES)
    ):
        value = getattr(settings, name)
        if value not in allowed:
            raise ConfigError(f"invalid {name} {value!r}: choose one of {', '.join(allowed)}")
    if settings.num_beams is not None and settings.num_beams < 1:
        raise ConfigError(f"num_beams must be at least 1, got {settings.num_beams}: pass --beams 1 or more")
    if settings.summary_beams is not None and settings.summary_beams < 1:
        raise ConfigError(
            f"summary_beams must be at least 1, got {settings.summary_beams}: pass --summary-beams 1 or more"
        )
    for name in ("max_batch_tokens", "summary_batch_tokens"):
        value = getattr(settings, name)
        if value is not None and value < 16:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{name} must be at least 16, got {value}: pass {flag} 16 or more")
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
            f"max_file_bytes must be at least 1, got {settings.max_file_bytes}: give a size in bytes "
            "to --max-file-bytes, DIGEST_MAX_FILE_BYTES or max_file_bytes in the config file"
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
