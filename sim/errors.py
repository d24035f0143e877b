"""Errors the library raises for bad input, and warnings for input that runs but looks wrong.

Every error names where the problem is (a file and a key path, or a run setting) so that the
command line can print one clear line and exit with status 2. The library itself knows nothing
of command-line options: a run setting is named as the keyword argument of :func:`sim.run`
(``scale``, ``replicates``...), and the command line maps it to its option. A run that
fails for another reason (a worker died) raises :class:`RunFailed`.
"""

from __future__ import annotations

from pathlib import Path


class CqsimError(Exception):
    """Bad input: names the file (or setting) and the key path, with a message.

    Args:
        file: the file at fault, or "" when the problem is a setting given by the caller.
        key: the key path inside the file ("policies[2].share"), or the setting's name.
        message: what is wrong and, where possible, what to do instead.

    """

    def __init__(self, file: Path | str, key: str, message: str):
        self.file = str(file)
        self.key = key
        self.message = message
        where = "".join(f"{part}: " for part in (self.file, key) if part)
        super().__init__(where + message)

    def __reduce__(self):
        """Pickle by fields, so an error raised in a worker process reaches the parent whole."""
        return _rebuild, (type(self), self.file, self.key, self.message)


def _rebuild(cls: type[CqsimError], file: str, key: str, message: str) -> CqsimError:
    error = CqsimError.__new__(cls)
    CqsimError.__init__(error, file, key, message)
    return error


class ScenarioError(CqsimError):
    """An invalid scenario, sweep, calibration or parameter file."""


class SettingError(CqsimError):
    """A bad run setting given by the caller (``scale``, ``replicates``, ``end``, ``out``...)."""

    def __init__(self, setting: str, message: str):
        super().__init__("", setting, message)

    @property
    def setting(self) -> str:
        """Name of the setting, as the keyword argument of the library function."""
        return self.key


class OutputError(CqsimError):
    """An output path cqsim must not or cannot write (not its own, read-only, impossible)."""


class ResourceLimitError(CqsimError):
    """A run that would need more memory than the limits allow, refused or stopped early."""


class RunFailed(Exception):
    """A run could not finish for a reason other than bad input (a worker died...)."""


class CqsimWarning(UserWarning):
    """Input that runs but deserves the user's attention (an implausible fiscal cost...)."""
