"""Nightly schedules: one tagged crontab line or a pair of systemd user units, installed idempotently."""

from __future__ import annotations

import dataclasses
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError, ScheduleError
from digest import schedule
from digest.settings import Settings

UNRELATED = (
    "# my own jobs\n"
    "MAILTO=me@example.com\n"
    "0 * * * * /usr/local/bin/backup --fast # nightly-backup\n"
    "\n"
    "*/5 * * * * /usr/bin/true\n"
)


@pytest.fixture
def argv(tmp_path: Path) -> list[str]:
    out, docs = str(tmp_path / "out"), str(tmp_path / "my docs")
    return ["/opt/digest/bin/digest", "run", "--new-only", "--out", out, docs]


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "digest.log"


@pytest.fixture
def crontab(tmp_path: Path) -> Path:
    return tmp_path / "crontab"


def ours(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.endswith("# digest-nightly")]


def test_install_writes_one_tagged_cron_line(argv: list[str], log_file: Path, crontab: Path) -> None:
    message = schedule.install(argv=argv, at="02:30", log_file=log_file, crontab_file=crontab, systemd=False)
    assert crontab.read_text() == (
        f"30 2 * * * {shlex.join(argv)} >> {shlex.quote(str(log_file))} 2>&1 # digest-nightly\n"
    )
    assert "02:30" in message and str(log_file) in message
    assert log_file.parent.is_dir()  # cron's shell would not create it


def test_installing_again_replaces_the_entry(argv: list[str], log_file: Path, crontab: Path) -> None:
    schedule.install(argv=argv, at="02:30", log_file=log_file, crontab_file=crontab, systemd=False)
    schedule.install(argv=argv, at="4:15", log_file=log_file, crontab_file=crontab, systemd=False)
    entries = ours(crontab.read_text())
    assert len(entries) == 1 and entries[0].startswith("15 4 * * * ")


def test_other_lines_are_kept_untouched(argv: list[str], log_file: Path, crontab: Path) -> None:
    crontab.write_text(UNRELATED)
    schedule.install(argv=argv, at="02:30", log_file=log_file, crontab_file=crontab, systemd=False)
    text = crontab.read_text()
    assert text.startswith(UNRELATED) and len(ours(text)) == 1
    assert schedule.remove(crontab_file=crontab) is True
    assert crontab.read_text() == UNRELATED


def test_show_and_remove(argv: list[str], log_file: Path, crontab: Path) -> None:
    assert schedule.show(crontab_file=crontab, systemd=False) is None
    schedule.install(argv=argv, at="23:59", log_file=log_file, crontab_file=crontab, systemd=False)
    shown = schedule.show(crontab_file=crontab, systemd=False)
    assert shown is not None and shown.startswith("59 23 * * * /opt/digest/bin/digest run --new-only")
    assert schedule.remove(crontab_file=crontab, systemd=False) is True
    assert schedule.show(crontab_file=crontab, systemd=False) is None
    assert schedule.remove(crontab_file=crontab, systemd=False) is False


@pytest.mark.parametrize("at", ["25:00", "12:60", "24:00", "noon", "7", "", "-1:30", "7:5", "07:30:00"])
def test_invalid_times_are_refused(at: str, argv: list[str], log_file: Path, crontab: Path) -> None:
    with pytest.raises(ConfigError, match="HH:MM"):
        schedule.install(argv=argv, at=at, log_file=log_file, crontab_file=crontab, systemd=False)
    assert not crontab.exists()


@pytest.mark.parametrize(("at", "fields"), [("00:00", "0 0"), ("7:05", "5 7"), ("23:59", "59 23")])
def test_valid_times(at: str, fields: str, argv: list[str], log_file: Path, crontab: Path) -> None:
    schedule.install(argv=argv, at=at, log_file=log_file, crontab_file=crontab, systemd=False)
    assert crontab.read_text().startswith(f"{fields} * * * ")


def test_a_relative_command_is_refused(log_file: Path, crontab: Path) -> None:
    with pytest.raises(ScheduleError, match="absolute path"):
        schedule.install(
            argv=["digest", "run"], at="02:30", log_file=log_file, crontab_file=crontab, systemd=False
        )


