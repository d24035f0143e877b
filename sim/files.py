"""Reading the user's input files (scenarios, sweeps, calibrations) with one clear error each.

A missing, unreadable or empty file, a folder, a file that is not UTF-8 text or not TOML, or
one far too large to be a hand-written input each raise :class:`~sim.errors.ScenarioError`
naming the file. A UTF-8 byte-order mark (written by some Windows editors) is accepted.
"""

from __future__ import annotations

import codecs
import tomllib
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError

# Hand-written input files are a few kB; the largest shipped one (parameters.toml) is ~40 kB.
# A file a hundred times larger is almost surely the wrong file (data, a log): refuse it rather
# than parse it. Not a model quantity, so not in the parameter file.
MAX_INPUT_BYTES = 4_000_000


def read_text(path: str | Path, *, what: str = "file") -> str:
    """The text of a UTF-8 input file; ScenarioError naming the file if it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(path, "", "file not found")
    if path.is_dir():
        raise ScenarioError(path, "", f"is a folder, not a {what}")
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise ScenarioError(
                path,
                "",
                f"is {size / 1e6:.1f} MB; a {what} is a small text file "
                f"(at most {MAX_INPUT_BYTES / 1e6:.0f} MB): is this the right file?",
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    except PermissionError:
        raise ScenarioError(path, "", "cannot read the file: permission denied") from None
    except OSError as exc:
        raise ScenarioError(path, "", f"cannot read the file: {exc.strerror or exc}") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ScenarioError(
            path,
            "",
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {column}); "
            "save it as UTF-8",
        ) from None


def read_toml(path: str | Path, *, what: str = "scenario file") -> dict[str, Any]:
    """The table of a TOML input file; ScenarioError naming the file on any problem."""
    text = read_text(path, what=what)
    if not text.strip():
        raise ScenarioError(path, "", "the file is empty")
    if "\x00" in text:
        raise ScenarioError(path, "", f"holds NUL bytes: it is not a {what}")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "", f"not valid TOML: {exc}") from None
