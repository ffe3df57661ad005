"""What `digest models download` fetches for the names it is given (no hub needed to decide)."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from digest.models import DownloadTarget, download_targets
from digest.settings import Settings
from translate.routing import DEFAULT_NLLB_MODEL, opus_mt_languages

SUMMARY_MODEL = Settings().summary_model


def test_languages_go_through_the_route_table_and_its_overrides() -> None:
    settings = Settings(routes={"ur": "nllb"})

    targets = download_targets(["hi", "ur", "fa", "summarizer", "Helsinki-NLP/opus-mt-hi-en"], settings=settings)

    assert targets == [
        DownloadTarget("Helsinki-NLP/opus-mt-hi-en", ("hi",)),
        DownloadTarget(DEFAULT_NLLB_MODEL, ("ur", "fa")),
        DownloadTarget(SUMMARY_MODEL, ("summarizer",)),
    ]


def test_all_is_every_model_of_the_route_table_and_the_summarizer() -> None:
    targets = download_targets([], settings=Settings(), everything=True)

    assert targets[0] == DownloadTarget(SUMMARY_MODEL, ("summarizer",))
    ids = [t.model_id for t in targets]
    assert len(ids) == len(set(ids)) == 1 + len(opus_mt_languages()) + 1  # summarizer, opus-mt models, NLLB
    assert DEFAULT_NLLB_MODEL in ids
    assert download_targets([], settings=Settings(summarizer="extractive"), everything=True)[0].model_id != SUMMARY_MODEL


@pytest.mark.parametrize(("names", "says"), [([], "name what to download"), (["xx"], "no model translates 'xx'"),
                                            (["en"], "'en' is English")])
def test_names_that_stand_for_no_model_are_usage_errors(names: list[str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        download_targets(names, settings=Settings())
