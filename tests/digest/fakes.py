"""A fake translator for the stage and driver tests: its output shows which model took what."""

from __future__ import annotations

from collections.abc import Sequence


class Bracketing:
    """Writes each segment into `template` ({model} and {segment}); records its calls."""

    revision = "r1"

    def __init__(self, model_id: str, template: str = "[{segment}] translated.") -> None:
        self.model_id: str | None = model_id
        self.template = template
        self.calls: list[list[str]] = []

    @property
    def max_input_tokens(self) -> int:
        return 64

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def translate(self, segments: Sequence[str], *, source_code: str | None = None) -> list[str]:
        self.calls.append(list(segments))
        return [self.template.format(model=self.model_id, segment=segment) for segment in segments]
