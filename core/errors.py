"""The small error hierarchy; the CLI turns each into a one-line message."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """`exc` as one line for a message: its type and the first line of its text."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class DigestError(Exception):
    """Base of every error a user should see as one line: the problem and the fix."""

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled as built, not re-built: a subclass's __init__ formats its message from its own
        # arguments, which `args` (the message) is not. A stage's error on a Ray worker reaches the
        # driver pickled, and must say there what it said where it was raised.
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls: type[DigestError], args: tuple[object, ...], state: dict[str, object]) -> DigestError:
    """A DigestError as it was pickled, without calling its __init__ again."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class ConfigError(DigestError):
    """A setting, option or config file is invalid."""


class UnreadableDocument(DigestError):
    """A file cannot be read as text (missing, binary, empty, too large, no permission)."""


class MissingExtra(UnreadableDocument):
    """A file's format needs an optional extra that is not installed; only files of that format fail."""

    def __init__(self, extra: str, kind: str, module: str) -> None:
        self.extra = extra
        super().__init__(
            f"reading {kind} needs the {extra} extra ({module} is not installed or cannot be imported): "
            f"pip install 'digest-translate[{extra}]'"
        )


class UnsupportedFileType(UnreadableDocument):
    """A file named on purpose is of a type digest does not read."""


class UnsupportedLanguage(DigestError):
    """The language cannot be detected, or no route to English exists for it."""


class ModelUnavailable(DigestError):
    """A model is not in the model dir, not cached, and the hub cannot be reached."""

    def __init__(self, model_id: str, reason: str = "") -> None:
        self.model_id = model_id
        self.reason = reason
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"model {model_id} is not available{detail}: download it where the "
            f"Hugging Face hub is reachable, or point --model-dir (DIGEST_MODEL_DIR) "
            f"at a folder holding it as DIR/{model_id}/"
        )


class ModelsMissing(DigestError):
    """Models a run or command needs are not available: every one of them named in one message."""

    def __init__(self, model_ids: tuple[str, ...], message: str) -> None:
        self.model_ids = model_ids
        super().__init__(message)


class BackendUnavailable(DigestError):
    """A backend was asked for that is unknown or not installed."""


class RunLocked(DigestError):
    """Another run holds the lock on the output folder."""


class DiskFull(DigestError):
    """A write failed because the disk (or the user's quota) is full."""


class StateError(DigestError):
    """The state database failed; the run stops before publishing anything."""


class StateBusy(StateError):
    """Another process held the state database's write lock for longer than the wait."""


class StateCorrupt(StateError):
    """The state database's file is damaged: moving it aside is the fix."""


class StateDiskFull(StateError, DiskFull):
    """The state database cannot grow: its disk is full."""


class ScheduleError(DigestError):
    """A nightly schedule cannot be installed, shown or removed."""


class ModelBroken(DigestError):
    """A model is on disk but a file of it is missing, unreadable or inconsistent with the rest."""

    def __init__(self, model_id: str, problem: str, *, folder: object = None, fix: str = "") -> None:
        self.model_id = model_id
        self.problem = problem
        where = f" --local-dir {folder}" if folder is not None else ""
        self.fix = fix or f"re-download it with `hf download {model_id}{where}`"
        super().__init__(f"model {model_id} is broken: {problem}: {self.fix}")


class BackendFailed(BackendUnavailable):
    """The ct2 backend cannot convert or load a model (under --backend auto, transformers is used instead)."""

    def __init__(self, model_id: str, reason: str) -> None:
        self.model_id = model_id
        self.reason = reason
        super().__init__(f"the ct2 backend cannot use {model_id} ({reason}): use --backend hf")
