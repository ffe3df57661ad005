"""The translation backends by name, imported only when asked for."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from digest.errors import BackendUnavailable
from digest.hub import ModelLocation
from translate.base import Translator

# name -> "module:Class"; a backend's heavy imports happen only when it is chosen.
TRANSLATOR_BACKENDS: dict[str, str] = {
    "hf": "translate.hf:HFTranslator",
    "ct2": "translate.ct2:CT2Translator",
}

# The package each backend needs beyond the core install, and how to get it.
_EXTRAS: dict[str, tuple[str, str]] = {
    "ct2": ("ctranslate2", "the ct2 backend needs CTranslate2: pip install 'digest-translate[ct2]'"),
}


def installed(package: str) -> bool:
    """Whether `package` can be imported (checked without importing it)."""
    return importlib.util.find_spec(package) is not None


def resolve_backend(name: str) -> str:
    """The backend `name` stands for: "auto" is ct2 when CTranslate2 is installed, else hf."""
    if name == "auto":
        return "ct2" if installed("ctranslate2") else "hf"
    return name


def load_backend_class(name: str, registry: dict[str, str]) -> Any:
    """Import and return the class registered as `name`, or raise BackendUnavailable with the fix."""
    if name not in registry:
        raise BackendUnavailable(f"unknown backend {name!r}: choose one of auto, {', '.join(registry)}")
    if name in _EXTRAS:
        package, fix = _EXTRAS[name]
        if not installed(package):
            raise BackendUnavailable(fix)
    module_name, _, class_name = registry[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def get_translator(backend: str, location: ModelLocation, **options: Any) -> Translator:
    """A translator for the model at `location` on `backend` ("auto", "hf", "ct2")."""
    cls = load_backend_class(resolve_backend(backend), TRANSLATOR_BACKENDS)
    translator: Translator = cls(location, **options)
    return translator
