"""What a result was made with: package versions and the code's git revision."""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path

CORE_PACKAGES = ("cqsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic")


def package_versions(packages: tuple[str, ...] = CORE_PACKAGES) -> dict[str, str]:
    """Python's version and each package's installed version ("not installed" if absent)."""
    return dict(_versions(tuple(packages)))


@functools.cache
def _versions(packages: tuple[str, ...]) -> dict[str, str]:
    """:func:`package_versions`, read once per process (24 ms a call: a comparison makes 100)."""
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def git_revision() -> str | None:
    """The git commit of the cqsim code that is running, if it runs from a git checkout."""
    try:
        here = Path(__file__).resolve().parent
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        return rev.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
