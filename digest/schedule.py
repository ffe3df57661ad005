"""Nightly runs: one tagged line in the user's crontab, or a systemd user timer."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from core.errors import ConfigError, ScheduleError
from core.names import display_path
from digest.atomic import write_bytes_atomic, write_text_atomic
from digest.settings import SETTINGS, Settings
from digest.state import state_dir
from readers.documents import check_inputs

MARKER = "# digest-nightly"
UNIT_NAME = "digest-nightly"
SERVICE_FILE = f"{UNIT_NAME}.service"
TIMER_FILE = f"{UNIT_NAME}.timer"

LOG_FILENAME = "nightly.log"

# Each setting is spelt in the job as its command-line option (settings.SETTINGS), the stable
# public name, so the job runs the same under cron's bare environment whatever DIGEST_* variables
# or config file were in effect at install time.
_FLAGS: Mapping[str, str] = {spec.field: spec.option for spec in SETTINGS}
# Not a setting of the run: the job's flags already hold every value the file gave.
_NOT_CARRIED = frozenset({"config_path"})
# Written even at its default, which is relative: cron starts the job in the home folder.
_ALWAYS_CARRIED = frozenset({"out_dir"})
# Where models are found and cached, and whether the hub may be contacted: the run depends on
# these as much as on its settings. (HF_TOKEN is left out on purpose: a crontab is no place for a secret.)
MODEL_ENVIRONMENT = ("HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "HF_ENDPOINT", "XDG_CACHE_HOME")

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
# Arguments made only of these need no quoting in a systemd ExecStart= line.
_SYSTEMD_PLAIN = re.compile(r"[A-Za-z0-9_@+=:,./-]+")


def parse_time(at: str) -> tuple[int, int]:
    """Hour and minute of a 24-hour "HH:MM", or ConfigError (a usage error, exit 2)."""
    match = _TIME.fullmatch(at.strip())
    hour, minute = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ConfigError(f"invalid time {at!r}: use 24-hour HH:MM, e.g. 02:30")
    return hour, minute


@dataclass(frozen=True)
class Job:
    """The nightly command: its argv (absolute program first) and the environment it runs with."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)


