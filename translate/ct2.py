"""Translation with CTranslate2 (MarianMT or NLLB-200): `HFTranslator` on the runtime's `CT2Runner`."""

from __future__ import annotations

from pathlib import Path

from seq2seq.ct2 import CT2Runner
from seq2seq.hub import ModelLocation
from translate.hf import HFTranslator


class CT2Translator(HFTranslator):
    """Translator backed by CTranslate2 (MarianMT or NLLB-200), converted from a local checkpoint."""

    def __init__(
        self,
        location: ModelLocation,
        *,
        device: str = "auto",
        num_beams: int | None = None,
        max_batch_tokens: int = 4096,
        quantization: str | None = None,
        cache_root: Path | None = None,
    ) -> None:
        super().__init__(location, device=device, num_beams=num_beams, max_batch_tokens=max_batch_tokens)
        # Everything HFTranslator does around generation (source codes, blank segments, input limits,
        # per-segment caps, decoding, loop trimming) is kept; only the runner is replaced.
        self.runner: CT2Runner = CT2Runner(
            location,
            device=device,
            num_beams=num_beams,
            max_batch_tokens=max_batch_tokens,
            quantization=quantization,
            cache_root=cache_root,
        )
        # Converted weights (int8 above all) translate slightly differently from the originals, so the
        # translation memory keeps the two apart.
        self.revision = f"{location.revision}+ct2-{self.runner.quantization}"

    @property
    def quantization(self) -> str:
        """The weight type the converted model uses ("int8", "int8_float16", "float32", ...)."""
        return self.runner.quantization

    @property
    def converted_path(self) -> Path:
        """The CTranslate2 model folder (converted on first access)."""
        return self.runner.converted_path
