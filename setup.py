"""One build step that pyproject.toml cannot state: `cli.py` goes into the wheel's one package.

Everything else about the build is in pyproject.toml. The top-level module `cli.py` has to be
installed as `digest_translate/cli.py`, beside the packages that `[tool.setuptools.package-dir]`
maps under `digest_translate`; setuptools maps packages to folders, never a module to a package.
"""

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """build_py that counts the top-level `cli.py` as a module of the package `digest_translate`."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        modules: list[tuple[str, str, str]] = super().find_package_modules(package, package_dir)
        if package == "digest_translate":
            modules.append((package, "cli", "cli.py"))
        return modules


setup(cmdclass={"build_py": BuildPy})