def test_the_cron_command_gives_the_program_its_arguments_verbatim(tmp_path: Path, crontab: Path) -> None:
    # Awkward arguments (spaces, quotes, cron's % and the shell's $), run the way cron runs a line:
    # unescape \\%, then hand the command to /bin/sh.
    awkward = ["my docs", "it's", 'say "hi"', "100%", "$HOME", "a;b", ""]
    argv = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))", *awkward]
    log_file = tmp_path / "log dir" / "run%1.log"
    schedule.install(argv=argv, at="02:30", log_file=log_file, crontab_file=crontab, systemd=False)
    command = crontab.read_text().splitlines()[0].split(" ", 5)[5]
    subprocess.run(["/bin/sh", "-c", command.replace("\\%", "%")], check=True, timeout=60)
    assert json.loads(log_file.read_text()) == awkward


# crontab(1) itself, faked on PATH


@pytest.fixture
def fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `crontab` on PATH that keeps the table in a file; returns that file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    store = tmp_path / "user-crontab"
    script = bin_dir / "crontab"
    script.write_text(
        "#!/bin/sh\n"
        f"store={shlex.quote(str(store))}\n"
        'case "$1" in\n'
        '  -l) if [ -e "$store" ]; then cat "$store"; else echo "no crontab for tester" >&2; exit 1; fi ;;\n'
        '  -) if [ -n "$CRONTAB_REFUSE" ]; then echo "crontab: $CRONTAB_REFUSE" >&2; exit 1; fi\n'
        '     cat > "$store" ;;\n'
        '  *) echo "usage: crontab [-l | -]" >&2; exit 2 ;;\n'
        "esac\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.delenv("CRONTAB_REFUSE", raising=False)
    return store


def test_the_real_crontab_command_is_used_without_a_file(
    argv: list[str], log_file: Path, fake_crontab: Path
) -> None:
    assert schedule.show() is None  # "no crontab for tester" means empty
    schedule.install(argv=argv, at="02:30", log_file=log_file, crontab_file=None, systemd=False)
    fake_crontab.write_text(UNRELATED + fake_crontab.read_text())
    schedule.install(argv=argv, at="03:45", log_file=log_file, crontab_file=None, systemd=False)
    text = fake_crontab.read_text()
    assert text.startswith(UNRELATED)
    assert [line.split(" ", 2)[:2] for line in ours(text)] == [["45", "3"]]
    assert schedule.show() == ours(text)[0]
    assert schedule.remove() is True
    assert fake_crontab.read_text() == UNRELATED


def test_a_failing_crontab_listing_is_reported(argv: list[str], log_file: Path, fake_crontab: Path) -> None:
    fake_crontab.mkdir()  # `cat` of a folder fails with a message
    expected = "^crontab -l failed: .*Is a directory: fix cron or use --systemd$"
    with pytest.raises(ScheduleError, match=expected):
        schedule.install(argv=argv, at="02:30", log_file=log_file, crontab_file=None, systemd=False)


def test_a_refused_crontab_is_reported(
    argv: list[str], log_file: Path, fake_crontab: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRONTAB_REFUSE", "you are not allowed to use this program")
    expected = "^crontab - failed: crontab: you are not allowed to use this program: fix cron"
    with pytest.raises(ScheduleError, match=expected):
        schedule.install(argv=argv, at="02:30", log_file=log_file, crontab_file=None, systemd=False)
    assert not fake_crontab.exists()


def test_a_missing_crontab_command_says_what_to_do(
    argv: list[str], log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ScheduleError, match="^crontab not found: install cron or use --systemd$"):
        schedule.install(argv=argv, at="02:30", log_file=log_file, crontab_file=None, systemd=False)


# systemd user units


def test_systemd_units_in_a_custom_folder(argv: list[str], log_file: Path, tmp_path: Path) -> None:
    units = tmp_path / "units"
    argv = [*argv, "--summary-note", "50% off"]
    message = schedule.install(
        argv=argv, at="02:30", log_file=log_file, crontab_file=None, systemd=True, unit_dir=units
    )
    service = (units / "digest-nightly.service").read_text()
    timer = (units / "digest-nightly.timer").read_text()
    assert "Type=oneshot\n" in service
    exec_start = (
        f'ExecStart=/opt/digest/bin/digest run --new-only --out {tmp_path}/out "{tmp_path}/my docs"'
        ' --summary-note "50%% off"\n'
    )
    assert exec_start in service
    assert f"StandardOutput=append:{log_file}\n" in service
    assert "OnCalendar=*-*-* 02:30:00\n" in timer
    assert "Persistent=true\n" in timer
    assert "WantedBy=timers.target\n" in timer
    assert "systemctl --user enable --now" in message and str(units / "digest-nightly.timer") in message

    shown = schedule.show(systemd=True, unit_dir=units)
    assert shown is not None and "OnCalendar=*-*-* 02:30:00" in shown and "ExecStart=" in shown
    assert schedule.remove(systemd=True, unit_dir=units) is True
    assert list(units.iterdir()) == []
    assert schedule.show(systemd=True, unit_dir=units) is None
    assert schedule.remove(systemd=True, unit_dir=units) is False


@pytest.fixture
def fake_systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `systemctl` on PATH that logs its arguments (and fails when FAIL_SYSTEMCTL is set)."""
    bin_dir = tmp_path / "sbin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl-calls"
    script = bin_dir / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {shlex.quote(str(calls))}\n'
        'if [ -n "$FAIL_SYSTEMCTL" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("FAIL_SYSTEMCTL", raising=False)
    return calls


def test_systemd_in_the_default_folder_enables_the_timer(
    argv: list[str], log_file: Path, tmp_path: Path, fake_systemctl: Path
) -> None:
    schedule.install(argv=argv, at="05:00", log_file=log_file, crontab_file=None, systemd=True)
    units = tmp_path / "config" / "systemd" / "user"
    assert "OnCalendar=*-*-* 05:00:00" in (units / "digest-nightly.timer").read_text()
    assert fake_systemctl.read_text().splitlines() == [
        "--user daemon-reload",
        "--user enable --now digest-nightly.timer",
    ]
    assert schedule.remove(systemd=True) is True
    assert not (units / "digest-nightly.timer").exists() and not (units / "digest-nightly.service").exists()
    assert fake_systemctl.read_text().splitlines()[2:] == [
        "--user disable --now digest-nightly.timer",
        "--user daemon-reload",
    ]


def test_a_systemctl_failure_is_reported(
    argv: list[str], log_file: Path, fake_systemctl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_SYSTEMCTL", "1")
    expected = "^systemctl --user daemon-reload failed: Failed to connect to bus"
    with pytest.raises(ScheduleError, match=expected):
        schedule.install(argv=argv, at="05:00", log_file=log_file, crontab_file=None, systemd=True)


def test_a_missing_systemctl_writes_nothing(
    argv: list[str], log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with pytest.raises(ScheduleError, match="systemctl not found"):
        schedule.install(argv=argv, at="05:00", log_file=log_file, crontab_file=None, systemd=True)
    assert not (tmp_path / "config").exists()


# The job: every setting it was installed with, as flags


def every_setting_changed(tmp_path: Path) -> Settings:
    """Settings in which every setting a run takes differs from its default."""
    changed = Settings(
        out_dir=tmp_path / "out",
        model_dir=tmp_path / "models",
        lang="ur",
        routes={"ur": "nllb", "fa": "Helsinki-NLP/opus-mt-fa-en"},
        nllb_model="facebook/nllb-200-1.3B",
        summarizer="extractive",
        summary_model="google/pegasus-xsum",
        backend="ct2",
        device="cpu",
        num_beams=3,
        max_batch_tokens=2048,
        summary_beams=2,
        summary_batch_tokens=1024,
        max_file_bytes=1000,
        offline=True,
        wait_for_lock=True,
        site_url="https://digest.example/news/",
        follow_outside_links=True,
        show_diagnostics=True,
        engine="ray",
        ray_address="auto",
        config_path=tmp_path / "config.toml",
    )
    defaults = Settings()
    unchanged = {
        f.name for f in dataclasses.fields(Settings) if getattr(changed, f.name) == getattr(defaults, f.name)
    }
    # new_only and skip_empty are the job's own; a setting added later must be added here too.
    assert unchanged == {"new_only", "skip_empty"}, unchanged
    return changed


def test_the_job_carries_every_setting_as_a_flag(tmp_path: Path) -> None:
    (tmp_path / "my docs").mkdir()
    job = schedule.nightly_job(
        every_setting_changed(tmp_path), program="/opt/digest/bin/digest", paths=[tmp_path / "my docs"],
        environ={},
    )
    assert job.argv == (
        "/opt/digest/bin/digest", "run", "--new-only", "--skip-empty", "--out", str(tmp_path / "out"),
        "--model-dir", str(tmp_path / "models"), "--lang", "ur",
        "--route", "fa=Helsinki-NLP/opus-mt-fa-en", "--route", "ur=nllb",
        "--nllb-model", "facebook/nllb-200-1.3B", "--summarizer", "extractive", "--summary-model", "google/pegasus-xsum", "--backend", "ct2",
        "--device", "cpu", "--beams", "3", "--max-batch-tokens", "2048", "--summary-beams", "2",
        "--summary-batch-tokens", "1024", "--max-file-bytes", "1000", "--offline", "--wait",
        "--site-url", "https://digest.example/news/", "--follow-outside-links", "--show-diagnostics",
        "--engine", "ray",
        "--ray-address", "auto", str(tmp_path / "my docs"),
    )
    # The config file is not passed: its values are all in the flags already.
    assert job.env == {}
    assert "--config" not in job.argv


def test_a_default_job_is_short_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inbox").mkdir()
    job = schedule.nightly_job(
        Settings(), program="/opt/digest/bin/digest", paths=[Path("inbox")], environ={}
    )
    # cron starts the job in the home folder: the default ./digests is made absolute here.
    assert job.argv == (
        "/opt/digest/bin/digest", "run", "--new-only", "--skip-empty",
        "--out", str(tmp_path / "digests"), str(tmp_path / "inbox"),
    )
    assert job.env == {}


def test_a_quiet_night_publishes_only_when_asked(tmp_path: Path) -> None:
    job = schedule.nightly_job(Settings(), program="/d", paths=[tmp_path], publish_empty=True, environ={})
    assert "--new-only" in job.argv and "--skip-empty" not in job.argv


def test_the_job_keeps_where_models_are(tmp_path: Path) -> None:
    environ = {
        "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": "/srv/hub", "HF_HUB_OFFLINE": "1",
        "XDG_CACHE_HOME": "/srv/cache", "HF_TOKEN": "hf_secret", "PATH": "/usr/bin", "HOME": "/home/me",
    }
    job = schedule.nightly_job(Settings(), program="/d", paths=[tmp_path], environ=environ)
    assert job.env == {
        "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": "/srv/hub", "HF_HUB_OFFLINE": "1",
        "XDG_CACHE_HOME": "/srv/cache",
    }


def test_a_missing_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^input path .*nowhere does not exist: check the path"):
        schedule.nightly_job(Settings(), program="/d", paths=[tmp_path, tmp_path / "nowhere"], environ={})


def test_the_log_is_kept_out_of_the_published_folder(tmp_path: Path) -> None:
    assert schedule.default_log_file(tmp_path / "out") == tmp_path / "out" / ".digest" / "nightly.log"


def test_cron_runs_the_job_with_its_environment(tmp_path: Path, crontab: Path) -> None:
    # Run the way cron runs a line: unescape \\%, then hand the command to /bin/sh with a bare environment.
    awkward = {"HF_HOME": "/srv/my models/100% $HOME 'q' \"dq\"", "DIGEST_NLLB_MODEL": "org/model"}
    names = "('HF_HOME', 'DIGEST_NLLB_MODEL')"
    show_env = f"import json, os; print(json.dumps({{k: os.environ.get(k) for k in {names}}}))"
    argv = [sys.executable, "-c", show_env]
    log_file = tmp_path / "log.txt"
    schedule.install(argv=argv, env=awkward, at="02:30", log_file=log_file, crontab_file=crontab)
    command = crontab.read_text().splitlines()[0].split(" ", 5)[5]
    bare = ["/usr/bin/env", "-i", "/bin/sh", "-c", command.replace("\\%", "%")]
    subprocess.run(bare, check=True, timeout=60)
    assert json.loads(log_file.read_text()) == awkward
    shown = schedule.show(crontab_file=crontab)
    assert shown is not None and "DIGEST_NLLB_MODEL=org/model " in shown


def test_systemd_units_carry_the_environment(argv: list[str], log_file: Path, tmp_path: Path) -> None:
    units = tmp_path / "units"
    env = {"HF_HOME": "/srv/100% models", "DIGEST_NLLB_MODEL": 'a "b"'}
    schedule.install(argv=argv, env=env, at="02:30", log_file=log_file, systemd=True, unit_dir=units)
    service = (units / "digest-nightly.service").read_text()
    assert 'Environment="HF_HOME=/srv/100%% models"\n' in service
    assert 'Environment="DIGEST_NLLB_MODEL=a \\"b\\""\n' in service
    assert service.index("Environment=") < service.index("ExecStart=")


@pytest.mark.parametrize("env", [{"HF_HOME": "a\nb"}, {"BAD NAME": "x"}, {"": "x"}])
def test_an_environment_cron_cannot_hold_is_refused(
    env: dict[str, str], argv: list[str], log_file: Path, crontab: Path
) -> None:
    with pytest.raises(ScheduleError, match="cannot set it"):
        schedule.install(argv=argv, env=env, at="02:30", log_file=log_file, crontab_file=crontab)
    assert not crontab.exists()
