"""The translation backends by name, imported only when asked for."""

from __future__ import annotations

from typing import Any

from seq2seq.backends import build_on_backend
from seq2seq.hub import ModelLocation
from translate.base import Translator

# name -> "module:Class"; a backend's heavy imports happen only when it is chosen.
TRANSLATOR_BACKENDS: dict[str, str] = {
    "hf": "translate.hf:HFTranslator",
    "ct2": "translate.ct2:CT2Translator",
}


def get_translator(backend: str, location: ModelLocation, **options: Any) -> Translator:
    """A translator for the model at `location` on `backend` ("auto", "hf", "ct2")."""
    translator: Translator = build_on_backend(backend, TRANSLATOR_BACKENDS, location, **options)
    return translator