def nightly_job(
    settings: Settings,
    *,
    program: str,
    paths: Sequence[Path],
    publish_empty: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Job:
    """`program run --new-only` over `paths` with every setting of `settings` that is not a default.

    Paths (the inputs, the output and model folders) are made absolute, since cron starts in the
    home folder. A quiet night writes nothing (`--skip-empty`) unless `publish_empty`.
    """
    check_inputs(paths)  # a mistyped path is a usage error now, not a failed run every night
    environ = os.environ if environ is None else environ
    settings = replace(settings, new_only=True, skip_empty=not publish_empty)
    defaults = Settings()
    argv = [program, "run"]
    env: dict[str, str] = {}
    # What the job is comes first, so `schedule show` reads as "run --new-only --skip-empty --out …".
    first = ("new_only", "skip_empty", "out_dir")
    names = [*first, *(f.name for f in fields(Settings) if f.name not in first)]
    for name in names:
        value = getattr(settings, name)
        if name in _NOT_CARRIED or (value == getattr(defaults, name) and name not in _ALWAYS_CARRIED):
            continue
        flag = _FLAGS.get(name)
        if flag is None:
            # A new setting must be given a flag here, or the nightly job would silently drop it.
            raise AssertionError(f"setting {name!r} has no flag for the nightly job")
        argv += _flag_args(flag, value)
    argv += [_absolute(p) for p in paths]
    env.update({name: environ[name] for name in MODEL_ENVIRONMENT if environ.get(name)})
    return Job(tuple(argv), env)


def _flag_args(flag: str, value: object) -> list[str]:
    if isinstance(value, bool):
        # Every switch defaults to off, so a value that differs from the default is on.
        return [flag] if value else []
    if isinstance(value, Path):
        return [flag, _absolute(value)]
    if isinstance(value, Mapping):
        return [arg for key in sorted(value) for arg in (flag, f"{key}={value[key]}")]
    return [flag, str(value)]


def _absolute(path: Path) -> str:
    return str(Path(path).expanduser().resolve())


def default_log_file(out_dir: Path) -> Path:
    """The nightly job's log: in the output folder's state folder, which is never published."""
    return state_dir(Path(out_dir).absolute()) / LOG_FILENAME


def default_unit_dir() -> Path:
    """Where systemd looks for the user's own units."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "systemd" / "user"


def install(
    *,
    argv: Sequence[str],
    at: str,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    crontab_file: Path | None = None,
    systemd: bool = False,
    unit_dir: Path | None = None,
) -> str:
    """Run `argv` with `env` every night at `at`, output appended to `log_file`; replaces an earlier entry."""
    hour, minute = parse_time(at)
    env = dict(env or {})
    _check_argv(argv)
    _check_env(env)
    log_file = Path(log_file).expanduser().absolute()
    if systemd:
        _check_utf8([*argv, *(f"{k}={v}" for k, v in env.items()), str(log_file)])
        _systemctl(_unit_folder(unit_dir)[1])  # refuse before creating anything
    if "\n" in str(log_file):
        raise ScheduleError(f"log file {str(log_file)!r} contains a newline: choose another --log")
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScheduleError(
            f"cannot create {display_path(log_file.parent)} ({exc.strerror}): choose another --log"
        ) from None
    if systemd:
        return _install_systemd(argv, env, hour, minute, log_file, unit_dir)
    log = _cron_escape(shlex.quote(str(log_file)))
    line = f"{minute} {hour} * * * {_cron_command(argv, env)} >> {log} 2>&1 {MARKER}"
    kept = [entry for entry in _read_crontab(crontab_file) if not _is_ours(entry)]
    _write_crontab(crontab_file, [*kept, line])
    where = display_path(crontab_file) if crontab_file is not None else "your crontab"
    when = f"{hour:02d}:{minute:02d}"
    return f"nightly run at {when} installed in {where}; output goes to {display_path(log_file)}"


def show(
    *, crontab_file: Path | None = None, systemd: bool = False, unit_dir: Path | None = None
) -> str | None:
    """The installed nightly entry as text, or None when there is none."""
    if systemd:
        folder, _ = _unit_folder(unit_dir)
        parts = [
            f"# {path}\n{path.read_text(encoding='utf-8').rstrip()}"
            for path in (folder / TIMER_FILE, folder / SERVICE_FILE)
            if path.is_file()
        ]
        return "\n\n".join(parts) if parts else None
    ours = [entry for entry in _read_crontab(crontab_file) if _is_ours(entry)]
    return "\n".join(ours) if ours else None


def remove(*, crontab_file: Path | None = None, systemd: bool = False, unit_dir: Path | None = None) -> bool:
    """Remove the nightly entry; False when there was none."""
    if systemd:
        return _remove_systemd(unit_dir)
    lines = _read_crontab(crontab_file)
    kept = [entry for entry in lines if not _is_ours(entry)]
    if len(kept) == len(lines):
        return False
    _write_crontab(crontab_file, kept)
    return True


def _check_argv(argv: Sequence[str]) -> None:
    if not argv:
        raise ScheduleError("no command to schedule: pass the digest command and its arguments")
    if not os.path.isabs(argv[0]):
        # cron and systemd run with a minimal PATH, so a bare name would fail silently at night.
        raise ScheduleError(f"the scheduled command must start with an absolute path, not {argv[0]!r}")
    if any("\n" in arg or "\r" in arg for arg in argv):
        raise ScheduleError("a scheduled argument contains a line break: cron and systemd cannot run it")


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_env(env: Mapping[str, str]) -> None:
    for name, value in env.items():
        if not _ENV_NAME.fullmatch(name):
            raise ScheduleError(
                f"{name!r} is not an environment variable name: cron and systemd cannot set it"
            )
        if "\n" in value or "\r" in value:
            raise ScheduleError(
                f"{name} contains a line break: cron and systemd cannot set it; change its value"
            )


def _check_utf8(args: Sequence[str]) -> None:
    # A crontab holds a name's raw bytes (see _read_crontab), but a unit file must be UTF-8.
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise ScheduleError(
                f"{display_path(arg)} is not a UTF-8 name, which a systemd unit cannot hold: "
                f"drop --systemd to use cron, or rename it"
            ) from None


# cron


def _is_ours(line: str) -> bool:
    return line.rstrip().endswith(MARKER)


def _cron_escape(text: str) -> str:
    # cron turns an unescaped % into a newline before the shell sees the command.
    return text.replace("%", "\\%")


def _cron_command(argv: Sequence[str], env: Mapping[str, str]) -> str:
    # cron hands the line to /bin/sh, where NAME=value before a command sets it for that command.
    assignments = [f"{name}={shlex.quote(value)}" for name, value in env.items()]
    return _cron_escape(" ".join([*assignments, shlex.join(argv)]))


def _read_crontab(crontab_file: Path | None) -> list[str]:
    if crontab_file is not None:
        try:
            # surrogateescape: a path that is not UTF-8 is kept as its exact bytes (cron runs it as bytes).
            return Path(crontab_file).read_bytes().decode("utf-8", "surrogateescape").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ScheduleError(
                f"cannot read {crontab_file} ({exc.strerror}): check --crontab-file or DIGEST_CRONTAB"
            ) from None
    result = _crontab(["-l"])
    if result.returncode != 0:
        # "no crontab for USER" is how cron says the table is empty.
        if "no crontab" in result.stderr.lower():
            return []
        raise ScheduleError(f"crontab -l failed: {_first_line(result.stderr)}: fix cron or use --systemd")
    return result.stdout.splitlines()


def _write_crontab(crontab_file: Path | None, lines: list[str]) -> None:
    # cron ignores a last line that does not end in a newline.
    text = "".join(f"{line}\n" for line in lines)
    if crontab_file is not None:
        try:
            write_bytes_atomic(Path(crontab_file), text.encode("utf-8", "surrogateescape"))
        except OSError as exc:
            raise ScheduleError(
                f"cannot write {crontab_file} ({exc.strerror}): check --crontab-file or DIGEST_CRONTAB"
            ) from None
        return
    result = _crontab(["-"], stdin=text)
    if result.returncode != 0:
        raise ScheduleError(f"crontab - failed: {_first_line(result.stderr)}: fix cron or use --systemd")


def _crontab(args: list[str], *, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("crontab")
    if binary is None:
        raise ScheduleError("crontab not found: install cron or use --systemd")
    return subprocess.run(
        [binary, *args], input=stdin, capture_output=True, check=False,
        encoding="utf-8", errors="surrogateescape",
    )


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "no error message"


# systemd


def _systemd_quote(arg: str) -> str:
    # ExecStart= is not a shell line: % starts a specifier, $ a variable, \ an escape.
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if _SYSTEMD_PLAIN.fullmatch(arg):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _systemd_environment(name: str, value: str) -> str:
    # Environment= expands % specifiers and C escapes inside quotes, but no $ variables.
    assignment = f"{name}={value}".replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return f'Environment="{assignment}"\n'


def _service_text(argv: Sequence[str], env: Mapping[str, str], log_file: Path) -> str:
    log = str(log_file).replace("%", "%%")
    return (
        "[Unit]\n"
        "Description=digest nightly run\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        + "".join(_systemd_environment(name, value) for name, value in env.items())
        + f"ExecStart={' '.join(_systemd_quote(arg) for arg in argv)}\n"
        f"StandardOutput=append:{log}\n"
        f"StandardError=append:{log}\n"
    )


def _timer_text(hour: int, minute: int) -> str:
    return (
        "[Unit]\n"
        f"Description=digest nightly run at {hour:02d}:{minute:02d}\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar=*-*-* {hour:02d}:{minute:02d}:00\n"
        # A night missed while the machine was off is run at the next boot.
        "Persistent=true\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def _unit_folder(unit_dir: Path | None) -> tuple[Path, bool]:
    """The folder to write units to, and whether it is systemd's own (so systemctl should load them)."""
    default = default_unit_dir()
    if unit_dir is None:
        return default, True
    folder = Path(unit_dir).expanduser().absolute()
    return folder, folder.resolve() == default.resolve()


def _systemctl(default_dir: bool) -> str | None:
    """The systemctl to manage units with, or None for a custom unit folder."""
    if not default_dir:
        return None
    binary = shutil.which("systemctl")
    if binary is None:
        raise ScheduleError("systemctl not found: drop --systemd to use cron")
    return binary


def _run_systemctl(binary: str, *args: str) -> None:
    command = [binary, "--user", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ScheduleError(
            f"{shlex.join(['systemctl', *command[1:]])} failed: {_first_line(result.stderr)}: "
            f"make sure a systemd user session is running, or drop --systemd to use cron"
        )


def _install_systemd(
    argv: Sequence[str], env: Mapping[str, str], hour: int, minute: int, log_file: Path, unit_dir: Path | None
) -> str:
    folder, is_default = _unit_folder(unit_dir)
    binary = _systemctl(is_default)
    try:
        write_text_atomic(folder / SERVICE_FILE, _service_text(argv, env, log_file))
        write_text_atomic(folder / TIMER_FILE, _timer_text(hour, minute))
    except OSError as exc:
        raise ScheduleError(
            f"cannot write units in {folder} ({exc.strerror}): choose another unit folder"
        ) from None
    when = f"{hour:02d}:{minute:02d}"
    if binary is None:
        return (
            f"wrote {folder / SERVICE_FILE} and {folder / TIMER_FILE} (nightly at {when}); to activate, run: "
            f"systemctl --user link {shlex.quote(str(folder / SERVICE_FILE))} && "
            f"systemctl --user enable --now {shlex.quote(str(folder / TIMER_FILE))}"
        )
    _run_systemctl(binary, "daemon-reload")
    _run_systemctl(binary, "enable", "--now", TIMER_FILE)
    return f"nightly run at {when} enabled as {TIMER_FILE} in {folder}; output goes to {log_file}"


def _remove_systemd(unit_dir: Path | None) -> bool:
    folder, is_default = _unit_folder(unit_dir)
    units = [path for path in (folder / TIMER_FILE, folder / SERVICE_FILE) if path.is_file()]
    if not units:
        return False
    binary = _systemctl(is_default)
    if binary is not None and (folder / TIMER_FILE).is_file():
        _run_systemctl(binary, "disable", "--now", TIMER_FILE)
    for path in units:
        path.unlink()
    if binary is not None:
        _run_systemctl(binary, "daemon-reload")
    return True
