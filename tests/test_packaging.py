"""What `pip install` puts in site-packages, and that the installed `digest` works beside other packages.

The wheel must install one top-level package, `digest_translate`, and no `cli`, `digest`, `translate`,
`summarize`, `readers`, `seq2seq` or `core`, which other distributions install too. Each test builds
from a copy of this checkout (offline: --no-build-isolation, with this environment's setuptools) and
installs into a fresh virtual environment made with --without-pip, so that nothing is installed
here. The dependencies come from this environment through a path line in a .pth file, written after
pip has run: a path line adds the folder only, so this environment's own editable install of digest
(a .pth that runs a finder) does not leak into the fresh one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from digest import __version__
from tests.cli.helpers import SAMPLES

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("digest", "translate", "summarize", "readers", "seq2seq", "core")
HINDI = "hi-quang-nam-party-members-2024.txt"
DEPS_PTH = "zz-test-dependencies.pth"
# What a checkout holds that a build does not read.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", "build", "dist", ".venv", "venv", ".*_cache", "digests", "models-tiny"
)


@dataclass(frozen=True)
class Env:
    """A fresh virtual environment with one wheel installed."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def digest(self) -> Path:
        return self.root / "bin" / "digest"

    @property
    def site_packages(self) -> Path:
        (found,) = (self.root / "lib").glob("python3*/site-packages")
        return found

    def run(self, *args: str | Path, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command of this environment as a user would: no PYTHONPATH unless given, outside the checkout."""
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("DIGEST_")}
        if pythonpath is not None:
            env["PYTHONPATH"] = str(pythonpath)
        return subprocess.run(
            [*map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300, stdin=subprocess.DEVNULL, check=False
        )


def _check(command: list[str | Path], cwd: Path) -> None:
    # Without the PYTHONPATH the suite gives its own subprocesses (tests/conftest.py): on it, the
    # checkout's digest_translate.egg-info would tell pip the package is already installed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [*map(str, command)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _source_copy(dst: Path) -> Path:
    shutil.copytree(REPO, dst, ignore=NOT_SOURCE)
    return dst


def _fresh_env(root: Path, wheel: Path) -> Env:
    """A virtual environment of the base interpreter with `wheel` installed, and this one's dependencies."""
    base = getattr(sys, "_base_executable", sys.executable)
    _check([base, "-m", "venv", "--without-pip", root], cwd=root.parent)
    env = Env(root)
    _check([sys.executable, "-m", "pip", "--python", env.python, "install", "--no-deps", "--no-index", wheel], cwd=root)
    here = sysconfig.get_paths()
    folders = dict.fromkeys([here["purelib"], here["platlib"]])
    (env.site_packages / DEPS_PTH).write_text("".join(f"{folder}\n" for folder in folders), encoding="utf-8")
    return env


def _shadow(root: Path) -> Path:
    """A folder of other distributions' `translate`, `cli` and `core`, each failing loudly if digest imports it."""
    for name in ("translate", "cli", "core", "digest"):
        (root / name).mkdir(parents=True)
        (root / name / "__init__.py").write_text(f'raise ImportError("the other {name}")\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip wheel .` builds from this checkout."""
    work = tmp_path_factory.mktemp("wheel")
    src = _source_copy(work / "src")
    _check([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", src, "-w", work],
           cwd=work)
    (wheel,) = work.glob("digest_translate-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A fresh environment with the wheel installed."""
    return _fresh_env(tmp_path_factory.mktemp("venv") / "env", built)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "council.txt").write_text(
        "The city council met on Monday to discuss the budget for schools.\n\n"
        "Members agreed to fund three new libraries and to repair the old bridge over the river. "
        "The vote was unanimous, and the work begins next spring.\n",
        encoding="utf-8",
    )
    return folder


def _items(out: Path) -> list[dict[str, object]]:
    (day,) = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    digest = json.loads((day / "digest.json").read_text(encoding="utf-8"))
    assert digest["failures"] == []
    items: list[dict[str, object]] = digest["items"]
    return items


# --- the wheel --------------------------------------------------------------------------------


def test_the_wheel_has_one_top_level_package(built: Path) -> None:
    with zipfile.ZipFile(built) as wheel:
        names = wheel.namelist()
        (dist_info,) = {n.split("/")[0] for n in names if ".dist-info/" in n}
        top_level = wheel.read(f"{dist_info}/top_level.txt").decode().split()
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert {name.split("/")[0] for name in names} == {"digest_translate", dist_info}
    assert top_level == ["digest_translate"]
    assert "digest = digest_translate.__main__:main" in entry_points


def test_the_wheel_holds_every_module_and_data_file_of_the_checkout(built: Path) -> None:
    with zipfile.ZipFile(built) as wheel:
        names = set(wheel.namelist())
    expected = {"digest_translate/cli.py", "digest_translate/__init__.py", "digest_translate/__main__.py"}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                expected.add(f"digest_translate/{path.relative_to(REPO).as_posix()}")
    assert "digest_translate/translate/data/opus_mt_to_en.txt" in expected
    assert expected - names == set(), "add the missing package to [tool.setuptools] packages and package-dir"


# --- the installed wheel ----------------------------------------------------------------------


def test_pip_install_puts_one_package_in_site_packages(installed: Env) -> None:
    listing = {p.name for p in installed.site_packages.iterdir()} - {DEPS_PTH, "__pycache__"}
    assert listing == {"digest_translate", f"digest_translate-{__version__}.dist-info"}


def test_other_programs_import_other_distributions_translate_and_cli(installed: Env, tmp_path: Path) -> None:
    shadow = _shadow(tmp_path / "other")
    for name in ("translate", "cli", "core", "digest"):
        result = installed.run(installed.python, "-c", f"import {name}", cwd=tmp_path, pythonpath=shadow)
        assert result.returncode == 1
        assert f"ImportError: the other {name}" in result.stderr
    result = installed.run(installed.python, "-c", "import translate", cwd=tmp_path)
    assert "ModuleNotFoundError: No module named 'translate'" in result.stderr


def test_the_readme_way_to_use_the_packages_from_a_program(installed: Env, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What gets installed", 1)[1].split("\n#", 1)[0]
    program = section.split("```python\n", 1)[1].split("```", 1)[0]
    program += "import translate, cli\nprint(Settings.__module__, translate.__name__, cli.__name__)\n"
    result = installed.run(installed.python, "-c", program, cwd=tmp_path, pythonpath=_shadow(tmp_path / "other"))
    assert (result.returncode, result.stdout.split()) == (0, ["digest.settings", "translate", "cli"]), result.stderr


def test_the_installed_command_runs_its_own_packages(installed: Env, inputs: Path, tmp_path: Path) -> None:
    shadow = _shadow(tmp_path / "other")
    help_ = installed.run(installed.digest, "--help", cwd=tmp_path, pythonpath=shadow)
    assert help_.returncode == 0, help_.stderr
    assert "run" in help_.stdout and "translate" in help_.stdout
    module = installed.run(installed.python, "-m", "digest_translate", "--version", cwd=tmp_path, pythonpath=shadow)
    assert (module.returncode, module.stdout.strip()) == (0, f"digest {__version__}"), module.stderr

    out = tmp_path / "out"
    result = installed.run(
        installed.digest, "run", inputs, "--out", out, "--summarizer", "extractive", cwd=tmp_path, pythonpath=shadow
    )
    assert result.returncode == 0, result.stderr
    assert [(item["language"], item["route"]) for item in _items(out)] == [("en", "identity")]


def test_the_installed_command_translates_and_converts_with_a_model(
    installed: Env, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.checkpoints import build_marian

    models = tmp_path_factory.mktemp("models")
    build_marian(models, "Helsinki-NLP/opus-mt-hi-en")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(SAMPLES / HINDI, inputs / HINDI)
    out = tmp_path / "out"
    # --backend ct2: the conversion runs in a child process (`python -m seq2seq.convert`).
    result = installed.run(
        installed.digest, "run", inputs, "--out", out, "--model-dir", models, "--backend", "ct2",
        "--summarizer", "extractive", cwd=tmp_path, pythonpath=_shadow(tmp_path / "other"),
    )
    assert result.returncode == 0, result.stderr
    (item,) = _items(out)
    assert (item["language"], item["route"], item["model"]) == ("hi", "marian", "Helsinki-NLP/opus-mt-hi-en")


@pytest.mark.ray
def test_the_installed_command_runs_stages_on_ray_workers(installed: Env, inputs: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    out = tmp_path / "out"
    # The workers are started by Ray, not by digest: they find digest's packages through the job's runtime env.
    result = installed.run(
        installed.digest, "run", inputs, "--out", out, "--summarizer", "extractive", "--engine", "ray", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert [(item["language"], item["route"]) for item in _items(out)] == [("en", "identity")]


# --- the editable install (the README's `pip install -e .`) -----------------------------------


@pytest.fixture(scope="module")
def editable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Env]]:
    """A source copy and a fresh environment with its editable wheel (PEP 660) installed."""
    work = tmp_path_factory.mktemp("editable")
    src = _source_copy(work / "src")
    build = "import sys, setuptools.build_meta as b; print(b.build_editable(sys.argv[1]))"
    _check([sys.executable, "-c", build, work], cwd=src)
    (wheel,) = work.glob("digest_translate-*.whl")
    yield src, _fresh_env(work / "env", wheel)


def test_an_editable_install_maps_only_digest_translate(editable: tuple[Path, Env], tmp_path: Path) -> None:
    src, env = editable
    probe = (
        "import importlib.util as u, json, sys;"
        "print(json.dumps({n: (s.origin if (s := u.find_spec(n)) else None) for n in sys.argv[1:]}))"
    )
    result = env.run(env.python, "-c", probe, "digest_translate", *PACKAGES, "cli", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found.pop("digest_translate") == str(src / "digest_translate" / "__init__.py")
    assert found == dict.fromkeys([*PACKAGES, "cli"])  # nothing else is importable by these names


def test_the_editable_command_runs_the_source_tree(editable: tuple[Path, Env], inputs: Path, tmp_path: Path) -> None:
    src, env = editable
    # A change in the source tree shows at once: the command runs the tree's packages.
    init = src / "digest" / "__init__.py"
    source = init.read_text(encoding="utf-8")
    assert f'__version__ = "{__version__}"' in source
    init.write_text(source.replace(f'__version__ = "{__version__}"', '__version__ = "0.0.0+tree"'), encoding="utf-8")
    result = env.run(env.digest, "--version", cwd=tmp_path, pythonpath=_shadow(tmp_path / "other"))
    assert (result.returncode, result.stdout.strip()) == (0, "digest 0.0.0+tree"), result.stderr
    out = tmp_path / "out"
    result = env.run(env.digest, "run", inputs, "--out", out, "--summarizer", "extractive", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(_items(out)) == 1
