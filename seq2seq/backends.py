"""Backends by name ("auto", "hf", "ct2"), each stage's class imported only when asked for.

A stage keeps its own registry (name -> "module:Class"); this module resolves "auto", checks the extra a
backend needs, and falls back from CTranslate2 to transformers.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Any

from core.errors import BackendFailed, BackendUnavailable
from seq2seq.hub import ModelLocation

# The application's logger: the fallback warning is one of the run's messages.
log = logging.getLogger("digest")

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


def build_on_backend(backend: str, registry: dict[str, str], location: ModelLocation, **options: Any) -> Any:
    """The class registered for `backend` built for `location`.

    Under "auto" a ct2 model is converted and loaded here, and one that CTranslate2 cannot convert or
    load falls back to transformers with one warning; a backend named explicitly fails where it fails.
    """
    name = resolve_backend(backend)
    built = load_backend_class(name, registry)(location, **options)
    if backend != "auto" or name == "hf":
        return built
    runner = built.runner
    try:
        # Converted before the tokenizer loads (see convert_model); a broken checkpoint raises
        # ModelBroken, no BackendFailed: it fails on every backend, so there is no fallback for it.
        _ = runner.model
    except BackendFailed as exc:
        log.warning(
            "the ct2 backend cannot use %s (%s); using transformers instead", exc.model_id, exc.reason
        )
        return load_backend_class("hf", registry)(location, **options)
    _ = runner.tokenizer
    return built


def convert_ahead(backend: str, location: ModelLocation, *, device: str) -> None:
    """Convert `location` for CTranslate2 now if `backend` runs it there (nothing for transformers).

    A run converts every model it needs before it loads any, so no conversion (a child process
    holding a full-precision model) runs beside models already loaded. Under "auto" a model that does
    not convert is left to `build_on_backend`, which falls back to transformers with its warning.
    """
    if resolve_backend(backend) != "ct2" or not installed("ctranslate2"):
        return
    from seq2seq.ct2 import resolve_ct2_device
    from seq2seq.convert import cache_root_for, convert_model, default_quantization

    ct2_device, _index = resolve_ct2_device(device)
    try:
        convert_model(location, quantization=default_quantization(ct2_device), cache_root=cache_root_for(location))
    except BackendFailed:
        if backend != "auto":
            raise
